//! Who is calling: argon2id passwords, opaque tokens, the [`Actor`] extractor, login and
//! logout. `cube-app` decides who may do what over *hashes*; this module owns the secrets.
//!
//! - Passwords are argon2id PHC strings. Requests hash and verify them through the state's
//!   [`HashGate`](crate::hashing::HashGate) (bounded threads and memory); the operator's
//!   commands use [`hash_password`] and [`verify_password`] on the blocking pool.
//! - A token is 256 random bits (getrandom) sent to the client as 64 hex digits; only its
//!   SHA-256 (hex) is stored, so a leaked database holds no usable token.
//! - A request authenticates with `Authorization: Bearer <token>` (integrations) or the
//!   `cube_session` cookie (browsers; HttpOnly, SameSite=Strict, and `Secure` when the
//!   server is configured so or a trusted proxy says the request came over HTTPS).
//! - **CSRF**: a cookie-authenticated request with an unsafe method (anything but GET, HEAD,
//!   OPTIONS) must carry `X-Requested-With: cube`. A cross-site form cannot set a custom
//!   header, and a cross-site script cannot without a CORS preflight, which this server never
//!   grants; together with SameSite=Strict this is the whole guard. Bearer requests need no
//!   header: a browser never attaches them by itself.
//! - An unknown e-mail and a wrong password answer the same 401, after the same work (a
//!   dummy hash is verified for unknown e-mails).
//! - Logins pass the [`crate::throttle`] checks first and hash through its gate: a flood of
//!   wrong passwords neither takes the memory nor locks an owner out.
//! - The client address ([`Peer`]) is the TCP peer, or with `trust_proxy` the address the
//!   proxy appended last to `X-Forwarded-For`.

use crate::AppState;
use crate::dto::UserDto;
use crate::error::{ApiError, ApiJson, ApiResult, Problem};
use argon2::Argon2;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use axum::extract::{ConnectInfo, FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use cube_domain::access::User;
use cube_domain::ids::OrganisationId;
use cube_domain::ports::TokenKind;
use serde::{Deserialize, Serialize};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use utoipa::ToSchema;

pub use cube_session::{CSRF_HEADER, SESSION_COOKIE};

/// Hashes a password with argon2id (default parameters, random salt) on the blocking pool.
/// For the operator's commands; requests hash through the state's [`HashGate`].
///
/// [`HashGate`]: crate::throttle::HashGate
pub async fn hash_password(password: String) -> Result<String, ApiError> {
    tokio::task::spawn_blocking(move || hash_now(&password))
        .await
        .map_err(|e| ApiError::Internal(format!("the hashing task failed: {e}")))?
}

/// Whether `password` matches the PHC string `hash` (the parameters come from the hash),
/// verified on the blocking pool. A malformed hash never matches.
pub async fn verify_password(password: String, hash: String) -> Result<bool, ApiError> {
    tokio::task::spawn_blocking(move || verify_now(&password, &hash))
        .await
        .map_err(|e| ApiError::Internal(format!("the verifying task failed: {e}")))
}

fn hash_now(password: &str) -> Result<String, ApiError> {
    Argon2::default()
        .hash_password(password.as_bytes())
        .map(|hash| hash.to_string())
        .map_err(|e| ApiError::Internal(format!("hashing a password failed: {e}")))
}

fn verify_now(password: &str, hash: &str) -> bool {
    Argon2::default()
        .verify_password(password.as_bytes(), hash)
        .is_ok()
}

/// Hashes a password through the state's gate (a request's hashing: bounded, see
/// [`crate::hashing`]).
pub async fn gated_hash(state: &AppState, password: String) -> Result<String, ApiError> {
    Ok(state.hashing.hash(password).await?)
}

/// Verifies a password through the state's gate; without a hash (an unknown e-mail) the
/// dummy hash is verified instead, so both take the same work.
async fn gated_verify(state: &AppState, password: String, hash: Option<String>) -> ApiResult<bool> {
    let hash = hash.unwrap_or_else(|| DUMMY_HASH.to_owned());
    Ok(state.hashing.verify(password, hash).await?)
}

/// A hash no password is checked against successfully in practice, made with argon2's
/// default parameters like every stored hash; verified for unknown e-mails so they take as
/// long as a wrong password. A constant, so making it takes no hash and no memory.
const DUMMY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$WTD40i0BAPK7eefWP4nmEw$70hwFKVet3S8zMITqv+1rqnDLcbDkGRhpXRvW5wFPPc";

/// A new random token (64 hex digits) and its stored hash.
pub fn new_token() -> Result<(String, String), ApiError> {
    cube_session::new_token().map_err(|e| ApiError::Internal(e.to_string()))
}

/// The hex SHA-256 of a token: what the store keeps and looks up.
pub use cube_session::token_hash;

/// The authenticated caller of a request.
#[derive(Debug, Clone)]
pub struct Actor {
    /// The user.
    pub user: User,
    /// The hash of the token the request came with (logout revokes it).
    pub token_hash: String,
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim())
        .filter(|t| !t.is_empty())
}

fn session_cookie(headers: &HeaderMap) -> Option<&str> {
    cube_session::session_token(
        headers
            .get_all(header::COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok()),
    )
}

/// The token of a request: the bearer, else the session cookie with its CSRF guard.
fn request_token(parts: &Parts) -> ApiResult<&str> {
    match bearer(&parts.headers) {
        Some(token) => Ok(token),
        None => {
            let token = session_cookie(&parts.headers).ok_or(ApiError::Unauthenticated(
                "log in first: send `Authorization: Bearer <token>` or the session cookie",
            ))?;
            let guard = parts.headers.get(CSRF_HEADER.0).map(HeaderValue::as_bytes);
            if !cube_session::csrf_guard_passes(parts.method.as_str(), guard) {
                return Err(ApiError::CsrfHeaderMissing);
            }
            Ok(token)
        }
    }
}

/// An unknown, expired or revoked token, said the same way by every extractor.
fn unauthenticated(error: cube_app::AppError) -> ApiError {
    match error {
        cube_app::AppError::Unauthenticated => {
            ApiError::Unauthenticated("the token is unknown, expired or revoked; log in again")
        }
        other => ApiError::App(other),
    }
}

impl FromRequestParts<AppState> for Actor {
    type Rejection = ApiError;

    /// Any working session or API token; a token scoped to one operation is refused (403)
    /// everywhere but that operation.
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> ApiResult<Self> {
        let hash = token_hash(request_token(parts)?);
        let (user, _) = state
            .cube
            .authenticate(&hash)
            .await
            .map_err(unauthenticated)?;
        Ok(Actor {
            user,
            token_hash: hash,
        })
    }
}

/// The caller of an external state change (seed 003's trigger): any working token, the one
/// scoped to this operation too.
#[derive(Debug, Clone)]
pub struct ExternalTriggerActor(pub Actor);

impl FromRequestParts<AppState> for ExternalTriggerActor {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> ApiResult<Self> {
        let hash = token_hash(request_token(parts)?);
        let (user, _) = state
            .cube
            .authenticate_external_trigger(&hash)
            .await
            .map_err(unauthenticated)?;
        Ok(ExternalTriggerActor(Actor {
            user,
            token_hash: hash,
        }))
    }
}

/// A login.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct LoginRequest {
    /// The login e-mail.
    pub email: String,
    /// The password.
    pub password: String,
    /// The organisation to log in to: needed only when the address opens logins in several
    /// organisations with this password (the login then answers 409 naming them).
    #[serde(default)]
    pub organisation: Option<uuid::Uuid>,
}

/// A successful login: the token (also set as the session cookie) and who logged in.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct LoginResponse {
    /// The session token: send it as `Authorization: Bearer <token>`.
    pub token: String,
    /// When the token expires (RFC 3339).
    #[serde(with = "time::serde::rfc3339::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub expires_at: Option<time::OffsetDateTime>,
    /// The user.
    pub user: UserDto,
}

const BAD_LOGIN: &str = "the e-mail or the password is wrong";

fn cookie(value: &str, max_age: i64, secure: bool) -> Result<HeaderValue, ApiError> {
    HeaderValue::from_str(&cube_session::session_cookie_header(value, max_age, secure))
        .map_err(|e| ApiError::Internal(format!("building the cookie failed: {e}")))
}

/// Who is on the other end of a request, as far as the server can tell: the client address
/// the login throttles count by, and whether the request came over HTTPS (the cookie's
/// `Secure` flag). Without a trusted proxy both come from the connection itself; the
/// in-process tests, which have no connection, count as `0.0.0.0` over plain HTTP.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Peer {
    /// The client address.
    pub address: IpAddr,
    /// Whether the session cookie must be `Secure`.
    pub https: bool,
}

/// The last comma-separated value of a header (the one the nearest proxy wrote).
fn last_value(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(name)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .rfind(|v| !v.is_empty())
        .map(str::to_owned)
}

impl Peer {
    fn of(parts: &Parts, state: &AppState) -> Self {
        let connected = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |info| info.0.ip());
        if !state.trust_proxy {
            return Self {
                address: connected,
                https: state.secure_cookies,
            };
        }
        let forwarded =
            last_value(&parts.headers, "x-forwarded-for").and_then(|v| v.parse::<IpAddr>().ok());
        let https = last_value(&parts.headers, "x-forwarded-proto")
            .is_some_and(|proto| proto.eq_ignore_ascii_case("https"));
        Self {
            address: forwarded.unwrap_or(connected),
            https: state.secure_cookies || https,
        }
    }
}

impl FromRequestParts<AppState> for Peer {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        Ok(Self::of(parts, state))
    }
}

/// Logs in with e-mail and password.
#[utoipa::path(
    post, path = "/api/login", tag = "auth",
    request_body = LoginRequest,
    responses(
        (status = 200, description = "Logged in; the token is also set as the `cube_session` cookie", body = LoginResponse),
        (status = 401, description = "Wrong e-mail or password", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The e-mail and password open logins in several organisations: send `organisation`", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many failed logins for this e-mail from this address, from this address, or (for an address that failed) on the server; see `Retry-After`", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "Too many passwords are being checked at once; see `Retry-After`", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn login(
    State(state): State<AppState>,
    peer: Peer,
    ApiJson(request): ApiJson<LoginRequest>,
) -> ApiResult<Response> {
    state
        .login_throttle
        .check(&request.email, peer.address)
        .map_err(|refusal| ApiError::TooManyRequests {
            detail: refusal.why.detail(),
            retry_after_secs: refusal.retry_after_secs,
        })?;
    let email = request.email.clone();
    let organisation = request.organisation.map(OrganisationId::from_uuid);
    let candidates = state.cube.login_credentials(&email, organisation).await?;
    let mut opened = Vec::new();
    if candidates.is_empty() {
        // An unknown address takes as long as a wrong password.
        gated_verify(&state, request.password.clone(), None).await?;
    }
    for candidate in candidates {
        let hash = Some(candidate.password_hash.clone());
        if gated_verify(&state, request.password.clone(), hash).await? {
            opened.push(candidate);
        }
    }
    let user = match opened.len() {
        0 => {
            state.login_throttle.failed(&email, peer.address);
            return Err(ApiError::Unauthenticated(BAD_LOGIN));
        }
        1 => opened.remove(0).user,
        _ => {
            // The password proved every one of these logins, so naming them reveals nothing.
            let names: Vec<String> = opened
                .iter()
                .map(|c| format!("{} ({})", c.organisation_name, c.user.organisation))
                .collect();
            return Err(ApiError::SeveralLogins(format!(
                "this e-mail and password open logins in several organisations: {}; send \
                 `organisation` with the id of the one to log in to",
                names.join(", ")
            )));
        }
    };
    state.login_throttle.succeeded(&email, peer.address);
    let (token, hash) = new_token()?;
    let issued = state
        .cube
        .issue_token(user.id, &hash, TokenKind::Session, Some(state.session_ttl))
        .await?;
    let max_age = state.session_ttl.whole_seconds();
    let body = LoginResponse {
        token: token.clone(),
        expires_at: issued.expires_at,
        user: UserDto::from(&user),
    };
    let mut response = axum::Json(body).into_response();
    response
        .headers_mut()
        .insert(header::SET_COOKIE, cookie(&token, max_age, peer.https)?);
    Ok(response)
}

/// Logs out: revokes the token the request came with and clears the cookie.
#[utoipa::path(
    post, path = "/api/logout", tag = "auth",
    responses(
        (status = 204, description = "Logged out"),
    ),
)]
pub async fn logout(
    State(state): State<AppState>,
    peer: Peer,
    actor: Actor,
) -> ApiResult<Response> {
    state
        .cube
        .revoke_token(&actor.user, &actor.token_hash)
        .await?;
    let mut response = StatusCode::NO_CONTENT.into_response();
    response
        .headers_mut()
        .insert(header::SET_COOKIE, cookie("", 0, peer.https)?);
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_64_hex_digits_and_hash_to_64_hex_digits() {
        let (token, hash) = new_token().expect("random source");
        assert_eq!(token.len(), 64);
        assert_eq!(hash.len(), 64);
        assert_eq!(hash, token_hash(&token));
        assert_ne!(token, hash);
    }

    #[test]
    fn the_cookie_and_the_bearer_are_read() {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::COOKIE,
            HeaderValue::from_static("a=1; cube_session=abc; b=2"),
        );
        headers.insert(
            header::AUTHORIZATION,
            HeaderValue::from_static("Bearer xyz"),
        );
        assert_eq!(session_cookie(&headers), Some("abc"));
        assert_eq!(bearer(&headers), Some("xyz"));
    }

    /// The dummy takes the work of a stored hash: argon2id with the default parameters, and
    /// a real hash (of a phrase no one logs in with).
    #[test]
    fn the_dummy_hash_costs_what_a_stored_hash_costs() {
        use argon2::password_hash::phc::PasswordHash;
        let parsed = PasswordHash::new(DUMMY_HASH).expect("a PHC string");
        assert_eq!(parsed.algorithm, argon2::ARGON2ID_IDENT);
        let params = argon2::Params::try_from(&parsed).expect("parameters");
        let default = argon2::Params::default();
        assert_eq!(
            (params.m_cost(), params.t_cost(), params.p_cost()),
            (default.m_cost(), default.t_cost(), default.p_cost())
        );
        assert!(
            Argon2::default()
                .verify_password(b"cube: no such user", &parsed)
                .is_ok()
        );
    }

    #[tokio::test]
    async fn a_hash_verifies_its_password_only() {
        let hash = hash_password("secret".into()).await.expect("hash");
        assert!(
            verify_password("secret".into(), hash.clone())
                .await
                .expect("verify")
        );
        assert!(!verify_password("other".into(), hash).await.expect("verify"));
        assert!(
            !verify_password("x".into(), "not a hash".into())
                .await
                .expect("verify")
        );
    }
}
