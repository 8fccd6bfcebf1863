//! Authentication as use cases over hashes: the adapter that talks to browsers and
//! integrations hashes passwords (argon2id) and tokens (SHA-256); this module decides who
//! may set which password, issues and revokes tokens (an admin may issue an API token for
//! another user of the organisation), and turns a token hash into the acting user. A
//! deactivated user's tokens stop working at once.

use crate::{AppError, AppResult, Cube, actor, self_or_administered};
use cube_domain::access::{self, Permission, User};
use cube_domain::ids::UserId;
use cube_domain::ports::{AccessToken, TokenKind};
use cube_domain::values::Email;
use time::Duration;

impl Cube {
    /// The active user with this login e-mail and their password hash, for the adapter to
    /// verify a password against. `None` for an unknown e-mail, a deactivated user or one
    /// without a password (the adapter answers all of these the same way).
    pub async fn login_credentials(&self, email: &str) -> AppResult<Option<(User, String)>> {
        let Ok(email) = Email::parse(email) else {
            return Ok(None);
        };
        let mut uow = self.begin().await?;
        let Some(user) = uow.user_by_email(&email).await?.filter(|u| u.active) else {
            return Ok(None);
        };
        Ok(uow.password_hash(user.id).await?.map(|hash| (user, hash)))
    }

    /// Sets a user's password hash: one's own, or anyone's in the organisation as an admin.
    /// Every token of that user is revoked (a changed password ends other sessions).
    pub async fn set_password(
        &self,
        actor_id: UserId,
        user_id: UserId,
        hash: &str,
    ) -> AppResult<()> {
        let mut uow = self.begin().await?;
        let acting = actor(uow.as_mut(), actor_id).await?;
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
            return Err(AppError::Invalid(
                "the user has a password already; change it as the user or an admin".into(),
            ));
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
        actor_id: UserId,
        user_id: UserId,
        token_hash: &str,
        ttl: Option<Duration>,
    ) -> AppResult<AccessToken> {
        let now = self.now();
        let mut uow = self.begin().await?;
        let acting = actor(uow.as_mut(), actor_id).await?;
        let target = self_or_administered(uow.as_mut(), &acting, user_id, now.date()).await?;
        if !target.active {
            return Err(AppError::Invalid(format!(
                "user '{}' is deactivated; reactivate them before issuing a token",
                target.name
            )));
        }
        let expires_at = match ttl {
            None => None,
            Some(ttl) if ttl.is_positive() => Some(
                now.checked_add(ttl)
                    .ok_or_else(|| AppError::Invalid("the token's lifetime is too long".into()))?,
            ),
            Some(_) => {
                return Err(AppError::Invalid(
                    "a token's lifetime must be more than zero".into(),
                ));
            }
        };
        let token = AccessToken {
            token_hash: token_hash.to_owned(),
            user: target.id,
            kind: TokenKind::Api,
            created_at: now,
            expires_at,
        };
        uow.insert_token(&token).await?;
        uow.commit().await?;
        Ok(token)
    }

    /// The active user behind a token hash; `Unauthenticated` for an unknown, expired or
    /// revoked token or a deactivated user.
    pub async fn authenticate(&self, token_hash: &str) -> AppResult<(User, AccessToken)> {
        let now = self.now();
        let mut uow = self.begin().await?;
        let token = uow
            .token(token_hash)
            .await?
            .filter(|t| t.is_valid_at(now))
            .ok_or(AppError::Unauthenticated)?;
        let user = actor(uow.as_mut(), token.user).await?;
        Ok((user, token))
    }

    /// Revokes one of the acting user's own tokens (logout), or any token of the
    /// organisation as an admin.
    pub async fn revoke_token(&self, actor_id: UserId, token_hash: &str) -> AppResult<()> {
        let mut uow = self.begin().await?;
        let acting = actor(uow.as_mut(), actor_id).await?;
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
