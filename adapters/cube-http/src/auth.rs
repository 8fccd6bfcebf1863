//! Who is calling: argon2id passwords, opaque tokens, the [`Actor`] extractor, login and
//! logout. `cube-app` decides who may do what over *hashes*; this module owns the secrets.
//!
//! - Passwords are argon2id PHC strings, hashed and verified on the blocking pool
//!   ([`hash_password`], [`verify_password`]): the work is CPU-heavy by design.
//! - A token is 256 random bits (getrandom) sent to the client as 64 hex digits; only its
//!   SHA-256 (hex) is stored, so a leaked database holds no usable token.
//! - A request authenticates with `Authorization: Bearer <token>` (integrations) or the
//!   `cube_session` cookie (browsers; HttpOnly, SameSite=Strict).
//! - **CSRF**: a cookie-authenticated request with an unsafe method (anything but GET, HEAD,
//!   OPTIONS) must carry `X-Requested-With: cube`. A cross-site form cannot set a custom
//!   header, and a cross-site script cannot without a CORS preflight, which this server never
//!   grants; together with SameSite=Strict this is the whole guard. Bearer requests need no
//!   header: a browser never attaches them by itself.
//! - An unknown e-mail and a wrong password answer the same 401, after the same work (a
//!   dummy hash is verified for unknown e-mails).

use crate::AppState;
use crate::dto::UserDto;
use crate::error::{ApiError, ApiJson, ApiResult, Problem};
use argon2::Argon2;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use axum::extract::{FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use cube_domain::access::User;
use cube_domain::ports::TokenKind;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::fmt::Write as _;
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};
use utoipa::ToSchema;

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "cube_session";
/// The CSRF header a cookie-authenticated unsafe request must carry, and its value.
pub const CSRF_HEADER: (&str, &str) = ("x-requested-with", "cube");

/// Hashes a password with argon2id (default parameters, random salt) on the blocking pool.
pub async fn hash_password(password: String) -> Result<String, ApiError> {
    tokio::task::spawn_blocking(move || {
        Argon2::default()
            .hash_password(password.as_bytes())
            .map(|hash| hash.to_string())
            .map_err(|e| ApiError::Internal(format!("hashing a password failed: {e}")))
    })
    .await
    .map_err(|e| ApiError::Internal(format!("the hashing task failed: {e}")))?
}

/// Whether `password` matches the PHC string `hash` (the parameters come from the hash),
/// verified on the blocking pool. A malformed hash never matches.
pub async fn verify_password(password: String, hash: String) -> Result<bool, ApiError> {
    tokio::task::spawn_blocking(move || {
        Argon2::default()
            .verify_password(password.as_bytes(), hash.as_str())
            .is_ok()
    })
    .await
    .map_err(|e| ApiError::Internal(format!("the verifying task failed: {e}")))
}

/// A hash no password is checked against successfully in practice; verified for unknown
/// e-mails so they take as long as a wrong password.
fn dummy_hash() -> &'static str {
    static DUMMY: OnceLock<String> = OnceLock::new();
    DUMMY.get_or_init(|| {
        Argon2::default()
            .hash_password(b"cube: no such user")
            .map(|hash| hash.to_string())
            .unwrap_or_default()
    })
}

fn hex(bytes: &[u8]) -> String {
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}

/// A new random token (64 hex digits) and its stored hash.
pub fn new_token() -> Result<(String, String), ApiError> {
    let mut bytes = [0_u8; 32];
    getrandom::fill(&mut bytes)
        .map_err(|e| ApiError::Internal(format!("the random source failed: {e}")))?;
    let token = hex(&bytes);
    let hash = token_hash(&token);
    Ok((token, hash))
}

/// The hex SHA-256 of a token: what the store keeps and looks up.
pub fn token_hash(token: &str) -> String {
    hex(Sha256::digest(token.as_bytes()).as_slice())
}

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
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == SESSION_COOKIE)
        .map(|(_, value)| value.trim())
        .filter(|v| !v.is_empty())
}

fn is_safe(method: &Method) -> bool {
    matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

impl FromRequestParts<AppState> for Actor {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> ApiResult<Self> {
        let token = match bearer(&parts.headers) {
            Some(token) => token,
            None => {
                let token = session_cookie(&parts.headers).ok_or(ApiError::Unauthenticated(
                    "log in first: send `Authorization: Bearer <token>` or the session cookie",
                ))?;
                let (name, value) = CSRF_HEADER;
                let guarded = parts.headers.get(name).is_some_and(|v| v == value);
                if !is_safe(&parts.method) && !guarded {
                    return Err(ApiError::CsrfHeaderMissing);
                }
                token
            }
        };
        let hash = token_hash(token);
        let (user, _) = state.cube.authenticate(&hash).await.map_err(|e| match e {
            cube_app::AppError::Unauthenticated => {
                ApiError::Unauthenticated("the token is unknown, expired or revoked; log in again")
            }
            other => ApiError::App(other),
        })?;
        Ok(Actor {
            user,
            token_hash: hash,
        })
    }
}

/// A login.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct LoginRequest {
    /// The login e-mail.
    pub email: String,
    /// The password.
    pub password: String,
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

fn cookie(value: &str, max_age: i64) -> Result<HeaderValue, ApiError> {
    HeaderValue::from_str(&format!(
        "{SESSION_COOKIE}={value}; HttpOnly; SameSite=Strict; Path=/; Max-Age={max_age}"
    ))
    .map_err(|e| ApiError::Internal(format!("building the cookie failed: {e}")))
}

/// Failed logins per e-mail: after `max` failures within `window`, further tries for that
/// e-mail are refused (429, before the password is even checked) until the window since the
/// first failure has passed; a successful login clears the count. Kept in memory: per
/// server process, forgotten on restart.
#[derive(Debug)]
pub struct LoginLimiter {
    failures: Mutex<HashMap<String, (u32, Instant)>>,
    max: u32,
    window: Duration,
}

/// Entries kept before expired ones are swept.
const LIMITER_SWEEP_AT: usize = 10_000;

impl LoginLimiter {
    /// `max` failures per `window`.
    pub fn new(max: u32, window: Duration) -> Self {
        Self {
            failures: Mutex::new(HashMap::new()),
            max,
            window,
        }
    }

    fn key(email: &str) -> String {
        email.trim().to_lowercase()
    }

    /// `Err(seconds to wait)` while the e-mail is locked out.
    pub fn check(&self, email: &str) -> Result<(), u64> {
        let Ok(failures) = self.failures.lock() else {
            return Ok(());
        };
        match failures.get(&Self::key(email)) {
            Some((count, first)) if *count >= self.max && first.elapsed() < self.window => {
                let wait = self.window.saturating_sub(first.elapsed());
                Err(wait.as_secs().max(1))
            }
            _ => Ok(()),
        }
    }

    /// Counts a failed login.
    pub fn failed(&self, email: &str) {
        let Ok(mut failures) = self.failures.lock() else {
            return;
        };
        if failures.len() >= LIMITER_SWEEP_AT {
            let window = self.window;
            failures.retain(|_, (_, first)| first.elapsed() < window);
        }
        let entry = failures
            .entry(Self::key(email))
            .or_insert((0, Instant::now()));
        if entry.1.elapsed() >= self.window {
            *entry = (0, Instant::now());
        }
        entry.0 = entry.0.saturating_add(1);
    }

    /// Clears the count after a successful login.
    pub fn succeeded(&self, email: &str) {
        if let Ok(mut failures) = self.failures.lock() {
            failures.remove(&Self::key(email));
        }
    }
}

impl Default for LoginLimiter {
    /// 5 failures per 15 minutes.
    fn default() -> Self {
        Self::new(5, Duration::from_secs(15 * 60))
    }
}

/// Logs in with e-mail and password.
#[utoipa::path(
    post, path = "/api/login", tag = "auth",
    request_body = LoginRequest,
    responses(
        (status = 200, description = "Logged in; the token is also set as the `cube_session` cookie", body = LoginResponse),
        (status = 400, description = "Malformed JSON", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Wrong e-mail or password", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many failed logins for this e-mail; see `Retry-After`", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn login(
    State(state): State<AppState>,
    ApiJson(request): ApiJson<LoginRequest>,
) -> ApiResult<Response> {
    state
        .login_limiter
        .check(&request.email)
        .map_err(|retry_after_secs| ApiError::TooManyRequests { retry_after_secs })?;
    let email = request.email.clone();
    let found = state.cube.login_credentials(&request.email).await?;
    let (user, hash) = match found {
        Some((user, hash)) => (Some(user), hash),
        None => (None, dummy_hash().to_owned()),
    };
    let matches = verify_password(request.password, hash).await?;
    let user = match user {
        Some(user) if matches => user,
        _ => {
            state.login_limiter.failed(&email);
            return Err(ApiError::Unauthenticated(BAD_LOGIN));
        }
    };
    state.login_limiter.succeeded(&email);
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
        .insert(header::SET_COOKIE, cookie(&token, max_age)?);
    Ok(response)
}

/// Logs out: revokes the token the request came with and clears the cookie.
#[utoipa::path(
    post, path = "/api/logout", tag = "auth",
    responses(
        (status = 204, description = "Logged out"),
        (status = 401, description = "Not logged in", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Cookie without the CSRF header", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []), ("cookie" = []))
)]
pub async fn logout(State(state): State<AppState>, actor: Actor) -> ApiResult<Response> {
    state
        .cube
        .revoke_token(actor.user.id, &actor.token_hash)
        .await?;
    let mut response = StatusCode::NO_CONTENT.into_response();
    response
        .headers_mut()
        .insert(header::SET_COOKIE, cookie("", 0)?);
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
