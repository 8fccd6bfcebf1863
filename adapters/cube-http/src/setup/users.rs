//! The organisation's users: listing them, adding one (with a first password, optionally),
//! deactivating and reactivating, and setting a password. Admins manage users; anyone may set
//! their own password. Passwords are hashed here (argon2id) and only the hash reaches the
//! use case.

use crate::AppState;
use crate::auth::{Actor, gated_hash};
use crate::dto::{RoleDto, UserDto};
use crate::error::invalid_field;
use crate::error::{ApiJson, ApiPath, ApiResult, Problem};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use cube_app::organisation::NewUser;
use cube_domain::access::User;
use cube_domain::ids::{ClientId, DataOwnerId, UserId};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

/// The fewest characters a password may have.
pub const MIN_PASSWORD: usize = 10;
/// The most characters a password may have (hashing is deliberately slow; this bounds it).
pub const MAX_PASSWORD: usize = 256;

/// A user as an admin sees it: who, what role, and the scope of the role.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct UserAccountDto {
    /// The user.
    #[serde(flatten)]
    pub user: UserDto,
    /// Deactivated users can do nothing and their tokens are revoked.
    pub active: bool,
    /// For managers: the data owners they manage.
    pub data_owners: Vec<Uuid>,
    /// For client users: the client they represent.
    pub client: Option<Uuid>,
    /// Their phone (E.164): what click-to-call rings first, and the caller id of an
    /// assignment that shows each seller's own number. `null`: none.
    #[serde(default)]
    pub phone: Option<String>,
}

impl From<&User> for UserAccountDto {
    fn from(user: &User) -> Self {
        Self {
            user: user.into(),
            active: user.active,
            data_owners: (user.role.data_owners().into_iter().flatten())
                .map(|d| d.as_uuid())
                .collect(),
            client: user.role.client().map(|c| c.as_uuid()),
            phone: user.phone.as_ref().map(|p| p.as_str().to_owned()),
        }
    }
}

/// A user to add to the organisation.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewUserRequest {
    /// The name.
    pub name: String,
    /// The login e-mail (unique).
    pub email: String,
    /// `admin`, `manager`, `seller` or `client`.
    pub role: RoleDto,
    /// For managers (at least one), nobody else: the data owners they manage.
    #[serde(default)]
    pub data_owners: Vec<Uuid>,
    /// For client users (required), nobody else: the client they represent.
    #[serde(default)]
    pub client: Option<Uuid>,
    /// A first password (10 to 256 characters); without one the user cannot log in until an
    /// admin sets it.
    #[serde(default)]
    pub password: Option<String>,
    /// Their phone, with its country code (`+4791234567`) or Norwegian without one: what
    /// click-to-call rings first. Optional.
    #[serde(default)]
    pub phone: Option<String>,
}

/// Activate or deactivate.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ActiveRequest {
    /// `false` deactivates (and revokes every token), `true` reactivates.
    pub active: bool,
}

/// A new password.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordRequest {
    /// 10 to 256 characters.
    pub password: String,
}

/// Checks the length and hashes the password (through the state's hashing gate).
async fn checked_hash(state: &AppState, field: &str, password: String) -> ApiResult<String> {
    let len = password.chars().count();
    if !(MIN_PASSWORD..=MAX_PASSWORD).contains(&len) {
        return Err(invalid_field(
            field,
            format!("a password must be {MIN_PASSWORD} to {MAX_PASSWORD} characters, got {len}"),
        ));
    }
    gated_hash(state, password).await
}

/// The users of the organisation (admins).
#[utoipa::path(
    get, path = "/api/users", tag = "setup",
    responses(
        (status = 200, description = "Every user of the organisation", body = Vec<UserAccountDto>),
        (status = 403, description = "Only admins manage users", body = Problem, content_type = "application/problem+json"),
    ),
)]
pub async fn list(
    State(state): State<AppState>,
    actor: Actor,
) -> ApiResult<Json<Vec<UserAccountDto>>> {
    let users = state.cube.users(&actor.user).await?;
    Ok(Json(users.iter().map(UserAccountDto::from).collect()))
}

/// Adds a user to the organisation (admins), with a first password if one is given.
#[utoipa::path(
    post, path = "/api/users", tag = "setup",
    request_body = NewUserRequest,
    responses(
        (status = 201, description = "The user", body = UserAccountDto),
        (status = 403, description = "Only admins add users, or the CSRF header is missing", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The e-mail is taken", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A bad name, e-mail, role, scope or password", body = Problem, content_type = "application/problem+json"),
    ),
)]
pub async fn create(
    State(state): State<AppState>,
    actor: Actor,
    ApiJson(request): ApiJson<NewUserRequest>,
) -> ApiResult<(StatusCode, Json<UserAccountDto>)> {
    // Hashed before the user exists, so a refused password leaves nothing behind.
    let hash = match request.password {
        Some(password) => Some(checked_hash(&state, "password", password).await?),
        None => None,
    };
    let new = NewUser {
        phone: request.phone,
        name: request.name,
        email: request.email,
        role: request.role.into(),
        data_owners: request
            .data_owners
            .into_iter()
            .map(DataOwnerId::from_uuid)
            .collect(),
        client: request.client.map(ClientId::from_uuid),
    };
    // The user and the password are stored together or not at all.
    let user = match hash {
        Some(hash) => {
            state
                .cube
                .create_user_with_password(&actor.user, new, &hash)
                .await?
        }
        None => state.cube.create_user(&actor.user, new).await?,
    };
    Ok((StatusCode::CREATED, Json(UserAccountDto::from(&user))))
}

/// Deactivates or reactivates a user (admins; not oneself). Deactivating revokes the user's
/// tokens at once.
#[utoipa::path(
    put, path = "/api/users/{id}/active", tag = "setup",
    params(("id" = Uuid, Path, description = "The user")),
    request_body = ActiveRequest,
    responses(
        (status = 200, description = "The user", body = UserAccountDto),
        (status = 403, description = "Only admins manage users, or the CSRF header is missing", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such user (or another organisation's)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Deactivating oneself", body = Problem, content_type = "application/problem+json"),
    ),
)]
pub async fn set_active(
    State(state): State<AppState>,
    actor: Actor,
    ApiPath(id): ApiPath<UserId>,
    ApiJson(request): ApiJson<ActiveRequest>,
) -> ApiResult<Json<UserAccountDto>> {
    let user = state
        .cube
        .set_user_active(&actor.user, id, request.active)
        .await?;
    Ok(Json(UserAccountDto::from(&user)))
}

/// A user's phone.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PhoneRequest {
    /// The phone, with its country code (`+4791234567`) or Norwegian without one; `null`
    /// clears it.
    pub phone: Option<String>,
}

/// Sets or clears a user's phone (admins): what click-to-call rings first, and the caller id
/// of an assignment that shows each seller's own number (once the organisation registered it
/// in its caller ids).
#[utoipa::path(
    put, path = "/api/users/{id}/phone", tag = "setup",
    params(("id" = Uuid, Path, description = "The user")),
    request_body = PhoneRequest,
    responses(
        (status = 200, description = "The user", body = UserAccountDto),
        (status = 403, description = "Only admins manage users, or the CSRF header is missing", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such user (or another organisation's)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Not a phone number", body = Problem, content_type = "application/problem+json"),
    ),
)]
pub async fn set_phone(
    State(state): State<AppState>,
    actor: Actor,
    ApiPath(id): ApiPath<UserId>,
    ApiJson(request): ApiJson<PhoneRequest>,
) -> ApiResult<Json<UserAccountDto>> {
    let user = state
        .cube
        .set_user_phone(&actor.user, id, request.phone.as_deref())
        .await?;
    Ok(Json(UserAccountDto::from(&user)))
}

/// A user's new role, with its scope.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RoleRequest {
    /// `admin`, `manager`, `seller` or `client`.
    pub role: RoleDto,
    /// For managers (at least one), nobody else: the data owners they manage.
    #[serde(default)]
    pub data_owners: Vec<Uuid>,
    /// For client users (required), nobody else: the client they represent.
    #[serde(default)]
    pub client: Option<Uuid>,
}

/// Changes a user's role (admins; not their own). A manager needs data owners of the
/// organisation, a client user a client; no other role takes either.
#[utoipa::path(
    put, path = "/api/users/{id}/role", tag = "setup",
    params(("id" = Uuid, Path, description = "The user")),
    request_body = RoleRequest,
    responses(
        (status = 200, description = "The user with the new role", body = UserAccountDto),
        (status = 403, description = "Only admins manage users, or the CSRF header is missing", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such user or data owner (or another organisation's)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "One's own role, or a scope the role does not take or lacks", body = Problem, content_type = "application/problem+json"),
    ),
)]
pub async fn set_role(
    State(state): State<AppState>,
    actor: Actor,
    ApiPath(id): ApiPath<UserId>,
    ApiJson(request): ApiJson<RoleRequest>,
) -> ApiResult<Json<UserAccountDto>> {
    let user = state
        .cube
        .set_user_role(
            &actor.user,
            id,
            request.role.into(),
            request
                .data_owners
                .into_iter()
                .map(DataOwnerId::from_uuid)
                .collect(),
            request.client.map(ClientId::from_uuid),
        )
        .await?;
    Ok(Json(UserAccountDto::from(&user)))
}

/// Sets a password: one's own, or any user's of the organisation as an admin. Every token
/// of that user is revoked, the caller's own included when it is their password.
#[utoipa::path(
    put, path = "/api/users/{id}/password", tag = "setup",
    params(("id" = Uuid, Path, description = "The user")),
    request_body = PasswordRequest,
    responses(
        (status = 204, description = "The password is set; the user's tokens are revoked"),
        (status = 403, description = "Only admins set other users' passwords, or the CSRF header is missing", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such user (or another organisation's)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The password is too short or too long", body = Problem, content_type = "application/problem+json"),
    ),
)]
pub async fn set_password(
    State(state): State<AppState>,
    actor: Actor,
    ApiPath(id): ApiPath<UserId>,
    ApiJson(request): ApiJson<PasswordRequest>,
) -> ApiResult<StatusCode> {
    let hash = checked_hash(&state, "password", request.password).await?;
    state.cube.set_password(&actor.user, id, &hash).await?;
    Ok(StatusCode::NO_CONTENT)
}
