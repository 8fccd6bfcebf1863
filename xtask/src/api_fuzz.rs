//! `cargo xtask api-fuzz`: the OpenAPI document checked by a tool no one here wrote.
//!
//! It builds `cube-server`, starts it on a free loopback port over a fresh SQLite file with
//! the demo organisation, logs in as the demo admin, and runs schemathesis (from PyPI, in a
//! virtualenv under `target/api-fuzz/`, pinned to [`SCHEMATHESIS`]) against the served
//! document with that bearer token. It fails on any server error (5xx), any response that
//! does not match its documented schema, or a content type the document does not promise.
//!
//! Phases: the document's examples and property-based fuzzing (positive and negative data).
//! Schemathesis' own coverage and stateful phases are left out: on this machine's CPython
//! 3.11 the coverage phase crashes inside schemathesis (`SystemError: AST constructor
//! recursion depth mismatch`), and the stateful phase stops on links schemathesis infers
//! itself. Operations that would end the run's own session are excluded: logout, revoking
//! tokens, changing a password, deactivating a user. Login is excluded too (it would lock the
//! admin's e-mail out after five failures, as it should).
//!
//! Environment: `CUBE_FUZZ_EXAMPLES` (test cases per operation, default 25), `CUBE_FUZZ_SEED`
//! (default 1, so a run can be repeated).

use crate::{Failure, Outcome, cargo, repo_root, run_step};
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The schemathesis release the check is pinned to.
pub const SCHEMATHESIS: &str = "4.32.5";

/// The demo admin (see `apps/cube-server/src/demo.rs`).
const ADMIN: &str = "admin@demo.example.com";
const PASSWORD: &str = "cube-demo-2025";

/// The server under test; killed and its data removed on drop.
struct Server {
    child: Child,
    dir: PathBuf,
    port: u16,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

pub fn run(args: &[String]) -> Outcome {
    if !args.is_empty() {
        return Err(Failure::usage(format!(
            "`api-fuzz` takes no arguments (got `{}`)",
            args.join(" ")
        )));
    }
    let work = repo_root().join("target").join("api-fuzz");
    let schemathesis = install(&work)?;
    run_step("build server", &mut cargo(&["build", "-p", "cube-server"]))?;
    let server = start(&work)?;
    let base = format!("http://127.0.0.1:{}", server.port);
    wait_until_healthy(&server)?;
    let token = log_in(server.port)?;

    let examples = std::env::var("CUBE_FUZZ_EXAMPLES").unwrap_or_else(|_| "25".into());
    let seed = std::env::var("CUBE_FUZZ_SEED").unwrap_or_else(|_| "1".into());
    let mut command = Command::new(schemathesis);
    command
        .arg("run")
        .arg(format!("{base}/api-docs/openapi.json"))
        .args(["--header", &format!("Authorization: Bearer {token}")])
        .args([
            "--checks",
            "not_a_server_error,response_schema_conformance,content_type_conformance",
        ])
        .args(["--phases", "examples,fuzzing"])
        .args(["--max-examples", &examples, "--seed", &seed])
        .args([
            "--generation-database",
            "none",
            "--no-color",
            "--workers",
            "2",
        ])
        .args(["--exclude-path", "/api/login"])
        .args(["--exclude-path", "/api/logout"])
        .args(["--exclude-path", "/api/tokens/current"])
        .args(["--exclude-path-regex", r"^/api/tokens/\{"])
        .args([
            "--exclude-path-regex",
            r"^/api/users/\{[^}]+\}/(password|active)$",
        ])
        .current_dir(&work);
    // The token is a secret of this run only; print the command without it.
    println!("==> api-fuzz: schemathesis {SCHEMATHESIS} against {base} (bearer token of {ADMIN})");
    let status = command
        .status()
        .map_err(|e| format!("could not start schemathesis: {e}"))?;
    drop(server);
    if status.success() {
        println!("==> api-fuzz: no server errors and no responses outside the document");
        Ok(())
    } else {
        Err(Failure::from(format!(
            "schemathesis found problems ({status}); its report above names the operations"
        )))
    }
}

/// The virtualenv's schemathesis, installed from PyPI when missing or another version.
fn install(work: &Path) -> Result<PathBuf, Failure> {
    let venv = work.join("venv");
    let bin = venv.join("bin");
    let schemathesis = bin.join("schemathesis");
    let installed = Command::new(&schemathesis)
        .arg("--version")
        .stderr(Stdio::null())
        .output()
        .is_ok_and(|out| String::from_utf8_lossy(&out.stdout).contains(SCHEMATHESIS));
    if installed {
        return Ok(schemathesis);
    }
    std::fs::create_dir_all(work).map_err(|e| format!("cannot create {}: {e}", work.display()))?;
    let python = std::env::var("PYTHON").unwrap_or_else(|_| "python3".into());
    run_step(
        "virtualenv",
        Command::new(&python).args(["-m", "venv"]).arg(&venv),
    )
    .map_err(|f| {
        Failure::from(format!(
            "{f}\n`cargo xtask api-fuzz` needs Python 3 with the venv module \
             (Debian: apt-get install python3-venv), or PYTHON=/path/to/python3"
        ))
    })?;
    run_step(
        "install schemathesis",
        Command::new(bin.join("pip")).args([
            "install",
            "--quiet",
            "--disable-pip-version-check",
            &format!("schemathesis=={SCHEMATHESIS}"),
        ]),
    )?;
    Ok(schemathesis)
}

fn free_port() -> Result<u16, Failure> {
    let listener =
        TcpListener::bind("127.0.0.1:0").map_err(|e| format!("no free loopback port: {e}"))?;
    Ok(listener
        .local_addr()
        .map_err(|e| format!("no local address: {e}"))?
        .port())
}

fn start(work: &Path) -> Result<Server, Failure> {
    let dir = work.join(format!("run-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let port = free_port()?;
    // The binary `cargo build` just made: under CARGO_TARGET_DIR when it is set.
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| repo_root().join("target"));
    let binary = target.join("debug").join("cube-server");
    let log = std::fs::File::create(dir.join("server.log"))
        .map_err(|e| format!("cannot create the server log: {e}"))?;
    let child = Command::new(&binary)
        .arg("--database-url")
        .arg(format!("sqlite://{}", dir.join("cube.db").display()))
        .args(["--listen", &format!("127.0.0.1:{port}"), "serve"])
        .env("RUST_LOG", "warn")
        .env_remove("DATABASE_URL")
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .map_err(|e| format!("cannot start {}: {e}", binary.display()))?;
    Ok(Server { child, dir, port })
}

/// One HTTP/1.1 exchange on loopback: the status and the body.
fn exchange(port: u16, request: &str) -> Result<(u16, String), String> {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).map_err(|e| e.to_string())?;
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .map_err(|e| e.to_string())?;
    stream
        .write_all(request.as_bytes())
        .map_err(|e| e.to_string())?;
    let mut response = String::new();
    stream
        .read_to_string(&mut response)
        .map_err(|e| e.to_string())?;
    let status = response
        .split_whitespace()
        .nth(1)
        .and_then(|code| code.parse().ok())
        .ok_or_else(|| format!("not an HTTP response: {response:.80}"))?;
    let body = response
        .split_once("\r\n\r\n")
        .map(|(_, body)| body.to_owned())
        .unwrap_or_default();
    Ok((status, body))
}

fn wait_until_healthy(server: &Server) -> Outcome {
    let deadline = Instant::now() + Duration::from_secs(180);
    let request = "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
    loop {
        if let Ok((200, _)) = exchange(server.port, request) {
            return Ok(());
        }
        if Instant::now() > deadline {
            return Err(Failure::from(format!(
                "the server did not come up; see {}",
                server.dir.join("server.log").display()
            )));
        }
        std::thread::sleep(Duration::from_millis(250));
    }
}

/// Logs in as the demo admin; the bearer token.
fn log_in(port: u16) -> Result<String, Failure> {
    let body = format!(r#"{{"email":"{ADMIN}","password":"{PASSWORD}"}}"#);
    let request = format!(
        "POST /api/login HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    let (status, body) = exchange(port, &request).map_err(|e| format!("login failed: {e}"))?;
    if status != 200 {
        return Err(Failure::from(format!("login answered {status}: {body}")));
    }
    token_of(&body).ok_or_else(|| Failure::from(format!("no token in the login answer: {body}")))
}

/// The `token` of a login answer (64 hex digits).
fn token_of(body: &str) -> Option<String> {
    let start = body.find(r#""token":""#)? + r#""token":""#.len();
    let token: String = body[start..]
        .chars()
        .take_while(char::is_ascii_hexdigit)
        .collect();
    (token.len() == 64).then_some(token)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_token_is_read_from_a_login_answer() {
        let token = "ab".repeat(32);
        let body = format!(r#"{{"token":"{token}","expires_at":null,"user":{{}}}}"#);
        assert_eq!(token_of(&body), Some(token));
        assert_eq!(token_of(r#"{"token":"short"}"#), None);
        assert_eq!(token_of("{}"), None);
    }
}
