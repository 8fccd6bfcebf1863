//! `cargo xtask bench web [--store sqlite]`: the web app's pages under load — the server time
//! of each page with 100 concurrent sessions (issue 15), by wrk with a session cookie.
//!
//! In a database of its own (as `bench http`) it loads a demo with 30,000 customers and 100
//! sellers, starts the release `cube-server serve`, logs every seller in (a session cookie
//! each) and the admin and the client once, and runs wrk for each page: 4 threads and 100
//! connections, each request taking the next of the 100 sellers' cookies in turn (so the
//! requests of 100 sessions are in flight at once). The seller's pages use the sellers'
//! cookies; the reports page the client's; the flow editor the admin's. "Next customer" is
//! the partial htmx asks for (`HX-Request`, the CSRF header): a seller already holding a
//! customer gets it back, so after the first round it measures the page, not the queue.
//!
//! Each page is also measured for one session alone (one connection, 5 s): the server's own
//! time, where the 100-session figures add the queue of a saturated 2-core machine.
//!
//! It prints a markdown table for `docs/performance.md`. Environment as `bench http`:
//! `CUBE_BENCH_STORE` (`postgres` or `sqlite`), `DATABASE_URL`, `CUBE_BENCH_SECS`.

mod common;

use common::{SALES, Servers, id_by_name, log_in, run_wrk, server, unique, wait_until_ready};
use serde_json::Value;
use std::fmt::Write as _;
use std::net::TcpListener;
use std::process::Stdio;
use std::time::Instant;

type BenchResult<T> = Result<T, Box<dyn std::error::Error>>;

const SELLERS: usize = 100;
const CUSTOMERS: u32 = 30_000;

/// A wrk script sending `method path` with each of `cookies` in turn (and the htmx headers
/// for a POST).
fn script(cookies: &[String], method: &str, path: &str) -> String {
    let mut lua = String::from("local cookies = {");
    for cookie in cookies {
        let _ = write!(lua, "\"cube_session={cookie}\",");
    }
    let _ = write!(
        lua,
        r#"}}
local turn = 0
function init(args)
  turn = math.random(#cookies)
end
function request()
  turn = turn % #cookies + 1
  local headers = {{["Cookie"] = cookies[turn]}}
  if "{method}" == "POST" then
    headers["HX-Request"] = "true"
    headers["X-Requested-With"] = "cube"
    headers["Content-Length"] = "0"
  end
  return wrk.format("{method}", "{path}", headers, "")
end
local shown = 0
function response(status, headers, body)
  if (status < 200 or status > 299) and shown < 2 then
    shown = shown + 1
    io.stderr:write("NOT 2XX " .. status .. " " .. string.sub(body, 1, 300) .. "\n")
  end
end
"#
    );
    lua
}

#[tokio::main]
async fn main() -> BenchResult<()> {
    common::wrk_bench_main("web", |database, secs| async move {
        measure(&database, secs).await
    })
    .await
}

async fn measure(database: &str, secs: u64) -> BenchResult<String> {
    eprintln!("loading the demo: {CUSTOMERS} customers, {SELLERS} sellers …");
    let status = server(database)
        .args(["demo", "--customers", &CUSTOMERS.to_string()])
        .args(["--sellers", &SELLERS.to_string()])
        .stdout(Stdio::null())
        .status()?;
    if !status.success() {
        return Err(format!("loading the demo failed: {status}").into());
    }
    let port = TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
    let base = format!("http://127.0.0.1:{port}");
    let _server = Servers(vec![
        server(database)
            .args([
                "--listen",
                &format!("127.0.0.1:{port}"),
                "serve",
                "--no-demo",
            ])
            .stdout(Stdio::null())
            .spawn()?,
    ]);
    let client = reqwest::Client::new();
    wait_until_ready(&client, &base).await?;

    let started = Instant::now();
    let mut sellers = Vec::new();
    for n in 1..=SELLERS {
        sellers.push(log_in(&client, &base, &format!("seller{n}@demo.example.com")).await?);
    }
    eprintln!("{SELLERS} logins: {:.1} s", started.elapsed().as_secs_f64());
    let admin = log_in(&client, &base, "admin@demo.example.com").await?;
    let client_user = log_in(&client, &base, "client@demo.example.com").await?;
    let assignments: Value = client
        .get(format!("{base}/api/assignments"))
        .bearer_auth(&sellers[0])
        .send()
        .await?
        .json()
        .await?;
    let assignment = id_by_name(&assignments, SALES)?;
    let overview: Value = client
        .get(format!("{base}/api/assignments/{assignment}"))
        .bearer_auth(&admin)
        .send()
        .await?
        .json()
        .await?;
    let flow = overview["flow"]
        .as_str()
        .ok_or_else(|| format!("no flow id in {overview}"))?
        .to_owned();

    let pages: Vec<(String, &[String], &str, String)> = vec![
        (
            "Start page `GET /app` (seller)".into(),
            &sellers,
            "GET",
            "/app".into(),
        ),
        (
            "Workspace `GET /app/assignments/{id}` (seller)".into(),
            &sellers,
            "GET",
            format!("/app/assignments/{assignment}"),
        ),
        (
            "Next customer, the partial `POST /app/assignments/{id}/next` (seller)".into(),
            &sellers,
            "POST",
            format!("/app/assignments/{assignment}/next"),
        ),
        (
            "My Work `GET /app/my-work` (seller)".into(),
            &sellers,
            "GET",
            "/app/my-work".into(),
        ),
        (
            "Side panel `GET /app/my-work/panel` (seller)".into(),
            &sellers,
            "GET",
            "/app/my-work/panel".into(),
        ),
        (
            "Reports `GET /app/reports/{id}` (client, today)".into(),
            std::slice::from_ref(&client_user),
            "GET",
            format!("/app/reports/{assignment}"),
        ),
        (
            "Flow editor `GET /app/setup/flows/{id}` (admin)".into(),
            std::slice::from_ref(&admin),
            "GET",
            format!("/app/setup/flows/{flow}"),
        ),
    ];
    let dir = std::env::temp_dir().join(format!("cube-bench-web-{}", unique()));
    std::fs::create_dir_all(&dir)?;
    let mut table = String::from(
        "| Page | One session: p50 | p99 | 100 sessions: requests/s | p50 | p99 | Errors |\n\
         |---|---:|---:|---:|---:|---:|---:|\n",
    );
    for (index, (what, cookies, method, path)) in pages.iter().enumerate() {
        let file = dir.join(format!("page-{index}.lua"));
        std::fs::write(&file, script(cookies, method, path))?;
        let warm: Vec<String> = ["-t", "4", "-c", "100", "-d", "2s", "-s"]
            .iter()
            .map(|s| (*s).to_owned())
            .chain([file.display().to_string(), base.clone()])
            .collect();
        run_wrk(&warm)?;
        let args: Vec<String> = [
            "-t",
            "4",
            "-c",
            "100",
            "-d",
            &format!("{secs}s"),
            "--latency",
            "-s",
        ]
        .iter()
        .map(|s| (*s).to_owned())
        .chain([file.display().to_string(), base.clone()])
        .collect();
        let wrk = run_wrk(&args)?;
        // The same page for one session alone: the server's own time, without a queue.
        let alone: Vec<String> = ["-t", "1", "-c", "1", "-d", "5s", "--latency", "-s"]
            .iter()
            .map(|s| (*s).to_owned())
            .chain([file.display().to_string(), base.clone()])
            .collect();
        let one = run_wrk(&alone)?;
        let _ = writeln!(
            table,
            "| {what} | {} | {} | {:.0} | {} | {} | {} |",
            one.p50,
            one.p99,
            wrk.requests_per_sec,
            wrk.p50,
            wrk.p99,
            wrk.errors.max(wrk.non_2xx).max(one.errors.max(one.non_2xx))
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
    Ok(table)
}
