//! Outbound webhooks: an organisation registers an endpoint (a URL, the events it wants) and
//! Cube POSTs a small JSON body there when one of those events happens, through the outbox
//! (so a webhook is sent if and only if the change that caused it was committed, and is
//! retried like an SMS).
//!
//! This module holds what is pure: the endpoint and its parsed parts, the events, and the
//! **signature** a receiver checks to know a request came from Cube and was not replayed.
//!
//! # The signature
//! `X-Cube-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>` — the
//! time of sending and the body signed together, so an intercepted request cannot be sent
//! again later (the receiver refuses an old `t`) nor with another body. The secret is 32
//! random bytes the server makes when the endpoint is created (shown once, in hex); the key
//! of the HMAC is that hex text as bytes, which is what the receiver holds.
//! `X-Cube-Delivery` carries the outbox message id: the same on every retry of one
//! delivery, so a receiver can drop a repeat.
//!
//! HMAC (RFC 2104) is written here over `sha2` in a few lines rather than adding a crate:
//! it is tested against the RFC 4231 vectors below.

use crate::ids::{OrganisationId, WebhookEndpointId};
use crate::outcome::OutcomeEvent;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::fmt;
use thiserror::Error;
use time::OffsetDateTime;

/// The request header carrying the signature.
pub const SIGNATURE_HEADER: &str = "X-Cube-Signature";
/// The request header carrying the delivery id (the outbox message id).
pub const DELIVERY_HEADER: &str = "X-Cube-Delivery";
/// The request header naming the event.
pub const EVENT_HEADER: &str = "X-Cube-Event";
/// How old a signature a receiver should accept, in seconds, as advised in docs/security.md.
pub const DEFAULT_TOLERANCE_SECONDS: i64 = 300;

/// Why an endpoint's parts are refused.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum WebhookError {
    /// The URL is not an `http://` or `https://` URL with a host.
    #[error(
        "'{0}' is not a webhook URL: it must start with http:// or https:// and name a host, without spaces"
    )]
    InvalidUrl(String),
    /// The URL is too long.
    #[error("the webhook URL is longer than {MAX_URL_LENGTH} characters")]
    UrlTooLong,
    /// An event name that is not one of [`WebhookEvent::ALL`].
    #[error(
        "'{0}' is not a webhook event (outcome_registered, state_changed, meeting_booked, customers_imported)"
    )]
    UnknownEvent(String),
    /// No event chosen.
    #[error("a webhook endpoint must subscribe to at least one event")]
    NoEvents,
    /// A stored secret that is not 64 hex digits.
    #[error("a webhook secret is 64 hex digits")]
    InvalidSecret,
}

/// The longest URL accepted.
pub const MAX_URL_LENGTH: usize = 2_000;

/// An `http://` or `https://` URL with a host. The only way in is [`EndpointUrl::parse`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct EndpointUrl(String);

impl EndpointUrl {
    /// Parses a URL: trimmed, `http://` or `https://` (any case), a host, no whitespace.
    pub fn parse(raw: &str) -> Result<Self, WebhookError> {
        let url = raw.trim();
        if url.len() > MAX_URL_LENGTH {
            return Err(WebhookError::UrlTooLong);
        }
        let lower = url.to_ascii_lowercase();
        let rest = lower
            .strip_prefix("http://")
            .or_else(|| lower.strip_prefix("https://"))
            .ok_or_else(|| WebhookError::InvalidUrl(raw.to_owned()))?;
        let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
        let host = authority.rsplit('@').next().unwrap_or_default();
        let host = host.split(':').next().unwrap_or_default();
        let host_ok = !host.is_empty() || authority.starts_with('[');
        if !host_ok || url.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(WebhookError::InvalidUrl(raw.to_owned()));
        }
        Ok(Self(url.to_owned()))
    }

    /// The URL.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for EndpointUrl {
    type Error = WebhookError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<EndpointUrl> for String {
    fn from(value: EndpointUrl) -> Self {
        value.0
    }
}

impl fmt::Display for EndpointUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// What happened, as an endpoint subscribes to it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WebhookEvent {
    /// An outcome was registered on a customer in an assignment.
    OutcomeRegistered,
    /// A customer's state changed (by an outcome or an external trigger).
    StateChanged,
    /// A meeting was booked.
    MeetingBooked,
    /// Customers were imported.
    CustomersImported,
}

impl WebhookEvent {
    /// Every event.
    pub const ALL: [WebhookEvent; 4] = [
        WebhookEvent::OutcomeRegistered,
        WebhookEvent::StateChanged,
        WebhookEvent::MeetingBooked,
        WebhookEvent::CustomersImported,
    ];

    /// The wire name (`outcome_registered`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            WebhookEvent::OutcomeRegistered => "outcome_registered",
            WebhookEvent::StateChanged => "state_changed",
            WebhookEvent::MeetingBooked => "meeting_booked",
            WebhookEvent::CustomersImported => "customers_imported",
        }
    }

    /// Parses a wire name.
    pub fn parse(raw: &str) -> Result<Self, WebhookError> {
        Self::ALL
            .into_iter()
            .find(|e| e.as_str() == raw.trim())
            .ok_or_else(|| WebhookError::UnknownEvent(raw.to_owned()))
    }
}

/// The secret an endpoint's requests are signed with: 32 random bytes, held as 64 lowercase
/// hex digits (the HMAC key is that text). `Debug` never shows it; there is no `Display`
/// and no `Serialize`, so it cannot slip into a log line or a response by accident.
#[derive(Clone, PartialEq, Eq)]
pub struct WebhookSecret(String);

impl WebhookSecret {
    /// The secret made of 32 random bytes (the caller reads them from the OS).
    pub fn from_random(bytes: [u8; 32]) -> Self {
        Self(to_hex(&bytes))
    }

    /// A stored secret: 64 hex digits.
    pub fn parse(hex: &str) -> Result<Self, WebhookError> {
        if hex.len() == 64 && hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            Ok(Self(hex.to_ascii_lowercase()))
        } else {
            Err(WebhookError::InvalidSecret)
        }
    }

    /// The hex text: for the store, the one creation answer and signing — nothing else.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for WebhookSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("WebhookSecret(***)")
    }
}

/// An organisation's webhook endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookEndpoint {
    /// The id.
    pub id: WebhookEndpointId,
    /// The organisation whose events it receives.
    pub organisation: OrganisationId,
    /// Where to POST.
    pub url: EndpointUrl,
    /// What its requests are signed with.
    pub secret: WebhookSecret,
    /// The events it receives: not empty, sorted, no repeats.
    pub events: Vec<WebhookEvent>,
    /// Whether it receives anything now.
    pub enabled: bool,
    /// When it was created.
    pub created_at: OffsetDateTime,
}

impl WebhookEndpoint {
    /// Whether this endpoint receives `event` now.
    pub fn wants(&self, event: WebhookEvent) -> bool {
        self.enabled && self.events.contains(&event)
    }
}

/// Checks a chosen set of events: not empty; returned sorted without repeats.
pub fn parse_events(raw: &[String]) -> Result<Vec<WebhookEvent>, WebhookError> {
    let mut events = raw
        .iter()
        .map(|e| WebhookEvent::parse(e))
        .collect::<Result<Vec<_>, _>>()?;
    events.sort();
    events.dedup();
    if events.is_empty() {
        return Err(WebhookError::NoEvents);
    }
    Ok(events)
}

/// Events as one text, wire names comma-separated (how the SQL stores keep them).
pub fn events_text(events: &[WebhookEvent]) -> String {
    events
        .iter()
        .map(|e| e.as_str())
        .collect::<Vec<_>>()
        .join(",")
}

/// Events read back from [`events_text`].
pub fn parse_events_text(text: &str) -> Result<Vec<WebhookEvent>, WebhookError> {
    let raw: Vec<String> = text.split(',').map(str::to_owned).collect();
    parse_events(&raw)
}

/// What an event in the outcome log (an outcome registered, or an external state change)
/// tells webhooks: `outcome_registered` when it has an outcome, `state_changed` when the
/// state moved, `meeting_booked` when it booked one — each with its JSON body. The body holds
/// ids only (no name, number or note: nothing personal beyond the customer's id):
/// `{"event", "event_id", "occurred_at", "organisation", "assignment", "enrollment",
/// "customer", "outcome", "from_state", "state", "meeting"}`.
pub fn bodies_of(
    organisation: OrganisationId,
    event: &OutcomeEvent,
) -> Vec<(WebhookEvent, String)> {
    let mut events = Vec::new();
    if event.outcome().is_some() {
        events.push(WebhookEvent::OutcomeRegistered);
    }
    if event.from_state() != event.to_state() {
        events.push(WebhookEvent::StateChanged);
    }
    if event.meeting().is_some() {
        events.push(WebhookEvent::MeetingBooked);
    }
    let occurred_at = event
        .occurred_at()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default();
    events
        .into_iter()
        .map(|kind| {
            let body = serde_json::json!({
                "event": kind.as_str(),
                "event_id": event.id(),
                "occurred_at": occurred_at,
                "organisation": organisation,
                "assignment": event.assignment(),
                "enrollment": event.enrollment(),
                "customer": event.customer(),
                "outcome": event.outcome(),
                "from_state": event.from_state(),
                "state": event.to_state(),
                "meeting": event.meeting(),
            });
            (kind, body.to_string())
        })
        .collect()
}

/// What a committed chunk of an import tells webhooks (`customers_imported`): one event a
/// chunk of up to 2,000 rows, in the chunk's own unit of work, so an import stopped part-way
/// has told exactly what went in; a receiver adds a file's chunks up by `import`. Counts
/// and ids only: `{"event", "occurred_at", "organisation", "import", "data_owner",
/// "assignment", "rows", "created", "updated", "unchanged", "skipped", "refused", "enrolled",
/// "already_enrolled"}` ("refused": rows a key of which belongs to another customer).
pub fn import_body(
    organisation: OrganisationId,
    import: &crate::customer_import::CustomerImport,
    counts: &crate::ports::ImportCounts,
    occurred_at: OffsetDateTime,
) -> String {
    let occurred_at = occurred_at
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default();
    serde_json::json!({
        "event": WebhookEvent::CustomersImported.as_str(),
        "occurred_at": occurred_at,
        "organisation": organisation,
        "import": import.id,
        "data_owner": import.data_owner,
        "assignment": import.assignment,
        "rows": counts.rows.len(),
        "created": counts.created,
        "updated": counts.updated,
        "unchanged": counts.unchanged,
        "skipped": counts.skipped,
        "refused": counts.refused.len(),
        "enrolled": counts.enrolled,
        "already_enrolled": counts.already_enrolled,
    })
    .to_string()
}

const BLOCK: usize = 64;

/// HMAC-SHA256 (RFC 2104): `H((K ^ opad) || H((K ^ ipad) || message))`, a key longer than a
/// block hashed first.
pub fn hmac_sha256(key: &[u8], message: &[u8]) -> [u8; 32] {
    let mut block = [0u8; BLOCK];
    if key.len() > BLOCK {
        block[..32].copy_from_slice(&Sha256::digest(key));
    } else {
        block[..key.len()].copy_from_slice(key);
    }
    let mut inner = Sha256::new();
    inner.update(block.map(|b| b ^ 0x36));
    inner.update(message);
    let mut outer = Sha256::new();
    outer.update(block.map(|b| b ^ 0x5c));
    outer.update(inner.finalize());
    outer.finalize().into()
}

fn to_hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The `X-Cube-Signature` value for `body` sent at `unix_seconds`.
pub fn signature_header(secret: &WebhookSecret, unix_seconds: i64, body: &[u8]) -> String {
    format!(
        "t={unix_seconds},v1={}",
        to_hex(&signed_mac(secret.expose(), unix_seconds, body))
    )
}

fn signed_mac(secret: &str, unix_seconds: i64, body: &[u8]) -> [u8; 32] {
    let mut message = format!("{unix_seconds}.").into_bytes();
    message.extend_from_slice(body);
    hmac_sha256(secret.as_bytes(), &message)
}

/// Why a receiver refuses a request's signature.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum SignatureError {
    /// The header is not `t=<seconds>,v1=<hex>`.
    #[error("the signature header is not t=<unix seconds>,v1=<hex>")]
    Malformed,
    /// The time is further from now than the tolerance.
    #[error("the signature's time is outside the tolerance")]
    Stale,
    /// No `v1` matches the body and the time.
    #[error("the signature does not match")]
    Mismatch,
}

/// What a receiver does: checks `header` against `body`, with the secret it holds (hex text),
/// refusing a time more than `tolerance_seconds` away from `now_unix`. Several `v1=` are
/// accepted (one matching is enough), so a sender may sign with two secrets while rotating.
pub fn verify_signature(
    secret: &str,
    header: &str,
    body: &[u8],
    now_unix: i64,
    tolerance_seconds: i64,
) -> Result<(), SignatureError> {
    let mut time = None;
    let mut macs = Vec::new();
    for part in header.split(',') {
        match part.trim().split_once('=') {
            Some(("t", t)) => time = Some(t.parse::<i64>().map_err(|_| SignatureError::Malformed)?),
            Some(("v1", mac)) => macs.push(mac),
            _ => {}
        }
    }
    let time = time.ok_or(SignatureError::Malformed)?;
    if macs.is_empty() {
        return Err(SignatureError::Malformed);
    }
    if (now_unix - time).abs() > tolerance_seconds {
        return Err(SignatureError::Stale);
    }
    let expected = to_hex(&signed_mac(secret, time, body));
    // Compared in constant time: every byte is looked at whatever the first difference.
    let matches = |mac: &str| {
        mac.len() == expected.len()
            && mac
                .bytes()
                .zip(expected.bytes())
                .fold(0u8, |acc, (a, b)| acc | (a ^ b))
                == 0
    };
    if macs.into_iter().any(matches) {
        Ok(())
    } else {
        Err(SignatureError::Mismatch)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unhex(s: &str) -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex"))
            .collect()
    }

    /// RFC 4231, test cases 1, 2, 3, 4, 6 and 7 (5 is a truncated output).
    #[test]
    fn hmac_matches_the_rfc_4231_vectors() {
        let cases: [(Vec<u8>, Vec<u8>, &str); 6] = [
            (
                vec![0x0b; 20],
                b"Hi There".to_vec(),
                "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7",
            ),
            (
                b"Jefe".to_vec(),
                b"what do ya want for nothing?".to_vec(),
                "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
            ),
            (
                vec![0xaa; 20],
                vec![0xdd; 50],
                "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe",
            ),
            (
                unhex("0102030405060708090a0b0c0d0e0f10111213141516171819"),
                vec![0xcd; 50],
                "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b",
            ),
            (
                vec![0xaa; 131],
                b"Test Using Larger Than Block-Size Key - Hash Key First".to_vec(),
                "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54",
            ),
            (
                vec![0xaa; 131],
                b"This is a test using a larger than block-size key and a larger than block-size data. The key needs to be hashed before being used by the HMAC algorithm.".to_vec(),
                "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2",
            ),
        ];
        for (key, data, expected) in cases {
            assert_eq!(to_hex(&hmac_sha256(&key, &data)), expected);
        }
    }

    fn secret() -> WebhookSecret {
        WebhookSecret::from_random([7; 32])
    }

    #[test]
    fn a_signature_verifies_and_any_change_is_refused() {
        let body = br#"{"event":"outcome_registered"}"#;
        let header = signature_header(&secret(), 1_700_000_000, body);
        assert!(header.starts_with("t=1700000000,v1="), "{header}");
        let key = secret().expose().to_owned();
        let check = |h: &str, b: &[u8], now| verify_signature(&key, h, b, now, 300);
        assert_eq!(check(&header, body, 1_700_000_100), Ok(()));
        assert_eq!(
            check(&header, b"{\"event\":\"state_changed\"}", 1_700_000_000),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            check(&header, body, 1_700_000_301),
            Err(SignatureError::Stale)
        );
        let moved = header.replace("t=1700000000", "t=1700000001");
        assert_eq!(
            check(&moved, body, 1_700_000_000),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(check("v1=abc", body, 0), Err(SignatureError::Malformed));
        let other = WebhookSecret::from_random([8; 32]);
        assert_eq!(
            verify_signature(other.expose(), &header, body, 1_700_000_000, 300),
            Err(SignatureError::Mismatch)
        );
    }

    #[test]
    fn the_secret_is_64_hex_digits_and_never_debug_printed() {
        let s = secret();
        assert_eq!(s.expose().len(), 64);
        assert_eq!(WebhookSecret::parse(s.expose()), Ok(s.clone()));
        assert!(!format!("{s:?}").contains(s.expose()));
        assert_eq!(
            WebhookSecret::parse("xyz"),
            Err(WebhookError::InvalidSecret)
        );
    }

    #[test]
    fn urls_are_http_or_https_with_a_host() {
        for ok in [
            "http://127.0.0.1:8080/hook",
            "https://hooks.example.com/cube?x=1",
            " HTTPS://Example.com ",
        ] {
            assert!(EndpointUrl::parse(ok).is_ok(), "{ok}");
        }
        for bad in [
            "ftp://example.com",
            "example.com",
            "http://",
            "https:///path",
            "http://exa mple.com",
            "",
        ] {
            assert!(
                matches!(EndpointUrl::parse(bad), Err(WebhookError::InvalidUrl(_))),
                "{bad}"
            );
        }
        let long = format!("https://example.com/{}", "a".repeat(MAX_URL_LENGTH));
        assert_eq!(EndpointUrl::parse(&long), Err(WebhookError::UrlTooLong));
    }

    #[test]
    fn events_are_parsed_sorted_and_not_empty() {
        let raw = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            parse_events(&raw(&[
                "state_changed",
                "outcome_registered",
                "state_changed"
            ])),
            Ok(vec![
                WebhookEvent::OutcomeRegistered,
                WebhookEvent::StateChanged
            ])
        );
        assert_eq!(parse_events(&[]), Err(WebhookError::NoEvents));
        assert_eq!(
            parse_events(&raw(&["sale"])),
            Err(WebhookError::UnknownEvent("sale".into()))
        );
    }
}
