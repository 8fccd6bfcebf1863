//! What the server's benches share (`http` and `web` under wrk, `load` with simulated sellers): the
//! release server started and stopped, a name for a throwaway database, the demo's logins
//! and ids.

use serde_json::Value;
use sqlx::postgres::{PgConnectOptions, PgConnection};
use sqlx::{ConnectOptions, Connection};
use std::process::{Child, Command};
use std::str::FromStr;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// The demo's one password.
pub const PASSWORD: &str = "cube-demo-2025";
/// The demo's sales assignment.
pub const SALES: &str = "Strøm vår 2025";

/// Server processes; killed on drop, also when a bench fails half-way.
pub struct Servers(pub Vec<Child>);

impl Drop for Servers {
    fn drop(&mut self) {
        for child in &mut self.0 {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// A name no other run of a bench uses: the process id and the time.
pub fn unique() -> String {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    format!("{}_{nanos}", std::process::id())
}

/// This package's release binary on `database`, logging warnings only.
pub fn server(database: &str) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_cube-server"));
    command
        .args(["--database-url", database])
        .env("RUST_LOG", "warn")
        .env_remove("DATABASE_URL");
    command
}

/// Waits until `base` answers `/readyz` (a minute at most).
pub async fn wait_until_ready(client: &reqwest::Client, base: &str) -> Result<(), String> {
    let deadline = Instant::now() + Duration::from_secs(60);
    while client
        .get(format!("{base}/readyz"))
        .send()
        .await
        .map_or(true, |r| !r.status().is_success())
    {
        if Instant::now() > deadline {
            return Err(format!("the server at {base} did not come up"));
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    Ok(())
}

/// A demo user's session token. The hash gate answers 503 while it is full: wait as asked,
/// then try again.
pub async fn log_in(client: &reqwest::Client, base: &str, email: &str) -> Result<String, String> {
    let body = serde_json::json!({ "email": email, "password": PASSWORD });
    loop {
        let response = client
            .post(format!("{base}/api/login"))
            .json(&body)
            .send()
            .await
            .map_err(|e| format!("login of {email}: {e}"))?;
        if response.status().as_u16() == 503 {
            let wait = response
                .headers()
                .get("retry-after")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.parse().ok())
                .unwrap_or(1);
            tokio::time::sleep(Duration::from_secs(wait)).await;
            continue;
        }
        let answer: Value = response
            .error_for_status()
            .map_err(|e| format!("login of {email}: {e}"))?
            .json()
            .await
            .map_err(|e| format!("login of {email}: {e}"))?;
        return answer["token"]
            .as_str()
            .map(str::to_owned)
            .ok_or_else(|| format!("login of {email}: no token in {answer}"));
    }
}

/// The id of the item named `name` in a JSON list of `{id, name}`.
pub fn id_by_name(list: &Value, name: &str) -> Result<String, String> {
    list.as_array()
        .and_then(|items| items.iter().find(|item| item["name"] == name))
        .and_then(|item| item["id"].as_str())
        .map(str::to_owned)
        .ok_or_else(|| format!("no {name} in the demo"))
}

/// A PostgreSQL database of a bench's own on the server `DATABASE_URL` names, dropped by
/// [`Throwaway::drop_now`] (with `FORCE`: the server processes may still be connected).
pub struct Throwaway {
    admin: PgConnection,
    name: String,
    /// The database's URL, for the server.
    pub url: String,
}

impl Throwaway {
    /// Creates `<prefix>_<unique>`; `command` is what to run when `DATABASE_URL` is unset.
    pub async fn create(prefix: &str, command: &str) -> Result<Self, String> {
        let url = std::env::var("DATABASE_URL")
            .map_err(|_| format!("DATABASE_URL is not set: run `{command}`"))?;
        let options = PgConnectOptions::from_str(&url).map_err(|e| e.to_string())?;
        let name = format!("{prefix}_{}", unique());
        let mut admin = PgConnection::connect_with(&options)
            .await
            .map_err(|e| e.to_string())?;
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE \"{name}\"")))
            .execute(&mut admin)
            .await
            .map_err(|e| e.to_string())?;
        let url = options.database(&name).to_url_lossy().to_string();
        Ok(Self { admin, name, url })
    }

    /// Drops the database, whatever is still connected to it.
    pub async fn drop_now(mut self) {
        let sql = format!("DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)", self.name);
        let _ = sqlx::query(sqlx::AssertSqlSafe(sql))
            .execute(&mut self.admin)
            .await;
    }
}

// The wrk helpers serve the http and web benches; the load bench, which shares this module,
// has a client of its own.
/// What one wrk run reported.
#[allow(dead_code)]
#[derive(Debug, Default)]
pub struct Wrk {
    pub requests_per_sec: f64,
    pub p50: String,
    pub p99: String,
    pub cycles: u64,
    pub errors: u64,
    pub non_2xx: u64,
}

/// Appends `key<TAB>value` to the file `CUBE_BENCH_RECORD` names, if it names one (the figures
/// `cargo xtask bench cycle` sets beside the raw cycle's).
#[allow(dead_code)]
pub fn record(key: &str, value: &str) {
    let Ok(path) = std::env::var("CUBE_BENCH_RECORD") else {
        return;
    };
    let written = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        .and_then(|mut file| {
            use std::io::Write as _;
            writeln!(file, "{key}\t{value}")
        });
    if let Err(error) = written {
        eprintln!("bench: could not record {key} in {path}: {error}");
    }
}

#[allow(dead_code)]
pub fn parse_wrk(output: &str) -> Wrk {
    let mut wrk = Wrk::default();
    for line in output.lines() {
        let words: Vec<&str> = line.split_whitespace().collect();
        match words.as_slice() {
            ["Requests/sec:", value] => wrk.requests_per_sec = value.parse().unwrap_or(0.0),
            ["50%", value] => wrk.p50 = (*value).to_owned(),
            ["99%", value] => wrk.p99 = (*value).to_owned(),
            ["CYCLES", cycles, "ERRORS", errors] => {
                wrk.cycles = cycles.parse().unwrap_or(0);
                wrk.errors = errors.parse().unwrap_or(0);
            }
            ["Non-2xx", "or", "3xx", "responses:", n] => wrk.non_2xx = n.parse().unwrap_or(0),
            _ => {}
        }
    }
    wrk
}

#[allow(dead_code)]
pub fn run_wrk(args: &[String]) -> Result<Wrk, Box<dyn std::error::Error>> {
    // Tokens are secrets even in a throwaway database: not printed.
    let shown: Vec<&str> = args
        .iter()
        .map(|a| {
            if a.starts_with("Authorization:") {
                "Authorization: Bearer …"
            } else {
                a.as_str()
            }
        })
        .collect();
    eprintln!("wrk {}", shown.join(" "));
    let output = Command::new("wrk").args(args).output()?;
    let text = String::from_utf8_lossy(&output.stdout).into_owned();
    if !output.status.success() {
        return Err(format!(
            "wrk failed: {}\n{text}",
            String::from_utf8_lossy(&output.stderr)
        )
        .into());
    }
    eprintln!("{text}");
    // What a script wrote about refused answers (the web bench names the first ones).
    let said = String::from_utf8_lossy(&output.stderr);
    if !said.trim().is_empty() {
        eprintln!("{said}");
    }
    Ok(parse_wrk(&text))
}

/// The wrk benches' `main`: reads `CUBE_BENCH_SECS` (default 10) and `CUBE_BENCH_STORE`
/// (`postgres`, the default, or `sqlite`), checks wrk is installed, makes a database of its
/// own (a throwaway PostgreSQL database named after `name`, or a SQLite file in a temporary
/// folder), runs `measure(database URL, seconds)` on it, removes it, and prints the table.
#[allow(dead_code)]
pub async fn wrk_bench_main<F, Fut>(
    name: &str,
    measure: F,
) -> Result<(), Box<dyn std::error::Error>>
where
    F: Fn(String, u64) -> Fut,
    Fut: std::future::Future<Output = Result<String, Box<dyn std::error::Error>>>,
{
    let secs: u64 = std::env::var("CUBE_BENCH_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(10);
    if Command::new("wrk").arg("--version").output().is_err() {
        return Err("wrk is not installed (Debian: apt-get install wrk)".into());
    }
    let store = std::env::var("CUBE_BENCH_STORE").unwrap_or_else(|_| "postgres".to_owned());
    let table = match store.as_str() {
        "sqlite" => {
            let dir = std::env::temp_dir().join(format!("cube-bench-{name}-db-{}", unique()));
            std::fs::create_dir_all(&dir)?;
            let database = format!("sqlite://{}", dir.join("cube.db").display());
            let result = measure(database, secs).await;
            let _ = std::fs::remove_dir_all(&dir);
            format!("Store: SQLite (a file)\n\n{}", result?)
        }
        "postgres" => {
            let database = Throwaway::create(
                &format!("cube_bench_{name}"),
                &format!("cargo xtask bench {name}"),
            )
            .await?;
            let result = measure(database.url.clone(), secs).await;
            database.drop_now().await;
            format!("Store: PostgreSQL\n\n{}", result?)
        }
        other => return Err(format!("CUBE_BENCH_STORE `{other}`: postgres or sqlite").into()),
    };
    println!("{table}");
    Ok(())
}

/// A free loopback port for a server to listen on.
#[allow(dead_code)] // the import, export and outbox benches start servers on their own ports
pub fn free_port() -> std::io::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}

/// A `/proc/<pid>/status` memory line (`VmRSS:`, `VmHWM:`) in MB (0 where there is no
/// `/proc`).
#[allow(dead_code)] // the import and export benches measure the server's memory
pub fn memory(pid: u32, line: &str) -> f64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find(|l| l.starts_with(line))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<f64>().ok())
        })
        .map_or(0.0, |kb| kb / 1024.0)
}
