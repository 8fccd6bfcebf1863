//! Users: a small table, scanned. The login e-mail is unique within an organisation
//! whatever its case, as in the SQL stores.

use super::{MemoryUnit, sorted_by};
use async_trait::async_trait;
use cube_domain::access::User;
use cube_domain::ids::{OrganisationId, UserId};
use cube_domain::ports::UniqueRule;
use cube_domain::ports::UserWrites;
use cube_domain::ports::{StoreError, UserRepository};
use cube_domain::values::Email;

#[async_trait]
impl UserRepository for MemoryUnit {
    async fn user(&mut self, id: UserId) -> Result<Option<User>, StoreError> {
        Ok(self.data.users.get(&id).cloned())
    }

    async fn users_by_email(&mut self, email: &Email) -> Result<Vec<User>, StoreError> {
        let mut users: Vec<User> = self
            .data
            .users
            .values()
            .filter(|u| u.email.login_key() == email.login_key())
            .cloned()
            .collect();
        users.sort_by_key(|u| u.organisation);
        Ok(users)
    }

    async fn users(&mut self, organisation: OrganisationId) -> Result<Vec<User>, StoreError> {
        let users = self
            .data
            .users
            .values()
            .filter(|u| u.organisation == organisation)
            .cloned()
            .collect();
        Ok(sorted_by(users, |u| (u.name.clone(), u.id)))
    }
}

#[async_trait]
impl UserWrites for MemoryUnit {
    async fn save_user(&mut self, user: &User) -> Result<(), StoreError> {
        if self.data.users.values().any(|other| {
            other.organisation == user.organisation
                && other.email.login_key() == user.email.login_key()
                && other.id != user.id
        }) {
            return Err(StoreError::Duplicate(UniqueRule::UserEmail));
        }
        self.put(|d| &mut d.users, user.id, user.clone());
        Ok(())
    }
}
