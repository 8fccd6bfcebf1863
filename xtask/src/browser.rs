//! `cargo xtask browser`: the web pages under `/app` driven in a real browser.
//!
//! The web crate's own tests see the HTML its handlers render; only a browser runs the
//! scripts (htmx, the keyboard shortcuts) under the pages' Content-Security-Policy, moves the
//! focus, and lays the pages out. So this task builds `cube-server`, starts it on a free
//! loopback port over a fresh SQLite file with the demo organisation, and runs
//! `tests/browser/run.mjs` (Node, playwright-core and axe-core, pinned in its
//! `package-lock.json`) in Debian's Chromium: the scenarios, the accessibility check and the
//! screenshots (`target/screenshots/`) are described in `tests/browser/README.md`.
//!
//! A fresh machine needs only Node.js 20+ with npm: `npm ci` runs when `node_modules` is
//! missing or older than the lock file, and Chromium is installed with apt-get when missing
//! and we are root (no browser is ever downloaded from elsewhere). The server is killed when
//! the task ends, whether the pages passed or not; its log is kept in
//! `target/browser/server.log`.
//!
//! Environment: `CUBE_CHROMIUM`, another Chromium binary than `/usr/bin/chromium` (then
//! nothing is installed).

use crate::{Failure, Outcome, cargo, repo_root, run_step};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

/// Debian's Chromium, the browser the tests drive.
const CHROMIUM: &str = "/usr/bin/chromium";

/// The oldest Node.js playwright-core supports.
const NODE_MAJOR: u32 = 20;

/// How long the server may take to migrate, load the demo and listen (a debug build).
const STARTUP: Duration = Duration::from_secs(300);

/// What `cube-server serve` prints once it listens (`apps/cube-server/src/main.rs`).
const SERVING: &str = "Cube is serving on ";

/// The server under test: killed on drop, its log kept and its data removed.
struct Server {
    child: Child,
    dir: PathBuf,
    kept_log: PathBuf,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::copy(self.dir.join("server.log"), &self.kept_log);
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

pub fn run(args: &[String]) -> Outcome {
    if !args.is_empty() {
        return Err(Failure::usage(format!(
            "`browser` takes no arguments (got `{}`)",
            args.join(" ")
        )));
    }
    let tests = repo_root().join("tests").join("browser");
    let chromium = ensure_chromium()?;
    ensure_node()?;
    ensure_packages(&tests)?;
    run_step("build server", &mut cargo(&["build", "-p", "cube-server"]))?;

    let target = target_dir();
    let work = target.join("browser");
    let server = start(&target, &work)?;
    let (server, base) = wait_until_serving(server)?;

    let screenshots = target.join("screenshots");
    let mut command = Command::new("node");
    command
        .arg("run.mjs")
        .current_dir(&tests)
        .env("CUBE_BASE_URL", &base)
        .env("CUBE_SCREENSHOTS", &screenshots)
        .env("CUBE_CHROMIUM", &chromium);
    let result = run_step("browser", &mut command);
    drop(server);
    result.map_err(|failure| {
        Failure::from(format!(
            "{failure}\nthe browser checks failed: the list is above, the screenshots in {}, \
             the server's log in {}",
            screenshots.display(),
            work.join("server.log").display()
        ))
    })?;
    println!(
        "==> browser: every page passed; screenshots in {}",
        screenshots.display()
    );
    Ok(())
}

/// Where cargo builds: `CARGO_TARGET_DIR` when set, else `target/` in the workspace.
fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo_root().join("target"))
}

/// The Chromium to drive: `CUBE_CHROMIUM`, or Debian's, installed with apt-get when missing
/// and we are root.
fn ensure_chromium() -> Result<PathBuf, Failure> {
    if let Some(chosen) = std::env::var_os("CUBE_CHROMIUM") {
        let chosen = PathBuf::from(chosen);
        return if chosen.exists() {
            Ok(chosen)
        } else {
            Err(Failure::from(format!(
                "CUBE_CHROMIUM is {}, which does not exist",
                chosen.display()
            )))
        };
    }
    let chromium = PathBuf::from(CHROMIUM);
    if chromium.exists() {
        return Ok(chromium);
    }
    if !is_root() {
        return Err(Failure::from(format!(
            "{CHROMIUM} is missing: install Debian's Chromium \
             (`sudo apt-get install --no-install-recommends chromium`), or set CUBE_CHROMIUM"
        )));
    }
    println!("    {CHROMIUM} is missing and we are root: installing Debian's chromium package");
    run_step("apt-get update", Command::new("apt-get").arg("update"))?;
    run_step(
        "install chromium",
        Command::new("apt-get")
            .args(["install", "-y", "--no-install-recommends", "chromium"])
            .env("DEBIAN_FRONTEND", "noninteractive"),
    )?;
    if chromium.exists() {
        Ok(chromium)
    } else {
        Err(Failure::from(format!(
            "apt-get installed chromium, but {CHROMIUM} is still missing"
        )))
    }
}

/// Whether this process runs as root (from `/proc/self/status`, else `id -u`).
fn is_root() -> bool {
    if let Some(uid) = std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| effective_uid(&status))
    {
        return uid == 0;
    }
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|out| String::from_utf8_lossy(&out.stdout).trim() == "0")
}

/// The effective user id in `/proc/self/status` (`Uid: real effective saved fs`).
fn effective_uid(status: &str) -> Option<u32> {
    status
        .lines()
        .find_map(|line| line.strip_prefix("Uid:"))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}

/// Node.js (20 or newer) and npm are on the PATH.
fn ensure_node() -> Outcome {
    let install = "install Node.js 20 or newer with npm (Debian: apt-get install nodejs npm, \
                   or from https://nodejs.org)";
    let version = Command::new("node")
        .arg("--version")
        .stderr(Stdio::null())
        .output()
        .ok()
        .filter(|out| out.status.success())
        .map(|out| String::from_utf8_lossy(&out.stdout).trim().to_owned())
        .ok_or_else(|| Failure::from(format!("`node` is not on the PATH: {install}")))?;
    match node_major(&version) {
        Some(major) if major >= NODE_MAJOR => {}
        _ => {
            return Err(Failure::from(format!(
                "`node --version` says {version}: {install}"
            )));
        }
    }
    let npm = Command::new("npm")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|status| status.success());
    if npm {
        Ok(())
    } else {
        Err(Failure::from(format!(
            "`npm` is not on the PATH: {install}"
        )))
    }
}

/// The major version of `node --version` (`v20.20.2` → 20).
fn node_major(version: &str) -> Option<u32> {
    version
        .trim()
        .strip_prefix('v')?
        .split('.')
        .next()?
        .parse()
        .ok()
}

/// Runs `npm ci` when `node_modules` is missing or older than `package-lock.json` (npm
/// writes `node_modules/.package-lock.json` on every install).
fn ensure_packages(tests: &Path) -> Outcome {
    let modified = |path: &Path| {
        std::fs::metadata(path)
            .and_then(|meta| meta.modified())
            .ok()
    };
    let lock = modified(&tests.join("package-lock.json"));
    let installed = modified(&tests.join("node_modules").join(".package-lock.json"));
    let fresh = matches!((lock, installed), (Some(lock), Some(installed)) if installed >= lock);
    if fresh {
        return Ok(());
    }
    run_step(
        "npm ci",
        Command::new("npm")
            .args(["ci", "--no-audit", "--no-fund"])
            .current_dir(tests),
    )
}

/// Starts `cube-server serve` on a free loopback port over a fresh SQLite file.
fn start(target: &Path, work: &Path) -> Result<Server, Failure> {
    let dir = work.join(format!("run-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let binary = target.join("debug").join("cube-server");
    let log = std::fs::File::create(dir.join("server.log"))
        .map_err(|e| format!("cannot create the server log: {e}"))?;
    let mut command = Command::new(&binary);
    command
        .arg("--database-url")
        .arg(format!("sqlite://{}", dir.join("cube.db").display()))
        .args(["--listen", "127.0.0.1:0", "serve"])
        .env("RUST_LOG", "warn")
        // Settings of the developer's own server must not reach this one: a `Secure`
        // cookie would never come back over plain HTTP.
        .env_remove("DATABASE_URL")
        .env_remove("CUBE_SECURE_COOKIES")
        .env_remove("CUBE_TRUST_PROXY")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(log);
    println!(
        "==> start server: {} (log in {})",
        crate::describe(&command),
        dir.join("server.log").display()
    );
    let child = command
        .spawn()
        .map_err(|e| format!("cannot start {}: {e}", binary.display()))?;
    Ok(Server {
        child,
        dir,
        kept_log: work.join("server.log"),
    })
}

/// Reads the server's output until it says where it serves; answers the server and that
/// base URL. The rest of its output is read (and dropped) until it exits.
fn wait_until_serving(mut server: Server) -> Result<(Server, String), Failure> {
    let Some(stdout) = server.child.stdout.take() else {
        return Err(Failure::from(
            "the server's output was not captured".to_owned(),
        ));
    };
    let (sender, receiver) = mpsc::channel();
    std::thread::spawn(move || {
        let mut sent = false;
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if !sent && let Some(base) = serving_address(&line) {
                sent = sender.send(base).is_ok();
            }
        }
    });
    match receiver.recv_timeout(STARTUP) {
        Ok(base) => {
            println!("    serving on {base}");
            Ok((server, base))
        }
        Err(error) => {
            let why = match error {
                mpsc::RecvTimeoutError::Timeout => {
                    format!("did not say it was serving within {} s", STARTUP.as_secs())
                }
                mpsc::RecvTimeoutError::Disconnected => "stopped before serving".to_owned(),
            };
            let log = std::fs::read_to_string(server.dir.join("server.log")).unwrap_or_default();
            let tail: Vec<&str> = log.lines().rev().take(20).collect();
            let tail: Vec<&str> = tail.into_iter().rev().collect();
            Err(Failure::from(format!(
                "the server {why}; the end of its log:\n{}",
                tail.join("\n")
            )))
        }
    }
}

/// The base URL in the server's `Cube is serving on http://ADDR` line.
fn serving_address(line: &str) -> Option<String> {
    let url = line.trim().strip_prefix(SERVING)?.trim();
    let address = url.strip_prefix("http://")?;
    let valid = !address.is_empty() && !address.contains(char::is_whitespace);
    valid.then(|| url.trim_end_matches('/').to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_base_url_is_read_from_the_serving_line() {
        assert_eq!(
            serving_address("Cube is serving on http://127.0.0.1:43127"),
            Some("http://127.0.0.1:43127".to_owned())
        );
        assert_eq!(
            serving_address("Cube is serving on http://[::1]:8080/\r"),
            Some("http://[::1]:8080".to_owned())
        );
        assert_eq!(serving_address("  API docs: http://127.0.0.1:1/docs"), None);
        assert_eq!(serving_address("Cube is serving on "), None);
        assert_eq!(serving_address("Cube is serving on https://x"), None);
    }

    #[test]
    fn the_node_major_version_is_read() {
        assert_eq!(node_major("v20.20.2\n"), Some(20));
        assert_eq!(node_major("v18.19.0"), Some(18));
        assert_eq!(node_major("20.1.0"), None);
        assert_eq!(node_major(""), None);
    }

    #[test]
    fn the_effective_uid_is_read_from_proc_status() {
        let status = "Name:\txtask\nUid:\t1000\t0\t0\t0\nGid:\t1000\t1000\t1000\t1000\n";
        assert_eq!(effective_uid(status), Some(0));
        assert_eq!(effective_uid("Name:\tx\n"), None);
    }
}
