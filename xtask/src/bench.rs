//! `cargo xtask bench [NAME]`: runs a benchmark suite and prints the exact command, so the
//! figures recorded in `docs/performance.md` always come with the command that produced them.
//!
//! - `hot_paths` (the default): the in-memory hot paths (`cube-app`, divan), seconds.
//! - `storage [--store postgres|sqlite]`: a store under load, beside the same SQL run raw.
//!   PostgreSQL (the default, `cube-postgres`'s `storage` bench): it finds the server the way
//!   `cargo xtask test` does (`DATABASE_URL`, a server on 127.0.0.1:5432, or a throwaway
//!   cluster), passes it as `DATABASE_URL`, and takes a quarter of an hour or more: it loads
//!   1M enrollments and 10M outcome events into a database of its own. SQLite
//!   (`cube-sqlite`'s `storage` bench): a database file in a temporary folder, 100k
//!   customers enrolled and 1M outcome events, a few minutes; no server needed.
//! - `http [--store postgres|sqlite]`: the release server under wrk (`cube-server`'s `http`
//!   bench) on PostgreSQL (the default) or on the embedded SQLite default (a database file in
//!   a temporary folder): the next-customer → register-outcome cycle at 8 and 32 sellers and
//!   an authenticated read. Needs wrk (Debian: `apt-get install wrk`).
//! - `web [--store postgres|sqlite]`: the web app's pages under wrk with 100 sessions
//!   (`cube-server`'s `web` bench): the server time of each page, p50 and p99.
//! - `import`: customer files (`.csv`, `.xlsx`, 100,000 rows each) through the release
//!   server's file import on SQLite and on PostgreSQL in one run, rows/s and the server's
//!   memory, beside PostgreSQL's `COPY` of the same rows (`cube-server`'s `import` bench).
//! - `export`: the concrete-outcomes export of 1,000,000 outcomes as `.xlsx` and `.csv`
//!   through the release server on SQLite and on PostgreSQL, seconds and the server's memory
//!   before and at its peak (`cube-server`'s `export` bench).
//! - `cycle`: the seller's cycle in one run beside the least SQL it needs — pgbench's raw
//!   cycle, our storage cycle, our HTTP cycle and an authenticated read, with the ratios and
//!   issue 19's targets (see `cycle.rs`). Needs wrk.
//! - `gateways`: one SMS through each HTTP gateway to a local provider stand-in, one after
//!   another as the outbox sends them — the JSON webhook over http:// and https://, the
//!   Twilio-style gateway over https:// — and `Paced` holding a rate (`cube-gateways`'s
//!   `gateways` bench). Seconds; no server or database.
//! - `outbox`: messages a second through the outbox of one and of two release server
//!   processes on one PostgreSQL to a local provider stand-in (`cube-server`'s `outbox`
//!   bench; CUBE_BENCH_MESSAGES sets how many, 10,000 by default).

use crate::{Failure, Outcome, cargo, describe, postgres, run_step};

/// Benchmark suites that exist today.
const BUILT: &[&str] = &[
    "hot_paths",
    "storage",
    "http",
    "web",
    "import",
    "export",
    "cycle",
    "gateways",
    "outbox",
];

/// A suite to run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Suite {
    /// The in-memory hot paths.
    HotPaths,
    /// A store under load, beside its SQL run raw.
    Storage(BenchStore),
    /// The release server under wrk, on one store: the API (`http`) or the web app's pages
    /// (`web`).
    Server(&'static str, BenchStore),
    /// Customer files through the release server on both stores, beside `COPY`.
    Import,
    /// A million-outcome export through the release server on both stores.
    Export,
    /// The seller's cycle beside the raw cycle, storage and HTTP in one run.
    Cycle,
    /// One SMS through each HTTP gateway to a local provider.
    Gateways,
    /// The outbox of one and two release server processes to a local provider.
    Outbox,
}

/// The store a suite runs on (`--store`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum BenchStore {
    /// PostgreSQL, found like `cargo xtask test` finds it.
    Postgres,
    /// The embedded SQLite default, a file of its own.
    Sqlite,
}

impl BenchStore {
    /// The `--store` flag that names it on the command line, empty for the default.
    fn flag(self) -> &'static str {
        match self {
            BenchStore::Postgres => "",
            BenchStore::Sqlite => " --store sqlite",
        }
    }
}

/// The store `--store VALUE` names, for the suite `name`.
fn store(name: &str, value: &str) -> Result<BenchStore, Failure> {
    match value {
        "postgres" => Ok(BenchStore::Postgres),
        "sqlite" => Ok(BenchStore::Sqlite),
        other => Err(Failure::usage(format!(
            "unknown store `{other}` for `bench {name} --store` (postgres or sqlite)"
        ))),
    }
}

/// The suite the arguments name.
fn suite(args: &[String]) -> Result<Suite, Failure> {
    match args {
        [] => Ok(Suite::HotPaths),
        [name] if name == "hot_paths" => Ok(Suite::HotPaths),
        [name] if name == "storage" => Ok(Suite::Storage(BenchStore::Postgres)),
        [name] if name == "http" => Ok(Suite::Server("http", BenchStore::Postgres)),
        [name] if name == "web" => Ok(Suite::Server("web", BenchStore::Postgres)),
        [name] if name == "import" => Ok(Suite::Import),
        [name] if name == "export" => Ok(Suite::Export),
        [name] if name == "cycle" => Ok(Suite::Cycle),
        [name] if name == "gateways" => Ok(Suite::Gateways),
        [name] if name == "outbox" => Ok(Suite::Outbox),
        [name, flag, value] if name == "storage" && flag == "--store" => {
            store(name, value).map(Suite::Storage)
        }
        [name, flag, value] if name == "http" && flag == "--store" => {
            store(name, value).map(|s| Suite::Server("http", s))
        }
        [name, flag, value] if name == "web" && flag == "--store" => {
            store(name, value).map(|s| Suite::Server("web", s))
        }
        [name] => Err(Failure::usage(format!(
            "unknown benchmark `{name}` (available: {})",
            BUILT.join(", ")
        ))),
        _ => Err(Failure::usage(
            "`bench` takes one NAME (and for storage, http and web, `--store postgres|sqlite`)",
        )),
    }
}

/// Runs `cube-server`'s bench `name` with `DATABASE_URL` set to the PostgreSQL server found
/// as `cargo xtask test` finds it, then prints the command to record with the figures.
fn on_postgres(name: &str, knob: &str) -> Result<(), Failure> {
    println!("==> postgres");
    let database = postgres::discover()?;
    let mut command = cargo(&["bench", "-p", "cube-server", "--bench", name]);
    command.env("DATABASE_URL", database.url());
    run_step("bench", &mut command)?;
    drop(database);
    println!();
    println!(
        "Recorded with: `cargo xtask bench {name}` (it runs `{}` with DATABASE_URL set; \
         {knob}) — put the table above in docs/performance.md together with this command.",
        describe(&command)
    );
    Ok(())
}

pub fn run(args: &[String]) -> Outcome {
    match suite(args)? {
        Suite::HotPaths => {
            let mut command = cargo(&["bench", "-p", "cube-app", "--bench", "hot_paths"]);
            run_step("bench", &mut command)?;
            println!();
            println!(
                "Recorded with: `{}` — put the figures above in docs/performance.md together \
                 with this command.",
                describe(&command)
            );
        }
        Suite::Storage(BenchStore::Postgres) => {
            println!("==> postgres");
            // Dropped at the end of this arm: a throwaway cluster is stopped, also on failure.
            let database = postgres::discover()?;
            let mut command = cargo(&["bench", "-p", "cube-postgres", "--bench", "storage"]);
            command.env("DATABASE_URL", database.url());
            run_step("bench", &mut command)?;
            drop(database);
            println!();
            println!(
                "Recorded with: `cargo xtask bench storage` (it runs `{}` with DATABASE_URL \
                 set) — put the tables above in docs/performance.md together with this command.",
                describe(&command)
            );
        }
        Suite::Storage(BenchStore::Sqlite) => {
            let mut command = cargo(&["bench", "-p", "cube-sqlite", "--bench", "storage"]);
            run_step("bench", &mut command)?;
            println!();
            println!(
                "Recorded with: `cargo xtask bench storage --store sqlite` (it runs `{}`) — put \
                 the tables above in docs/performance.md together with this command.",
                describe(&command)
            );
        }
        Suite::Cycle => crate::cycle::run()?,
        Suite::Gateways => {
            let mut command = cargo(&[
                "bench",
                "-p",
                "cube-gateways",
                "--features",
                "testing",
                "--bench",
                "gateways",
            ]);
            run_step("bench", &mut command)?;
            println!();
            println!(
                "Recorded with: `cargo xtask bench gateways` (it runs `{}`; CUBE_BENCH_MESSAGES \
                 sets the messages a gateway) — put the table above in docs/performance.md \
                 together with this command.",
                describe(&command)
            );
        }
        Suite::Import => on_postgres("import", "CUBE_BENCH_ROWS sets the rows per file")?,
        Suite::Outbox => on_postgres("outbox", "CUBE_BENCH_MESSAGES sets the messages")?,
        Suite::Export => on_postgres("export", "CUBE_BENCH_EXPORT_ROWS sets the outcomes")?,
        Suite::Server(bench, store) => {
            if std::process::Command::new("wrk")
                .arg("--version")
                .output()
                .is_err()
            {
                return Err(Failure::from(format!(
                    "the {bench} bench needs wrk on PATH (Debian: apt-get install wrk)"
                )));
            }
            let mut command = cargo(&["bench", "-p", "cube-server", "--bench", bench]);
            let database = match store {
                BenchStore::Postgres => {
                    println!("==> postgres");
                    let database = postgres::discover()?;
                    command.env("DATABASE_URL", database.url());
                    command.env("CUBE_BENCH_STORE", "postgres");
                    Some(database)
                }
                BenchStore::Sqlite => {
                    command.env("CUBE_BENCH_STORE", "sqlite");
                    None
                }
            };
            run_step("bench", &mut command)?;
            drop(database);
            let flag = store.flag();
            println!();
            println!(
                "Recorded with: `cargo xtask bench {bench}{flag}` (it runs `{}` with \
                 CUBE_BENCH_STORE set) — put the table above in docs/performance.md together \
                 with this command.",
                describe(&command)
            );
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(words: &[&str]) -> Vec<String> {
        words.iter().map(|word| (*word).to_owned()).collect()
    }

    #[test]
    fn no_name_means_the_hot_paths() {
        assert_eq!(suite(&[]).ok(), Some(Suite::HotPaths));
        assert_eq!(suite(&args(&["hot_paths"])).ok(), Some(Suite::HotPaths));
    }

    #[test]
    fn storage_and_http_are_built() {
        assert_eq!(
            suite(&args(&["storage"])).ok(),
            Some(Suite::Storage(BenchStore::Postgres))
        );
        assert_eq!(
            suite(&args(&["http"])).ok(),
            Some(Suite::Server("http", BenchStore::Postgres))
        );
        assert_eq!(
            suite(&args(&["http", "--store", "sqlite"])).ok(),
            Some(Suite::Server("http", BenchStore::Sqlite))
        );
        assert!(suite(&args(&["http", "--store", "oracle"])).is_err());
        assert_eq!(suite(&args(&["import"])).ok(), Some(Suite::Import));
        assert_eq!(suite(&args(&["outbox"])).ok(), Some(Suite::Outbox));
        assert_eq!(suite(&args(&["export"])).ok(), Some(Suite::Export));
        assert_eq!(suite(&args(&["cycle"])).ok(), Some(Suite::Cycle));
        assert_eq!(suite(&args(&["gateways"])).ok(), Some(Suite::Gateways));
        assert_eq!(
            suite(&args(&["web", "--store", "sqlite"])).ok(),
            Some(Suite::Server("web", BenchStore::Sqlite))
        );
    }

    #[test]
    fn storage_runs_on_either_store_postgres_by_default() {
        assert_eq!(
            suite(&args(&["storage", "--store", "postgres"])).ok(),
            Some(Suite::Storage(BenchStore::Postgres))
        );
        assert_eq!(
            suite(&args(&["storage", "--store", "sqlite"])).ok(),
            Some(Suite::Storage(BenchStore::Sqlite))
        );
        let unknown = suite(&args(&["storage", "--store", "oracle"]))
            .err()
            .map(|f| f.message);
        assert!(unknown.is_some_and(|m| m.contains("unknown store `oracle` for `bench storage")));
        // The flag is spelled out, and takes a value.
        assert!(suite(&args(&["storage", "--stor", "sqlite"])).is_err());
        assert!(suite(&args(&["storage", "--store"])).is_err());
        assert!(suite(&args(&["storage", "sqlite"])).is_err());
    }

    #[test]
    fn the_recorded_command_names_a_store_other_than_the_default() {
        assert_eq!(BenchStore::Postgres.flag(), "");
        assert_eq!(BenchStore::Sqlite.flag(), " --store sqlite");
    }

    #[test]
    fn hot_paths_take_no_store() {
        assert!(suite(&args(&["hot_paths", "--store", "sqlite"])).is_err());
    }

    #[test]
    fn unknown_names_are_refused_with_the_list() {
        let unknown = suite(&args(&["disk"])).err().map(|f| f.message);
        assert!(
            unknown.is_some_and(|m| m.contains("unknown benchmark `disk`") && m.contains("http"))
        );
        assert!(suite(&args(&["storage", "http"])).is_err());
    }
}
