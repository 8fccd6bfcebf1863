//! Starting the real `cube-server` binary for the end-to-end suites: on a free loopback port,
//! over a fresh SQLite file or a fresh PostgreSQL database, killed (and its data removed) when
//! the test ends, pass or fail, or over a database the test holds; running one of its
//! commands to the end; plus a small JSON client.
#![allow(dead_code)]

use serde_json::Value;
use sqlx::postgres::{PgConnectOptions, PgConnection};
use sqlx::{ConnectOptions, Connection};
use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::str::FromStr;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// The demo password of every demo login.
pub const DEMO_PASSWORD: &str = "cube-demo-2025";

/// Where the server keeps its data.
enum Data {
    /// A temporary directory with the SQLite file.
    Dir(PathBuf),
    /// A database on the PostgreSQL server of `DATABASE_URL`.
    Postgres(Box<PgDatabase>),
    /// A database the test made and removes itself.
    Kept,
}

/// A fresh database on the PostgreSQL server of `DATABASE_URL` (which `cargo xtask test`
/// sets: it finds a server or starts a throwaway one), dropped with this value.
pub struct PgDatabase {
    admin: PgConnectOptions,
    name: String,
    /// Its URL.
    pub url: String,
}

impl PgDatabase {
    /// Creates the database.
    pub async fn create() -> Self {
        let url = match std::env::var("DATABASE_URL") {
            Ok(url) if !url.trim().is_empty() => url,
            _ => panic!(
                "DATABASE_URL is not set: run the end-to-end tests through `cargo xtask test`, \
                 or set DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres"
            ),
        };
        let admin = PgConnectOptions::from_str(&url)
            .unwrap_or_else(|e| panic!("DATABASE_URL {url} is not a PostgreSQL URL: {e}"));
        let name = format!("cube_e2e_{}", unique());
        let mut conn = PgConnection::connect_with(&admin)
            .await
            .unwrap_or_else(|e| panic!("cannot connect to DATABASE_URL {url}: {e}"));
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE \"{name}\"")))
            .execute(&mut conn)
            .await
            .expect("a fresh database");
        let _ = conn.close().await;
        let url = admin.clone().database(&name).to_url_lossy().to_string();
        Self { admin, name, url }
    }
}

impl Drop for PgDatabase {
    fn drop(&mut self) {
        let admin = self.admin.clone();
        let name = self.name.clone();
        // Dropping may run outside any runtime: a small one of its own.
        let _ = std::thread::spawn(move || {
            let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            else {
                return;
            };
            runtime.block_on(async {
                if let Ok(mut conn) = PgConnection::connect_with(&admin).await {
                    let drop = format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)");
                    let _ = sqlx::query(sqlx::AssertSqlSafe(drop))
                        .execute(&mut conn)
                        .await;
                }
            });
        })
        .join();
    }
}

/// The running server.
pub struct Server {
    child: Child,
    data: Data,
    /// `http://127.0.0.1:<port>`.
    pub base: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        // A PostgreSQL database is dropped with the `Data` that holds it.
        if let Data::Dir(dir) = &self.data {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("a free port");
    listener.local_addr().expect("an address").port()
}

fn unique() -> String {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    format!("{}_{nanos}", std::process::id())
}

fn spawn(database: &str, data: Data) -> Server {
    spawn_with(database, data, &[])
}

fn spawn_with(database: &str, data: Data, env: &[(&str, &str)]) -> Server {
    let port = free_port();
    let child = Command::new(env!("CARGO_BIN_EXE_cube-server"))
        .args(["--database-url", database])
        .args(["--listen", &format!("127.0.0.1:{port}")])
        .arg("serve")
        .env("RUST_LOG", "warn")
        .envs(env.iter().copied())
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("the server starts");
    Server {
        child,
        data,
        base: format!("http://127.0.0.1:{port}"),
    }
}

/// The server over a fresh SQLite file (the default store).
pub fn on_sqlite() -> Server {
    let dir = std::env::temp_dir().join(format!("cube-e2e-{}", unique()));
    std::fs::create_dir_all(&dir).expect("a temp dir");
    let database = format!("sqlite://{}", dir.join("cube.db").display());
    spawn(&database, Data::Dir(dir))
}

/// The server over a fresh SQLite file with `env` set (its gateways, secrets).
pub fn on_sqlite_with(env: &[(&str, &str)]) -> Server {
    let dir = std::env::temp_dir().join(format!("cube-e2e-{}", unique()));
    std::fs::create_dir_all(&dir).expect("a temp dir");
    let database = format!("sqlite://{}", dir.join("cube.db").display());
    spawn_with(&database, Data::Dir(dir), env)
}

/// The server over a fresh PostgreSQL database (as [`on_postgres`]) with `env` set.
pub async fn on_postgres_with(env: &[(&str, &str)]) -> Server {
    let database = PgDatabase::create().await;
    spawn_with(
        &database.url.clone(),
        Data::Postgres(Box::new(database)),
        env,
    )
}

/// The server over a fresh database on the PostgreSQL server of `DATABASE_URL` (which
/// `cargo xtask test` sets: it finds a server or starts a throwaway one).
pub async fn on_postgres() -> Server {
    let database = PgDatabase::create().await;
    spawn(&database.url.clone(), Data::Postgres(Box::new(database)))
}

/// The server over a database the test holds (a SQLite URL, or a `PgDatabase`'s URL); the
/// data stays when the server stops.
pub fn on_database(database: &str) -> Server {
    spawn(database, Data::Kept)
}

/// As [`on_database`], with `env` set (its gateways, the outbox's timing): a test that
/// kills the server and starts another on the same data.
pub fn on_database_with(database: &str, env: &[(&str, &str)]) -> Server {
    spawn_with(database, Data::Kept, env)
}

impl Server {
    /// Kills the process with SIGKILL, as a crash or the OOM killer would (no shutdown, no
    /// drain), and waits for it to be gone.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A fresh temporary directory, for SQLite files the test makes; removed when dropped.
pub struct TempDir(pub PathBuf);

impl TempDir {
    /// Creates it.
    pub fn new(what: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("cube-{what}-{}", unique()));
        std::fs::create_dir_all(&dir).expect("a temp dir");
        Self(dir)
    }

    /// The `sqlite://` URL of a file in it.
    pub fn sqlite_url(&self, file: &str) -> String {
        format!("sqlite://{}", self.0.join(file).display())
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Runs the binary with `args` to its end (a command such as `demo` or `copy-from`):
/// whether it succeeded, and what it printed to stdout and stderr.
pub fn run_command(args: &[&str]) -> (bool, String, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_cube-server"))
        .args(args)
        .env("RUST_LOG", "warn")
        .output()
        .expect("the binary runs");
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

impl Server {
    /// Waits until `/healthz` answers (the demo is loaded before the server listens).
    pub async fn wait_until_healthy(&mut self, client: &reqwest::Client) {
        let deadline = Instant::now() + Duration::from_secs(180);
        loop {
            if let Ok(response) = client.get(format!("{}/healthz", self.base)).send().await
                && response.status().is_success()
            {
                return;
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!("the server exited early: {status}");
            }
            assert!(Instant::now() < deadline, "the server did not come up");
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
}

/// A response's status and JSON body (`Null` when empty or not JSON).
pub async fn json(response: reqwest::Response) -> (u16, Value) {
    let status = response.status().as_u16();
    let body = response.json().await.unwrap_or(Value::Null);
    (status, body)
}

/// The item of a JSON list named `name`.
pub fn by_name<'a>(list: &'a Value, name: &str) -> &'a Value {
    list.as_array()
        .and_then(|items| items.iter().find(|item| item["name"] == name))
        .unwrap_or_else(|| panic!("no {name} in {list}"))
}

/// A JSON object's `id`.
pub fn id(value: &Value) -> String {
    value["id"].as_str().expect("an id").to_owned()
}

/// Sends `request` and reads the answer (`client` is the one that built it).
pub async fn call(client: &reqwest::Client, request: reqwest::RequestBuilder) -> (u16, Value) {
    let _ = client;
    json(request.send().await.expect("the server answers")).await
}

/// The seller takes the next customer of `sales` and registers an Offer with a product and a
/// follow-up; returns the enrollment.
pub async fn make_offer(
    client: &reqwest::Client,
    base: &str,
    seller: &str,
    sales: &str,
    offer: &str,
    product: &str,
    follow_up: &str,
) -> String {
    let (status, item) = call(
        client,
        client
            .post(format!("{base}/api/assignments/{sales}/next"))
            .bearer_auth(seller),
    )
    .await;
    assert_eq!(status, 200, "{item}");
    let enrollment = id(&item["enrollment"]);
    let (status, registered) = call(
        client,
        client
            .post(format!("{base}/api/enrollments/{enrollment}/outcomes"))
            .bearer_auth(seller)
            .json(&serde_json::json!({
                "outcome": offer,
                "products": [{ "product": product, "quantity": 1 }],
                "follow_up_at": follow_up,
            })),
    )
    .await;
    assert_eq!(status, 200, "{registered}");
    enrollment
}

/// Serves `app` over plain HTTP on a free loopback port (a provider stand-in) until the test
/// ends; its address.
pub async fn serve_local(app: axum::Router) -> std::net::SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a loopback port");
    let address = listener.local_addr().expect("an address");
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    address
}

/// Logs a demo user in (the demo password); their token.
pub async fn login(client: &reqwest::Client, base: &str, email: &str) -> String {
    let (status, body) = call(
        client,
        client
            .post(format!("{base}/api/login"))
            .json(&serde_json::json!({ "email": email, "password": DEMO_PASSWORD })),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    body["token"].as_str().expect("a token").to_owned()
}
