//! `cargo xtask bench [NAME]`: runs a benchmark suite and prints the exact command, so the
//! figures recorded in `docs/performance.md` always come with the command that produced them.
//!
//! - `hot_paths` (the default): the in-memory hot paths (`cube-app`, divan), seconds.
//! - `storage`: PostgreSQL under load (`cube-postgres`'s `storage` bench). It finds the server
//!   the way `cargo xtask test` does (`DATABASE_URL`, a server on 127.0.0.1:5432, or a
//!   throwaway cluster), passes it as `DATABASE_URL`, and takes a quarter of an hour or more:
//!   it loads 1M enrollments and 10M outcome events into a database of its own.
//! - `http`: the release server on PostgreSQL under wrk (`cube-server`'s `http` bench): the
//!   next-customer → register-outcome cycle at 8 and 32 sellers and an authenticated read.
//!   Needs wrk (Debian: `apt-get install wrk`).

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
    /// The release server under wrk.
    Http,
}

/// The suite the arguments name.
fn suite(args: &[String]) -> Result<Suite, Failure> {
    match args {
        [] => Ok(Suite::HotPaths),
        [name] if name == "hot_paths" => Ok(Suite::HotPaths),
        [name] if name == "storage" => Ok(Suite::Storage),
        [name] if name == "http" => Ok(Suite::Http),
        [name] => Err(Failure::usage(format!(
            "unknown benchmark `{name}` (available: {})",
            BUILT.join(", ")
        ))),
        _ => Err(Failure::usage("`bench` takes at most one NAME")),
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
        Suite::Http => {
            if std::process::Command::new("wrk")
                .arg("--version")
                .output()
                .is_err()
            {
                return Err(Failure::from(
                    "the http bench needs wrk on PATH (Debian: apt-get install wrk)".to_owned(),
                ));
            }
            println!("==> postgres");
            let database = postgres::discover()?;
            let mut command = cargo(&["bench", "-p", "cube-server", "--bench", "http"]);
            command.env("DATABASE_URL", database.url());
            run_step("bench", &mut command)?;
            drop(database);
            println!();
            println!(
                "Recorded with: `cargo xtask bench http` (it runs `{}` with DATABASE_URL set) — \
                 put the table above in docs/performance.md together with this command.",
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
        assert_eq!(suite(&args(&["http"])).ok(), Some(Suite::Http));
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
