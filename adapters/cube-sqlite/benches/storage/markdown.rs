//! The report the bench prints: the machine, the load, the tables, and each target of
//! issue 13 with "met" or "**missed**".

use crate::paths::{Sample, Work};
use crate::{
    BenchResult, Config, IMPORT_SELLERS, TARGET_IMPORT, TARGET_NEXT_P99_MS, TARGET_RATIO,
    TARGET_REPORT_MS, WARM_UP, count_text, met, ms, plural,
};
use cube_sqlite::{SqliteOptions, SqliteStore};
use sqlx::{AssertSqlSafe, Row};
use std::fmt::Write as _;
use std::path::Path;
use std::time::Duration;

/// The markdown report, filled as the bench goes.
#[derive(Default)]
pub(crate) struct Report {
    pub(crate) machine: Vec<(String, String)>,
    pub(crate) load: Vec<(String, String, Duration)>,
    pub(crate) paths: Vec<PathRow>,
    pub(crate) reports: Vec<Timed>,
    pub(crate) imports: Vec<(String, Imported)>,
    /// The sellers' cycles during the second import.
    pub(crate) beside_import: Option<Sample>,
    pub(crate) notes: Vec<String>,
}

/// How an import went.
pub(crate) enum Imported {
    /// Done: rows, time, and what it did.
    Done(usize, Duration, String),
    /// Dropped (rolled back) after the time limit.
    TimedOut(usize, Duration),
    /// Failed.
    Failed(usize, String),
}

/// A report's (or search's) timings.
pub(crate) struct Timed {
    pub(crate) name: String,
    pub(crate) input: String,
    pub(crate) median_ms: f64,
    pub(crate) runs_ms: Vec<f64>,
}

pub(crate) struct PathRow {
    pub(crate) work: Work,
    pub(crate) sellers: usize,
    pub(crate) ours: Sample,
    pub(crate) raw: Sample,
}

/// The machine and database the figures come from.
pub(crate) async fn machine_facts(
    store: &SqliteStore,
    path: &Path,
    options: &SqliteOptions,
) -> BenchResult<Vec<(String, String)>> {
    let mut facts = Vec::new();
    let cores = std::thread::available_parallelism().map_or(0, usize::from);
    facts.push(("CPU cores (nproc)".into(), cores.to_string()));
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    if let Some(model) = cpuinfo
        .lines()
        .find_map(|l| l.strip_prefix("model name"))
        .and_then(|l| l.split_once(':'))
    {
        facts.push(("CPU".into(), model.1.trim().to_owned()));
    }
    let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
    if let Some(kib) = meminfo
        .lines()
        .find_map(|l| l.strip_prefix("MemTotal:"))
        .and_then(|l| l.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
    {
        facts.push((
            "Memory".into(),
            format!("{:.0} GiB", kib as f64 / 1_048_576.0),
        ));
    }
    if let Ok(load) = std::fs::read_to_string("/proc/loadavg") {
        let load: Vec<&str> = load.split_whitespace().take(3).collect();
        facts.push((
            "Load average at start (shared machine)".into(),
            load.join(" "),
        ));
    }
    // The file system the database lives on: the longest mount point above it.
    let mounts = std::fs::read_to_string("/proc/mounts").unwrap_or_default();
    if let Some((point, fs, device)) = mounts
        .lines()
        .filter_map(|l| {
            let mut parts = l.split_whitespace();
            let device = parts.next()?;
            let point = parts.next()?;
            let fs = parts.next()?;
            path.starts_with(point).then_some((point, fs, device))
        })
        .max_by_key(|(point, _, _)| point.len())
    {
        facts.push((
            "Database file".into(),
            format!("{} ({fs} on {device}, mounted at {point})", path.display()),
        ));
    }
    let mut conn = store.pool().acquire().await?;
    let version: String = sqlx::query_scalar("SELECT sqlite_version()")
        .fetch_one(&mut *conn)
        .await?;
    facts.push(("SQLite".into(), format!("{version} (bundled by sqlx)")));
    let mut pragmas = Vec::new();
    for pragma in [
        "journal_mode",
        "synchronous",
        "busy_timeout",
        "cache_size",
        "page_size",
        "foreign_keys",
    ] {
        let value: String = sqlx::query(AssertSqlSafe(format!("PRAGMA {pragma}")))
            .fetch_one(&mut *conn)
            .await
            .and_then(|row| {
                row.try_get::<String, _>(0)
                    .or_else(|_| row.try_get::<i64, _>(0).map(|n| n.to_string()))
            })?;
        pragmas.push(format!("{pragma}={value}"));
    }
    facts.push((
        "Store (`SqliteOptions`: the server's defaults unless noted below)".into(),
        format!(
            "{} connections, busy timeout {} ms; {}",
            options.max_connections,
            options.busy_timeout.as_millis(),
            pragmas.join(", ")
        ),
    ));
    facts.push((
        "Raw side".into(),
        "one connection of its own (no pool), taken in turn; the same pragmas".into(),
    ));
    Ok(facts)
}

impl Report {
    pub(crate) fn markdown(&self, config: Config) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "### Machine\n\n| | |\n|---|---|");
        for (name, value) in &self.machine {
            let _ = writeln!(out, "| {name} | {value} |");
        }
        let _ = writeln!(
            out,
            "\n### Loading\n\n| Step | Rows | Time |\n|---|---:|---:|"
        );
        let mut total = Duration::ZERO;
        for (step, rows, time) in &self.load {
            total += *time;
            let _ = writeln!(out, "| {step} | {rows} | {:.1} s |", time.as_secs_f64());
        }
        let _ = writeln!(out, "| **Total** | | **{:.1} s** |", total.as_secs_f64());

        let _ = writeln!(
            out,
            "\n### Hot paths (ours = through `SqliteStore`; raw = the same SQL through sqlx \
             alone, one connection)\n\n\
             {:.0} s per path per level (two slices, ours–raw–raw–ours, after a {:.0} s warm-up \
             each).\n\n\
             | Path | Sellers | Ours ops/s | Raw ops/s | Ours / raw | Ours p50 | Ours p99 | Raw p50 | Raw p99 | Errors |\n\
             |---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
            2.0 * config.slice.as_secs_f64(),
            WARM_UP.as_secs_f64()
        );
        for row in &self.paths {
            let ratio = row.ours.throughput() / row.raw.throughput();
            let mark = if row.work == Work::Cycle && ratio < TARGET_RATIO {
                " (**below 80%**)"
            } else {
                ""
            };
            let _ = writeln!(
                out,
                "| {} | {} | {:.0} | {:.0} | {:.0}%{mark} | {} | {} | {} | {} | {} |",
                row.work.label(),
                row.sellers,
                row.ours.throughput(),
                row.raw.throughput(),
                100.0 * ratio,
                ms(row.ours.percentile(50.0)),
                ms(row.ours.percentile(99.0)),
                ms(row.raw.percentile(50.0)),
                ms(row.raw.percentile(99.0)),
                row.ours.errors() + row.raw.errors(),
            );
        }
        for row in &self.paths {
            for (name, sample) in [("ours", &row.ours), ("raw", &row.raw)] {
                if let Some(error) = &sample.first_error {
                    let _ = writeln!(
                        out,
                        "\nErrors in {} at {} ({name}): {} (first: {error})",
                        row.work.label(),
                        plural(row.sellers, "seller"),
                        sample.errors()
                    );
                }
            }
        }

        let _ = writeln!(
            out,
            "\n### Reports and customer search (through the port, read units)\n\n\
             | Operation | Input → output | Median | Runs (ms) | Target | Met |\n\
             |---|---|---:|---|---:|---|"
        );
        for timed in &self.reports {
            let runs: Vec<String> = timed.runs_ms.iter().map(|r| format!("{r:.0}")).collect();
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | < {TARGET_REPORT_MS:.0} ms | {} |",
                timed.name,
                timed.input,
                ms(timed.median_ms),
                runs.join(", "),
                if timed.median_ms < TARGET_REPORT_MS {
                    "yes"
                } else {
                    "**no**"
                }
            );
        }

        let _ = writeln!(
            out,
            "\n### Import (`import_batch` + commit, a unit of work per 2,000 rows, fresh customers, second \
             assignment)\n\n\
             | Import | Rows → result | Time | Target | Met |\n|---|---|---:|---:|---|"
        );
        for (name, imported) in &self.imports {
            let rows = |n: &usize| count_text(i64::try_from(*n).unwrap_or(i64::MAX));
            let target = format!("< {:.0} s", TARGET_IMPORT.as_secs_f64());
            let _ = match imported {
                Imported::Done(n, time, counts) => writeln!(
                    out,
                    "| {name} | {} rows → {counts} | {:.2} s | {target} | {} |",
                    rows(n),
                    time.as_secs_f64(),
                    if *time < TARGET_IMPORT {
                        "yes"
                    } else {
                        "**no**"
                    }
                ),
                Imported::TimedOut(n, limit) => writeln!(
                    out,
                    "| {name} | {} rows | **not done after {:.0} s** (rolled back) | {target} | **no** |",
                    rows(n),
                    limit.as_secs_f64()
                ),
                Imported::Failed(n, error) => writeln!(
                    out,
                    "| {name} | {} rows | **failed**: {error} | {target} | **no** |",
                    rows(n)
                ),
            };
        }
        if let Some(sample) = &self.beside_import {
            let _ = writeln!(
                out,
                "\nThe {IMPORT_SELLERS} sellers during the second import (the cycle through the \
                 port; operations overlapping the import, {:.1} s):\n\n\
                 | Cycles done | Cycles/s | p50 | p99 | Max | Failed | p99 incl. failed |\n\
                 |---:|---:|---:|---:|---:|---:|---:|\n\
                 | {} | {:.0} | {} | {} | {} | {} | {} |",
                sample.elapsed.as_secs_f64(),
                sample.latencies_us.len(),
                sample.throughput(),
                ms(sample.percentile(50.0)),
                ms(sample.percentile(99.0)),
                ms(sample.percentile(100.0)),
                sample.errors(),
                ms(sample.percentile_all(99.0)),
            );
            if let Some(error) = &sample.first_error {
                let _ = writeln!(out, "\nFirst failure: {error}");
            }
        }

        let _ = writeln!(
            out,
            "\n### Against the targets of issue 13\n\n| Target | Measured | Met |\n|---|---|---|"
        );
        if let Some(row) = self
            .paths
            .iter()
            .find(|r| r.work == Work::Reserve && r.sellers == 32)
        {
            let p99 = row.ours.percentile(99.0);
            let _ = writeln!(
                out,
                "| Next customer p99 < {TARGET_NEXT_P99_MS:.0} ms at 32 sellers | {} | {} |",
                ms(p99),
                met(p99 < TARGET_NEXT_P99_MS)
            );
        }
        for row in self.paths.iter().filter(|r| r.work == Work::Cycle) {
            let ratio = row.ours.throughput() / row.raw.throughput();
            let _ = writeln!(
                out,
                "| The cycle ≥ 80% of the raw SQL at {} | {:.0}% ({:.0} / {:.0} per s) | {} |",
                plural(row.sellers, "seller"),
                100.0 * ratio,
                row.ours.throughput(),
                row.raw.throughput(),
                met(ratio >= TARGET_RATIO)
            );
        }
        for (name, imported) in &self.imports {
            let (text, ok) = match imported {
                Imported::Done(_, time, _) => (
                    format!("{:.2} s", time.as_secs_f64()),
                    *time < TARGET_IMPORT,
                ),
                Imported::TimedOut(_, limit) => (
                    format!("not done after {:.0} s", limit.as_secs_f64()),
                    false,
                ),
                Imported::Failed(_, error) => (format!("failed: {error}"), false),
            };
            let _ = writeln!(
                out,
                "| A 100,000-row import under {:.0} s, {name} | {text} | {} |",
                TARGET_IMPORT.as_secs_f64(),
                met(ok)
            );
        }
        if let Some(sample) = &self.beside_import {
            let _ = writeln!(
                out,
                "| … while {IMPORT_SELLERS} sellers keep working (their p99 stated) | p99 {} over \
                 {} cycles done, {} failed (p99 {} counting the failures) | {} |",
                ms(sample.percentile(99.0)),
                sample.latencies_us.len(),
                sample.errors(),
                ms(sample.percentile_all(99.0)),
                // "Keep working": they did cycles during the import, none failed, and none
                // waited a second (a chunk's unit takes a fraction of one).
                met(!sample.latencies_us.is_empty()
                    && sample.errors() == 0
                    && sample.percentile(99.0) < 1_000.0)
            );
        }
        let slow: Vec<&Timed> = self
            .reports
            .iter()
            .filter(|t| t.median_ms >= TARGET_REPORT_MS)
            .collect();
        let _ = writeln!(
            out,
            "| Every report (and search) under {TARGET_REPORT_MS:.0} ms | {} | {} |",
            if slow.is_empty() {
                format!("all {} under", self.reports.len())
            } else {
                slow.iter()
                    .map(|t| format!("{}: {}", t.name, ms(t.median_ms)))
                    .collect::<Vec<_>>()
                    .join("; ")
            },
            met(slow.is_empty())
        );

        if !self.notes.is_empty() {
            let _ = writeln!(out);
            for note in &self.notes {
                let _ = writeln!(out, "{note}");
            }
        }
        out
    }
}
