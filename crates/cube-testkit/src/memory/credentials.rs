//! Credentials: password hashes by user, and access tokens by the hash of the raw token with
//! an index of each user's tokens (for revoking them all at once). Every write goes through
//! the journal, so a dropped unit of work undoes it like any other.

use super::MemoryUnit;
use async_trait::async_trait;
use cube_domain::ids::UserId;
use cube_domain::ports::CredentialWrites;
use cube_domain::ports::UniqueRule;
use cube_domain::ports::{AccessToken, CredentialRepository, StoreError};

impl MemoryUnit {
    /// The hashes of the user's tokens, in hash order.
    fn token_hashes_of(&self, user: UserId) -> Vec<String> {
        self.data
            .user_tokens
            .range((user, String::new())..)
            .take_while(|(owner, _)| *owner == user)
            .map(|(_, hash)| hash.clone())
            .collect()
    }

    /// Removes a token and its index entry; returns whether it existed.
    fn remove_token(&mut self, token_hash: &str) -> bool {
        let Some(user) = self.data.tokens.get(token_hash).map(|t| t.user) else {
            return false;
        };
        self.take(|d| &mut d.user_tokens, (user, token_hash.to_owned()));
        self.take(|d| &mut d.tokens, token_hash.to_owned());
        true
    }
}

#[async_trait]
impl CredentialRepository for MemoryUnit {
    async fn password_hash(&mut self, user: UserId) -> Result<Option<String>, StoreError> {
        Ok(self.data.passwords.get(&user).cloned())
    }

    async fn token(&mut self, token_hash: &str) -> Result<Option<AccessToken>, StoreError> {
        Ok(self.data.tokens.get(token_hash).cloned())
    }

    async fn tokens_of(&mut self, user: UserId) -> Result<Vec<AccessToken>, StoreError> {
        Ok(self
            .token_hashes_of(user)
            .iter()
            .filter_map(|hash| self.data.tokens.get(hash))
            .cloned()
            .collect())
    }
}

#[async_trait]
impl CredentialWrites for MemoryUnit {
    async fn set_password_hash(&mut self, user: UserId, hash: &str) -> Result<(), StoreError> {
        self.put(|d| &mut d.passwords, user, hash.to_owned());
        Ok(())
    }
    async fn insert_token(&mut self, token: &AccessToken) -> Result<(), StoreError> {
        if self.data.tokens.contains_key(&token.token_hash) {
            return Err(StoreError::Duplicate(UniqueRule::AccessTokenHash));
        }
        self.put(
            |d| &mut d.user_tokens,
            (token.user, token.token_hash.clone()),
            (),
        );
        self.put(|d| &mut d.tokens, token.token_hash.clone(), token.clone());
        Ok(())
    }
    async fn delete_token(&mut self, token_hash: &str) -> Result<bool, StoreError> {
        Ok(self.remove_token(token_hash))
    }
    async fn delete_tokens_of(&mut self, user: UserId) -> Result<u64, StoreError> {
        let mut removed = 0;
        for hash in self.token_hashes_of(user) {
            if self.remove_token(&hash) {
                removed += 1;
            }
        }
        Ok(removed)
    }
}
