//! Authentication as use cases over hashes: the adapter that talks to browsers and
//! integrations hashes passwords (argon2id) and tokens (SHA-256); this module decides who
//! may set which password, issues and revokes tokens (an admin may issue an API token for
//! another user of the organisation), and turns a token hash into the acting user. A
//! deactivated user's tokens stop working at once.

use crate::error::AccountError;
use crate::{Acting, AppError, AppResult, Cube, acting, actor, self_or_administered};
use cube_domain::access::{self, Permission, User};
use cube_domain::ids::{OrganisationId, UserId};
use cube_domain::ports::{AccessToken, TokenKind};
use cube_domain::values::Email;
use time::Duration;

/// How many logins of one e-mail address a login tries (one password check each, so the cost
/// of a login stays bounded); an address with more logins must name the organisation.
pub const MAX_LOGINS_PER_EMAIL: usize = 4;

/// One login an e-mail may open: the user, their password hash and their organisation's
/// name (to tell the person which organisations their address opens).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoginCandidate {
    /// The active user.
    pub user: User,
    /// Their password hash, to verify against.
    pub password_hash: String,
    /// Their organisation's name.
    pub organisation_name: String,
}

impl Cube {
    /// The logins this e-mail may open, for the adapter to verify a password against each:
    /// the active users with the address (one per organisation at most) that have a
    /// password, with their organisation's name, by organisation id; only `organisation`'s
    /// user when one is named. Empty for an unknown or unparsable e-mail, deactivated users
    /// and users without a password (the adapter answers all of these the same way). At
    /// most [`MAX_LOGINS_PER_EMAIL`]: an address with more logins must name the organisation.
    pub async fn login_credentials(
        &self,
        email: &str,
        organisation: Option<OrganisationId>,
    ) -> AppResult<Vec<LoginCandidate>> {
        let Ok(email) = Email::parse(email) else {
            return Ok(Vec::new());
        };
        let mut uow = self.begin_read().await?;
        let users = uow.users_by_email(&email).await?;
        let mut candidates = Vec::new();
        for user in users {
            if !user.active || organisation.is_some_and(|o| o != user.organisation) {
                continue;
            }
            if candidates.len() == MAX_LOGINS_PER_EMAIL {
                break;
            }
            let Some(password_hash) = uow.password_hash(user.id).await? else {
                continue;
            };
            let organisation_name = uow
                .organisation(user.organisation)
                .await?
                .map(|o| o.name.as_str().to_owned())
                .unwrap_or_default();
            candidates.push(LoginCandidate {
                user,
                password_hash,
                organisation_name,
            });
        }
        Ok(candidates)
    }

    /// Sets a user's password hash: one's own, or anyone's in the organisation as an admin.
    /// Every token of that user is revoked (a changed password ends other sessions).
    pub async fn set_password(
        &self,
        who: impl Into<Acting<'_>>,
        user_id: UserId,
        hash: &str,
    ) -> AppResult<()> {
        let mut uow = self.begin().await?;
        let acting = acting(uow.as_mut(), who.into()).await?;
        let target =
            self_or_administered(uow.as_mut(), &acting, user_id, self.now().date()).await?;
        uow.set_password_hash(target.id, hash).await?;
        uow.delete_tokens_of(target.id).await?;
        uow.commit().await?;
        Ok(())
    }

    /// Sets the first password of a user created by `create_organisation` (the operator's
    /// `create-admin` command and the demo). Refused once the user has a password.
    pub async fn set_initial_password(&self, user_id: UserId, hash: &str) -> AppResult<()> {
        let mut uow = self.begin().await?;
        actor(uow.as_mut(), user_id).await?;
        if uow.password_hash(user_id).await?.is_some() {
            return Err(AccountError::PasswordAlreadySet.into());
        }
        uow.set_password_hash(user_id, hash).await?;
        uow.commit().await?;
        Ok(())
    }

    /// Issues a token for an active user: a session (expires after `ttl`) or an API token
    /// (`ttl` `None`: until revoked).
    pub async fn issue_token(
        &self,
        user_id: UserId,
        token_hash: &str,
        kind: TokenKind,
        ttl: Option<Duration>,
    ) -> AppResult<AccessToken> {
        let now = self.now();
        let mut uow = self.begin().await?;
        let user = actor(uow.as_mut(), user_id).await?;
        let token = AccessToken {
            token_hash: token_hash.to_owned(),
            user: user.id,
            kind,
            created_at: now,
            expires_at: ttl.map(|ttl| now + ttl),
        };
        uow.insert_token(&token).await?;
        uow.commit().await?;
        Ok(token)
    }

    /// Issues an API token (`ttl` `None`: until revoked) for `user_id`: oneself, or, as an
    /// admin, another user of the organisation (an integration's own user, say). Another
    /// organisation's user is "not found"; a deactivated user gets none (their tokens would
    /// not work).
    pub async fn issue_api_token(
        &self,
        who: impl Into<Acting<'_>>,
        user_id: UserId,
        token_hash: &str,
        ttl: Option<Duration>,
    ) -> AppResult<AccessToken> {
        self.issue_integration_token(who.into(), user_id, token_hash, ttl, TokenKind::Api)
            .await
    }

    /// Issues a token that opens external state changes only (seed 003's trigger), on the
    /// terms of [`Cube::issue_api_token`]: what a web shop or a CRM is given, so a leaked
    /// credential cannot read customers or register outcomes. It acts as `user_id`, whose
    /// role must allow the change when the token is used.
    pub async fn issue_external_trigger_token(
        &self,
        who: impl Into<Acting<'_>>,
        user_id: UserId,
        token_hash: &str,
        ttl: Option<Duration>,
    ) -> AppResult<AccessToken> {
        let kind = TokenKind::ExternalTrigger;
        self.issue_integration_token(who.into(), user_id, token_hash, ttl, kind)
            .await
    }

    /// An integration's token of `kind`, issued by `who` for `user_id`.
    async fn issue_integration_token(
        &self,
        who: Acting<'_>,
        user_id: UserId,
        token_hash: &str,
        ttl: Option<Duration>,
        kind: TokenKind,
    ) -> AppResult<AccessToken> {
        let now = self.now();
        let mut uow = self.begin().await?;
        let acting = acting(uow.as_mut(), who).await?;
        let target = self_or_administered(uow.as_mut(), &acting, user_id, now.date()).await?;
        if !target.active {
            return Err(AccountError::UserDeactivated {
                name: target.name.to_string(),
            }
            .into());
        }
        let expires_at = match ttl {
            None => None,
            Some(ttl) if ttl.is_positive() => Some(
                now.checked_add(ttl)
                    .ok_or(AccountError::TokenLifetimeTooLong)?,
            ),
            Some(_) => {
                return Err(AccountError::TokenLifetimeNotPositive.into());
            }
        };
        let token = AccessToken {
            token_hash: token_hash.to_owned(),
            user: target.id,
            kind,
            created_at: now,
            expires_at,
        };
        uow.insert_token(&token).await?;
        uow.commit().await?;
        Ok(token)
    }

    /// The active user behind a token hash; `Unauthenticated` for an unknown, expired or
    /// revoked token or a deactivated user, `TokenScope` for a token scoped to one operation
    /// (it opens that operation only: [`Cube::authenticate_external_trigger`]).
    pub async fn authenticate(&self, token_hash: &str) -> AppResult<(User, AccessToken)> {
        let (user, token) = self.token_holder(token_hash).await?;
        if !token.kind.opens_everything() {
            return Err(AppError::TokenScope);
        }
        Ok((user, token))
    }

    /// The active user behind a token hash, for an external state change (seed 003's
    /// trigger): any working token opens it, the one scoped to it too.
    pub async fn authenticate_external_trigger(
        &self,
        token_hash: &str,
    ) -> AppResult<(User, AccessToken)> {
        self.token_holder(token_hash).await
    }

    /// The active user behind a working token, whatever the token opens.
    async fn token_holder(&self, token_hash: &str) -> AppResult<(User, AccessToken)> {
        let now = self.now();
        match self.store.token_holder(token_hash).await? {
            Some((token, user)) if token.is_valid_at(now) && user.active => Ok((user, token)),
            _ => Err(AppError::Unauthenticated),
        }
    }

    /// Revokes one of the acting user's own tokens (logout), or any token of the
    /// organisation as an admin.
    pub async fn revoke_token(
        &self,
        who: impl Into<Acting<'_>>,
        token_hash: &str,
    ) -> AppResult<()> {
        let mut uow = self.begin().await?;
        let acting = acting(uow.as_mut(), who.into()).await?;
        let token = uow
            .token(token_hash)
            .await?
            .ok_or(AppError::NotFound("token"))?;
        if token.user != acting.id {
            let owner = uow.user(token.user).await?;
            let same_org = owner.is_some_and(|o| o.organisation == acting.organisation);
            if !same_org {
                return Err(AppError::NotFound("token"));
            }
            access::authorize(&acting, Permission::ManageOrganisation, self.now().date())
                .map_err(|e| AppError::access(e, "token"))?;
        }
        uow.delete_token(token_hash).await?;
        uow.commit().await?;
        Ok(())
    }
}
