//! `cargo xtask load`: how many sellers one machine serves — simulated sellers working at a
//! human pace against one or two release server processes on one PostgreSQL.
//!
//! In a database of its own (`cube_load_<pid>_<ns>`, dropped at the end) it loads the demo
//! sized for the largest step (`cube-server demo --customers C --sellers N`), starts
//! `cube-server serve` (this package's release binary) once per process on free loopback
//! ports, and logs every seller in (each seller has a session of their own; the logins are
//! made before the measurement, a few at a time, as sellers arriving for a shift would).
//!
//! Then for each step of sellers (default 1,000, 2,500, 5,000, 10,000), each simulated
//! seller — a task with its own HTTP connection, to the process `seller % processes` —
//! repeats the cycle: `POST /api/assignments/{id}/next`, then
//! `POST /api/enrollments/{id}/outcomes`, then thinks (20 s by default, ±10%). The outcomes:
//! 5% a sale with a product, 10% a lead with a follow-up, 50% no answer, the rest no sale.
//! Sellers start spread over one think time; the measurement starts when all have started
//! and lasts `CUBE_LOAD_SECS`. Every request that starts in the measurement counts: its
//! latency, and as an error if it failed (no answer, a 4xx or a 5xx). An empty queue (204)
//! is counted apart: the demo is sized so it does not happen.
//!
//! It prints a markdown table per step and the largest step with p99 < 100 ms and no error.
//! Environment (the xtask sets it from its flags): `DATABASE_URL` (required),
//! `CUBE_LOAD_SELLERS` (a comma list of steps), `CUBE_LOAD_PROCESSES` (1 or 2, default 2),
//! `CUBE_LOAD_SECS` (default 60), `CUBE_LOAD_THINK_SECS` (default 20), `CUBE_LOAD_CUSTOMERS`
//! (default: enough for every step's cycles).

mod common;

use common::{SALES, Servers, Throwaway, id_by_name, log_in, server, wait_until_ready};
use serde_json::Value;
use std::fmt::Write as _;
use std::net::TcpListener;
use std::process::Stdio;
use std::str::FromStr;
use std::sync::Arc;
use std::time::{Duration, Instant};

type LoadResult<T> = Result<T, Box<dyn std::error::Error + Send + Sync>>;

/// The latency a step must keep at p99 to count as served.
const P99_TARGET: Duration = Duration::from_millis(100);
/// Logins in flight at once while the sellers arrive.
const LOGINS_AT_ONCE: usize = 4;

/// What the run is asked to do.
#[derive(Debug, Clone)]
struct Config {
    steps: Vec<usize>,
    processes: usize,
    measure: Duration,
    think: Duration,
    customers: usize,
}

fn env_number<T: FromStr>(name: &str, default: T) -> LoadResult<T> {
    match std::env::var(name) {
        Ok(text) => text
            .trim()
            .parse()
            .map_err(|_| format!("{name}=`{text}` is not a number").into()),
        Err(_) => Ok(default),
    }
}

impl Config {
    fn from_env() -> LoadResult<Self> {
        let steps = match std::env::var("CUBE_LOAD_SELLERS") {
            Ok(text) => text
                .split(',')
                .map(|step| {
                    step.trim()
                        .parse::<usize>()
                        .ok()
                        .filter(|n| *n > 0)
                        .ok_or_else(|| format!("CUBE_LOAD_SELLERS: `{step}` is not a count"))
                })
                .collect::<Result<Vec<_>, _>>()?,
            Err(_) => vec![1_000, 2_500, 5_000, 10_000],
        };
        let processes = env_number("CUBE_LOAD_PROCESSES", 2usize)?;
        if !(1..=2).contains(&processes) {
            return Err("CUBE_LOAD_PROCESSES: 1 or 2".into());
        }
        let measure = Duration::from_secs(env_number("CUBE_LOAD_SECS", 60u64)?.max(1));
        let think = Duration::from_secs(env_number("CUBE_LOAD_THINK_SECS", 20u64)?.max(1));
        // Each step hands out about sellers × (warm-up + measurement) / think customers; half
        // come back only after the retry delay. Twice that, and never fewer than 30,000.
        let cycles: f64 = steps
            .iter()
            .map(|n| *n as f64 * (think + measure).as_secs_f64() / think.as_secs_f64())
            .sum();
        let customers = env_number("CUBE_LOAD_CUSTOMERS", (cycles * 2.0) as usize)?.max(30_000);
        Ok(Self {
            steps,
            processes,
            measure,
            think,
            customers,
        })
    }

    fn most_sellers(&self) -> usize {
        self.steps.iter().copied().max().unwrap_or(0)
    }
}

/// The ids a cycle needs.
#[derive(Debug)]
struct Work {
    assignment: String,
    no_answer: String,
    no_sale: String,
    lead: String,
    sale: String,
    product: String,
    follow_up: String,
}

impl Work {
    /// The outcome body of a cycle, from a number in 0..100.
    fn body(&self, draw: u64) -> String {
        match draw {
            0..5 => format!(
                r#"{{"outcome":"{}","products":[{{"product":"{}","quantity":1}}]}}"#,
                self.sale, self.product
            ),
            5..15 => format!(
                r#"{{"outcome":"{}","follow_up_at":"{}"}}"#,
                self.lead, self.follow_up
            ),
            15..65 => format!(r#"{{"outcome":"{}"}}"#, self.no_answer),
            _ => format!(r#"{{"outcome":"{}"}}"#, self.no_sale),
        }
    }
}

/// A small deterministic generator per seller (xorshift64*): the load needs spread, not
/// cryptographic randomness, and a run repeats itself.
struct Draw(u64);

impl Draw {
    fn new(seed: u64) -> Self {
        Self(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// A duration in `[base × (1 - spread), base × (1 + spread)]`.
    fn around(&mut self, base: Duration, spread: f64) -> Duration {
        let unit = (self.next() % 10_000) as f64 / 10_000.0;
        base.mul_f64(1.0 - spread + 2.0 * spread * unit)
    }
}

/// A simulated seller: their session, their connection, their server.
struct Seller {
    token: String,
    client: reqwest::Client,
    base: String,
}

/// What one seller saw during the measurement.
#[derive(Debug, Default)]
struct Seen {
    latencies: Vec<Duration>,
    cycles: u64,
    errors: u64,
    empty: u64,
    first_error: Option<String>,
}

impl Seen {
    fn merge(&mut self, other: Seen) {
        self.latencies.extend(other.latencies);
        self.cycles += other.cycles;
        self.errors += other.errors;
        self.empty += other.empty;
        if self.first_error.is_none() {
            self.first_error = other.first_error;
        }
    }

    fn error(&mut self, counted: bool, what: String) {
        if counted {
            self.errors += 1;
            if self.first_error.is_none() {
                self.first_error = Some(what);
            }
        }
    }
}

/// One step's measurement window.
#[derive(Debug, Clone, Copy)]
struct Window {
    from: Instant,
    to: Instant,
}

impl Window {
    fn holds(&self, at: Instant) -> bool {
        at >= self.from && at < self.to
    }
}

/// One seller's cycles until the window closes.
async fn work(
    seller: Arc<Seller>,
    work: Arc<Work>,
    number: usize,
    window: Window,
    think: Duration,
) -> Seen {
    let mut draw = Draw::new(number as u64 + 1);
    let mut seen = Seen::default();
    // Arrive somewhere in the first think time.
    let offset = think.mul_f64((draw.next() % 10_000) as f64 / 10_000.0);
    tokio::time::sleep(offset).await;
    let next_url = format!("{}/api/assignments/{}/next", seller.base, work.assignment);
    while Instant::now() < window.to {
        let started = Instant::now();
        let counted = window.holds(started);
        let answer = seller
            .client
            .post(&next_url)
            .bearer_auth(&seller.token)
            .send()
            .await;
        let enrollment = match answer {
            Ok(response) => {
                let status = response.status();
                let body = response.text().await.unwrap_or_default();
                if counted {
                    seen.latencies.push(started.elapsed());
                }
                match status.as_u16() {
                    200 => serde_json::from_str::<Value>(&body)
                        .ok()
                        .and_then(|v| v["enrollment"]["id"].as_str().map(str::to_owned)),
                    204 => {
                        if counted {
                            seen.empty += 1;
                        }
                        None
                    }
                    _ => {
                        seen.error(counted, format!("next: {status} {body}"));
                        None
                    }
                }
            }
            Err(error) => {
                seen.error(counted, format!("next: {error}"));
                None
            }
        };
        if let Some(enrollment) = enrollment {
            let started = Instant::now();
            let counted = window.holds(started);
            let answer = seller
                .client
                .post(format!(
                    "{}/api/enrollments/{enrollment}/outcomes",
                    seller.base
                ))
                .bearer_auth(&seller.token)
                .header("content-type", "application/json")
                .body(work.body(draw.next() % 100))
                .send()
                .await;
            match answer {
                Ok(response) => {
                    let status = response.status();
                    let body = response.text().await.unwrap_or_default();
                    if counted {
                        seen.latencies.push(started.elapsed());
                    }
                    if status.as_u16() == 200 {
                        if counted {
                            seen.cycles += 1;
                        }
                    } else {
                        seen.error(counted, format!("outcome: {status} {body}"));
                    }
                }
                Err(error) => seen.error(counted, format!("outcome: {error}")),
            }
        }
        // Think; a seller whose next cycle would start after the window goes home.
        let pause = draw.around(think, 0.1);
        if Instant::now() + pause >= window.to {
            break;
        }
        tokio::time::sleep(pause).await;
    }
    seen
}

/// The figures of one step.
#[derive(Debug)]
struct Step {
    sellers: usize,
    requests: usize,
    cycles_per_sec: f64,
    p50: Duration,
    p95: Duration,
    p99: Duration,
    max: Duration,
    errors: u64,
    empty: u64,
    first_error: Option<String>,
}

impl Step {
    fn served(&self) -> bool {
        self.errors == 0 && self.empty == 0 && self.requests > 0 && self.p99 < P99_TARGET
    }
}

fn percentile(sorted: &[Duration], share: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = ((sorted.len() as f64) * share).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

async fn run_step(
    sellers: &[Arc<Seller>],
    work_ids: &Arc<Work>,
    config: &Config,
    count: usize,
) -> LoadResult<Step> {
    let start = Instant::now();
    // Everyone has arrived after one think time; the measurement starts then.
    let window = Window {
        from: start + config.think,
        to: start + config.think + config.measure,
    };
    let mut tasks = Vec::with_capacity(count);
    for (number, seller) in sellers.iter().take(count).enumerate() {
        tasks.push(tokio::spawn(work(
            Arc::clone(seller),
            Arc::clone(work_ids),
            number,
            window,
            config.think,
        )));
    }
    let mut seen = Seen::default();
    for task in tasks {
        seen.merge(task.await?);
    }
    seen.latencies.sort_unstable();
    Ok(Step {
        sellers: count,
        requests: seen.latencies.len(),
        cycles_per_sec: seen.cycles as f64 / config.measure.as_secs_f64(),
        p50: percentile(&seen.latencies, 0.50),
        p95: percentile(&seen.latencies, 0.95),
        p99: percentile(&seen.latencies, 0.99),
        max: seen.latencies.last().copied().unwrap_or_default(),
        errors: seen.errors,
        empty: seen.empty,
        first_error: seen.first_error,
    })
}

fn millis(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

async fn get_json(client: &reqwest::Client, url: &str, token: &str) -> LoadResult<Value> {
    Ok(client
        .get(url)
        .bearer_auth(token)
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?)
}

#[tokio::main]
async fn main() -> LoadResult<()> {
    let config = Config::from_env()?;
    let database = Throwaway::create("cube_load", "cargo xtask load").await?;
    let result = measure(&database.url, &config).await;
    database.drop_now().await;
    println!("{}", result?);
    Ok(())
}

async fn measure(database: &str, config: &Config) -> LoadResult<String> {
    let most = config.most_sellers();
    eprintln!(
        "loading the demo: {} customers, {most} sellers …",
        config.customers
    );
    let started = Instant::now();
    let status = server(database)
        .args(["demo", "--customers", &config.customers.to_string()])
        .args(["--sellers", &most.to_string()])
        .stdout(Stdio::null())
        .status()?;
    if !status.success() {
        return Err(format!("loading the demo failed: {status}").into());
    }
    let load = started.elapsed();

    let mut bases = Vec::new();
    let mut children = Vec::new();
    for _ in 0..config.processes {
        let port = TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
        bases.push(format!("http://127.0.0.1:{port}"));
        children.push(
            server(database)
                .args([
                    "--listen",
                    &format!("127.0.0.1:{port}"),
                    "serve",
                    "--no-demo",
                ])
                .stdout(Stdio::null())
                .spawn()?,
        );
    }
    let _servers = Servers(children);
    let setup = reqwest::Client::new();
    for base in &bases {
        wait_until_ready(&setup, base).await?;
    }

    eprintln!("logging {most} sellers in, {LOGINS_AT_ONCE} at a time …");
    let started = Instant::now();
    let mut sellers: Vec<Arc<Seller>> = Vec::with_capacity(most);
    let mut numbers = (1..=most).peekable();
    while numbers.peek().is_some() {
        let mut batch = Vec::new();
        for n in numbers.by_ref().take(LOGINS_AT_ONCE) {
            let base = bases[(n - 1) % bases.len()].clone();
            let setup = setup.clone();
            batch.push(tokio::spawn(async move {
                let token = log_in(&setup, &base, &format!("seller{n}@demo.example.com")).await?;
                // A connection of the seller's own, kept between cycles; a request that
                // hangs is an error, not a stuck step.
                let client = reqwest::Client::builder()
                    .pool_max_idle_per_host(1)
                    .timeout(Duration::from_secs(30))
                    .build()?;
                LoadResult::Ok(Seller {
                    token,
                    client,
                    base,
                })
            }));
        }
        for task in batch {
            sellers.push(Arc::new(task.await??));
        }
    }
    let logins = started.elapsed();

    let token = &sellers[0].token;
    let base = &bases[0];
    let assignments = get_json(&setup, &format!("{base}/api/assignments"), token).await?;
    let assignment = id_by_name(&assignments, SALES)?;
    let overview = get_json(
        &setup,
        &format!("{base}/api/assignments/{assignment}"),
        token,
    )
    .await?;
    let follow_up = (time::OffsetDateTime::now_utc() + time::Duration::days(2))
        .format(&time::format_description::well_known::Rfc3339)?;
    let work_ids = Arc::new(Work {
        no_answer: id_by_name(&overview["outcomes"], "No answer")?,
        no_sale: id_by_name(&overview["outcomes"], "No sale")?,
        lead: id_by_name(&overview["outcomes"], "Lead")?,
        sale: id_by_name(&overview["outcomes"], "Sale")?,
        product: overview["products"][0]["id"]
            .as_str()
            .ok_or("no product in the demo")?
            .to_owned(),
        assignment,
        follow_up,
    });

    let mut table = format!(
        "Demo load ({} customers, {most} sellers, through the use cases): {:.1} s; \
         {most} logins: {:.1} s; {} server process(es) on one PostgreSQL; think time {} s \
         (±10%), {} s measured per step after one think time of arrivals.\n\n\
         | Sellers | Cycles/s | Requests | p50 | p95 | p99 | max | Errors | Empty queue |\n\
         |---:|---:|---:|---:|---:|---:|---:|---:|---:|\n",
        config.customers,
        load.as_secs_f64(),
        logins.as_secs_f64(),
        config.processes,
        config.think.as_secs(),
        config.measure.as_secs(),
    );
    let mut served = None;
    for &count in &config.steps {
        eprintln!("{count} sellers …");
        let step = run_step(&sellers, &work_ids, config, count).await?;
        eprintln!("{step:?}");
        let _ = writeln!(
            table,
            "| {} | {:.0} | {} | {} | {} | {} | {} | {} | {} |",
            step.sellers,
            step.cycles_per_sec,
            step.requests,
            millis(step.p50),
            millis(step.p95),
            millis(step.p99),
            millis(step.max),
            step.errors,
            step.empty,
        );
        if let Some(error) = &step.first_error {
            let _ = writeln!(table, "|  | first error: {error} |||||||| ");
        }
        if step.served() && served.is_none_or(|n| step.sellers > n) {
            served = Some(step.sellers);
        }
    }
    match served {
        Some(n) => {
            let _ = write!(
                table,
                "\nLargest step served (p99 < {} ms, no error, no empty queue): **{n} sellers**.",
                P99_TARGET.as_millis()
            );
        }
        None => {
            let _ = write!(
                table,
                "\nNo step was served (p99 < {} ms, no error, no empty queue).",
                P99_TARGET.as_millis()
            );
        }
    }
    Ok(table)
}
