//! # cube-server
//!
//! The Cube server binary, and the one crate that names concrete adapters: it reads the
//! configuration (flags and environment), opens the store the database URL names (SQLite
//! by default, PostgreSQL for `postgres://…`), wires it to the use cases and the HTTP API,
//! and serves until Ctrl-C or SIGTERM.
//!
//! # Layout
//! - here: the command line, logging, store selection and the subcommands (`copy-from`
//!   runs `cube_app::copy` between two stores).
//! - `demo`: the demo organisation an empty store gets on `serve`.
//! - `flows`: the two seed flows the demo publishes.
//! - `worker`: the outbox worker (delivers queued SMS and e-mail; log or webhook gateways).
#![forbid(unsafe_code)]

mod demo;
mod worker;

use clap::{Parser, Subcommand};
use cube_app::Cube;
use cube_app::organisation::NewUser;
use cube_app::system::{SystemClock, UuidV7};
use cube_domain::access::RoleKind;
use cube_domain::ports::{Store, StoreError, Telephony};
use cube_postgres::PgStore;
use cube_sqlite::{SqliteOptions, SqliteStore};
use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;
use thiserror::Error;
use tracing_subscriber::EnvFilter;

/// Why the server stopped with an error.
#[derive(Debug, Error)]
pub enum ServerError {
    /// The store could not be opened, migrated or read.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A use case refused (e.g. `create-admin` with a bad e-mail).
    #[error(transparent)]
    App(#[from] cube_app::AppError),
    /// Binding or serving failed.
    #[error("serving failed: {0}")]
    Io(#[from] std::io::Error),
    /// Hashing a password failed.
    #[error("hashing a password failed: {0}")]
    Hashing(String),
    /// An outgoing-message gateway could not be set up.
    #[error(transparent)]
    Gateway(#[from] cube_gateways::WebhookSetupError),
    /// The mail server cannot be used as given.
    #[error(transparent)]
    Smtp(#[from] cube_gateways::SmtpSetupError),
    /// Copying a store into another stopped (boxed: it carries what was copied).
    #[error(transparent)]
    Copy(#[from] Box<cube_app::copy::CopyError>),
    /// `copy-from` names a SQLite file that does not exist (it would be created empty).
    #[error("no SQLite database at {0}: give the path of the existing database file to copy")]
    NoSource(String),
    /// `copy-from` names the database it would copy into.
    #[error("the source and the target are the same database: give --database-url the new one")]
    SameDatabase,
    /// A setting cannot be used as given (the reason never repeats a secret).
    #[error("{0}")]
    Config(String),
}

/// Cube: the outbound sales platform's server.
#[derive(Debug, Parser)]
#[command(version, about)]
struct Cli {
    /// The database: `sqlite://path/to/file.db` (created if missing) or
    /// `postgres://user:password@host/database`.
    #[arg(
        long,
        env = "DATABASE_URL",
        default_value = "sqlite://./data/cube.db",
        hide_env_values = true,
        global = true
    )]
    database_url: String,
    /// The address to listen on.
    #[arg(
        long,
        env = "CUBE_LISTEN",
        default_value = "127.0.0.1:8080",
        global = true
    )]
    listen: SocketAddr,
    /// The longest a request may take before it is answered 503, in seconds.
    #[arg(
        long,
        env = "CUBE_REQUEST_TIMEOUT",
        default_value_t = 30,
        value_parser = clap::value_parser!(u64).range(1..=3600),
        global = true
    )]
    request_timeout: u64,
    /// The largest customer file taken (`…/customers/import-file`, and the web app's import
    /// page), in MiB: a file goes to a temporary file as it arrives, so this bounds the disk
    /// it takes, not memory. A million-row CSV is about 100–300 MiB.
    #[arg(
        long,
        env = "CUBE_IMPORT_UPLOAD_LIMIT_MB",
        default_value_t = 256,
        value_parser = clap::value_parser!(u64).range(1..=65_536),
        global = true
    )]
    import_upload_limit_mb: u64,
    /// The most data rows a CSV customer file may have (`.xlsx` and `.ods` stay at 200,000:
    /// their reader holds the workbook whole).
    #[arg(
        long,
        env = "CUBE_IMPORT_MAX_CSV_ROWS",
        default_value_t = 1_000_000,
        value_parser = clap::value_parser!(u64).range(1..=100_000_000),
        global = true
    )]
    import_max_csv_rows: u64,
    /// Seconds between two deliveries of the outbox (SMS and e-mail the use cases queued).
    #[arg(
        long,
        env = "CUBE_OUTBOX_INTERVAL",
        default_value_t = 5,
        value_parser = clap::value_parser!(u64).range(1..=3600),
        global = true
    )]
    outbox_interval: u64,
    /// Seconds a delivery round's claim keeps its messages from other rounds and processes:
    /// after a crash, how long until another round sends what the dead one had claimed.
    /// Keep it longer than ten sends can take (a slow provider's timeouts).
    #[arg(
        long,
        env = "CUBE_OUTBOX_CLAIM",
        default_value_t = 300,
        value_parser = clap::value_parser!(u64).range(2..=3600),
        global = true
    )]
    outbox_claim: u64,
    /// Seconds before a message whose provider was unavailable is tried again; the delay
    /// doubles with each failed try, to at most an hour.
    #[arg(
        long,
        env = "CUBE_OUTBOX_FIRST_RETRY",
        default_value_t = 30,
        value_parser = clap::value_parser!(u64).range(1..=3600),
        global = true
    )]
    outbox_first_retry: u64,
    /// Which SMS provider the outbox sends through: `log` (write them to the log, for
    /// development), `webhook` (POST each as JSON to `--sms-webhook`) or `twilio` (a
    /// Twilio-style Messages API: `--twilio-base-url`, `CUBE_TWILIO_ACCOUNT_SID`,
    /// `CUBE_TWILIO_AUTH_TOKEN`). Default: `webhook` when `--sms-webhook` is given, else `log`.
    #[arg(long, env = "CUBE_SMS_PROVIDER", value_enum, global = true)]
    sms_provider: Option<SmsProviderKind>,
    /// Send SMS by POSTing them as JSON to this `https://` (or `http://`) URL.
    #[arg(long, env = "CUBE_SMS_WEBHOOK", value_parser = Masked(cube_gateways::WebhookUrl::parse),
          hide_env_values = true, global = true)]
    sms_webhook: Option<cube_gateways::WebhookUrl>,
    /// The Twilio-style provider's base URL (`--sms-provider twilio`): Twilio's own, or a
    /// Twilio-compatible provider's.
    #[arg(long, env = "CUBE_TWILIO_BASE_URL", default_value = cube_gateways::twilio::TWILIO_BASE_URL,
          global = true)]
    twilio_base_url: String,
    /// The Twilio-style account's AccountSid (`--sms-provider twilio`).
    #[arg(
        long,
        env = "CUBE_TWILIO_ACCOUNT_SID",
        hide_env_values = true,
        global = true
    )]
    twilio_account_sid: Option<String>,
    /// The Twilio-style account's AuthToken (`--sms-provider twilio`). Give it in the
    /// environment, so it is not on a command line; it is never logged.
    #[arg(
        long,
        env = "CUBE_TWILIO_AUTH_TOKEN",
        hide_env_values = true,
        global = true
    )]
    twilio_auth_token: Option<Hidden>,
    /// The SMS provider's send rate, in messages a second (0.1 to 1000; e.g. `1` for one
    /// Twilio long code): a burst in the outbox is spread out to it. Default: no limit.
    #[arg(long, env = "CUBE_SMS_RATE", value_parser = cube_gateways::SendRate::parse, global = true)]
    sms_rate: Option<cube_gateways::SendRate>,
    /// A PEM file with the CA certificate(s) the providers' certificates are issued by: the
    /// SMS provider and the SMS and e-mail webhooks then trust only these, not the system's
    /// roots (organisations' webhooks and the mail server keep the system's roots).
    #[arg(long, env = "CUBE_GATEWAY_CA_FILE", value_parser = ca_file, global = true)]
    gateway_ca_file: Option<cube_gateways::CaFile>,
    /// The longest one send to a provider may take, connecting included, in seconds.
    #[arg(
        long,
        env = "CUBE_GATEWAY_TIMEOUT",
        default_value_t = 10,
        value_parser = clap::value_parser!(u64).range(1..=120),
        global = true
    )]
    gateway_timeout: u64,
    /// Send e-mail by POSTing it as JSON to this `https://` (or `http://`) URL (default:
    /// write it to the log).
    #[arg(long, env = "CUBE_EMAIL_WEBHOOK", value_parser = Masked(cube_gateways::WebhookUrl::parse),
          hide_env_values = true, global = true)]
    email_webhook: Option<cube_gateways::WebhookUrl>,
    /// Send e-mail through this mail server: `smtp://user:password@host:587` (STARTTLS),
    /// `smtps://user:password@host:465` (TLS) or `smtp://127.0.0.1:2525?tls=none` (a local
    /// test server). Give it in the environment, so the password is not on a command line;
    /// it is never logged. Takes the place of `--email-webhook`.
    #[arg(long, env = "CUBE_SMTP_URL", value_parser = Masked(cube_gateways::SmtpSettings::parse),
          hide_env_values = true, global = true, conflicts_with = "email_webhook")]
    smtp_url: Option<cube_gateways::SmtpSettings>,
    /// Take in the texts customers send back to SMS flows at `POST /api/sms/inbound`: the
    /// SMS provider's callback must send this secret (at least 16 characters) in the header
    /// `X-Cube-Sms-Secret`. Give it in the environment; it is never logged. Without it the
    /// endpoint answers 404.
    #[arg(
        long,
        env = "CUBE_SMS_INBOUND_SECRET",
        hide_env_values = true,
        global = true
    )]
    sms_inbound_secret: Option<Hidden>,
    /// How click-to-call places calls: `tel` (the answer is a `tel:` link the seller's
    /// softphone dials; the default), `log` (write each call to the log, for development) or
    /// `twilio` (a Twilio-style Calls API on the `--twilio-*` account, which rings the
    /// seller's phone and bridges to the customer; needs `--telephony-events-url` and
    /// `CUBE_TELEPHONY_EVENTS_SECRET`).
    #[arg(
        long,
        env = "CUBE_TELEPHONY",
        value_enum,
        default_value = "tel",
        global = true
    )]
    telephony: TelephonyKind,
    /// The public URL of this server's `POST /api/telephony/events`, where the PBX posts each
    /// call's status (`--telephony twilio`), e.g. `https://cube.example.com/api/telephony/events`.
    #[arg(long, env = "CUBE_TELEPHONY_EVENTS_URL", global = true)]
    telephony_events_url: Option<String>,
    /// Take in the PBX's call events at `POST /api/telephony/events`: the PBX must send this
    /// secret (at least 16 characters) in the header `X-Cube-Telephony-Secret` or as the
    /// password of HTTP basic auth (`--telephony twilio` puts it in the callback URL). Give it
    /// in the environment; it is never logged. Without it the endpoint answers 404.
    #[arg(
        long,
        env = "CUBE_TELEPHONY_EVENTS_SECRET",
        hide_env_values = true,
        global = true
    )]
    telephony_events_secret: Option<Hidden>,
    /// The address customers reach this server at, e.g. `https://cube.example.com`: a sale's
    /// written offer by e-mail links to its answer page, `{url}/confirm/{token}`. Without it
    /// no assignment may send offers by e-mail.
    #[arg(long, env = "CUBE_PUBLIC_URL", value_parser = public_url, global = true)]
    public_url: Option<String>,
    /// Mark the session cookie `Secure` always: set it when browsers reach the server over
    /// HTTPS (directly or through a proxy).
    #[arg(long, env = "CUBE_SECURE_COOKIES", global = true)]
    secure_cookies: bool,
    /// Trust the proxy in front: count logins by the last address in `X-Forwarded-For`, and
    /// mark the cookie `Secure` when `X-Forwarded-Proto` is `https`. Set it only when every
    /// request comes through a proxy that writes those headers.
    #[arg(long, env = "CUBE_TRUST_PROXY", global = true)]
    trust_proxy: bool,
    /// Log as JSON lines instead of text (the level comes from `RUST_LOG`, default info).
    #[arg(long, env = "CUBE_LOG_JSON", global = true)]
    log_json: bool,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Migrate, load the demo into an empty store, and serve (the default).
    Serve {
        /// Do not load the demo organisation into an empty store.
        #[arg(long, env = "CUBE_NO_DEMO")]
        no_demo: bool,
    },
    /// Apply the database migrations and exit.
    Migrate,
    /// Create an organisation with its first admin.
    CreateAdmin {
        /// The organisation's name.
        #[arg(long)]
        organisation: String,
        /// The admin's name.
        #[arg(long)]
        name: String,
        /// The admin's login e-mail.
        #[arg(long)]
        email: String,
        /// The admin's password.
        #[arg(long, env = "CUBE_ADMIN_PASSWORD", hide_env_values = true)]
        password: String,
    },
    /// Copy everything from another store into this one (`--database-url`), which is
    /// migrated first and must be empty: how to move from SQLite to PostgreSQL. Stop the
    /// server on the source first; it is migrated to this version too, then only read.
    CopyFrom {
        /// The store to copy from: `sqlite://path/to/cube.db` (an existing file) or
        /// `postgres://user:password@host/database`.
        source: String,
        /// Rows read from the source at a time.
        #[arg(long, default_value_t = 1_000,
              value_parser = clap::value_parser!(u32).range(1..=100_000))]
        page: u32,
        /// Rows written to the target in one transaction.
        #[arg(long, default_value_t = 5_000,
              value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
        chunk: u32,
    },
    /// Load the demo organisation (unless it is there) and exit.
    Demo {
        /// Customers in the demo sales assignment.
        #[arg(long, default_value_t = 1_000,
              value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
        customers: u32,
        /// Demo sellers (`seller1@demo.example.com`, …); `cargo xtask load` asks for
        /// thousands.
        #[arg(long, default_value_t = 2,
              value_parser = clap::value_parser!(u32).range(1..=20_000))]
        sellers: u32,
    },
}

fn init_logging(json: bool) {
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,tower_http=info"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter);
    if json {
        builder.json().init();
    } else {
        builder.init();
    }
}

/// The scheme and host of a database URL, never its credentials (for logs).
fn redacted(url: &str) -> String {
    match url.split_once("://") {
        Some((scheme, rest)) => {
            let host = rest.rsplit_once('@').map_or(rest, |(_, host)| host);
            format!("{scheme}://{host}")
        }
        None => url.to_owned(),
    }
}

/// A secret from the command line or the environment (a token, a shared secret): `Debug`
/// never shows it, so printing the configuration cannot leak it.
#[derive(Clone)]
struct Hidden(String);

impl Hidden {
    fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Hidden {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Hidden(…)")
    }
}

impl std::str::FromStr for Hidden {
    type Err = std::convert::Infallible;
    fn from_str(raw: &str) -> Result<Self, Self::Err> {
        Ok(Self(raw.to_owned()))
    }
}

/// Which SMS provider (`--sms-provider`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum SmsProviderKind {
    /// Write each SMS to the log.
    Log,
    /// POST each SMS as JSON to `--sms-webhook`.
    Webhook,
    /// A Twilio-style Messages API.
    Twilio,
}

/// How calls are placed (`--telephony`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum TelephonyKind {
    /// A `tel:` link for the seller's softphone.
    Tel,
    /// Write each call to the log.
    Log,
    /// A Twilio-style Calls API.
    Twilio,
}

/// The PBX the flags describe (`None`: `tel:` links), and the events endpoint's secret.
type TelephonyConfig = (Option<Arc<dyn Telephony>>, Option<Arc<str>>);

/// [`TelephonyConfig`] from the flags. Checked after the command line is read, so a refusal
/// never repeats a secret.
fn telephony_config(
    cli: &Cli,
    http: &cube_gateways::HttpSettings,
) -> Result<TelephonyConfig, ServerError> {
    let secret = shared_secret(
        cli.telephony_events_secret.as_ref().map(Hidden::expose),
        "CUBE_TELEPHONY_EVENTS_SECRET (--telephony-events-secret)",
    )
    .map_err(ServerError::Config)?;
    let telephony: Option<Arc<dyn Telephony>> = match cli.telephony {
        TelephonyKind::Tel => None,
        TelephonyKind::Log => Some(Arc::new(cube_gateways::LogTelephony::new())),
        TelephonyKind::Twilio => {
            let (Some(sid), Some(Hidden(token))) =
                (&cli.twilio_account_sid, &cli.twilio_auth_token)
            else {
                return Err(ServerError::Config(
                    "--telephony twilio needs the account: set CUBE_TWILIO_ACCOUNT_SID and CUBE_TWILIO_AUTH_TOKEN".into(),
                ));
            };
            let Some(url) = &cli.telephony_events_url else {
                return Err(ServerError::Config(
                    "--telephony twilio needs where the PBX posts call events: set CUBE_TELEPHONY_EVENTS_URL (--telephony-events-url) to this server's public https://…/api/telephony/events".into(),
                ));
            };
            let Some(secret) = &secret else {
                return Err(ServerError::Config(
                    "--telephony twilio needs the secret the PBX's call events authenticate with: set CUBE_TELEPHONY_EVENTS_SECRET".into(),
                ));
            };
            let settings = cube_gateways::TwilioSettings::new(&cli.twilio_base_url, sid, token)?;
            let events = cube_gateways::CallEvents::new(url, secret)?;
            Some(Arc::new(cube_gateways::TwilioTelephony::new(
                settings, http, events,
            )?))
        }
    };
    Ok((telephony, secret))
}

/// `--public-url`: an `https://` (or `http://`) address with a host, without a login, a
/// query or a fragment (the answer links are written after it); a closing `/` is dropped.
fn public_url(raw: &str) -> Result<String, String> {
    let url = raw.trim().trim_end_matches('/');
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"));
    let host = rest.map_or("", |rest| rest.split('/').next().unwrap_or(""));
    if host.is_empty()
        || url
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || matches!(c, '?' | '#' | '@'))
    {
        return Err(
            "give the address customers reach the server at, e.g. https://cube.example.com \
             (no login, query or fragment)"
                .into(),
        );
    }
    Ok(url.to_owned())
}

fn ca_file(raw: &str) -> Result<cube_gateways::CaFile, cube_gateways::WebhookSetupError> {
    cube_gateways::CaFile::read(raw)
}

/// The outgoing-message configuration the flags describe. Checked after the command line
/// is read, so a refusal never repeats a secret.
fn gateway_config(cli: &Cli) -> Result<worker::GatewayConfig, ServerError> {
    let kind = cli.sms_provider.unwrap_or(if cli.sms_webhook.is_some() {
        SmsProviderKind::Webhook
    } else {
        SmsProviderKind::Log
    });
    let sms = match kind {
        SmsProviderKind::Log => worker::SmsProvider::Log,
        SmsProviderKind::Webhook => worker::SmsProvider::Webhook(cli.sms_webhook.clone().ok_or_else(|| {
            ServerError::Config(
                "--sms-provider webhook needs the URL to post to: set CUBE_SMS_WEBHOOK (--sms-webhook)".into(),
            )
        })?),
        SmsProviderKind::Twilio => {
            if cli.sms_webhook.is_some() {
                return Err(ServerError::Config(
                    "--sms-provider twilio sends through the Twilio-style API: unset CUBE_SMS_WEBHOOK (--sms-webhook), or choose --sms-provider webhook".into(),
                ));
            }
            let (Some(sid), Some(Hidden(token))) = (&cli.twilio_account_sid, &cli.twilio_auth_token) else {
                return Err(ServerError::Config(
                    "--sms-provider twilio needs the account: set CUBE_TWILIO_ACCOUNT_SID and CUBE_TWILIO_AUTH_TOKEN".into(),
                ));
            };
            worker::SmsProvider::Twilio(cube_gateways::TwilioSettings::new(
                &cli.twilio_base_url,
                sid,
                token,
            )?)
        }
    };
    let mut http = cube_gateways::HttpSettings::new(Duration::from_secs(cli.gateway_timeout));
    if let Some(ca) = &cli.gateway_ca_file {
        tracing::info!(path = %ca.path().display(), "the HTTP gateways trust only the CA file's certificates");
        http = http.trusting(ca.clone());
    }
    // Every variable of the environment, as text: one that is not (a non-UTF-8 PATH) names
    // no mail account and is left alone.
    let environment = std::env::vars_os()
        .filter_map(|(key, value)| Some((key.into_string().ok()?, value.into_string().ok()?)));
    let mail_accounts = cube_gateways::mail_accounts::accounts_from_environment(environment)
        .map_err(|e| ServerError::Config(e.to_string()))?;
    Ok(worker::GatewayConfig {
        sms,
        sms_rate: cli.sms_rate,
        email_webhook: cli.email_webhook.clone(),
        smtp: cli.smtp_url.clone(),
        mail_accounts,
        http,
    })
}

/// The inbound SMS secret, if set (an empty value is not set): long enough not to be
/// guessed, and sendable as a header. Checked after the command line is read, so a refusal
/// never repeats the value (clap's own error would print it).
fn inbound_secret(raw: Option<&str>) -> Result<Option<Arc<str>>, String> {
    shared_secret(raw, "CUBE_SMS_INBOUND_SECRET (--sms-inbound-secret)")
}

/// A provider's shared secret named `name`, if set (an empty value is not set): at least
/// [`cube_http::sms::MIN_SECRET_LEN`] printable ASCII characters.
fn shared_secret(raw: Option<&str>, name: &str) -> Result<Option<Arc<str>>, String> {
    let Some(raw) = raw.filter(|raw| !raw.is_empty()) else {
        return Ok(None);
    };
    let min = cube_http::sms::MIN_SECRET_LEN;
    if raw.chars().count() < min {
        return Err(format!(
            "{name} must be at least {min} characters: a random string"
        ));
    }
    if !raw.chars().all(|c| c.is_ascii_graphic()) {
        return Err(format!(
            "{name} must be printable ASCII without spaces: it is sent as a header"
        ));
    }
    Ok(Some(Arc::from(raw)))
}

/// Opens (and migrates) the store the URL names.
async fn open_store(url: &str) -> Result<Arc<dyn Store>, ServerError> {
    tracing::info!(database = %redacted(url), "opening the store");
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        let store = PgStore::connect(url).await?;
        store.migrate().await?;
        Ok(Arc::new(store))
    } else {
        Ok(Arc::new(
            SqliteStore::connect(url, SqliteOptions::default()).await?,
        ))
    }
}

/// The SQLite file a `sqlite:` URL or plain path names; `None` for PostgreSQL and for an
/// in-memory database.
fn sqlite_file(url: &str) -> Option<std::path::PathBuf> {
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        return None;
    }
    let path = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
        .unwrap_or(url);
    let path = path.split_once('?').map_or(path, |(path, _)| path);
    (!path.is_empty() && !path.contains(":memory:")).then(|| std::path::PathBuf::from(path))
}

/// `copy-from`: migrates the target, refuses a target with data, copies, and prints the
/// progress and what was copied.
async fn copy_from(
    target_url: &str,
    source_url: &str,
    page: u32,
    chunk: u32,
) -> Result<(), ServerError> {
    if source_url.trim() == target_url.trim() {
        return Err(ServerError::SameDatabase);
    }
    match sqlite_file(source_url) {
        Some(file) if !file.is_file() => {
            return Err(ServerError::NoSource(file.display().to_string()));
        }
        _ => {}
    }
    let source = open_store(source_url).await?;
    let target = open_store(target_url).await?;
    println!(
        "Copying {} into {} (migrated) ...",
        redacted(source_url),
        redacted(target_url)
    );
    let started = std::time::Instant::now();
    let options = cube_app::copy::CopyOptions { page, chunk };
    let mut report = |progress: cube_app::copy::Progress<'_>| {
        if let Some(kind) = progress.copying {
            println!(
                "  ... {kind}: {} so far ({:.1} s)",
                progress.committed.get(kind),
                started.elapsed().as_secs_f64()
            );
        }
    };
    let counts = cube_app::copy::copy_store(source.as_ref(), target.as_ref(), options, &mut report)
        .await
        .map_err(Box::new)?;
    println!(
        "Copied in {:.1} s:\n{counts}\nUsers log in again on the new server (sessions are not copied).",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// What to warn of when the outbox's claim is shorter than a claimed chunk can take to send
/// (ten sends, each up to the gateways' timeout): a round still sending when its claim runs
/// out lets another process send the rest again (under the same idempotency key).
fn short_claim_warning(claim_secs: u64, gateway_timeout_secs: u64) -> Option<String> {
    let chunk = u64::from(cube_app::outbox::CLAIM_CHUNK) * gateway_timeout_secs;
    (claim_secs < chunk).then(|| {
        format!(
            "--outbox-claim is {claim_secs} s, shorter than the {chunk} s a claimed chunk can \
             take ({} sends at --gateway-timeout {gateway_timeout_secs} s): with two processes, or \
             a slow provider, a message may be sent twice (under the same idempotency key); \
             raise --outbox-claim or lower --gateway-timeout",
            cube_app::outbox::CLAIM_CHUNK
        )
    })
}

/// A value parser for settings that may hold a password (`http://user:secret@…`,
/// `smtp://user:secret@…`): clap's own error repeats the value given ("invalid value
/// '…'"), so a refused URL is said only by its parser's message, which masks the password.
struct Masked<T, E>(fn(&str) -> Result<T, E>);

impl<T, E> Clone for Masked<T, E> {
    fn clone(&self) -> Self {
        Self(self.0)
    }
}

impl<T, E> clap::builder::TypedValueParser for Masked<T, E>
where
    T: Clone + Send + Sync + 'static,
    E: std::fmt::Display + 'static,
{
    type Value = T;

    fn parse_ref(
        &self,
        _command: &clap::Command,
        arg: Option<&clap::Arg>,
        value: &std::ffi::OsStr,
    ) -> Result<T, clap::Error> {
        let name = arg.map_or_else(|| "the value".to_owned(), |a| format!("--{}", a.get_id()));
        let refused = |why: String| {
            clap::Error::raw(
                clap::error::ErrorKind::ValueValidation,
                format!("{} is refused: {why}\n", name.replace('_', "-")),
            )
        };
        let text = value
            .to_str()
            .ok_or_else(|| refused("it is not valid UTF-8".to_owned()))?;
        (self.0)(text).map_err(|e| refused(e.to_string()))
    }
}

/// A number of seconds the command line bounded (at most an hour) as `i64`.
fn seconds(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}

fn cube_over(store: Arc<dyn Store>) -> Cube {
    Cube::new(store, Arc::new(SystemClock), Arc::new(UuidV7))
}

/// Loads the demo unless it is there; says which.
async fn ensure_demo(cube: &Cube, size: demo::DemoSize) -> Result<(), ServerError> {
    if demo::exists(cube).await? {
        tracing::info!("the demo organisation is in the store already; keeping the data");
    } else {
        tracing::info!(
            customers = size.customers,
            sellers = size.sellers,
            "loading the demo organisation"
        );
        demo::load(cube, size).await?;
    }
    Ok(())
}

/// Completes on Ctrl-C or SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(error) = tokio::signal::ctrl_c().await {
            tracing::error!(%error, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(error) => {
                tracing::error!(%error, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = terminate => {}
    }
    tracing::info!("shutting down: finishing the requests in flight");
}

async fn serve(cli: &Cli, no_demo: bool) -> Result<(), ServerError> {
    let gateway_config = gateway_config(cli)?;
    let gateways = worker::Gateways::for_config(&gateway_config)?;
    let sms_inbound_secret = inbound_secret(cli.sms_inbound_secret.as_ref().map(Hidden::expose))
        .map_err(ServerError::Config)?;
    let (telephony, telephony_events_secret) = telephony_config(cli, &gateway_config.http)?;
    if let Some(warning) = short_claim_warning(cli.outbox_claim, cli.gateway_timeout) {
        tracing::warn!("{warning}");
    }
    let cube = cube_over(open_store(&cli.database_url).await?)
        .with_outbox_timing(cube_app::outbox::OutboxTiming {
            claim: time::Duration::seconds(seconds(cli.outbox_claim)),
            first_retry: time::Duration::seconds(seconds(cli.outbox_first_retry)),
        })
        .with_mail_accounts(gateway_config.mail_accounts.keys().cloned());
    let cube = match telephony {
        Some(telephony) => cube.with_telephony(telephony),
        None => cube,
    };
    let cube = match &cli.public_url {
        Some(url) => cube.with_public_url(url),
        None => cube,
    };
    if !no_demo {
        ensure_demo(&cube, demo::DemoSize::default()).await?;
    }
    let listener = tokio::net::TcpListener::bind(cli.listen).await?;
    let address = listener.local_addr()?;
    let outbox_interval = Duration::from_secs(cli.outbox_interval);
    let worker = worker::spawn(cube.clone(), gateways, outbox_interval);
    // One registry of import jobs: a job the pages start is followed through the API too.
    let import_jobs = cube_app::import_jobs::ImportJobs::new();
    let mut state = cube_http::AppState::new(cube.clone());
    state.import_jobs = import_jobs.clone();
    state.request_timeout = Duration::from_secs(cli.request_timeout);
    state.file_imports.upload_limit = cli.import_upload_limit_mb * 1024 * 1024;
    state.file_imports.request_timeout = state
        .file_imports
        .request_timeout
        .max(state.request_timeout);
    state.file_imports.max_csv_rows =
        usize::try_from(cli.import_max_csv_rows).unwrap_or(usize::MAX);
    // The import page takes files as the API does, under the same settings.
    let pages = cube_web::router(cube_web::WebState {
        cube,
        secure_cookies: cli.secure_cookies,
        import_jobs,
        file_imports: cube_web::UploadLimits {
            upload_limit: state.file_imports.upload_limit,
            max_csv_rows: state.file_imports.max_csv_rows,
            chunk_rows: state.file_imports.chunk_rows,
        },
    });
    state.secure_cookies = cli.secure_cookies;
    state.trust_proxy = cli.trust_proxy;
    state.sms_inbound_secret = sms_inbound_secret;
    state.telephony_events_secret = telephony_events_secret;
    // Answers under /app from outside the pages' router (unknown paths, wrong methods) get
    // the pages' security headers too.
    let app = cube_http::router_with(state, pages).layer(axum::middleware::from_fn(
        cube_web::security::headers_under_app,
    ));
    println!("Cube is serving on http://{address}");
    println!("  Web app:  http://{address}/app");
    println!("  API docs: http://{address}/docs");
    if !no_demo {
        println!("Demo logins:\n{}", demo::logins());
    }
    tracing::info!(%address, "listening");
    // The peer address reaches the handlers (the login throttles count by it).
    let served = axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown_signal())
    .await;
    worker
        .stop(worker::shutdown_grace(gateway_config.http.timeout()))
        .await;
    served?;
    tracing::info!("stopped");
    Ok(())
}

async fn run(cli: Cli) -> Result<(), ServerError> {
    match &cli.command {
        None => serve(&cli, false).await,
        Some(Command::Serve { no_demo }) => serve(&cli, *no_demo).await,
        Some(Command::Migrate) => {
            open_store(&cli.database_url).await?;
            println!("The database is migrated.");
            Ok(())
        }
        Some(Command::CopyFrom {
            source,
            page,
            chunk,
        }) => copy_from(&cli.database_url, source, *page, *chunk).await,
        Some(Command::Demo { customers, sellers }) => {
            let cube = cube_over(open_store(&cli.database_url).await?);
            let size = demo::DemoSize {
                customers: *customers as usize,
                sellers: *sellers as usize,
            };
            ensure_demo(&cube, size).await?;
            println!("Demo logins:\n{}", demo::logins());
            Ok(())
        }
        Some(Command::CreateAdmin {
            organisation,
            name,
            email,
            password,
        }) => {
            let cube = cube_over(open_store(&cli.database_url).await?);
            let admin = NewUser {
                phone: None,
                name: name.clone(),
                email: email.clone(),
                role: RoleKind::Admin,
                data_owners: BTreeSet::new(),
                client: None,
            };
            let (organisation, admin) = cube.create_organisation(organisation, admin).await?;
            let hash = cube_http::hash_password(password.clone())
                .await
                .map_err(|e| ServerError::Hashing(format!("{e:?}")))?;
            cube.set_initial_password(admin.id, &hash).await?;
            println!(
                "Created organisation '{}' ({}) with admin {} ({}).",
                organisation.name, organisation.id, admin.email, admin.id
            );
            Ok(())
        }
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging(cli.log_json);
    match run(cli).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            tracing::error!(%error, "cube-server failed");
            eprintln!("error: {error}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn database_credentials_are_not_logged() {
        assert_eq!(
            redacted("postgres://cube:secret@db:5432/cube"),
            "postgres://db:5432/cube"
        );
        assert_eq!(
            redacted("sqlite://./data/cube.db"),
            "sqlite://./data/cube.db"
        );
    }

    #[test]
    fn the_inbound_sms_secret_is_long_and_sendable_as_a_header_and_never_repeated() {
        let cli = Cli::try_parse_from(["cube-server", "--sms-inbound-secret", "k3Jq9-LmZ2x_Vb7Ta"])
            .expect("parses");
        assert_eq!(
            inbound_secret(cli.sms_inbound_secret.as_ref().map(Hidden::expose))
                .expect("long enough"),
            Some(Arc::from("k3Jq9-LmZ2x_Vb7Ta"))
        );
        assert_eq!(inbound_secret(None), Ok(None));
        assert_eq!(inbound_secret(Some("")), Ok(None), "empty is not set");
        for bad in ["short-secret", "sixteen chars   ", "æøå-not-ascii-secret"] {
            let refused = inbound_secret(Some(bad)).expect_err("refused");
            assert!(refused.contains("CUBE_SMS_INBOUND_SECRET"), "{refused}");
            assert!(
                !refused.contains(bad),
                "the refusal repeats the secret: {refused}"
            );
        }
    }

    #[test]
    fn a_mail_server_url_is_checked_and_takes_the_place_of_the_email_webhook() {
        let cli = Cli::try_parse_from([
            "cube-server",
            "--smtp-url",
            "smtps://kari:pw@mail.example.no",
        ])
        .expect("parses");
        let smtp = cli.smtp_url.expect("a mail server");
        assert_eq!(smtp.to_string(), "kari@mail.example.no:465 (implicit TLS)");
        // A password in clear over the network is refused before the server starts.
        assert!(
            Cli::try_parse_from(["cube-server", "--smtp-url", "smtp://u:p@host?tls=none"]).is_err()
        );
        assert!(
            Cli::try_parse_from([
                "cube-server",
                "--smtp-url",
                "smtp://127.0.0.1:2525?tls=none",
                "--email-webhook",
                "http://127.0.0.1:9/mail",
            ])
            .is_err(),
            "one way to send e-mail"
        );
    }

    #[test]
    fn a_refused_url_is_said_without_its_password() {
        for args in [
            [
                "cube-server",
                "--sms-webhook",
                "http://u:pw123@example.com/hook",
            ],
            [
                "cube-server",
                "--email-webhook",
                "ftp://u:pw123@example.com/",
            ],
            [
                "cube-server",
                "--smtp-url",
                "smtp://u:pw123@mail.example.no?tls=maybe",
            ],
        ] {
            let error = Cli::try_parse_from(args).expect_err("refused").to_string();
            assert!(!error.contains("pw123"), "{error}");
            assert!(error.contains(&args[1][2..]), "names the flag: {error}");
        }
    }

    #[test]
    fn a_claim_shorter_than_a_chunk_of_slow_sends_is_warned_of() {
        assert_eq!(short_claim_warning(300, 10), None, "the defaults");
        assert_eq!(short_claim_warning(100, 10), None, "exactly a chunk");
        let warning = short_claim_warning(2, 60).expect("2 s against 600 s");
        assert!(
            warning.contains("--outbox-claim is 2 s") && warning.contains("600 s"),
            "{warning}"
        );
    }

    #[test]
    fn no_subcommand_means_serve_on_the_defaults() {
        let cli = Cli::try_parse_from(["cube-server"]).expect("parses");
        assert!(cli.command.is_none());
        assert_eq!(cli.listen.to_string(), "127.0.0.1:8080");
        assert_eq!(cli.request_timeout, 30);
        assert_eq!(cli.outbox_interval, 5);
        assert_eq!((cli.outbox_claim, cli.outbox_first_retry), (300, 30));
        assert!(cli.sms_webhook.is_none() && cli.email_webhook.is_none());
        assert!(cli.smtp_url.is_none());
        assert!(!cli.secure_cookies && !cli.trust_proxy);
    }

    #[test]
    fn secure_cookies_and_a_trusted_proxy_are_switched_on_by_flag() {
        let cli = Cli::try_parse_from(["cube-server", "--secure-cookies", "--trust-proxy"])
            .expect("parses");
        assert!(cli.secure_cookies && cli.trust_proxy);
    }

    #[test]
    fn webhooks_take_https_and_http_urls() {
        let cli = Cli::try_parse_from(["cube-server", "--sms-webhook", "http://10.0.0.5/sms"])
            .expect("parses");
        assert_eq!(
            cli.sms_webhook.map(|u| u.to_string()),
            Some("http://10.0.0.5/sms".to_owned())
        );
        let cli = Cli::try_parse_from(["cube-server", "--email-webhook", "https://x.example"])
            .expect("https is taken");
        assert!(cli.email_webhook.is_some());
        let error = Cli::try_parse_from(["cube-server", "--email-webhook", "ftp://x.example"])
            .expect_err("neither https nor http");
        assert!(error.to_string().contains("https://"), "{error}");
    }

    #[test]
    fn the_sms_provider_is_chosen_by_flag_and_checked_without_repeating_the_token() {
        let provider = |args: &[&str]| {
            let cli = Cli::try_parse_from(args).expect("parses");
            gateway_config(&cli).map(|config| config.sms)
        };
        assert!(matches!(
            provider(&["cube-server"]),
            Ok(worker::SmsProvider::Log)
        ));
        assert!(matches!(
            provider(&["cube-server", "--sms-webhook", "https://sms.example/send"]),
            Ok(worker::SmsProvider::Webhook(_))
        ));
        let twilio = [
            "cube-server",
            "--sms-provider",
            "twilio",
            "--twilio-account-sid",
            "AC0123456789abcdef0123456789abcdef",
            "--twilio-auth-token",
            "tok-3n9x",
        ];
        let Ok(worker::SmsProvider::Twilio(settings)) = provider(&twilio) else {
            panic!("a Twilio-style provider");
        };
        assert_eq!(
            settings.to_string(),
            "https://api.twilio.com (account AC0123456789abcdef0123456789abcdef)"
        );
        assert!(!format!("{settings:?}").contains("tok-3n9x"));
        let missing =
            provider(&["cube-server", "--sms-provider", "twilio"]).expect_err("no account");
        assert!(
            missing.to_string().contains("CUBE_TWILIO_AUTH_TOKEN"),
            "{missing}"
        );
        let no_url = provider(&["cube-server", "--sms-provider", "webhook"]).expect_err("no URL");
        assert!(no_url.to_string().contains("CUBE_SMS_WEBHOOK"), "{no_url}");
        let cli = Cli::try_parse_from(twilio).expect("parses");
        assert!(
            !format!("{cli:?}").contains("tok-3n9x"),
            "the token is not in Debug"
        );
        let mut bad_token = twilio;
        bad_token[6] = "has a space";
        let refused = provider(&bad_token).expect_err("a bad token");
        assert!(!refused.to_string().contains("has a space"), "{refused}");
    }

    #[test]
    fn the_telephony_is_chosen_by_flag_and_checked_without_repeating_a_secret() {
        let config = |args: &[&str]| {
            let cli = Cli::try_parse_from(args).expect("parses");
            telephony_config(&cli, &cube_gateways::HttpSettings::default())
                .map(|(telephony, secret)| (telephony.is_some(), secret))
        };
        // Default: tel: links, no events endpoint.
        assert!(matches!(config(&["cube-server"]), Ok((false, None))));
        assert!(matches!(
            config(&["cube-server", "--telephony", "log"]),
            Ok((true, None))
        ));
        let twilio = [
            "cube-server",
            "--telephony",
            "twilio",
            "--twilio-account-sid",
            "AC0123456789abcdef0123456789abcdef",
            "--twilio-auth-token",
            "tok-3n9x",
            "--telephony-events-url",
            "https://cube.example.com/api/telephony/events",
            "--telephony-events-secret",
            "events-secret-0123456789",
        ];
        let Ok((true, Some(secret))) = config(&twilio) else {
            panic!("a Twilio-style PBX with its events secret");
        };
        assert_eq!(&*secret, "events-secret-0123456789");
        for (dropped, names) in [
            (4, "CUBE_TWILIO_AUTH_TOKEN"),
            (8, "CUBE_TELEPHONY_EVENTS_URL"),
            (10, "CUBE_TELEPHONY_EVENTS_SECRET"),
        ] {
            let args: Vec<&str> = twilio
                .iter()
                .enumerate()
                .filter(|(i, _)| *i != dropped - 1 && *i != dropped)
                .map(|(_, a)| *a)
                .collect();
            let missing = config(&args).expect_err("missing");
            assert!(missing.to_string().contains(names), "{missing}");
        }
        let mut short = twilio;
        short[10] = "short";
        let refused = config(&short).expect_err("too short");
        assert!(
            refused.to_string().contains("CUBE_TELEPHONY_EVENTS_SECRET")
                && !refused.to_string().contains("short\""),
            "{refused}"
        );
        let cli = Cli::try_parse_from(twilio).expect("parses");
        assert!(!format!("{cli:?}").contains("events-secret-0123456789"));
    }

    #[test]
    fn the_public_url_is_an_http_address_without_a_login_or_query() {
        let parsed = |args: &[&str]| Cli::try_parse_from(args).map(|cli| cli.public_url);
        assert_eq!(parsed(&["cube-server"]).expect("parses"), None);
        assert_eq!(
            parsed(&["cube-server", "--public-url", "https://cube.example.com/"]).expect("parses"),
            Some("https://cube.example.com".to_owned())
        );
        assert_eq!(
            parsed(&["cube-server", "--public-url", "http://127.0.0.1:8080/cube"]).expect("parses"),
            Some("http://127.0.0.1:8080/cube".to_owned())
        );
        for bad in [
            "cube.example.com",
            "https://",
            "ftp://cube.example.com",
            "https://cube.example.com?x=1",
            "https://user:pw@cube.example.com",
            "https://cube example.com",
        ] {
            let refused = parsed(&["cube-server", "--public-url", bad]).expect_err(bad);
            assert!(
                refused.to_string().contains("https://cube.example.com"),
                "{refused}"
            );
        }
    }

    #[test]
    fn the_send_rate_timeout_and_ca_file_are_checked() {
        let cli = Cli::try_parse_from(["cube-server", "--sms-rate", "2", "--gateway-timeout", "3"])
            .expect("parses");
        assert_eq!(
            cli.sms_rate.map(|r| r.interval()),
            Some(Duration::from_millis(500))
        );
        assert_eq!(cli.gateway_timeout, 3);
        assert!(Cli::try_parse_from(["cube-server", "--sms-rate", "0"]).is_err());
        assert!(Cli::try_parse_from(["cube-server", "--gateway-timeout", "0"]).is_err());
        let error =
            Cli::try_parse_from(["cube-server", "--gateway-ca-file", "/nonexistent/ca.pem"])
                .expect_err("no such file");
        assert!(error.to_string().contains("/nonexistent/ca.pem"), "{error}");
    }

    #[test]
    fn the_demo_command_defaults_to_the_first_start_demo() {
        let cli = Cli::try_parse_from(["cube-server", "demo"]).expect("parses");
        let Some(Command::Demo { customers, sellers }) = cli.command else {
            panic!("the demo command");
        };
        let default = demo::DemoSize::default();
        assert_eq!(customers as usize, default.customers);
        assert_eq!(sellers as usize, default.sellers);
        assert!(Cli::try_parse_from(["cube-server", "demo", "--customers", "0"]).is_err());
    }

    #[test]
    fn copy_from_takes_the_source_and_copies_into_the_database_url() {
        let cli = Cli::try_parse_from([
            "cube-server",
            "--database-url",
            "postgres://cube@db/cube",
            "copy-from",
            "sqlite://./data/cube.db",
        ])
        .expect("parses");
        assert_eq!(cli.database_url, "postgres://cube@db/cube");
        let Some(Command::CopyFrom {
            source,
            page,
            chunk,
        }) = cli.command
        else {
            panic!("the copy command");
        };
        assert_eq!(source, "sqlite://./data/cube.db");
        assert_eq!((page, chunk), (1_000, 5_000));
        assert!(Cli::try_parse_from(["cube-server", "copy-from"]).is_err());
        assert!(Cli::try_parse_from(["cube-server", "copy-from", "x.db", "--chunk", "0"]).is_err());
    }

    #[test]
    fn the_sqlite_file_of_a_source_url() {
        let file = |url| sqlite_file(url).map(|p| p.display().to_string());
        assert_eq!(
            file("sqlite://./data/cube.db"),
            Some("./data/cube.db".into())
        );
        assert_eq!(
            file("sqlite:///tmp/x/cube.db?mode=rwc"),
            Some("/tmp/x/cube.db".into())
        );
        assert_eq!(file("data/cube.db"), Some("data/cube.db".into()));
        assert_eq!(file("sqlite::memory:"), None);
        assert_eq!(file("postgres://cube@db/cube"), None);
    }

    #[tokio::test]
    async fn copy_from_refuses_a_missing_sqlite_file_and_the_same_database() {
        let missing = std::env::temp_dir().join(format!("cube-missing-{}.db", std::process::id()));
        let url = format!("sqlite://{}", missing.display());
        let target = format!("sqlite://{}.target", missing.display());
        let error = copy_from(&target, &url, 10, 10)
            .await
            .expect_err("no such file");
        assert!(matches!(error, ServerError::NoSource(_)), "{error}");
        assert!(!missing.exists(), "a missing source is not created");
        let error = copy_from(&url, &url, 10, 10)
            .await
            .expect_err("the same database");
        assert!(matches!(error, ServerError::SameDatabase), "{error}");
    }

    #[test]
    fn a_request_timeout_out_of_range_is_refused_with_its_range() {
        let error = Cli::try_parse_from(["cube-server", "--request-timeout", "0"])
            .expect_err("zero is refused");
        assert!(error.to_string().contains("1..=3600"), "{error}");
    }
}
