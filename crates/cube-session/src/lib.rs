//! # cube-session
//!
//! The piece of authentication both HTTP faces of Cube share — the JSON API (`cube-http`)
//! and the web pages (`cube-web`) — so a browser logged in on one is logged in on the other,
//! under one CSRF rule, without either adapter depending on the other (the walls).
//!
//! - A token is 256 random bits sent to the client as 64 hex digits; only its SHA-256 (hex)
//!   is stored and looked up ([`token_hash`]), so a leaked database holds no usable token.
//! - Browsers carry it in the [`SESSION_COOKIE`] (HttpOnly, SameSite=Strict, `Secure` when
//!   the server is reached over HTTPS: [`session_cookie_header`]).
//! - **CSRF**: a cookie-authenticated request with an unsafe method must carry
//!   [`CSRF_HEADER`]. A cross-site form cannot set a custom header, and a cross-site script
//!   cannot without a CORS preflight, which Cube never grants; with SameSite=Strict this is
//!   the whole guard ([`csrf_guard_passes`]).
//!
//! Pure functions over strings: no HTTP types, so both adapters use them as they are.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

use sha2::{Digest, Sha256};
use std::fmt::Write as _;

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "cube_session";

/// The CSRF header a cookie-authenticated unsafe request must carry, and its value.
pub const CSRF_HEADER: (&str, &str) = ("x-requested-with", "cube");

/// The random source failed: no token can be made.
#[derive(Debug, Clone, thiserror::Error)]
#[error("the random source failed: {0}")]
pub struct RandomSourceFailed(String);

/// A new random token (64 hex digits) and its stored hash.
pub fn new_token() -> Result<(String, String), RandomSourceFailed> {
    let mut bytes = [0_u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| RandomSourceFailed(e.to_string()))?;
    let token = hex(&bytes);
    let hash = token_hash(&token);
    Ok((token, hash))
}

/// The hex SHA-256 of a token: what the store keeps and looks up.
pub fn token_hash(token: &str) -> String {
    hex(Sha256::digest(token.as_bytes()).as_slice())
}

fn hex(bytes: &[u8]) -> String {
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}

/// The value of the cookie `name` among a request's `Cookie` header values, if it is there
/// and not empty.
pub fn cookie<'a>(
    cookie_headers: impl IntoIterator<Item = &'a str>,
    name: &str,
) -> Option<&'a str> {
    cookie_headers
        .into_iter()
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(found, _)| *found == name)
        .map(|(_, value)| value.trim())
        .filter(|v| !v.is_empty())
}

/// The session token among a request's `Cookie` header values.
pub fn session_token<'a>(cookie_headers: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    cookie(cookie_headers, SESSION_COOKIE)
}

/// The `Set-Cookie` value that stores `token` for `max_age_secs` (0 with an empty token:
/// clears it). `secure` when the browser reached the server over HTTPS.
pub fn session_cookie_header(token: &str, max_age_secs: i64, secure: bool) -> String {
    let secure = if secure { "; Secure" } else { "" };
    format!(
        "{SESSION_COOKIE}={token}; HttpOnly; SameSite=Strict; Path=/; Max-Age={max_age_secs}{secure}"
    )
}

/// Whether an HTTP method only reads (GET, HEAD, OPTIONS): it needs no CSRF header.
pub fn is_safe_method(method: &str) -> bool {
    matches!(method, "GET" | "HEAD" | "OPTIONS")
}

/// Whether a cookie-authenticated request may go on: it reads, or it carries the
/// [`CSRF_HEADER`] with its value (`header_value`: the header's value, if sent).
pub fn csrf_guard_passes(method: &str, header_value: Option<&[u8]>) -> bool {
    is_safe_method(method) || header_value == Some(CSRF_HEADER.1.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_is_64_hex_digits_and_its_hash_is_what_is_stored() {
        let (token, hash) = new_token().expect("random");
        assert_eq!(token.len(), 64);
        assert!(token.chars().all(|c| c.is_ascii_hexdigit()));
        assert_eq!(hash, token_hash(&token));
        assert_ne!(hash, token);
        // SHA-256 of "abc", a published test vector.
        assert_eq!(
            token_hash("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn the_session_cookie_is_found_among_others_and_an_empty_one_is_none() {
        let headers = ["theme=dark; cube_session=abc123 ", "other=1"];
        assert_eq!(session_token(headers), Some("abc123"));
        assert_eq!(session_token(["cube_session="]), None);
        assert_eq!(session_token(["xcube_session=abc"]), None);
        assert_eq!(cookie(["a=1; cube_lang=en"], "cube_lang"), Some("en"));
    }

    #[test]
    fn the_cookie_is_http_only_strict_and_secure_only_when_asked() {
        let plain = session_cookie_header("t", 60, false);
        assert_eq!(
            plain,
            "cube_session=t; HttpOnly; SameSite=Strict; Path=/; Max-Age=60"
        );
        assert!(session_cookie_header("t", 60, true).ends_with("; Secure"));
    }

    #[test]
    fn unsafe_methods_need_the_header_with_its_value() {
        assert!(csrf_guard_passes("GET", None));
        assert!(csrf_guard_passes("HEAD", None));
        assert!(!csrf_guard_passes("POST", None));
        assert!(!csrf_guard_passes("POST", Some(b"other")));
        assert!(csrf_guard_passes("POST", Some(b"cube")));
        assert!(!csrf_guard_passes("DELETE", None));
    }
}
