//! `cargo xtask bench cycle`: the seller's cycle measured in one run beside the least SQL it
//! needs (issue 19: "measure it in one run, beside the raw cycle").
//!
//! On the PostgreSQL `cargo xtask test` finds (or a throwaway cluster), in this order:
//! 1. **the raw cycle**: pgbench runs the least SQL a cycle needs (`xtask/raw-cycle`: claim
//!    with `SKIP LOCKED`, append the outcome, update the enrollment; no triggers) at 8 and 32
//!    clients on 300,000 enrollments, in a database of its own;
//! 2. **our storage cycle**: `cube-postgres`'s `storage` bench with `CUBE_BENCH_ONLY=cycle`
//!    (next customer through `PgStore`, then the register-outcome unit, at 8 and 32 sellers,
//!    on 300,000 enrollments and 3,000,000 events unless `CUBE_BENCH_SCALE` says otherwise),
//!    and what the report counters' triggers cost it;
//! 3. **our HTTP cycle and an authenticated read**: `cube-server`'s `http` bench (the release
//!    server under wrk);
//! 4. the raw cycle again (the machine's drift shows as the gap between the two).
//!
//! The benches append their figures to a record file (`CUBE_BENCH_RECORD`); this module reads
//! it and prints one table with the ratios to the raw cycle and the targets.

use crate::{Failure, Outcome, cargo, describe, postgres, repo_root, run_step};
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The raw cycle's schema and statements (pgbench's script).
const RAW_SCHEMA: &str = include_str!("../raw-cycle/schema.sql");
const RAW_CYCLE: &str = include_str!("../raw-cycle/cycle.sql");
/// Enrollments in the raw cycle's table.
const RAW_ROWS: u32 = 300_000;
/// Our storage bench's scale when none is given: 300,000 enrollments, as the raw cycle has.
const STORAGE_SCALE: &str = "0.3";
/// Concurrent sellers (pgbench clients) measured.
const LEVELS: [u32; 2] = [8, 32];

/// Issue 19's targets.
const TARGET_STORAGE: f64 = 0.70;
const TARGET_HTTP: f64 = 0.50;
const TARGET_HTTP_P99_MS_AT_32: f64 = 50.0;
const TARGET_READ: f64 = 5_000.0;

/// The raw cycle at one level.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Raw {
    clients: u32,
    cycles_per_sec: f64,
    mean_ms: f64,
}

pub fn run() -> Outcome {
    if Command::new("wrk").arg("--version").output().is_err() {
        return Err(Failure::from(
            "the cycle bench needs wrk on PATH (Debian: apt-get install wrk)".to_owned(),
        ));
    }
    let secs: u32 =
        match std::env::var("CUBE_BENCH_SECS") {
            Ok(raw) => raw.parse().ok().filter(|s| *s > 0).ok_or_else(|| {
                Failure::usage(format!("CUBE_BENCH_SECS={raw}: give whole seconds"))
            })?,
            Err(_) => 10,
        };
    let dir = repo_root().join("target/bench-cycle");
    std::fs::create_dir_all(&dir)
        .map_err(|error| format!("could not create {}: {error}", dir.display()))?;
    let record = dir.join("record.tsv");
    let _ = std::fs::remove_file(&record);
    let script = dir.join("cycle.sql");
    let schema = dir.join("schema.sql");
    for (path, text) in [(&script, RAW_CYCLE), (&schema, RAW_SCHEMA)] {
        std::fs::write(path, text)
            .map_err(|error| format!("could not write {}: {error}", path.display()))?;
    }

    println!("==> postgres");
    let database = postgres::discover()?;
    let url = database.url().to_owned();

    println!("==> the raw cycle (pgbench), before");
    let before = raw_cycle(&url, &schema, &script, secs)?;

    let mut storage = cargo(&["bench", "-p", "cube-postgres", "--bench", "storage"]);
    storage
        .env("DATABASE_URL", &url)
        .env("CUBE_BENCH_ONLY", "cycle")
        .env("CUBE_BENCH_RECORD", &record);
    if std::env::var_os("CUBE_BENCH_SCALE").is_none() {
        storage.env("CUBE_BENCH_SCALE", STORAGE_SCALE);
    }
    run_step("storage cycle", &mut storage)?;

    let mut http = cargo(&["bench", "-p", "cube-server", "--bench", "http"]);
    http.env("DATABASE_URL", &url)
        .env("CUBE_BENCH_STORE", "postgres")
        .env("CUBE_BENCH_SECS", secs.to_string())
        .env("CUBE_BENCH_RECORD", &record);
    run_step("http cycle", &mut http)?;

    println!("==> the raw cycle (pgbench), after");
    let after = raw_cycle(&url, &schema, &script, secs)?;
    drop(database);

    let text = std::fs::read_to_string(&record).map_err(|error| {
        format!(
            "the benches recorded nothing in {}: {error}",
            record.display()
        )
    })?;
    println!();
    println!("{}", summary(&before, &after, &parse_record(&text)));
    println!(
        "Recorded with: `cargo xtask bench cycle` (pgbench on xtask/raw-cycle, then `{}` with \
         CUBE_BENCH_ONLY=cycle, then `{}`, then pgbench again) — put the table above in \
         docs/performance.md together with this command.",
        describe(&storage),
        describe(&http)
    );
    Ok(())
}

/// A database of its own for the raw cycle, dropped when this goes out of scope.
struct RawDatabase {
    admin: String,
    name: String,
}

impl Drop for RawDatabase {
    fn drop(&mut self) {
        let dropped = psql(&self.admin)
            .args(["-c", &format!("DROP DATABASE IF EXISTS {}", self.name)])
            .output();
        if !dropped.is_ok_and(|o| o.status.success()) {
            eprintln!("xtask: warning: could not drop the database {}", self.name);
        }
    }
}

/// pgbench at each level on a freshly loaded raw schema.
fn raw_cycle(admin: &str, schema: &Path, script: &Path, secs: u32) -> Result<Vec<Raw>, Failure> {
    let name = format!("cube_raw_cycle_{}", std::process::id());
    let _ = psql(admin)
        .args(["-c", &format!("DROP DATABASE IF EXISTS {name}")])
        .output();
    postgres::run_quietly(
        psql(admin).args(["-c", &format!("CREATE DATABASE {name}")]),
        "create the raw cycle's database",
    )?;
    let database = RawDatabase {
        admin: admin.to_owned(),
        name,
    };
    let url = with_database(admin, &database.name);
    postgres::run_quietly(
        psql(&url)
            .args(["-v", &format!("rows={RAW_ROWS}"), "-f"])
            .arg(schema),
        "load the raw cycle's schema",
    )?;
    let mut levels = Vec::new();
    for clients in LEVELS {
        let mut pgbench = Command::new(tool("pgbench"));
        pgbench
            .args(["-n", "-c", &clients.to_string(), "-j", "2"])
            .args(["-T", &secs.to_string(), "-f"])
            .arg(script)
            .arg(&url);
        let output = pgbench
            .output()
            .map_err(|error| format!("could not start pgbench: {error}"))?;
        let text = String::from_utf8_lossy(&output.stdout);
        let raw = parse_pgbench(clients, &text).ok_or_else(|| {
            format!(
                "pgbench at {clients} clients gave no figures ({}):\n{text}\n{}",
                output.status,
                String::from_utf8_lossy(&output.stderr)
            )
        })?;
        println!(
            "    raw cycle at {clients} clients: {:.0} cycles/s, mean {:.2} ms",
            raw.cycles_per_sec, raw.mean_ms
        );
        levels.push(raw);
    }
    Ok(levels)
}

fn psql(url: &str) -> Command {
    let mut command = Command::new(tool("psql"));
    command.args(["-q", "-X", "-v", "ON_ERROR_STOP=1", "-d", url]);
    command
}

/// A PostgreSQL client tool: from the distro's server binaries when they are there, else PATH.
fn tool(name: &str) -> PathBuf {
    postgres::bin_dir()
        .map(|bin| bin.join(name))
        .filter(|path| path.is_file())
        .unwrap_or_else(|| PathBuf::from(name))
}

/// The URL with its database replaced (the part after the last `/`, before any `?`).
fn with_database(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((base, query)) => (base, Some(query)),
        None => (url, None),
    };
    let scheme_end = base.find("://").map_or(0, |i| i + 3);
    let host_part = match base[scheme_end..].find('/') {
        Some(slash) => &base[..scheme_end + slash],
        None => base,
    };
    match query {
        Some(query) => format!("{host_part}/{name}?{query}"),
        None => format!("{host_part}/{name}"),
    }
}

/// The figures of one pgbench run: `tps = N (…)` and `latency average = N ms`.
fn parse_pgbench(clients: u32, output: &str) -> Option<Raw> {
    let number_after = |marker: &str| {
        output.lines().find_map(|line| {
            let rest = line.split_once(marker)?.1.trim_start();
            rest.split_whitespace().next()?.parse::<f64>().ok()
        })
    };
    Some(Raw {
        clients,
        cycles_per_sec: number_after("tps = ")?,
        mean_ms: number_after("latency average = ")?,
    })
}

/// The benches' `key<TAB>value` lines.
fn parse_record(text: &str) -> BTreeMap<String, String> {
    text.lines()
        .filter_map(|line| line.split_once('\t'))
        .map(|(key, value)| (key.trim().to_owned(), value.trim().to_owned()))
        .collect()
}

/// A wrk latency (`15.81ms`, `1.20s`, `850.00us`) in milliseconds.
fn wrk_ms(text: &str) -> Option<f64> {
    let text = text.trim();
    let (number, factor) = if let Some(n) = text.strip_suffix("us") {
        (n, 0.001)
    } else if let Some(n) = text.strip_suffix("ms") {
        (n, 1.0)
    } else if let Some(n) = text.strip_suffix('s') {
        (n, 1000.0)
    } else {
        (text, 1.0)
    };
    number.parse::<f64>().ok().map(|n| n * factor)
}

/// The table: the raw cycle before and after, ours beside it as a share of their mean, and
/// the targets met or not.
fn summary(before: &[Raw], after: &[Raw], record: &BTreeMap<String, String>) -> String {
    let number = |key: &str| record.get(key).and_then(|v| v.parse::<f64>().ok());
    let raw_mean = |clients: u32| {
        let all: Vec<f64> = before
            .iter()
            .chain(after)
            .filter(|r| r.clients == clients)
            .map(|r| r.cycles_per_sec)
            .collect();
        (!all.is_empty()).then(|| all.iter().sum::<f64>() / all.len() as f64)
    };
    let met = |yes: bool| if yes { "met" } else { "**not met**" };
    let mut out = String::from(
        "| | 8 sellers | 32 sellers |\n|---|---:|---:|\n| The raw cycle (pgbench, before / after) |",
    );
    for clients in LEVELS {
        let at = |runs: &[Raw]| {
            runs.iter()
                .find(|r| r.clients == clients)
                .map_or("—".to_owned(), |r| format!("{:.0}", r.cycles_per_sec))
        };
        let _ = write!(out, " {} / {} |", at(before), at(after));
    }
    let mut verdicts = Vec::new();
    for (label, prefix, target) in [
        (
            "Our storage cycle (`PgStore`)",
            "storage.ours",
            TARGET_STORAGE,
        ),
        (
            "Our HTTP cycle (release server, wrk)",
            "http.cycle",
            TARGET_HTTP,
        ),
    ] {
        let _ = write!(out, "\n| {label} |");
        for clients in LEVELS {
            let ours = number(&format!("{prefix}.{clients}"));
            let p99 = if prefix == "http.cycle" {
                record.get(&format!("http.cycle.{clients}.p99")).cloned()
            } else {
                number(&format!("storage.ours.{clients}.p99_ms")).map(|ms| format!("{ms:.1}ms"))
            };
            match (ours, raw_mean(clients)) {
                (Some(ours), Some(raw)) => {
                    let share = ours / raw;
                    let _ = write!(
                        out,
                        " {ours:.0} ({:.0}% of raw, p99 {}) |",
                        100.0 * share,
                        p99.as_deref().unwrap_or("—")
                    );
                    verdicts.push(format!(
                        "{label} at {clients} sellers ≥ {:.0}% of raw: {}",
                        100.0 * target,
                        met(share >= target)
                    ));
                }
                _ => out.push_str(" — |"),
            }
        }
    }
    if let Some(p99) = record.get("http.cycle.32.p99").and_then(|v| wrk_ms(v)) {
        verdicts.push(format!(
            "HTTP cycle p99 at 32 sellers < {TARGET_HTTP_P99_MS_AT_32:.0} ms ({p99:.1} ms): {}",
            met(p99 < TARGET_HTTP_P99_MS_AT_32)
        ));
    }
    if let Some(read) = number("http.read") {
        let p99 = record.get("http.read.p99").map_or("—", String::as_str);
        let _ = write!(
            out,
            "\n| Authenticated read (`GET /api/assignments/{{id}}`, 32 connections) | {read:.0} requests/s, p99 {p99} | |"
        );
        verdicts.push(format!(
            "Authenticated read ≥ {TARGET_READ:.0} requests/s: {}",
            met(read >= TARGET_READ)
        ));
    }
    let shares: Vec<String> = LEVELS
        .iter()
        .filter_map(|c| number(&format!("storage.counters_share.{c}")).map(|s| format!("{s:.0}%")))
        .collect();
    if !shares.is_empty() {
        let _ = write!(
            out,
            "\n| The report counters' share of the raw storage cycle | {} |",
            shares.join(" | ")
        );
    }
    if let (Some(hot), Some(indexes)) = (
        number("storage.enrollments.hot_percent"),
        number("storage.enrollments.indexes"),
    ) {
        let _ = write!(
            out,
            "\n| Enrollment updates of the storage run written HOT (no index entry) | {hot:.0}% ({indexes:.0} indexes on enrollments) | |"
        );
    }
    let errors: Vec<String> = [
        "http.cycle.8.errors",
        "http.cycle.32.errors",
        "http.read.errors",
    ]
    .iter()
    .filter_map(|key| {
        record
            .get(*key)
            .filter(|v| v.as_str() != "0")
            .map(|v| format!("{key} {v}"))
    })
    .collect();
    out.push_str("\n\nAgainst issue 19's targets:\n");
    for verdict in verdicts {
        let _ = writeln!(out, "- {verdict}");
    }
    if !errors.is_empty() {
        let _ = writeln!(out, "- errors: {}", errors.join(", "));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_database_of_a_url_is_replaced() {
        assert_eq!(
            with_database("postgres://postgres@127.0.0.1:5432/postgres", "raw"),
            "postgres://postgres@127.0.0.1:5432/raw"
        );
        assert_eq!(
            with_database("postgres://u@h:5/db?sslmode=disable", "raw"),
            "postgres://u@h:5/raw?sslmode=disable"
        );
        assert_eq!(
            with_database("postgres://u@h:5", "raw"),
            "postgres://u@h:5/raw"
        );
    }

    #[test]
    fn pgbench_figures_are_read() {
        let output = "transaction type: cycle.sql\nnumber of clients: 8\n\
                      latency average = 5.123 ms\n\
                      initial connection time = 3.2 ms\n\
                      tps = 1561.234 (without initial connection time)\n";
        assert_eq!(
            parse_pgbench(8, output),
            Some(Raw {
                clients: 8,
                cycles_per_sec: 1561.234,
                mean_ms: 5.123
            })
        );
        assert_eq!(parse_pgbench(8, "pgbench: error: connection refused"), None);
    }

    #[test]
    fn wrk_latencies_become_milliseconds() {
        assert_eq!(wrk_ms("15.81ms"), Some(15.81));
        assert_eq!(wrk_ms("1.50s"), Some(1500.0));
        assert_eq!(wrk_ms("850.00us"), Some(0.85));
        assert_eq!(wrk_ms("fast"), None);
    }

    #[test]
    fn the_summary_divides_by_the_mean_raw_cycle_and_judges_the_targets() {
        let raw = |clients, cycles_per_sec| Raw {
            clients,
            cycles_per_sec,
            mean_ms: 1.0,
        };
        let record = parse_record(
            "storage.ours.8\t750.000\nstorage.ours.8.p99_ms\t20.5\nstorage.ours.32\t700\n\
             http.cycle.8\t500\nhttp.cycle.8.p99\t15.81ms\nhttp.cycle.32\t400\n\
             http.cycle.32.p99\t60.50ms\nhttp.cycle.32.errors\t3\nhttp.read\t5100\n\
             http.read.p99\t9.00ms\nstorage.counters_share.8\t21.4\nstorage.counters_share.32\t24\n\
             storage.enrollments.hot_percent\t12.4\nstorage.enrollments.indexes\t13\n",
        );
        let table = summary(
            &[raw(8, 900.0), raw(32, 1000.0)],
            &[raw(8, 1100.0), raw(32, 1000.0)],
            &record,
        );
        assert!(table.contains("| 900 / 1100 | 1000 / 1000 |"), "{table}");
        assert!(table.contains("750 (75% of raw, p99 20.5ms)"), "{table}");
        assert!(table.contains("700 (70% of raw"), "{table}");
        assert!(table.contains("500 (50% of raw, p99 15.81ms)"), "{table}");
        assert!(table.contains("at 8 sellers ≥ 70% of raw: met"), "{table}");
        assert!(
            table.contains(
                "Our HTTP cycle (release server, wrk) at 32 sellers ≥ 50% of raw: **not met**"
            ),
            "{table}"
        );
        assert!(table.contains("(60.5 ms): **not met**"), "{table}");
        assert!(table.contains("≥ 5000 requests/s: met"), "{table}");
        assert!(table.contains("| 21% | 24% |"), "{table}");
        assert!(table.contains("http.cycle.32.errors 3"), "{table}");
        assert!(
            table.contains("| 12% (13 indexes on enrollments) |"),
            "{table}"
        );
    }
}
