//! A fresh PostgreSQL database for each test: `CREATE DATABASE cube_test_<uuid v7>` on the
//! server `DATABASE_URL` names, migrated, behind a small pool. Tests never pass silently
//! without a database: with `DATABASE_URL` unset they fail and say how to run them.
//!
//! The UUID v7 in the name carries its creation time, so each test process first drops the
//! test databases an earlier run left behind more than two hours ago.
#![allow(dead_code)]

pub mod data;

use cube_postgres::{PgConfig, PgStore};
use sqlx::postgres::{PgConnectOptions, PgConnection};
use sqlx::{AssertSqlSafe, Connection, Row};
use std::str::FromStr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use uuid::Uuid;

/// Connections each test store may open: tests run in parallel on a server that allows
/// 100–200 connections.
pub const MAX_CONNECTIONS: u32 = 8;

/// Test databases older than this are dropped when a test process starts.
const STALE_AFTER: Duration = Duration::from_secs(2 * 60 * 60);

static CLEANED: AtomicBool = AtomicBool::new(false);

/// The server to test against.
pub fn database_url() -> String {
    match std::env::var("DATABASE_URL") {
        Ok(url) if !url.trim().is_empty() => url,
        _ => panic!(
            "DATABASE_URL is not set: the PostgreSQL adapter is tested against a real server. \
             Run the tests through `cargo xtask test` (it finds a server or starts a throwaway \
             cluster), or set DATABASE_URL, e.g. \
             DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres"
        ),
    }
}

async fn admin_connection() -> (PgConnection, PgConnectOptions) {
    let url = database_url();
    let options = PgConnectOptions::from_str(&url)
        .unwrap_or_else(|e| panic!("DATABASE_URL {url} is not a PostgreSQL URL: {e}"));
    let connection = PgConnection::connect_with(&options)
        .await
        .unwrap_or_else(|e| panic!("cannot connect to DATABASE_URL {url}: {e}"));
    (connection, options)
}

/// When a `cube_test_<uuid v7>` database was created, from its name.
fn created_at(name: &str) -> Option<SystemTime> {
    let uuid = Uuid::parse_str(name.strip_prefix("cube_test_")?).ok()?;
    let (seconds, nanos) = uuid.get_timestamp()?.to_unix();
    Some(UNIX_EPOCH + Duration::new(seconds, nanos))
}

async fn drop_stale_databases(admin: &mut PgConnection) {
    if CLEANED.swap(true, Ordering::SeqCst) {
        return;
    }
    let Ok(rows) = sqlx::query("SELECT datname FROM pg_database WHERE datname LIKE 'cube_test_%'")
        .fetch_all(&mut *admin)
        .await
    else {
        return;
    };
    let now = SystemTime::now();
    for row in rows {
        let Ok(name) = row.try_get::<String, _>("datname") else {
            continue;
        };
        let stale = created_at(&name)
            .and_then(|created| now.duration_since(created).ok())
            .is_some_and(|age| age > STALE_AFTER);
        if stale {
            // Best effort: another process may be dropping it too.
            let _ = sqlx::query(AssertSqlSafe(format!(
                "DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"
            )))
            .execute(&mut *admin)
            .await;
        }
    }
}

/// Creates an empty database and returns how to connect to it.
pub async fn fresh_database() -> PgConnectOptions {
    let (mut admin, options) = admin_connection().await;
    drop_stale_databases(&mut admin).await;
    let name = format!("cube_test_{}", Uuid::now_v7().simple());
    sqlx::query(AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .execute(&mut admin)
        .await
        .unwrap_or_else(|e| panic!("cannot create test database {name}: {e}"));
    let _ = admin.close().await;
    options.database(&name)
}

/// A store on `options` with a small pool.
pub async fn store_on(options: PgConnectOptions) -> PgStore {
    let config = PgConfig {
        max_connections: MAX_CONNECTIONS,
        ..PgConfig::default()
    };
    PgStore::connect_with(options, config)
        .await
        .expect("connect to the test database")
}

/// A migrated store on a fresh database.
pub async fn fresh_store() -> PgStore {
    let store = store_on(fresh_database().await).await;
    store
        .migrate()
        .await
        .expect("migrations apply to an empty database");
    store
}
