//! A local HTTPS server for tests: an axum router served on `127.0.0.1` over TLS, with a CA
//! and a server certificate made at run time with rcgen (so no fixture ever expires); and a
//! local SMTP server ([`smtp_server`]) that keeps what it is sent. The
//! gateways' own tests use it, and so do the server's end-to-end tests (feature `testing`),
//! which give the CA to the server as its `--gateway-ca-file`.
//!
//! Only for tests: the keys live in memory, a failed handshake is dropped silently.

use axum::Router;
use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, ExtendedKeyUsagePurpose, IsCa,
    KeyPair, KeyUsagePurpose,
};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls::ServerConfig;
use tokio_rustls::rustls::crypto::aws_lc_rs;
use tokio_rustls::rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};

/// A certificate authority made for one test.
#[derive(Debug)]
pub struct TestCa {
    issuer: CertifiedIssuer<'static, KeyPair>,
}

impl TestCa {
    /// A new CA, named `name`.
    ///
    /// # Panics
    /// If rcgen cannot make a key or sign (only in tests).
    pub fn new(name: &str) -> Self {
        let mut params = CertificateParams::new(Vec::<String>::new()).expect("CA parameters");
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.distinguished_name.push(DnType::CommonName, name);
        params.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::CrlSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        let key = KeyPair::generate().expect("a CA key");
        Self {
            issuer: CertifiedIssuer::self_signed(params, key).expect("the CA signs itself"),
        }
    }

    /// The CA's certificate, PEM: what a gateway's CA file holds.
    pub fn pem(&self) -> String {
        self.issuer.pem()
    }

    /// A server configuration for `127.0.0.1` and `localhost`, certified by this CA.
    fn server_config(&self) -> ServerConfig {
        let mut params =
            CertificateParams::new(vec!["127.0.0.1".to_owned(), "localhost".to_owned()])
                .expect("server parameters");
        params
            .distinguished_name
            .push(DnType::CommonName, "cube test provider");
        params.is_ca = IsCa::NoCa;
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        let key = KeyPair::generate().expect("a server key");
        let certificate = params.signed_by(&key, &self.issuer).expect("signed");
        let chain = vec![certificate.der().clone(), self.issuer.der().clone()];
        let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der()));
        let mut config =
            ServerConfig::builder_with_provider(Arc::new(aws_lc_rs::default_provider()))
                .with_safe_default_protocol_versions()
                .expect("TLS versions")
                .with_no_client_auth()
                .with_single_cert(chain, key)
                .expect("the certificate and key match");
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        config
    }
}

/// Serves `app` over HTTPS on a free port of `127.0.0.1`, with a certificate `ca` issued;
/// returns the base URL, `https://127.0.0.1:<port>`. The server runs until the runtime ends.
///
/// # Panics
/// If no port can be bound (only in tests).
pub async fn serve_https(ca: &TestCa, app: Router) -> String {
    let tcp = TcpListener::bind("127.0.0.1:0").await.expect("a port");
    let address = tcp.local_addr().expect("an address");
    let listener = TlsListener {
        tcp,
        acceptor: TlsAcceptor::from(Arc::new(ca.server_config())),
    };
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    format!("https://{address}")
}

/// TCP connections that have completed a TLS handshake.
struct TlsListener {
    tcp: TcpListener,
    acceptor: TlsAcceptor,
}

impl axum::serve::Listener for TlsListener {
    type Io = tokio_rustls::server::TlsStream<TcpStream>;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        loop {
            let Ok((stream, address)) = self.tcp.accept().await else {
                continue;
            };
            // A client that refuses our certificate (the wrong-CA tests) ends here.
            if let Ok(tls) = self.acceptor.accept(stream).await {
                return (tls, address);
            }
        }
    }

    fn local_addr(&self) -> std::io::Result<Self::Addr> {
        self.tcp.local_addr()
    }
}

/// How the SMTP stand-in answers a step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmtpScript {
    /// Takes every message.
    Accept,
    /// Refuses the recipient for good (550).
    RefuseRecipient,
    /// Refuses the recipient for now (451).
    MailboxBusy,
    /// Refuses the login (535).
    RefuseLogin,
}

/// A local SMTP server on `127.0.0.1` speaking enough SMTP (EHLO, AUTH, MAIL, RCPT, DATA,
/// QUIT) to take messages, or answer as `script` says; returns its port and what it
/// received (one entry per message: the DATA as sent, lines joined with `\n`).
///
/// # Panics
/// If it cannot bind a port on loopback (only in tests).
pub async fn smtp_server(script: SmtpScript) -> (u16, Arc<Mutex<Vec<String>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let port = listener.local_addr().expect("address").port();
    let received = Arc::new(Mutex::new(Vec::new()));
    let store = received.clone();
    tokio::spawn(async move {
        while let Ok((socket, _)) = listener.accept().await {
            let store = store.clone();
            tokio::spawn(async move {
                let (read, mut write) = socket.into_split();
                let mut lines = BufReader::new(read).lines();
                let _ = write.write_all(b"220 test ESMTP\r\n").await;
                while let Ok(Some(line)) = lines.next_line().await {
                    let verb = line
                        .split_whitespace()
                        .next()
                        .unwrap_or("")
                        .to_ascii_uppercase();
                    let answer: &[u8] = match verb.as_str() {
                        "EHLO" | "HELO" => b"250-test\r\n250-AUTH PLAIN LOGIN\r\n250 8BITMIME\r\n",
                        "AUTH" if script == SmtpScript::RefuseLogin => b"535 5.7.8 bad login\r\n",
                        "AUTH" => b"235 2.7.0 ok\r\n",
                        "MAIL" => b"250 2.1.0 ok\r\n",
                        "RCPT" if script == SmtpScript::RefuseRecipient => {
                            b"550 5.1.1 no such user\r\n"
                        }
                        "RCPT" if script == SmtpScript::MailboxBusy => b"451 4.2.0 try later\r\n",
                        "RCPT" => b"250 2.1.5 ok\r\n",
                        "DATA" => {
                            let _ = write.write_all(b"354 go ahead\r\n").await;
                            let mut body = String::new();
                            while let Ok(Some(line)) = lines.next_line().await {
                                if line == "." {
                                    break;
                                }
                                body.push_str(&line);
                                body.push('\n');
                            }
                            store.lock().expect("lock").push(body);
                            b"250 2.0.0 queued\r\n"
                        }
                        "QUIT" => {
                            let _ = write.write_all(b"221 bye\r\n").await;
                            break;
                        }
                        "RSET" | "NOOP" => b"250 ok\r\n",
                        _ => b"500 what\r\n",
                    };
                    if write.write_all(answer).await.is_err() {
                        break;
                    }
                }
            });
        }
    });
    (port, received)
}

fn base64_decode(text: &str) -> Vec<u8> {
    let value = |c: u8| match c {
        b'A'..=b'Z' => Some(c - b'A'),
        b'a'..=b'z' => Some(c - b'a' + 26),
        b'0'..=b'9' => Some(c - b'0' + 52),
        b'+' => Some(62),
        b'/' => Some(63),
        _ => None,
    };
    let digits: Vec<u8> = text.bytes().filter_map(value).collect();
    let mut out = Vec::new();
    for chunk in digits.chunks(4) {
        let n =
            chunk.iter().fold(0u32, |acc, d| (acc << 6) | u32::from(*d)) << (6 * (4 - chunk.len()));
        let bytes = [(n >> 16) as u8, (n >> 8) as u8, n as u8];
        out.extend_from_slice(&bytes[..chunk.len().saturating_sub(1)]);
    }
    out
}

/// The subject of a received message (as [`smtp_server`] keeps it) as a mail reader shows
/// it: RFC 2047 `=?utf-8?b?…?=` words decoded.
///
/// # Panics
/// If a word is not UTF-8 (only in tests).
pub fn mail_subject(raw: &str) -> String {
    let mut header = String::new();
    let mut lines = raw.lines();
    while let Some(line) = lines.next() {
        if let Some(value) = line.strip_prefix("Subject: ") {
            header.push_str(value);
            for more in lines.by_ref() {
                if more.starts_with(' ') || more.starts_with('\t') {
                    header.push_str(more.trim_start());
                } else {
                    break;
                }
            }
            break;
        }
    }
    // Whitespace between two encoded words is not part of the text; between others it is.
    let mut subject = String::new();
    let mut previous_encoded = false;
    for word in header.split_whitespace() {
        let lower = word.to_ascii_lowercase();
        let encoded = lower.starts_with("=?utf-8?b?") && word.ends_with("?=");
        let joined = encoded && previous_encoded;
        if !subject.is_empty() && !joined {
            subject.push(' ');
        }
        if encoded {
            subject.push_str(
                &String::from_utf8(base64_decode(&word[10..word.len() - 2])).expect("utf-8"),
            );
        } else {
            subject.push_str(word);
        }
        previous_encoded = encoded;
    }
    subject
}

/// The decoded (base64, UTF-8) body of a received message's part with `content_type`.
///
/// # Panics
/// If the message has no such part (only in tests).
pub fn mail_part(raw: &str, content_type: &str) -> String {
    let at = raw
        .find(&format!("Content-Type: {content_type}"))
        .expect("the part");
    let rest = &raw[at..];
    let body_start = rest.find("\n\n").expect("part body") + 2;
    let body = &rest[body_start..];
    let end = body.find("\n--").unwrap_or(body.len());
    String::from_utf8(base64_decode(&body[..end]))
        .expect("utf-8")
        .replace("\r\n", "\n")
}
