//! The SMTP e-mail gateway: each outbox e-mail sent to the operator's mail server with
//! [lettre](https://docs.rs/lettre) — implicit TLS (`smtps://`, port 465), STARTTLS
//! (`smtp://…?tls=starttls`, the default for `smtp://` on a host other than loopback) or
//! plain SMTP on loopback and private test servers (`?tls=none`), with a user and password
//! when the URL has them.
//!
//! - The server is given as one URL, `smtp[s]://[user[:password]@]host[:port][?tls=…]`,
//!   read from the environment (`CUBE_SMTP_URL`) so the password is not on a command line.
//!   The password is never logged and never printed: [`SmtpSettings`]'s `Debug` leaves it
//!   out.
//! - Every message is `multipart/alternative`: a plain-text part made from the HTML, then
//!   the HTML, both UTF-8 and base64 (æøå arrive as written); the subject is RFC 2047
//!   encoded where it needs to be. Its `Message-ID` is the outbox key at the sender's
//!   domain, so a message sent twice after a lost answer is recognisably the same one; that
//!   id is what the gateway answers.
//! - Answers map to the outbox's three fates: a permanent SMTP refusal (5xx) of the
//!   message or recipient is refused for good; a refused login (530/535), a TLS or
//!   address-setup failure is the gateway misconfigured; a transient refusal (4xx), a
//!   timeout or a connection that fails is tried again later.

use async_trait::async_trait;
use cube_domain::ports::{EmailGateway, EmailMessage, GatewayError};
use lettre::message::header::{ContentTransferEncoding, ContentType};
use lettre::message::{Mailbox, MultiPart, SinglePart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use std::fmt;
use std::time::Duration;

/// How the connection to the mail server is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmtpTls {
    /// TLS from the first byte (`smtps://`, usually port 465).
    Implicit,
    /// Plain at first, then STARTTLS, refusing to go on without it (usually port 587).
    StartTls,
    /// No TLS at all: only for a mail server on loopback or a private test network.
    None,
}

/// Where and how to send: parsed from `smtp[s]://[user[:password]@]host[:port][?tls=…]`.
#[derive(Clone, PartialEq, Eq)]
pub struct SmtpSettings {
    /// The mail server's host name (the TLS certificate is checked against it).
    pub host: String,
    /// Its port.
    pub port: u16,
    /// The protection.
    pub tls: SmtpTls,
    /// The login, if the server wants one.
    pub user: Option<String>,
    password: Option<String>,
}

impl fmt::Debug for SmtpSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SmtpSettings")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("tls", &self.tls)
            .field("user", &self.user)
            .field("password", &self.password.as_ref().map(|_| "…"))
            .finish()
    }
}

impl fmt::Display for SmtpSettings {
    /// The server as it may be logged: no password.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let tls = match self.tls {
            SmtpTls::Implicit => "implicit TLS",
            SmtpTls::StartTls => "STARTTLS",
            SmtpTls::None => "no TLS",
        };
        match &self.user {
            Some(user) => write!(f, "{user}@{}:{} ({tls})", self.host, self.port),
            None => write!(f, "{}:{} ({tls})", self.host, self.port),
        }
    }
}

/// Why an SMTP URL cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "the SMTP URL {0}; write it as smtp://user:password@host:587 (STARTTLS), \
     smtps://user:password@host:465 (TLS) or smtp://127.0.0.1:2525?tls=none (a local test server)"
)]
pub struct SmtpSetupError(String);

fn refuse(why: impl Into<String>) -> SmtpSetupError {
    SmtpSetupError(why.into())
}

/// `%XX` sequences decoded (user names and passwords in URLs are percent-encoded).
fn percent_decoded(raw: &str) -> Result<String, SmtpSetupError> {
    let bytes = raw.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = raw
                .get(i + 1..i + 3)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
                .ok_or_else(|| refuse("has a % not followed by two hex digits"))?;
            out.push(hex);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|_| refuse("has a login that is not UTF-8"))
}

impl SmtpSettings {
    /// Parses an SMTP URL.
    pub fn parse(url: &str) -> Result<Self, SmtpSetupError> {
        let url = url.trim();
        let (implicit, rest) = if let Some(rest) = url.strip_prefix("smtps://") {
            (true, rest)
        } else if let Some(rest) = url.strip_prefix("smtp://") {
            (false, rest)
        } else {
            return Err(refuse("must start with smtp:// or smtps://"));
        };
        let (rest, query) = match rest.split_once('?') {
            Some((rest, query)) => (rest, Some(query)),
            None => (rest, None),
        };
        let rest = rest.trim_end_matches('/');
        let (login, address) = match rest.rsplit_once('@') {
            Some((login, address)) => (Some(login), address),
            None => (None, rest),
        };
        let (user, password) = match login {
            None => (None, None),
            Some(login) => match login.split_once(':') {
                Some((user, password)) => (
                    Some(percent_decoded(user)?),
                    Some(percent_decoded(password)?),
                ),
                None => (Some(percent_decoded(login)?), None),
            },
        };
        let (host, port) = match address.rsplit_once(':') {
            Some((host, port)) => (
                host,
                Some(
                    port.parse::<u16>()
                        .map_err(|_| refuse(format!("has no valid port in '{address}'")))?,
                ),
            ),
            None => (address, None),
        };
        if host.is_empty() || host.contains('/') {
            return Err(refuse("has no host"));
        }
        let mut tls = if implicit {
            SmtpTls::Implicit
        } else {
            SmtpTls::StartTls
        };
        for pair in query.into_iter().flat_map(|q| q.split('&')) {
            match pair {
                "tls=implicit" => tls = SmtpTls::Implicit,
                "tls=starttls" => tls = SmtpTls::StartTls,
                "tls=none" => tls = SmtpTls::None,
                other => return Err(refuse(format!("has an unknown option '{other}'"))),
            }
        }
        if tls == SmtpTls::None && password.is_some() {
            return Err(refuse(
                "sends a password without TLS; use STARTTLS or smtps://",
            ));
        }
        let port = port.unwrap_or(match tls {
            SmtpTls::Implicit => 465,
            SmtpTls::StartTls => 587,
            SmtpTls::None => 25,
        });
        Ok(Self {
            host: host.to_owned(),
            port,
            tls,
            user,
            password,
        })
    }
}

/// Sends the outbox's e-mails to a mail server.
pub struct SmtpEmailGateway {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    server: String,
}

impl fmt::Debug for SmtpEmailGateway {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SmtpEmailGateway")
            .field("server", &self.server)
            .finish_non_exhaustive()
    }
}

impl SmtpEmailGateway {
    /// A gateway to the server `settings` names, giving up on a send after `timeout`.
    pub fn new(settings: &SmtpSettings, timeout: Duration) -> Result<Self, SmtpSetupError> {
        let tls = match settings.tls {
            SmtpTls::None => Tls::None,
            protected => {
                let parameters = TlsParameters::new(settings.host.clone()).map_err(|e| {
                    refuse(format!("cannot set up TLS for '{}': {e}", settings.host))
                })?;
                if protected == SmtpTls::Implicit {
                    Tls::Wrapper(parameters)
                } else {
                    Tls::Required(parameters)
                }
            }
        };
        let mut builder =
            AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(settings.host.clone())
                .port(settings.port)
                .tls(tls)
                .timeout(Some(timeout));
        if let Some(user) = &settings.user {
            builder = builder.credentials(Credentials::new(
                user.clone(),
                settings.password.clone().unwrap_or_default(),
            ));
        }
        Ok(Self {
            transport: builder.build(),
            server: settings.to_string(),
        })
    }
}

/// The text of an HTML body, for the plain-text alternative: tags dropped, block ends and
/// `<br>` as line breaks (one blank line at most between blocks), the entities HTML escapes
/// decoded.
pub fn plain_text(html: &str) -> String {
    let mut text = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(start) = rest.find('<') {
        text.push_str(&rest[..start]);
        let Some(end) = rest[start..].find('>') else {
            rest = "";
            break;
        };
        let tag = rest[start + 1..start + end]
            .trim_start_matches('/')
            .to_ascii_lowercase();
        let name: String = tag
            .chars()
            .take_while(char::is_ascii_alphanumeric)
            .collect();
        let closing = tag.len() < rest[start + 1..start + end].len();
        if name == "tr" && closing {
            // A row ends where the next begins: the rows of a table are lines, not blocks.
        } else if matches!(
            name.as_str(),
            "br" | "p" | "div" | "li" | "tr" | "h1" | "h2" | "h3" | "table"
        ) {
            text.push('\n');
        } else if matches!(name.as_str(), "td" | "th") && !text.ends_with(char::is_whitespace) {
            // Cells of a row read as one line, apart (a sale's offer: its product table).
            text.push(' ');
        }
        rest = &rest[start + end + 1..];
    }
    text.push_str(rest);
    let text = text
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&nbsp;", " ")
        .replace("&amp;", "&");
    let mut lines: Vec<&str> = Vec::new();
    for line in text.lines().map(str::trim) {
        if line.is_empty() && lines.last().is_none_or(|l| l.is_empty()) {
            continue;
        }
        lines.push(line);
    }
    while lines.last().is_some_and(|l| l.is_empty()) {
        lines.pop();
    }
    lines.join("\n")
}

fn message_of(key: &str, message: &EmailMessage) -> Result<(Message, String), GatewayError> {
    let bad_address = |e: lettre::address::AddressError| {
        GatewayError::Rejected(format!("an address cannot be used: {e}"))
    };
    let from: Mailbox = message.from.as_str().parse().map_err(bad_address)?;
    let to: Mailbox = message.to.as_str().parse().map_err(bad_address)?;
    let domain = message
        .from
        .as_str()
        .rsplit_once('@')
        .map_or("cube.invalid", |(_, d)| d);
    // The outbox key is a UUID: safe in a Message-ID as it is.
    let id = format!("<{key}@{domain}>");
    let part = |content_type: ContentType, body: String| {
        SinglePart::builder()
            .header(content_type)
            .header(ContentTransferEncoding::Base64)
            .body(body)
    };
    let email = Message::builder()
        .from(from)
        .to(to)
        .subject(message.subject.clone())
        .message_id(Some(id.clone()))
        .multipart(
            MultiPart::alternative()
                .singlepart(part(ContentType::TEXT_PLAIN, plain_text(&message.html)))
                .singlepart(part(ContentType::TEXT_HTML, message.html.clone())),
        )
        .map_err(|e| GatewayError::Rejected(format!("the message cannot be built: {e}")))?;
    Ok((email, id))
}

fn fate(error: &lettre::transport::smtp::Error, server: &str) -> GatewayError {
    let text = error.to_string();
    let code = error.status().map(|c| c.to_string());
    let login_refused = code
        .as_deref()
        .is_some_and(|c| c == "530" || c == "535" || c == "534");
    if login_refused || error.is_tls() {
        GatewayError::Misconfigured(format!("the mail server {server} refused us: {text}"))
    } else if error.is_permanent() {
        GatewayError::Rejected(format!("the mail server refused the message: {text}"))
    } else {
        GatewayError::Unavailable(format!("the mail server {server} did not take it: {text}"))
    }
}

#[async_trait]
impl EmailGateway for SmtpEmailGateway {
    async fn send(&self, key: &str, message: &EmailMessage) -> Result<String, GatewayError> {
        let (email, id) = message_of(key, message)?;
        self.transport
            .send(email)
            .await
            .map_err(|e| fate(&e, &self.server))?;
        tracing::info!(%id, %key, server = %self.server, "e-mail sent");
        tracing::debug!(%key, to = %message.to.as_str(), "e-mail sent to");
        Ok(id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_give_the_server_the_protection_and_the_login() {
        let s = SmtpSettings::parse("smtp://kari%40firma.no:p%40ss@mail.firma.no").expect("valid");
        assert_eq!(
            (s.host.as_str(), s.port, s.tls),
            ("mail.firma.no", 587, SmtpTls::StartTls)
        );
        assert_eq!(s.user.as_deref(), Some("kari@firma.no"));
        assert_eq!(s.password.as_deref(), Some("p@ss"));
        let s = SmtpSettings::parse("smtps://u:p@mail.example.no").expect("valid");
        assert_eq!((s.port, s.tls), (465, SmtpTls::Implicit));
        let s = SmtpSettings::parse("smtp://127.0.0.1:2525?tls=none").expect("valid");
        assert_eq!((s.port, s.tls, s.user), (2525, SmtpTls::None, None));
        for bad in [
            "http://mail.example.no",
            "smtp://",
            "smtp://host:port",
            "smtp://host?tls=maybe",
            "smtp://u:secret@host?tls=none",
            "smtp://u:%zz@host",
        ] {
            assert!(SmtpSettings::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_password_is_never_shown() {
        let s = SmtpSettings::parse("smtp://kari:hemmelig@mail.firma.no").expect("valid");
        assert!(!format!("{s:?}").contains("hemmelig"));
        assert!(!s.to_string().contains("hemmelig"));
        assert_eq!(s.to_string(), "kari@mail.firma.no:587 (STARTTLS)");
    }

    #[test]
    fn the_plain_text_alternative_reads_like_the_html() {
        let html = "<h1>Takk for handelen, Kari!</h1><p>Du har kjøpt <b>Strøm Fastpris</b> &amp; mer.</p>\
                    <p>Hilsen<br>Kraft AS</p>";
        assert_eq!(
            plain_text(html),
            "Takk for handelen, Kari!\n\nDu har kjøpt Strøm Fastpris & mer.\n\nHilsen\nKraft AS"
        );
        assert_eq!(plain_text("no tags"), "no tags");
        assert_eq!(
            plain_text(
                "<table><tr><th>Antall</th><th>Produkt</th></tr>\
                 <tr><td>2 x</td><td>Strøm &amp; Co</td><td>à 499,00 NOK</td></tr></table>"
            ),
            "Antall Produkt\n2 x Strøm & Co à 499,00 NOK",
            "a table's rows are lines, their cells apart"
        );
        assert_eq!(plain_text("broken <tag"), "broken");
    }
}
