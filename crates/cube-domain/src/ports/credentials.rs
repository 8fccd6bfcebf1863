//! Credentials: password hashes and access tokens. The domain never sees a password or a raw
//! token: the HTTP adapter hashes passwords (argon2id) and tokens (SHA-256) and stores only
//! the hashes through this port.

use crate::ids::UserId;
use crate::ports::StoreError;
use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// What a token is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum TokenKind {
    /// A browser session (sent as an HttpOnly cookie).
    Session,
    /// An API token for integrations (sent as `Authorization: Bearer`).
    Api,
    /// An API token scoped to one operation: pushing a customer's external state change
    /// (seed 003's trigger from a web shop or a CRM). It opens nothing else, so a leaked
    /// shop credential cannot read the customer register or register outcomes.
    ExternalTrigger,
}

impl TokenKind {
    /// Whether a token of this kind opens every operation its user's role allows (sessions
    /// and API tokens), rather than one operation only.
    pub fn opens_everything(self) -> bool {
        match self {
            TokenKind::Session | TokenKind::Api => true,
            TokenKind::ExternalTrigger => false,
        }
    }
}

/// A stored access token: only its hash is kept.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessToken {
    /// The hash of the raw token (hex SHA-256); the raw token is never stored.
    pub token_hash: String,
    /// Whose token it is.
    pub user: UserId,
    /// Session or API.
    pub kind: TokenKind,
    /// When it was issued.
    pub created_at: OffsetDateTime,
    /// When it stops working; `None` never (API tokens until revoked).
    pub expires_at: Option<OffsetDateTime>,
}

impl AccessToken {
    /// Whether it still works at `now`.
    pub fn is_valid_at(&self, now: OffsetDateTime) -> bool {
        self.expires_at.is_none_or(|expires| now < expires)
    }
}

/// Password hashes and access tokens.
#[cfg_attr(feature = "mocks", mockall::automock)]
#[async_trait]
pub trait CredentialRepository: Send {
    /// The user's password hash (PHC string), if a password is set.
    async fn password_hash(&mut self, user: UserId) -> Result<Option<String>, StoreError>;
    /// The token with this hash, expired or not.
    async fn token(&mut self, token_hash: &str) -> Result<Option<AccessToken>, StoreError>;
    /// Every token of the user, sessions and API tokens, expired or not, by hash.
    async fn tokens_of(&mut self, user: UserId) -> Result<Vec<AccessToken>, StoreError>;
}

/// The writes of [`CredentialRepository`]: only a [`UnitOfWork`](crate::ports::UnitOfWork) has them.
#[cfg_attr(feature = "mocks", mockall::automock)]
#[async_trait]
pub trait CredentialWrites: Send {
    /// Sets or replaces the user's password hash.
    async fn set_password_hash(&mut self, user: UserId, hash: &str) -> Result<(), StoreError>;
    /// Stores a new token; MUST return `Duplicate(AccessTokenHash)` if the hash exists.
    async fn insert_token(&mut self, token: &AccessToken) -> Result<(), StoreError>;
    /// Revokes one token; returns whether it existed.
    async fn delete_token(&mut self, token_hash: &str) -> Result<bool, StoreError>;
    /// Revokes every token of a user (deactivation, password change); returns how many.
    async fn delete_tokens_of(&mut self, user: UserId) -> Result<u64, StoreError>;
}
