//! Finds a PostgreSQL server for the tests, or starts a throwaway cluster from the distro
//! binaries (no download, no Docker), so `cargo xtask test` works on a bare machine and in CI.
//!
//! Order: `DATABASE_URL` from the environment; a server on `127.0.0.1:5432`; a throwaway
//! cluster from `/usr/lib/postgresql/<highest>/bin` (or `$PGBIN`) on a free loopback port,
//! stopped and deleted when the returned [`Database`] is dropped.

use crate::{Failure, Outcome};
use std::fs;
use std::io::BufRead;
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::Duration;

const DISTRO_DIR: &str = "/usr/lib/postgresql";
const DEFAULT_PORT: u16 = 5432;
/// The account PostgreSQL runs as when we are root (it refuses to run as root).
const SERVICE_USER: &str = "postgres";

/// A PostgreSQL server the tests can use. Holds the throwaway cluster, if one was started.
#[derive(Debug)]
pub struct Database {
    url: String,
    cluster: Option<Cluster>,
}

impl Database {
    pub fn url(&self) -> &str {
        &self.url
    }
}

/// Finds or starts PostgreSQL; prints where it came from.
pub fn discover() -> Result<Database, Failure> {
    if let Some(url) = std::env::var("DATABASE_URL")
        .ok()
        .filter(|url| !url.trim().is_empty())
    {
        println!("    using DATABASE_URL from the environment");
        return Ok(Database { url, cluster: None });
    }
    if is_listening(DEFAULT_PORT) {
        let url = url_for(DEFAULT_PORT);
        println!("    using the server listening on 127.0.0.1:{DEFAULT_PORT}: {url}");
        return Ok(Database { url, cluster: None });
    }
    let cluster = Cluster::start()?;
    let url = cluster.url();
    println!("    started a throwaway cluster: {url}");
    Ok(Database {
        url,
        cluster: Some(cluster),
    })
}

/// `cargo xtask pg`: find or start PostgreSQL, print the export line, keep a throwaway
/// cluster running until Enter is pressed.
pub fn serve() -> Outcome {
    eprintln!("==> postgres");
    let database = discover()?;
    println!("export DATABASE_URL={}", database.url());
    if database.cluster.is_some() {
        eprintln!("Press Enter to stop the throwaway cluster (Ctrl-C would leave it running).");
        let mut line = String::new();
        std::io::stdin()
            .lock()
            .read_line(&mut line)
            .map_err(|error| format!("could not read stdin: {error}"))?;
    }
    Ok(())
}

/// `cargo xtask pg-selftest`: start a throwaway cluster (even if port 5432 is taken), check it
/// accepts connections, stop it, check it is gone.
pub fn selftest() -> Outcome {
    let cluster = Cluster::start()?;
    let port = cluster.port;
    let dir = cluster.dir.clone();
    println!("started {} (data in {})", cluster.url(), dir.display());

    if !is_listening(port) {
        return Err(format!("nothing accepts TCP connections on 127.0.0.1:{port}").into());
    }
    println!("TCP connect to 127.0.0.1:{port}: ok");

    let psql = cluster.bin.join("psql");
    if psql.exists() {
        let output = Command::new(&psql)
            .args(["-X", "-tA", "-d", &cluster.url(), "-c", "select version()"])
            .stdin(Stdio::null())
            .output()
            .map_err(|error| format!("could not run {}: {error}", psql.display()))?;
        if !output.status.success() {
            return Err(format!("psql failed: {}", output_text(&output)).into());
        }
        println!("psql: {}", String::from_utf8_lossy(&output.stdout).trim());
    }

    drop(cluster);
    if is_listening(port) {
        return Err(format!("127.0.0.1:{port} still accepts connections after stop").into());
    }
    if dir.exists() {
        return Err(format!("{} still exists after stop", dir.display()).into());
    }
    println!("stopped; port closed and {} removed", dir.display());
    println!("pg-selftest: OK");
    Ok(())
}

/// A throwaway cluster in a temporary folder; stopped and deleted on drop.
#[derive(Debug)]
struct Cluster {
    bin: PathBuf,
    dir: PathBuf,
    port: u16,
    /// Run the server tools through `runuser -u postgres` (we are root).
    as_service_user: bool,
    /// `pg_ctl start` has been attempted, so `Drop` must stop the server.
    started: bool,
}

impl Cluster {
    fn start() -> Result<Self, Failure> {
        let bin = find_bin_dir().ok_or_else(|| Failure::from(missing_postgres_message()))?;
        let dir = std::env::temp_dir().join(format!("cube-pg-{}", std::process::id()));
        if dir.exists() {
            fs::remove_dir_all(&dir)
                .map_err(|error| format!("could not clear {}: {error}", dir.display()))?;
        }
        fs::create_dir_all(&dir)
            .map_err(|error| format!("could not create {}: {error}", dir.display()))?;

        // From here on, dropping `cluster` cleans up whatever was set up.
        let mut cluster = Cluster {
            bin,
            dir,
            port: free_port()?,
            as_service_user: running_as_root(),
            started: false,
        };
        let dir_str = cluster.dir.to_string_lossy().into_owned();
        let data = cluster.dir.join("data").to_string_lossy().into_owned();
        let log = cluster.dir.join("log").to_string_lossy().into_owned();

        if cluster.as_service_user {
            // PostgreSQL refuses to run as root: hand the folder to the service account.
            let mut chown = Command::new("chown");
            chown.args(["-R", SERVICE_USER, &dir_str]);
            run_quietly(&mut chown, "chown").map_err(|failure| {
                Failure::from(format!(
                    "{failure}\n(running as root, the cluster must belong to the `{SERVICE_USER}` \
                     account, which `apt-get install postgresql` creates)"
                ))
            })?;
        }

        let mut initdb = cluster.tool("initdb");
        initdb.args([
            "-D",
            &data,
            "-U",
            "postgres",
            "-A",
            "trust",
            "--no-sync",
            "-E",
            "UTF8",
        ]);
        run_quietly(&mut initdb, "initdb")?;

        let options = server_options(cluster.port, &cluster.dir);
        let mut pg_ctl = cluster.tool("pg_ctl");
        pg_ctl.args(["-D", &data, "-l", &log, "-w", "-o", &options, "start"]);
        cluster.started = true;
        run_quietly(&mut pg_ctl, "pg_ctl start").map_err(|failure| {
            let log_text = fs::read_to_string(&log).unwrap_or_default();
            Failure::from(format!(
                "{failure}\nserver log {log}:\n{}",
                tail(&log_text, 20)
            ))
        })?;
        Ok(cluster)
    }

    fn url(&self) -> String {
        url_for(self.port)
    }

    /// One of the server tools, run as the service account when we are root, from the
    /// cluster folder (the service account may not be allowed into our working directory).
    fn tool(&self, name: &str) -> Command {
        let program = self.bin.join(name);
        let mut command = if self.as_service_user {
            let mut command = Command::new("runuser");
            command.args(["-u", SERVICE_USER, "--"]).arg(program);
            command
        } else {
            Command::new(program)
        };
        command.current_dir(&self.dir);
        command
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        if self.started {
            println!(
                "==> stopping the throwaway PostgreSQL cluster on port {}",
                self.port
            );
            let data = self.dir.join("data").to_string_lossy().into_owned();
            let mut stop = self.tool("pg_ctl");
            stop.args(["-D", &data, "-m", "immediate", "stop"]);
            if let Err(failure) = run_quietly(&mut stop, "pg_ctl stop") {
                eprintln!("xtask: warning: {failure}");
            }
        }
        if let Err(error) = fs::remove_dir_all(&self.dir) {
            eprintln!(
                "xtask: warning: could not remove {}: {error}",
                self.dir.display()
            );
        }
    }
}

fn url_for(port: u16) -> String {
    format!("postgres://postgres@127.0.0.1:{port}/postgres")
}

/// The `-o` options for `pg_ctl start`: loopback only, socket in our folder, and durability
/// off (the data is thrown away), with room for many parallel test connections.
fn server_options(port: u16, socket_dir: &Path) -> String {
    format!(
        "-p {port} -k '{}' -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off \
         -c full_page_writes=off -c max_connections=200",
        socket_dir.display()
    )
}

fn missing_postgres_message() -> String {
    format!(
        "the tests need PostgreSQL, and none was found:\n\
         - no DATABASE_URL in the environment,\n\
         - nothing listening on 127.0.0.1:{DEFAULT_PORT},\n\
         - no server binaries in {DISTRO_DIR}/*/bin (or $PGBIN).\n\
         Either set DATABASE_URL to a server (e.g. postgres://postgres@127.0.0.1:5432/postgres),\n\
         or install the binaries so a throwaway cluster can be started: \
         `apt-get install postgresql` (Debian/Ubuntu)."
    )
}

fn is_listening(port: u16) -> bool {
    let address = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    TcpStream::connect_timeout(&address, Duration::from_secs(1)).is_ok()
}

/// A port nobody listens on right now (the OS picks it; we release it for the server).
fn free_port() -> Result<u16, Failure> {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .map_err(|error| format!("could not find a free port: {error}"))?;
    let port = listener
        .local_addr()
        .map_err(|error| format!("could not find a free port: {error}"))?
        .port();
    Ok(port)
}

fn running_as_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|output| output.status.success() && output.stdout.trim_ascii() == b"0")
}

/// The distro's server binaries (pgbench and psql are there too), if installed.
pub fn bin_dir() -> Option<PathBuf> {
    find_bin_dir()
}

/// `$PGBIN` if it holds `initdb`, else the highest version under `/usr/lib/postgresql`.
fn find_bin_dir() -> Option<PathBuf> {
    if let Some(bin) = std::env::var_os("PGBIN").map(PathBuf::from)
        && bin.join("initdb").is_file()
    {
        return Some(bin);
    }
    let versions: Vec<String> = fs::read_dir(DISTRO_DIR)
        .ok()?
        .filter_map(Result::ok)
        .filter(|entry| entry.path().join("bin/initdb").is_file())
        .filter_map(|entry| entry.file_name().into_string().ok())
        .collect();
    let highest = highest_version(&versions)?;
    Some(Path::new(DISTRO_DIR).join(highest).join("bin"))
}

/// The highest of version folder names such as `9.6`, `15`, `16` (numerically, not as text).
/// Names that are not versions are ignored.
fn highest_version(names: &[String]) -> Option<&str> {
    names
        .iter()
        .filter_map(|name| version_key(name).map(|key| (key, name.as_str())))
        .max()
        .map(|(_, name)| name)
}

fn version_key(name: &str) -> Option<Vec<u64>> {
    name.split('.').map(|part| part.parse().ok()).collect()
}

/// Runs a tool with its output captured, shown only if it fails.
pub(crate) fn run_quietly(command: &mut Command, what: &str) -> Outcome {
    let output = command.stdin(Stdio::null()).output().map_err(|error| {
        format!(
            "{what}: could not run {}: {error}",
            crate::describe(command)
        )
    })?;
    if output.status.success() {
        Ok(())
    } else {
        Err(Failure::from(format!(
            "{what} failed ({}): {}\n{}",
            output.status,
            crate::describe(command),
            output_text(&output)
        )))
    }
}

fn output_text(output: &Output) -> String {
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    tail(&text, 40)
}

/// The last `lines` lines of `text`.
fn tail(text: &str, lines: usize) -> String {
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(list: &[&str]) -> Vec<String> {
        list.iter().map(|name| (*name).to_owned()).collect()
    }

    #[test]
    fn highest_version_compares_numerically() {
        let list = names(&["9.6", "15", "16", "10"]);
        assert_eq!(highest_version(&list), Some("16"));
    }

    #[test]
    fn highest_version_ignores_other_names() {
        let list = names(&["common", "14", "lib"]);
        assert_eq!(highest_version(&list), Some("14"));
        assert_eq!(highest_version(&names(&["common"])), None);
        assert_eq!(highest_version(&[]), None);
    }

    #[test]
    fn url_names_the_postgres_role_and_database_on_loopback() {
        assert_eq!(url_for(5433), "postgres://postgres@127.0.0.1:5433/postgres");
    }

    #[test]
    fn server_options_bind_loopback_and_turn_durability_off() {
        let options = server_options(6000, Path::new("/tmp/cube-pg-1"));
        assert!(options.starts_with("-p 6000 -k '/tmp/cube-pg-1' "));
        for setting in [
            "listen_addresses=127.0.0.1",
            "fsync=off",
            "synchronous_commit=off",
            "full_page_writes=off",
            "max_connections=200",
        ] {
            assert!(options.contains(&format!("-c {setting}")), "{setting}");
        }
    }

    #[test]
    fn tail_keeps_the_last_lines() {
        assert_eq!(tail("a\nb\nc\n", 2), "b\nc");
        assert_eq!(tail("a", 5), "a");
        assert_eq!(tail("", 5), "");
    }

    #[test]
    fn free_port_is_not_in_use() {
        let port = free_port().ok();
        assert!(port.is_some_and(|port| port != 0 && !is_listening(port)));
    }
}
