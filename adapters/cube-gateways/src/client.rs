//! The HTTP client every HTTP gateway shares (the SMS and e-mail webhooks, the Twilio-style
//! SMS provider, organisations' outbound webhooks), so that TLS, the timeout and the
//! redirect rule are decided once.
//!
//! - **TLS** is rustls with aws-lc-rs (the provider lettre already builds for SMTP). By
//!   default a server's certificate is checked against the system's roots (the platform
//!   verifier). An operator whose provider or bridge has a certificate from a private CA
//!   gives that CA as a PEM file ([`CaFile`]); the gateways then trust **only** the
//!   certificates in it, so a provider's address cannot be answered by anyone holding a
//!   certificate from some other CA.
//! - **The timeout** bounds one send, connecting and the TLS handshake included.
//! - **Redirects** are not followed: a POST must not turn into a GET, and a message must
//!   not go to an address the operator did not configure.

use crate::WebhookSetupError;
use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// How long one send may take, connection included, when nothing else is configured.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

/// The certificates of the CA(s) an operator's provider uses, read from a PEM file: the
/// only roots trusted when given (see the module doc). The only way in is [`CaFile::read`]
/// or [`CaFile::from_pem`].
#[derive(Clone)]
pub struct CaFile {
    path: PathBuf,
    certificates: Vec<reqwest::Certificate>,
}

impl fmt::Debug for CaFile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CaFile")
            .field("path", &self.path)
            .field("certificates", &self.certificates.len())
            .finish()
    }
}

impl CaFile {
    /// Reads the PEM file at `path`: one or more `BEGIN CERTIFICATE` blocks.
    pub fn read(path: impl AsRef<Path>) -> Result<Self, WebhookSetupError> {
        let path = path.as_ref();
        let pem = std::fs::read(path).map_err(|e| WebhookSetupError::CaFile {
            path: path.display().to_string(),
            reason: format!("it cannot be read: {e}"),
        })?;
        Self::from_pem(path, &pem)
    }

    /// The certificates in `pem`, as if read from `path` (which error messages name).
    pub fn from_pem(path: impl AsRef<Path>, pem: &[u8]) -> Result<Self, WebhookSetupError> {
        let path = path.as_ref();
        let refuse = |reason: String| WebhookSetupError::CaFile {
            path: path.display().to_string(),
            reason,
        };
        let text = String::from_utf8_lossy(pem);
        if !text.contains("-----BEGIN CERTIFICATE-----") {
            return Err(refuse(
                "it holds no PEM certificate (-----BEGIN CERTIFICATE-----)".into(),
            ));
        }
        let certificates = reqwest::Certificate::from_pem_bundle(pem)
            .map_err(|e| refuse(format!("its certificates cannot be read: {e}")))?;
        if certificates.is_empty() {
            return Err(refuse("it holds no certificate".into()));
        }
        // The certificates are parsed when a client is built: build one now, so a broken
        // file is refused at start-up and not at the first send.
        reqwest::Client::builder()
            .tls_certs_only(certificates.iter().cloned())
            .build()
            .map_err(|e| refuse(format!("its certificates cannot be used: {e}")))?;
        Ok(Self {
            path: path.to_owned(),
            certificates,
        })
    }

    /// Where the certificates were read from.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

/// How the gateways' HTTP client is set up: the timeout of one send and which roots it
/// trusts (the system's, or a [`CaFile`]'s only).
#[derive(Debug, Clone)]
pub struct HttpSettings {
    timeout: Duration,
    ca: Option<CaFile>,
}

impl Default for HttpSettings {
    fn default() -> Self {
        Self::new(DEFAULT_TIMEOUT)
    }
}

impl HttpSettings {
    /// Sends give up after `timeout`; certificates are checked against the system's roots.
    pub fn new(timeout: Duration) -> Self {
        Self { timeout, ca: None }
    }

    /// The same, trusting only the certificates in `ca`.
    #[must_use]
    pub fn trusting(mut self, ca: CaFile) -> Self {
        self.ca = Some(ca);
        self
    }

    /// How long one send may take.
    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    /// The CA file trusted instead of the system's roots, if any.
    pub fn ca_file(&self) -> Option<&CaFile> {
        self.ca.as_ref()
    }

    /// The client (see the module doc).
    pub(crate) fn client(&self) -> Result<reqwest::Client, WebhookSetupError> {
        let mut builder = reqwest::Client::builder()
            .timeout(self.timeout)
            .connect_timeout(self.timeout)
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("cube/", env!("CARGO_PKG_VERSION")));
        if let Some(ca) = &self.ca {
            builder = builder.tls_certs_only(ca.certificates.iter().cloned());
        }
        builder
            .build()
            .map_err(|e| WebhookSetupError::Client(e.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_ca_file_without_usable_certificates_is_refused_with_its_path() {
        let error = CaFile::from_pem("/etc/cube/ca.pem", b"not a certificate").expect_err("no");
        let text = error.to_string();
        assert!(text.contains("/etc/cube/ca.pem"), "{text}");
        assert!(text.contains("BEGIN CERTIFICATE"), "{text}");
        let broken = b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n";
        let error = CaFile::from_pem("/etc/cube/ca.pem", broken).expect_err("not a certificate");
        assert!(error.to_string().contains("/etc/cube/ca.pem"), "{error}");
        let missing = CaFile::read("/nonexistent/cube-ca.pem").expect_err("no file");
        assert!(missing.to_string().contains("cannot be read"), "{missing}");
    }
}
