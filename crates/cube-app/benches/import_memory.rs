//! What a streamed import's row check holds in memory (issue 16): the rows of a file checked
//! one by one as the first pass of a CSV import checks them (`RowChecker`: each row parsed
//! into a customer, then looked up in and added to the within-file duplicate check), the
//! rows shaped as `cargo xtask bench import` makes them (a company, a mobile number no other
//! row has, an e-mail, an address, a customer number). Prints the process's resident set
//! before and after and its peak (`/proc/self/status`, Linux), so the check's growth is
//! seen apart from the server, the store and the file.
//!
//! `cargo bench -p cube-app --bench import_memory -- 1000000` (a bench target, so the
//! test command does not run it as it runs the published crates' examples); with `second`
//! after the count, the second pass runs too (the writing job's check, taking the numbers
//! the first pass parsed).

use cube_app::Cube;
use cube_app::customers::CustomerInput;
use cube_app::streamed_imports::{ImportTarget, RowChecker};
use cube_domain::data_owner::Dataset;
use cube_domain::ports::OnMatch;
use cube_testkit::fixtures::{T0, World};
use cube_testkit::{FixedClock, MemoryStore, SequentialIds};
use std::sync::Arc;

type Error = Box<dyn std::error::Error>;

/// A line of `/proc/self/status` in MB (`VmRSS`, `VmHWM`); 0 where there is none.
fn status_mb(field: &str) -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find(|l| l.starts_with(field))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<f64>().ok())
        })
        .map_or(0.0, |kb| kb / 1024.0)
}

/// Row `i`, as the import bench's file has it.
fn row(i: usize) -> CustomerInput {
    CustomerInput {
        name: format!("Bedrift {i} AS"),
        phones: vec![format!("{}", 40_000_000 + i)],
        email: Some(format!("post{i}@bedrift{i}.no")),
        address: Some(format!(
            "Storgata {}, {:04} Oslo",
            i % 200 + 1,
            i % 9000 + 100
        )),
        external_id: Some(format!("B-{i}")),
        ..CustomerInput::default()
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    // `cargo bench` adds `--bench` to the arguments: the count is the first that is not a flag.
    let rows: usize = std::env::args()
        .skip(1)
        .find(|a| !a.starts_with("--"))
        .map(|n| n.parse())
        .transpose()?
        .unwrap_or(1_000_000);
    let store = Arc::new(MemoryStore::new());
    let clock = Arc::new(FixedClock::new(T0));
    let ids = Arc::new(SequentialIds::new());
    let world = World::build(store.as_ref(), clock.as_ref(), ids.as_ref(), 1).await?;
    let cube = Cube::new(store, clock, ids);
    let opened = cube
        .open_import(
            &world.manager,
            ImportTarget {
                assignment: world.assignment.id(),
                dataset: Dataset::B2b,
                segment: None,
                on_match: OnMatch::Update,
                match_by: cube_domain::import_match::MatchKeys::ALL,
            },
        )
        .await?;
    let before = status_mb("VmRSS:");
    let started = std::time::Instant::now();
    let mut checker = RowChecker::new(&cube, &opened);
    let (mut good, mut rejected) = (0, 0);
    for i in 0..rows {
        match checker.check(i + 2, &row(i)) {
            Ok(_) => good += 1,
            Err(_) => rejected += 1,
        }
    }
    // The same rows again: every one a duplicate of its first time.
    for i in (0..rows).step_by(1000) {
        if checker.check(rows + i + 2, &row(i)).is_ok() {
            return Err(format!("row {i} was not found again").into());
        }
    }
    let after = status_mb("VmRSS:");
    let peak = status_mb("VmHWM:");
    println!(
        "rows {rows}: good {good}, rejected {rejected}; RSS before {before:.1} MB, after \
         {after:.1} MB (+{:.1} MB), peak {peak:.1} MB (+{:.1} MB); {:.1} s (not a speed figure)",
        after - before,
        peak - before,
        started.elapsed().as_secs_f64()
    );
    // The second pass, as the writing job checks the rows again: taking the numbers the
    // first pass parsed (`second` skips it: the first pass alone, for instruction counts).
    if std::env::args().any(|a| a == "second") {
        let opened = opened.with_parsed_phones(checker.take_parsed_phones());
        drop(checker);
        let mut again = RowChecker::new(&cube, &opened);
        let second = (0..rows)
            .filter(|&i| again.check(i + 2, &row(i)).is_ok())
            .count();
        if second != good {
            return Err(format!("the second pass found {second} good rows of {good}").into());
        }
        println!(
            "second pass: {second} good; RSS {:.1} MB, peak {:.1} MB",
            status_mb("VmRSS:"),
            status_mb("VmHWM:")
        );
    }
    Ok(())
}
