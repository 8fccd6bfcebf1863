//! A local HTTPS server for tests: an axum router served on `127.0.0.1` over TLS, with a CA
//! and a server certificate made at run time with rcgen (so no fixture ever expires). The
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
use std::sync::Arc;
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
