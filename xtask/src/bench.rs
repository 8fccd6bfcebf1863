//! `cargo xtask bench [NAME]`: runs the benchmarks and prints the exact command, so the figures
//! recorded in `docs/performance.md` always come with the command that produced them.

use crate::{Failure, Outcome, cargo, describe, run_step};

/// Benchmark suites that exist today.
const BUILT: &[&str] = &["hot_paths"];
/// Benchmark suites planned for later work (they need the storage and HTTP adapters).
const PLANNED: &[&str] = &["storage", "http"];

pub fn run(args: &[String]) -> Outcome {
    match args {
        [] => {}
        [name] if BUILT.contains(&name.as_str()) => {}
        [name] if PLANNED.contains(&name.as_str()) => {
            return Err(Failure::new(
                2,
                format!(
                    "the `{name}` benchmarks are not built yet: they arrive with later work. \
                     Available now: {}",
                    BUILT.join(", ")
                ),
            ));
        }
        [name] => {
            return Err(Failure::usage(format!(
                "unknown benchmark `{name}` (available: {}; planned: {})",
                BUILT.join(", "),
                PLANNED.join(", ")
            )));
        }
        _ => return Err(Failure::usage("`bench` takes at most one NAME")),
    }

    let mut command = cargo(&["bench", "-p", "cube-app", "--bench", "hot_paths"]);
    run_step("bench", &mut command)?;
    println!();
    println!(
        "Recorded with: `{}` — put the figures above in docs/performance.md together with this command.",
        describe(&command)
    );
    Ok(())
}
