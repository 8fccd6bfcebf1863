//! `cargo xtask` — Cube's project automation.
//!
//! It lives in Rust rather than in shell scripts so that the gate runs the same way on every
//! machine and is itself tested. It uses std only, so it builds in seconds on a fresh clone.
//!
//! Subcommands:
//! - `test [-- ARGS]`: the whole gate (fmt, clippy, walls, PostgreSQL, tests, doc tests,
//!   the OpenAPI check, the browser tests).
//! - `api-fuzz`: the OpenAPI document checked by schemathesis against the running server.
//! - `oracle`: Norway's holidays from python-holidays, compared with the committed oracle.
//! - `browser`: the web pages under `/app` driven in Chromium (`tests/browser/`).
//! - `bench [NAME]`: the benchmarks whose figures go into `docs/performance.md`.
//! - `load [FLAGS]`: simulated sellers against one or two server processes.
//! - `walls`: the architecture rules between workspace crates.
//! - `pg`: find or start a throwaway PostgreSQL and print its `DATABASE_URL`.

mod api_fuzz;
mod bench;
mod browser;
mod cycle;
mod load;
mod oracle;
mod postgres;
mod test;
mod walls;

use std::ffi::OsStr;
use std::fmt;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

const USAGE: &str = "\
usage: cargo xtask <command>

commands:
  test [-- ARGS]   the whole gate: fmt, clippy, walls, PostgreSQL, tests, doc tests and,
                   without a package selection, api-fuzz and browser; ARGS go to
                   `cargo nextest run` (e.g. `-- -p cube-domain`)
  api-fuzz         schemathesis (from PyPI, in target/api-fuzz/venv) against the running
                   server's OpenAPI document: no server errors, no responses off the schema
  oracle           Norway's public holidays from python-holidays (PyPI, in target/oracle/venv)
                   compared with the oracle the domain's calendar is tested against
  browser          the /app pages in Debian's Chromium (tests/browser/run.mjs): keyboard
                   scenarios, axe-core, screenshots in target/screenshots/
  bench [NAME]     run the benchmarks (NAME: hot_paths, the default; storage and http take
                   `--store postgres|sqlite`, postgres the default and needing PostgreSQL;
                   http needs wrk)
  load [FLAGS]     simulated sellers at a human pace against one or two server processes
                   on PostgreSQL: --sellers 1000,2500,5000,10000 --processes 2 --secs 60
                   --think 20 [--customers N]; prints the largest step with p99 < 100 ms
  walls            check the architecture rules between workspace crates
  pg               find or start a throwaway PostgreSQL, print DATABASE_URL, wait for Enter";

/// Why a task stopped: a message for the user and the process exit code.
#[derive(Debug)]
pub struct Failure {
    pub code: u8,
    pub message: String,
}

impl Failure {
    pub fn new(code: u8, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
        }
    }

    /// A command-line mistake (exit code 2).
    pub fn usage(message: impl Into<String>) -> Self {
        Self::new(2, format!("{}\n\n{USAGE}", message.into()))
    }
}

impl From<String> for Failure {
    fn from(message: String) -> Self {
        Self::new(1, message)
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

pub type Outcome = Result<(), Failure>;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    // Every guard (such as a throwaway PostgreSQL cluster) is dropped inside `dispatch`,
    // before we pick the exit code: `std::process::exit` would skip their `Drop`.
    match dispatch(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            eprintln!("xtask: {failure}");
            ExitCode::from(failure.code.max(1))
        }
    }
}

fn dispatch(args: &[String]) -> Outcome {
    let Some((command, rest)) = args.split_first() else {
        return Err(Failure::usage("no command given"));
    };
    match command.as_str() {
        "test" => test::run(rest),
        "bench" => bench::run(rest),
        "load" => load::run(rest),
        "api-fuzz" => api_fuzz::run(rest),
        "oracle" => oracle::run(rest),
        "browser" => browser::run(rest),
        "walls" => {
            no_arguments(command, rest)?;
            walls::run(&repo_root())
        }
        "pg" => {
            no_arguments(command, rest)?;
            postgres::serve()
        }
        // Hidden: start and stop a throwaway cluster once, to check this machine can.
        "pg-selftest" => {
            no_arguments(command, rest)?;
            postgres::selftest()
        }
        "help" | "-h" | "--help" => {
            println!("{USAGE}");
            Ok(())
        }
        other => Err(Failure::usage(format!("unknown command `{other}`"))),
    }
}

fn no_arguments(command: &str, rest: &[String]) -> Outcome {
    if rest.is_empty() {
        Ok(())
    } else {
        Err(Failure::usage(format!(
            "`{command}` takes no arguments (got `{}`)",
            rest.join(" ")
        )))
    }
}

/// The workspace root: the parent of this crate's folder.
pub fn repo_root() -> PathBuf {
    let manifest_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest_dir
        .parent()
        .map_or_else(|| manifest_dir.to_path_buf(), Path::to_path_buf)
}

/// A `cargo` command run from the workspace root, using the same cargo that runs us.
pub fn cargo(args: &[&str]) -> Command {
    let program = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut command = Command::new(program);
    command.args(args).current_dir(repo_root());
    command
}

/// The command line as a user would type it (`cargo …`, not the toolchain's full path).
pub fn describe(command: &Command) -> String {
    let program = Path::new(command.get_program())
        .file_name()
        .unwrap_or_else(|| command.get_program());
    std::iter::once(program)
        .chain(command.get_args())
        .map(quote)
        .collect::<Vec<_>>()
        .join(" ")
}

fn quote(word: &OsStr) -> String {
    let word = word.to_string_lossy();
    if word.is_empty() || word.contains(char::is_whitespace) {
        format!("'{word}'")
    } else {
        word.into_owned()
    }
}

/// Prints the step header (`==> clippy: cargo clippy …`), runs the command with inherited
/// output, and fails with a clear message if it does not succeed.
pub fn run_step(step: &str, command: &mut Command) -> Outcome {
    let line = describe(command);
    println!("==> {step}: {line}");
    let status = command
        .status()
        .map_err(|error| format!("step `{step}` could not start `{line}`: {error}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(Failure::from(format!(
            "step `{step}` failed ({status}): {line}"
        )))
    }
}
