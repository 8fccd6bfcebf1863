//! `cargo xtask load`: simulated sellers at a human pace against one or two release server
//! processes on one PostgreSQL (`cube-server`'s `load` bench, where the simulation lives).
//! It finds PostgreSQL the way `cargo xtask test` does and turns its flags into the bench's
//! environment, so the command recorded in `docs/performance.md` is the one that ran.
//!
//! Flags: `--sellers 1000,2500,5000,10000` (the steps), `--processes 1|2` (default 2),
//! `--secs N` (measured per step, default 60), `--think N` (seconds between a seller's
//! cycles, default 20), `--customers N` (default: enough for every step).

use crate::{Failure, Outcome, cargo, describe, postgres, run_step};

/// The bench's environment variable for each flag.
const FLAGS: &[(&str, &str)] = &[
    ("--sellers", "CUBE_LOAD_SELLERS"),
    ("--processes", "CUBE_LOAD_PROCESSES"),
    ("--secs", "CUBE_LOAD_SECS"),
    ("--think", "CUBE_LOAD_THINK_SECS"),
    ("--customers", "CUBE_LOAD_CUSTOMERS"),
];

/// The environment the flags ask for, checked: each flag once, with a value of digits
/// (`--sellers` a comma list of them).
fn environment(args: &[String]) -> Result<Vec<(&'static str, String)>, Failure> {
    let mut env: Vec<(&'static str, String)> = Vec::new();
    let mut rest = args.iter();
    while let Some(flag) = rest.next() {
        let Some((_, variable)) = FLAGS.iter().find(|(name, _)| name == flag) else {
            let known: Vec<&str> = FLAGS.iter().map(|(name, _)| *name).collect();
            return Err(Failure::usage(format!(
                "unknown flag `{flag}` for `load` (known: {})",
                known.join(", ")
            )));
        };
        let Some(value) = rest.next() else {
            return Err(Failure::usage(format!("`{flag}` needs a value")));
        };
        let numbers_ok = value
            .split(if flag == "--sellers" { ',' } else { '\u{0}' })
            .all(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()) && n != "0");
        if !numbers_ok {
            return Err(Failure::usage(format!(
                "`{flag} {value}`: a positive whole number{}",
                if flag == "--sellers" {
                    " or a comma list of them"
                } else {
                    ""
                }
            )));
        }
        if env.iter().any(|(name, _)| name == variable) {
            return Err(Failure::usage(format!("`{flag}` is given twice")));
        }
        env.push((variable, value.clone()));
    }
    Ok(env)
}

pub fn run(args: &[String]) -> Outcome {
    let env = environment(args)?;
    println!("==> postgres");
    // Dropped at the end: a throwaway cluster is stopped, also on failure.
    let database = postgres::discover()?;
    let mut command = cargo(&["bench", "-p", "cube-server", "--bench", "load"]);
    command.env("DATABASE_URL", database.url());
    for (name, value) in &env {
        command.env(name, value);
    }
    run_step("load", &mut command)?;
    drop(database);
    println!();
    println!(
        "Recorded with: `cargo xtask load{}` (it runs `{}` with DATABASE_URL and CUBE_LOAD_* \
         set) — put the table above in docs/performance.md together with this command.",
        args.iter()
            .fold(String::new(), |line, arg| line + " " + arg),
        describe(&command)
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(words: &[&str]) -> Vec<String> {
        words.iter().map(|word| (*word).to_owned()).collect()
    }

    #[test]
    fn flags_become_the_benchs_environment() {
        let env = environment(&args(&[
            "--sellers",
            "100,2000",
            "--processes",
            "1",
            "--secs",
            "30",
        ]))
        .ok();
        assert_eq!(
            env,
            Some(vec![
                ("CUBE_LOAD_SELLERS", "100,2000".to_owned()),
                ("CUBE_LOAD_PROCESSES", "1".to_owned()),
                ("CUBE_LOAD_SECS", "30".to_owned()),
            ])
        );
        assert_eq!(environment(&[]).ok(), Some(Vec::new()));
    }

    #[test]
    fn bad_flags_are_refused_with_what_to_fix() {
        let message = |words: &[&str]| environment(&args(words)).err().map(|f| f.message);
        assert!(message(&["--sellers"]).is_some_and(|m| m.contains("needs a value")));
        assert!(message(&["--sellers", "10,,20"]).is_some_and(|m| m.contains("comma list")));
        assert!(message(&["--sellers", "0"]).is_some());
        assert!(message(&["--secs", "1,2"]).is_some_and(|m| m.contains("whole number")));
        assert!(message(&["--secs", "-3"]).is_some());
        assert!(message(&["--think", "2", "--think", "3"]).is_some_and(|m| m.contains("twice")));
        assert!(message(&["--store", "sqlite"]).is_some_and(|m| m.contains("unknown flag")));
    }
}
