//! `cargo xtask oracle`: Norway's public holidays as python-holidays lists them, computed
//! anew and compared with the oracle the domain's calendar is tested against
//! (`crates/cube-domain/tests/oracle/holidays_no_2020_2040.json`, issue 18: "the holiday
//! calendar against an oracle no one here wrote, run by the test setup"). The package is
//! installed from PyPI, at the version the committed file names, into
//! `target/oracle/venv`; the script writes its output there, and the two files must be
//! the same to the byte. So the committed file is what the package says, and the Rust test
//! (`cube-domain`'s `contact_policy` tests) holds the calendar to it.

use crate::{Failure, Outcome, repo_root, run_step};
use std::path::Path;
use std::process::Command;

/// The python-holidays version the committed oracle was made with.
const HOLIDAYS: &str = "0.109";

pub fn run(_args: &[String]) -> Outcome {
    println!("==> holiday oracle (python-holidays {HOLIDAYS}, country NO, 2020-2040)");
    let root = repo_root();
    let work = root.join("target").join("oracle");
    let python = install(&work)?;
    let script = root.join("crates/cube-domain/tests/oracle/holidays_no.py");
    let fresh = work.join("holidays_no_2020_2040.json");
    run_step(
        "python-holidays",
        Command::new(&python)
            .arg(&script)
            .env("HOLIDAYS_OUT", &fresh),
    )?;
    let committed = script.with_file_name("holidays_no_2020_2040.json");
    let read = |path: &Path| {
        std::fs::read(path).map_err(|e| Failure::from(format!("{}: {e}", path.display())))
    };
    if read(&fresh)? != read(&committed)? {
        return Err(Failure::from(format!(
            "python-holidays {HOLIDAYS} lists other days than {}: compare it with {} and \
             check the calendar in cube_domain::contact_policy::holidays",
            committed.display(),
            fresh.display()
        )));
    }
    println!("==> holiday oracle: the committed file is what python-holidays says");
    Ok(())
}

/// The virtualenv's python with `holidays` installed at [`HOLIDAYS`].
fn install(work: &Path) -> Result<std::path::PathBuf, Failure> {
    let venv = work.join("venv");
    let python = venv.join("bin").join("python");
    let installed = Command::new(&python)
        .args(["-c", "import holidays; print(holidays.__version__)"])
        .output()
        .is_ok_and(|out| String::from_utf8_lossy(&out.stdout).trim() == HOLIDAYS);
    if installed {
        return Ok(python);
    }
    std::fs::create_dir_all(work).map_err(|e| format!("cannot create {}: {e}", work.display()))?;
    let system = std::env::var("PYTHON").unwrap_or_else(|_| "python3".into());
    run_step(
        "virtualenv",
        Command::new(&system).args(["-m", "venv"]).arg(&venv),
    )?;
    run_step(
        "install python-holidays",
        Command::new(venv.join("bin").join("pip")).args([
            "install",
            "--quiet",
            "--disable-pip-version-check",
            &format!("holidays=={HOLIDAYS}"),
        ]),
    )?;
    Ok(python)
}
