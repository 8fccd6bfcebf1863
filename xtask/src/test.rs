//! `cargo xtask test`: the whole gate, one command for a developer's machine and for CI.
//!
//! Steps, in order, stopping at the first failure: fmt, clippy, walls, PostgreSQL, tests
//! (nextest when installed, else `cargo test`), doc tests, and — when the whole workspace is
//! tested — the published crates' checks (every example runs, `cargo doc` without a warning,
//! `cargo package` offline: issue 20), the OpenAPI check (`api-fuzz`), the holiday oracle
//! (`oracle`) and the web pages in a browser (`browser`). A throwaway PostgreSQL cluster started for the tests is stopped when
//! the gate ends, whether it passed or not.

use crate::{Failure, Outcome, cargo, postgres, run_step, walls};
use std::process::Stdio;

pub fn run(args: &[String]) -> Outcome {
    let passthrough = passthrough_args(args)?;
    let selection = package_selection(&passthrough);

    run_step("fmt", &mut cargo(&["fmt", "--all", "--", "--check"]))?;
    run_step(
        "clippy",
        &mut cargo(&[
            "clippy",
            "--workspace",
            "--all-targets",
            "--",
            "-D",
            "warnings",
        ]),
    )?;

    println!("==> walls");
    walls::run(&crate::repo_root())?;

    println!("==> postgres");
    // Dropped at the end of this function, also when a step below fails.
    let database = postgres::discover()?;

    let mut tests = if nextest_available() {
        let mut command = cargo(&["nextest", "run"]);
        if selection.is_empty() {
            command.arg("--workspace");
        }
        command.arg("--no-fail-fast");
        command
    } else {
        println!("    cargo-nextest is not installed; falling back to `cargo test`");
        let mut command = cargo(&["test"]);
        if selection.is_empty() {
            command.arg("--workspace");
        }
        command
    };
    tests.args(&passthrough).env("DATABASE_URL", database.url());
    run_step("tests", &mut tests)?;

    // nextest does not run doc tests. Keep the user's package selection, drop other
    // nextest-only arguments.
    let mut doc_tests = cargo(&["test"]);
    if selection.is_empty() {
        doc_tests.arg("--workspace");
    }
    doc_tests
        .args(&selection)
        .arg("--doc")
        .env("DATABASE_URL", database.url());
    run_step("doc tests", &mut doc_tests)?;

    drop(database);
    if selection.is_empty() {
        published_crates()?;
        crate::api_fuzz::run(&[])?;
        crate::oracle::run(&[])?;
        crate::browser::run(&[])?;
    }
    println!("==> all checks passed");
    Ok(())
}

fn nextest_available() -> bool {
    cargo(&["nextest", "--version"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|status| status.success())
}

/// The crates published for teams that embed Cube: the domain, the use cases, the test kit.
const PUBLISHED: [&str; 3] = ["cube-domain", "cube-app", "cube-testkit"];

/// What a team that embeds Cube relies on: each published crate's examples run (they use
/// only public API), its documentation builds without a warning (broken intra-doc links
/// included), and the three package together, offline.
fn published_crates() -> Outcome {
    let root = crate::repo_root();
    for (package, example) in examples(&root) {
        run_step(
            &format!("example {package}/{example}"),
            &mut cargo(&["run", "--quiet", "-p", package, "--example", &example]),
        )?;
    }
    let mut doc = cargo(&["doc", "--no-deps"]);
    for package in PUBLISHED {
        doc.args(["-p", package]);
    }
    doc.env("RUSTDOCFLAGS", "-D warnings");
    run_step("doc", &mut doc)?;
    let mut package = cargo(&["package", "--no-verify", "--offline", "--allow-dirty"]);
    for name in PUBLISHED {
        package.args(["-p", name]);
    }
    run_step("package", &mut package)
}

/// The examples of the published crates, by package, in name order.
fn examples(root: &std::path::Path) -> Vec<(&'static str, String)> {
    let mut found = Vec::new();
    for package in PUBLISHED {
        let folder = root.join("crates").join(package).join("examples");
        let Ok(entries) = std::fs::read_dir(&folder) else {
            continue;
        };
        let mut names: Vec<String> = entries
            .filter_map(Result::ok)
            .filter_map(|entry| {
                let path = entry.path();
                (path.extension().is_some_and(|ext| ext == "rs"))
                    .then(|| path.file_stem()?.to_str().map(str::to_owned))
                    .flatten()
            })
            .collect();
        names.sort();
        found.extend(names.into_iter().map(|name| (package, name)));
    }
    found
}

/// The arguments after `--`, which go to the test runner. Nothing else is accepted.
fn passthrough_args(args: &[String]) -> Result<Vec<String>, Failure> {
    match args.split_first() {
        None => Ok(Vec::new()),
        Some((first, rest)) if first == "--" => Ok(rest.to_vec()),
        Some(_) => Err(Failure::usage(format!(
            "`test` takes no options; pass test-runner arguments after `--` \
             (e.g. `cargo xtask test -- {}`)",
            args.join(" ")
        ))),
    }
}

/// The package selection (`-p NAME`, `--package NAME`, …) within the pass-through arguments,
/// normalised to `-p NAME` pairs. With a selection, `--workspace` must not be passed: cargo
/// would silently ignore `-p`.
fn package_selection(args: &[String]) -> Vec<String> {
    let mut selection = Vec::new();
    // After `--` come the test binaries' own arguments (filters), not cargo's.
    let mut words = args.iter().take_while(|word| *word != "--");
    while let Some(word) = words.next() {
        let name = if word == "-p" || word == "--package" {
            words.next().cloned()
        } else {
            word.strip_prefix("--package=")
                .or_else(|| word.strip_prefix("-p").filter(|name| !name.is_empty()))
                .map(str::to_owned)
        };
        if let Some(name) = name {
            selection.push("-p".to_owned());
            selection.push(name);
        }
    }
    selection
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(words: &[&str]) -> Vec<String> {
        words.iter().map(|word| (*word).to_owned()).collect()
    }

    #[test]
    fn no_arguments_means_no_passthrough() {
        assert_eq!(passthrough_args(&[]).ok(), Some(Vec::new()));
    }

    #[test]
    fn arguments_after_the_separator_pass_through() {
        let args = strings(&["--", "-p", "cube-domain", "--", "flows"]);
        assert_eq!(
            passthrough_args(&args).ok(),
            Some(strings(&["-p", "cube-domain", "--", "flows"]))
        );
    }

    #[test]
    fn arguments_before_the_separator_are_refused() {
        let failure = passthrough_args(&strings(&["-p", "cube-domain"])).err();
        assert_eq!(failure.map(|failure| failure.code), Some(2));
    }

    #[test]
    fn package_selection_recognises_every_spelling() {
        let args = strings(&[
            "-p",
            "cube-domain",
            "--package",
            "cube-app",
            "--package=cube-testkit",
            "-pcube-pg",
            "-E",
            "test(flows)",
            "--no-capture",
        ]);
        assert_eq!(
            package_selection(&args),
            strings(&[
                "-p",
                "cube-domain",
                "-p",
                "cube-app",
                "-p",
                "cube-testkit",
                "-p",
                "cube-pg"
            ])
        );
    }

    #[test]
    fn every_example_of_the_published_crates_is_found() {
        let found = examples(&crate::repo_root());
        let names: Vec<(&str, &str)> = found.iter().map(|(p, n)| (*p, n.as_str())).collect();
        assert_eq!(
            names,
            [
                ("cube-domain", "pure_domain"),
                ("cube-app", "seller_day"),
                ("cube-app", "walk_property"),
                ("cube-testkit", "file_sms"),
            ]
        );
    }

    #[test]
    fn no_selection_without_package_flags() {
        assert!(package_selection(&strings(&["-E", "test(x)", "--", "-p", "x"])).is_empty());
    }
}
