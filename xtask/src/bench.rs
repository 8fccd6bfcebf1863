//! `cargo xtask bench [NAME]`: runs a benchmark suite and prints the exact command, so the
//! figures recorded in `docs/performance.md` always come with the command that produced them.
//!
//! - `hot_paths` (the default): the in-memory hot paths (`cube-app`, divan), seconds.
//! - `storage`: PostgreSQL under load (`cube-postgres`'s `storage` bench). It finds the server
//!   the way `cargo xtask test` does (`DATABASE_URL`, a server on 127.0.0.1:5432, or a
//!   throwaway cluster), passes it as `DATABASE_URL`, and takes a quarter of an hour or more:
//!   it loads 1M enrollments and 10M outcome events into a database of its own.
//! - `http [--store postgres|sqlite]`: the release server under wrk (`cube-server`'s `http`
//!   bench) on PostgreSQL (the default) or on the embedded SQLite default (a database file in
//!   a temporary folder): the next-customer → register-outcome cycle at 8 and 32 sellers and
//!   an authenticated read. Needs wrk (Debian: `apt-get install wrk`).

use crate::{Failure, Outcome, cargo, describe, postgres, run_step};

/// Benchmark suites that exist today.
const BUILT: &[&str] = &["hot_paths", "storage", "http"];

/// A suite to run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Suite {
    /// The in-memory hot paths.
    HotPaths,
    /// The PostgreSQL store under load.
    Storage,
    /// The release server under wrk, on one store.
    Http(HttpStore),
}

/// The store the http bench runs the server on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum HttpStore {
    /// PostgreSQL, found like `cargo xtask test` finds it.
    Postgres,
    /// The embedded SQLite default, a file of its own.
    Sqlite,
}

/// The suite the arguments name.
fn suite(args: &[String]) -> Result<Suite, Failure> {
    match args {
        [] => Ok(Suite::HotPaths),
        [name] if name == "hot_paths" => Ok(Suite::HotPaths),
        [name] if name == "storage" => Ok(Suite::Storage),
        [name] if name == "http" => Ok(Suite::Http(HttpStore::Postgres)),
        [name, flag, store] if name == "http" && flag == "--store" => match store.as_str() {
            "postgres" => Ok(Suite::Http(HttpStore::Postgres)),
            "sqlite" => Ok(Suite::Http(HttpStore::Sqlite)),
            other => Err(Failure::usage(format!(
                "unknown store `{other}` for `bench http --store` (postgres or sqlite)"
            ))),
        },
        [name] => Err(Failure::usage(format!(
            "unknown benchmark `{name}` (available: {})",
            BUILT.join(", ")
        ))),
        _ => Err(Failure::usage(
            "`bench` takes one NAME (and for http, `--store postgres|sqlite`)",
        )),
    }
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
        Suite::Storage => {
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
        Suite::Http(store) => {
            if std::process::Command::new("wrk")
                .arg("--version")
                .output()
                .is_err()
            {
                return Err(Failure::from(
                    "the http bench needs wrk on PATH (Debian: apt-get install wrk)".to_owned(),
                ));
            }
            let mut command = cargo(&["bench", "-p", "cube-server", "--bench", "http"]);
            let database = match store {
                HttpStore::Postgres => {
                    println!("==> postgres");
                    let database = postgres::discover()?;
                    command.env("DATABASE_URL", database.url());
                    command.env("CUBE_BENCH_STORE", "postgres");
                    Some(database)
                }
                HttpStore::Sqlite => {
                    command.env("CUBE_BENCH_STORE", "sqlite");
                    None
                }
            };
            run_step("bench", &mut command)?;
            drop(database);
            let flag = match store {
                HttpStore::Postgres => "",
                HttpStore::Sqlite => " --store sqlite",
            };
            println!();
            println!(
                "Recorded with: `cargo xtask bench http{flag}` (it runs `{}` with \
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
        assert_eq!(suite(&args(&["storage"])).ok(), Some(Suite::Storage));
        assert_eq!(
            suite(&args(&["http"])).ok(),
            Some(Suite::Http(HttpStore::Postgres))
        );
        assert_eq!(
            suite(&args(&["http", "--store", "sqlite"])).ok(),
            Some(Suite::Http(HttpStore::Sqlite))
        );
        assert!(suite(&args(&["http", "--store", "oracle"])).is_err());
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
