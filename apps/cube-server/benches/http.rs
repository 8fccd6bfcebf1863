//! `cargo xtask bench http [--store sqlite]`: the release server over real HTTP on PostgreSQL
//! (or the embedded SQLite default), loaded by wrk.
//!
//! In a database of its own (PostgreSQL: `cube_bench_http_<pid>_<ns>`, dropped at the end;
//! SQLite: a file in a temporary folder, removed at the end) it loads a
//! demo organisation sized for load (`cube-server demo --customers 30000 --sellers 32`), starts
//! `cube-server serve` (this package's release binary) on a free loopback port, logs the
//! sellers in, and runs wrk (Debian's package) with a Lua script:
//!
//! - **the seller's cycle** at 8 and 32 concurrent sellers: one wrk thread and connection per
//!   seller, each alternating `POST /api/assignments/{id}/next` and
//!   `POST /api/enrollments/{id}/outcomes` with its own bearer token; the outcomes rotate like
//!   the storage bench's (No answer 50%, No sale 20%, Lead with a follow-up 20%, Sale with a
//!   product 10%). Cycles per second are counted by the script (a registered outcome after a
//!   handed-out customer), not derived from wrk's request count;
//! - **an authenticated read**: `GET /api/assignments/{id}` (the assignment with its flow,
//!   products and calendars) with a seller's token, 2 threads × 32 connections.
//!
//! It prints a markdown table; the ratio to the storage bench's raw-SQL cycle is made in
//! `docs/performance.md`, beside that figure. Environment: `CUBE_BENCH_STORE` (`postgres`, the
//! default, or `sqlite`), `DATABASE_URL` (required for PostgreSQL; the xtask sets it),
//! `CUBE_BENCH_SECS` (per measurement, default 10).

mod common;

use common::{
    SALES, Servers, id_by_name, log_in, record, run_wrk, server, unique, wait_until_ready,
};
use serde_json::Value;
use std::fmt::Write as _;
use std::net::TcpListener;
use std::process::Stdio;
use std::time::Instant;

type BenchResult<T> = Result<T, Box<dyn std::error::Error>>;

const SELLERS: usize = 32;
const CUSTOMERS: u32 = 30_000;

/// The cycle script: per-thread state, one seller per thread.
fn cycle_script(
    tokens: &[String],
    assignment: &str,
    outcomes: &Outcomes,
    follow_up: &str,
) -> String {
    let mut lua = String::from("local tokens = {");
    for token in tokens {
        let _ = write!(lua, "\"{token}\",");
    }
    let _ = write!(
        lua,
        r#"}}
local threads = {{}}
local next_path = "/api/assignments/{assignment}/next"
local bodies = {{
  '{{"outcome":"{no_answer}"}}',
  '{{"outcome":"{no_sale}"}}',
  '{{"outcome":"{lead}","follow_up_at":"{follow_up}"}}',
  '{{"outcome":"{sale}","products":[{{"product":"{product}","quantity":1}}]}}',
}}
local kinds = {{1, 1, 1, 1, 1, 2, 2, 3, 3, 4}}

function setup(thread)
  table.insert(threads, thread)
  thread:set("seller", #threads)
end

function init(args)
  token = "Bearer " .. tokens[seller]
  state = "next"
  enrollment = nil
  turn = seller
  cycles = 0
  errors = 0
end

function request()
  if state == "next" then
    return wrk.format("POST", next_path, {{["Authorization"] = token, ["Content-Length"] = "0"}}, "")
  end
  turn = turn + 1
  local body = bodies[kinds[turn % 10 + 1]]
  return wrk.format("POST", "/api/enrollments/" .. enrollment .. "/outcomes",
    {{["Authorization"] = token, ["Content-Type"] = "application/json"}}, body)
end

function response(status, headers, body)
  if state == "next" then
    if status == 200 then
      enrollment = string.match(body, '"enrollment":{{"id":"([%x%-]+)"')
      if enrollment then state = "register" else errors = errors + 1 end
    else
      errors = errors + 1
    end
  else
    if status == 200 then cycles = cycles + 1 else errors = errors + 1 end
    state = "next"
  end
end

function done(summary, latency, requests)
  local total, failed = 0, 0
  for _, thread in ipairs(threads) do
    total = total + thread:get("cycles")
    failed = failed + thread:get("errors")
  end
  io.write(string.format("CYCLES %d ERRORS %d\n", total, failed))
end
"#,
        no_answer = outcomes.no_answer,
        no_sale = outcomes.no_sale,
        lead = outcomes.lead,
        sale = outcomes.sale,
        product = outcomes.product,
    );
    lua
}

/// The ids the cycle needs.
struct Outcomes {
    no_answer: String,
    no_sale: String,
    lead: String,
    sale: String,
    product: String,
}

#[tokio::main]
async fn main() -> BenchResult<()> {
    common::wrk_bench_main("http", |database, secs| async move {
        measure(&database, secs).await
    })
    .await
}

async fn measure(database: &str, secs: u64) -> BenchResult<String> {
    eprintln!("loading the demo: {CUSTOMERS} customers, {SELLERS} sellers …");
    let started = Instant::now();
    let status = server(database)
        .args(["demo", "--customers", &CUSTOMERS.to_string()])
        .args(["--sellers", &SELLERS.to_string()])
        .stdout(Stdio::null())
        .status()?;
    if !status.success() {
        return Err(format!("loading the demo failed: {status}").into());
    }
    let load = started.elapsed();
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

    let mut tokens = Vec::new();
    for n in 1..=SELLERS {
        tokens.push(log_in(&client, &base, &format!("seller{n}@demo.example.com")).await?);
    }
    let assignments: Value = client
        .get(format!("{base}/api/assignments"))
        .bearer_auth(&tokens[0])
        .send()
        .await?
        .json()
        .await?;
    let assignment = id_by_name(&assignments, SALES)?;
    let overview: Value = client
        .get(format!("{base}/api/assignments/{assignment}"))
        .bearer_auth(&tokens[0])
        .send()
        .await?
        .json()
        .await?;
    let outcomes = Outcomes {
        no_answer: id_by_name(&overview["outcomes"], "No answer")?,
        no_sale: id_by_name(&overview["outcomes"], "No sale")?,
        lead: id_by_name(&overview["outcomes"], "Lead")?,
        sale: id_by_name(&overview["outcomes"], "Sale")?,
        product: overview["products"][0]["id"]
            .as_str()
            .ok_or("no product")?
            .to_owned(),
    };
    let follow_up = (time::OffsetDateTime::now_utc() + time::Duration::days(2))
        .format(&time::format_description::well_known::Rfc3339)?;

    let dir = std::env::temp_dir().join(format!("cube-bench-http-{}", unique()));
    std::fs::create_dir_all(&dir)?;
    let mut rows = Vec::new();
    for sellers in [8usize, 32] {
        let script = dir.join(format!("cycle-{sellers}.lua"));
        std::fs::write(
            &script,
            cycle_script(&tokens[..sellers], &assignment, &outcomes, &follow_up),
        )?;
        let n = sellers.to_string();
        // A short warm-up, then the measurement.
        let warm = ["-t", &n, "-c", &n, "-d", "2s", "-s"];
        let mut args: Vec<String> = warm.iter().map(|s| (*s).to_owned()).collect();
        args.push(script.display().to_string());
        args.push(base.clone());
        run_wrk(&args)?;
        let mut args: Vec<String> = ["-t", &n, "-c", &n, "-d", &format!("{secs}s"), "--latency"]
            .iter()
            .map(|s| (*s).to_owned())
            .collect();
        args.extend(["-s".to_owned(), script.display().to_string(), base.clone()]);
        let wrk = run_wrk(&args)?;
        record(
            &format!("http.cycle.{sellers}"),
            &format!("{:.3}", wrk.cycles as f64 / secs as f64),
        );
        record(&format!("http.cycle.{sellers}.p99"), &wrk.p99);
        record(
            &format!("http.cycle.{sellers}.errors"),
            &wrk.errors.max(wrk.non_2xx).to_string(),
        );
        rows.push((
            format!("Next customer → register outcome, {sellers} sellers"),
            wrk,
        ));
    }
    let read = format!("{base}/api/assignments/{assignment}");
    let header = format!("Authorization: Bearer {}", tokens[0]);
    let args: Vec<String> = [
        "-t",
        "2",
        "-c",
        "32",
        "-d",
        &format!("{secs}s"),
        "--latency",
        "-H",
        &header,
        &read,
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect();
    let wrk = run_wrk(&args)?;
    record("http.read", &format!("{:.3}", wrk.requests_per_sec));
    record("http.read.p99", &wrk.p99);
    record("http.read.errors", &wrk.errors.max(wrk.non_2xx).to_string());
    rows.push((
        "Authenticated read `GET /api/assignments/{id}`, 32 connections".to_owned(),
        wrk,
    ));
    let _ = std::fs::remove_dir_all(&dir);

    let mut table = format!(
        "Demo load ({CUSTOMERS} customers, {SELLERS} sellers, through the use cases): {:.1} s\n\n\
         | Load | Requests/s | Cycles/s | p50 | p99 | Errors |\n|---|---:|---:|---:|---:|---:|\n",
        load.as_secs_f64()
    );
    for (what, wrk) in rows {
        let cycles = if wrk.cycles > 0 {
            format!("{:.0}", wrk.cycles as f64 / secs as f64)
        } else {
            "—".to_owned()
        };
        let _ = writeln!(
            table,
            "| {what} | {:.0} | {cycles} | {} | {} | {} |",
            wrk.requests_per_sec,
            wrk.p50,
            wrk.p99,
            wrk.errors.max(wrk.non_2xx)
        );
    }
    Ok(table)
}
