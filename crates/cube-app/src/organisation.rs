//! Organisations and their users. An organisation is created with its first admin (the
//! bootstrap step of a new tenant); after that only admins manage users, adding them with or
//! without a first password (as a hash: the adapter hashes passwords).

use crate::error::AccountError;
use crate::{Acting, AppError, AppResult, Cube, acting, user_of_organisation};
use cube_domain::access::{self, Organisation, Permission, Role, RoleKind, User};
use cube_domain::ids::{ClientId, DataOwnerId, UserId};
use cube_domain::time_zone::TimeZone;
use cube_domain::values::{Email, Name};
use std::collections::BTreeSet;

/// A new user as asked for: raw values, checked by the use case (the role and its scope
/// become a [`Role`] only when they go together, `Role::scoped`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewUser {
    /// The name.
    pub name: String,
    /// The login e-mail.
    pub email: String,
    /// The role.
    pub role: RoleKind,
    /// For managers (at least one), nothing else: the data owners they manage.
    pub data_owners: BTreeSet<DataOwnerId>,
    /// For client users (required), nothing else: their client.
    pub client: Option<ClientId>,
    /// Their phone (with its country code, or Norwegian without one): what click-to-call
    /// rings. Optional.
    pub phone: Option<String>,
}

impl Cube {
    /// Creates an organisation and its first admin. Not an access-checked use case: it is how
    /// a tenant comes to exist (the server's `create-admin` command and the demo use it).
    pub async fn create_organisation(
        &self,
        name: &str,
        admin: NewUser,
    ) -> AppResult<(Organisation, User)> {
        let organisation = Organisation {
            caller_ids: Vec::new(),
            id: self.new_id(),
            name: Name::parse(name)?,
            time_zone: TimeZone::default(),
        };
        let admin = User {
            phone: admin
                .phone
                .as_deref()
                .map(crate::calls::parse_phone)
                .transpose()?,
            id: self.new_id(),
            organisation: organisation.id,
            name: Name::parse(&admin.name)?,
            email: Email::parse(&admin.email)?,
            role: Role::Admin,
            active: true,
        };
        let mut uow = self.begin().await?;
        uow.save_organisation(&organisation).await?;
        uow.save_user(&admin).await?;
        uow.commit().await?;
        Ok((organisation, admin))
    }

    /// Adds a user to the acting admin's organisation. Without a password the user cannot
    /// log in until one is set (`set_password`); `create_user_with_password` does both at once.
    pub async fn create_user(&self, who: impl Into<Acting<'_>>, new: NewUser) -> AppResult<User> {
        self.add_user(who, new, None).await
    }

    /// Adds a user to the acting admin's organisation with a first password (its hash, as
    /// the adapter made it), in one unit of work: the user exists with the password, or not
    /// at all.
    pub async fn create_user_with_password(
        &self,
        who: impl Into<Acting<'_>>,
        new: NewUser,
        password_hash: &str,
    ) -> AppResult<User> {
        self.add_user(who, new, Some(password_hash)).await
    }

    async fn add_user(
        &self,
        who: impl Into<Acting<'_>>,
        new: NewUser,
        password_hash: Option<&str>,
    ) -> AppResult<User> {
        let mut uow = self.begin().await?;
        let admin = acting(uow.as_mut(), who.into()).await?;
        access::authorize(&admin, Permission::ManageOrganisation, self.now().date())
            .map_err(|e| AppError::access(e, "organisation"))?;
        let user = User {
            id: self.new_id(),
            organisation: admin.organisation,
            name: Name::parse(&new.name)?,
            email: Email::parse(&new.email)?,
            role: Role::scoped(new.role, new.data_owners, new.client)?,
            active: true,
            phone: new
                .phone
                .as_deref()
                .map(crate::calls::parse_phone)
                .transpose()?,
        };
        // The data owners a manager is given must be this organisation's: another
        // organisation's id answers like one that does not exist.
        for owner in user.role.data_owners().into_iter().flatten() {
            uow.data_owner(*owner)
                .await?
                .filter(|o| o.organisation() == admin.organisation)
                .ok_or(AppError::NotFound("data owner"))?;
        }
        if password_hash.is_some_and(|hash| hash.trim().is_empty()) {
            return Err(AccountError::EmptyPasswordHash.into());
        }
        uow.save_user(&user).await?;
        if let Some(hash) = password_hash {
            uow.set_password_hash(user.id, hash).await?;
        }
        uow.commit().await?;
        Ok(user)
    }

    /// Deactivates or reactivates a user of the admin's organisation. Another
    /// organisation's user is "not found" whoever asks (the user is looked up before the
    /// role is checked, as in `issue_api_token`); a non-admin of the same organisation is
    /// refused.
    pub async fn set_user_active(
        &self,
        who: impl Into<Acting<'_>>,
        user_id: UserId,
        active: bool,
    ) -> AppResult<User> {
        let mut uow = self.begin().await?;
        let admin = acting(uow.as_mut(), who.into()).await?;
        let mut user = user_of_organisation(uow.as_mut(), &admin, user_id).await?;
        access::authorize(&admin, Permission::ManageOrganisation, self.now().date())
            .map_err(|e| AppError::access(e, "user"))?;
        if user.id == admin.id && !active {
            return Err(AccountError::DeactivateSelf.into());
        }
        user.active = active;
        uow.save_user(&user).await?;
        if !active {
            uow.delete_tokens_of(user.id).await?;
        }
        uow.commit().await?;
        Ok(user)
    }

    /// Changes a user's role, with the scope it needs (a manager's data owners, a client
    /// user's client; `Role::scoped` refuses a scope the role does not take). Admins only, not
    /// their own role; the data owners must be the organisation's. The user's next request is
    /// judged by the new role (every request reads the user).
    pub async fn set_user_role(
        &self,
        who: impl Into<Acting<'_>>,
        user_id: UserId,
        role: RoleKind,
        data_owners: BTreeSet<DataOwnerId>,
        client: Option<ClientId>,
    ) -> AppResult<User> {
        let mut uow = self.begin().await?;
        let admin = acting(uow.as_mut(), who.into()).await?;
        let mut user = user_of_organisation(uow.as_mut(), &admin, user_id).await?;
        access::authorize(&admin, Permission::ManageOrganisation, self.now().date())
            .map_err(|e| AppError::access(e, "user"))?;
        if user.id == admin.id {
            return Err(AccountError::ChangeOwnRole.into());
        }
        let role = Role::scoped(role, data_owners, client)?;
        for owner in role.data_owners().into_iter().flatten() {
            uow.data_owner(*owner)
                .await?
                .filter(|o| o.organisation() == admin.organisation)
                .ok_or(AppError::NotFound("data owner"))?;
        }
        user.role = role;
        uow.save_user(&user).await?;
        uow.commit().await?;
        Ok(user)
    }

    /// The users of the admin's organisation.
    pub async fn users(&self, who: impl Into<Acting<'_>>) -> AppResult<Vec<User>> {
        let mut uow = self.begin_read().await?;
        let admin = acting(uow.as_mut(), who.into()).await?;
        access::authorize(&admin, Permission::ManageOrganisation, self.now().date())
            .map_err(|e| AppError::access(e, "organisation"))?;
        Ok(uow.users(admin.organisation).await?)
    }

    /// The acting user's organisation: its name and time zone (every user of it may read
    /// them: the time zone says where their days begin).
    pub async fn organisation(&self, who: impl Into<Acting<'_>>) -> AppResult<Organisation> {
        let mut uow = self.begin_read().await?;
        let user = acting(uow.as_mut(), who.into()).await?;
        uow.organisation(user.organisation)
            .await?
            .ok_or(AppError::NotFound("organisation"))
    }

    /// Renames the admin's organisation and/or sets its time zone (an IANA name such as
    /// `Europe/Oslo`); what is not given stays. From then on "today" — My Work, the reports'
    /// default window, the visibility dates — is that zone's local day.
    pub async fn update_organisation(
        &self,
        who: impl Into<Acting<'_>>,
        name: Option<&str>,
        time_zone: Option<&str>,
    ) -> AppResult<Organisation> {
        let mut uow = self.begin().await?;
        let admin = acting(uow.as_mut(), who.into()).await?;
        access::authorize(&admin, Permission::ManageOrganisation, self.now().date())
            .map_err(|e| AppError::access(e, "organisation"))?;
        let mut organisation = uow
            .organisation(admin.organisation)
            .await?
            .ok_or(AppError::NotFound("organisation"))?;
        if let Some(name) = name {
            organisation.name = Name::parse(name)?;
        }
        if let Some(zone) = time_zone {
            organisation.time_zone = TimeZone::parse(zone)?;
        }
        uow.save_organisation(&organisation).await?;
        uow.commit().await?;
        self.zones
            .remember(organisation.id, organisation.time_zone.clone());
        Ok(organisation)
    }

    /// The acting user (who am I).
    pub async fn me(&self, who: impl Into<Acting<'_>>) -> AppResult<User> {
        let mut uow = self.begin_read().await?;
        acting(uow.as_mut(), who.into()).await
    }
}
