//! API tokens for integrations. A logged-in user issues a long-lived bearer token for
//! themselves; an admin may also issue one for another user of the organisation (an
//! integration gets its own user, with the role it needs, and the admin issues that user's
//! token without logging in as it). The plain token is answered once and only its SHA-256 is
//! stored. The hash is the token's public id: it names the token for revoking and is useless
//! for authenticating.
//!
//! Revoking: the token the request came with (`/api/tokens/current`), or a token by id —
//! one's own, or any of the organisation's as an admin.

use crate::AppState;
use crate::auth::{Actor, new_token};
use crate::error::invalid_field;
use crate::error::{ApiJson, ApiPath, ApiResult, Problem};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use cube_domain::ids::UserId;
use cube_domain::ports::{AccessToken, TokenKind};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::ToSchema;
use uuid::Uuid;

/// The longest lifetime a token can be given, in days (ten years).
pub const MAX_TOKEN_DAYS: u32 = 3650;

/// A token to issue.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IssueTokenRequest {
    /// Days until the token expires (1 to 3650); `null` or left out: until revoked.
    #[serde(default)]
    pub expires_in_days: Option<u32>,
    /// Whose token it is: another user of the organisation (admins only); `null` or left
    /// out: the caller's own.
    #[serde(default)]
    pub user: Option<Uuid>,
    /// What the token opens; left out: everything its user's role allows.
    #[serde(default)]
    pub scope: TokenScope,
}

/// What an API token opens.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TokenScope {
    /// Every operation its user's role allows.
    #[default]
    Everything,
    /// External state changes only (`POST /api/customers/{id}/external-state`): what a web
    /// shop or a CRM pushing "this customer ordered" is given. Every other request with it
    /// is refused (403).
    ExternalTrigger,
}

impl TokenScope {
    fn of(kind: TokenKind) -> Self {
        if kind.opens_everything() {
            TokenScope::Everything
        } else {
            TokenScope::ExternalTrigger
        }
    }
}

/// A newly issued API token. The token itself is shown this once.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct IssuedTokenDto {
    /// The token: send it as `Authorization: Bearer <token>`. It cannot be read again.
    pub token: String,
    /// The token's id (its SHA-256, hex): revoke it with `DELETE /api/tokens/{id}`.
    pub id: String,
    /// Whose token it is.
    pub user: Uuid,
    /// What it opens.
    pub scope: TokenScope,
    /// When it was issued (RFC 3339).
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: OffsetDateTime,
    /// When it expires (RFC 3339); `null`: when revoked.
    #[serde(with = "time::serde::rfc3339::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub expires_at: Option<OffsetDateTime>,
}

impl IssuedTokenDto {
    fn new(token: String, issued: &AccessToken) -> Self {
        Self {
            token,
            id: issued.token_hash.clone(),
            user: issued.user.as_uuid(),
            scope: TokenScope::of(issued.kind),
            created_at: issued.created_at,
            expires_at: issued.expires_at,
        }
    }
}

/// Issues a long-lived API token for the caller, or, as an admin, for another user of the
/// organisation.
#[utoipa::path(
    post, path = "/api/tokens", tag = "setup",
    request_body(content = Option<IssueTokenRequest>, description = "How long the token lives and whose it is; an empty body: the caller's own, until revoked"),
    responses(
        (status = 201, description = "The token, shown this once", body = IssuedTokenDto),
        (status = 403, description = "Another user's token and the caller is no admin, or a cookie without the CSRF header", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such user (or another organisation's)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A lifetime out of range, a malformed `user`, or a deactivated user", body = Problem, content_type = "application/problem+json"),
    ),
)]
pub async fn issue(
    State(state): State<AppState>,
    actor: Actor,
    request: Option<ApiJson<IssueTokenRequest>>,
) -> ApiResult<(StatusCode, Json<IssuedTokenDto>)> {
    // The body is optional: no `Content-Type` means the defaults.
    let request = request.map(|ApiJson(r)| r).unwrap_or_default();
    let ttl = match request.expires_in_days {
        None => None,
        Some(days @ 1..=MAX_TOKEN_DAYS) => Some(time::Duration::days(i64::from(days))),
        Some(days) => {
            return Err(invalid_field(
                "expires_in_days",
                format!("a token lives 1 to {MAX_TOKEN_DAYS} days, got {days}"),
            ));
        }
    };
    let user = request.user.map_or(actor.user.id, UserId::from_uuid);
    let (token, hash) = new_token()?;
    let issued = match request.scope {
        TokenScope::Everything => {
            state
                .cube
                .issue_api_token(&actor.user, user, &hash, ttl)
                .await?
        }
        TokenScope::ExternalTrigger => {
            state
                .cube
                .issue_external_trigger_token(&actor.user, user, &hash, ttl)
                .await?
        }
    };
    Ok((
        StatusCode::CREATED,
        Json(IssuedTokenDto::new(token, &issued)),
    ))
}

/// Revokes the token this request is authenticated with (an integration retiring its own
/// token; browsers log out with `POST /api/logout`, which also clears the cookie).
#[utoipa::path(
    delete, path = "/api/tokens/current", tag = "setup",
    responses(
        (status = 204, description = "Revoked"),
    ),
)]
pub async fn revoke_current(State(state): State<AppState>, actor: Actor) -> ApiResult<StatusCode> {
    state
        .cube
        .revoke_token(&actor.user, &actor.token_hash)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Revokes a token by its id: one's own, or any token of the organisation as an admin.
#[utoipa::path(
    delete, path = "/api/tokens/{id}", tag = "setup",
    params(("id" = String, Path, description = "The token's id (its SHA-256, 64 hex digits), as answered when it was issued")),
    responses(
        (status = 204, description = "Revoked"),
        (status = 403, description = "Another user's token and the caller is no admin, or the CSRF header is missing", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such token (or another organisation's)", body = Problem, content_type = "application/problem+json"),
    ),
)]
pub async fn revoke(
    State(state): State<AppState>,
    actor: Actor,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<StatusCode> {
    state.cube.revoke_token(&actor.user, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}
