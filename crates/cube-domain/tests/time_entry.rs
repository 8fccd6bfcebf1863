//! Time tracking: hours per user per assignment.

mod common;

use common::*;
use cube_domain::time_entry::{TimeEntry, TimeEntryError};
use rust_decimal::Decimal;
use std::str::FromStr;

fn hours(text: &str) -> Decimal {
    Decimal::from_str(text).expect("a decimal")
}

fn running() -> TimeEntry {
    TimeEntry::start(id(70), SELLER, ASSIGNMENT, T0)
}

#[test]
fn a_started_entry_runs_until_stopped() {
    let mut entry = running();
    assert_eq!(entry.ends_at(), None);
    entry.stop(mins(90)).expect("after the start");
    assert_eq!(entry.ends_at(), Some(mins(90)));
}

#[test]
fn an_entry_cannot_be_stopped_twice() {
    let mut entry = running();
    entry.stop(mins(60)).expect("first stop");
    assert_eq!(entry.stop(mins(90)), Err(TimeEntryError::AlreadyStopped));
    assert_eq!(entry.ends_at(), Some(mins(60)));
}

#[test]
fn an_entry_must_end_after_it_starts() {
    let mut entry = running();
    assert_eq!(entry.stop(T0), Err(TimeEntryError::EndsBeforeStart));
    assert_eq!(entry.stop(mins(-1)), Err(TimeEntryError::EndsBeforeStart));
    assert_eq!(entry.ends_at(), None, "a refused stop leaves it running");
    assert_eq!(
        TimeEntry::manual(id(71), SELLER, ASSIGNMENT, mins(60), mins(30)),
        Err(TimeEntryError::EndsBeforeStart)
    );
}

#[test]
fn an_entry_is_at_most_a_day_long() {
    let day = 24 * 60;
    assert_eq!(
        TimeEntry::manual(id(71), SELLER, ASSIGNMENT, T0, mins(day + 1)),
        Err(TimeEntryError::TooLong)
    );
    assert!(TimeEntry::manual(id(71), SELLER, ASSIGNMENT, T0, mins(day)).is_ok());
}

#[test]
fn hours_are_counted_in_decimal_hours() {
    let entry = TimeEntry::manual(id(71), SELLER, ASSIGNMENT, T0, mins(90)).expect("valid");
    assert_eq!(
        entry.hours_within(mins(600), mins(-600), mins(600)),
        hours("1.5")
    );
    let odd = TimeEntry::manual(id(72), SELLER, ASSIGNMENT, T0, mins(20)).expect("valid");
    assert_eq!(odd.hours_within(mins(600), T0, mins(600)), hours("0.3333"));
}

#[test]
fn hours_are_clipped_to_the_window() {
    let entry = TimeEntry::manual(id(71), SELLER, ASSIGNMENT, T0, mins(240)).expect("valid");
    let now = mins(1000);
    assert_eq!(entry.hours_within(now, mins(60), mins(120)), hours("1"));
    assert_eq!(entry.hours_within(now, mins(-60), mins(60)), hours("1"));
    assert_eq!(entry.hours_within(now, mins(180), mins(600)), hours("1"));
    assert_eq!(entry.hours_within(now, mins(240), mins(600)), Decimal::ZERO);
    assert_eq!(entry.hours_within(now, mins(-600), T0), Decimal::ZERO);
}

#[test]
fn a_running_entry_counts_up_to_now() {
    let entry = running();
    assert_eq!(
        entry.hours_within(mins(45), mins(-60), mins(600)),
        hours("0.75")
    );
    assert_eq!(
        entry.hours_within(mins(45), mins(30), mins(600)),
        hours("0.25")
    );
    assert_eq!(
        entry.hours_within(mins(-5), mins(-60), mins(600)),
        Decimal::ZERO
    );
}

#[test]
fn hours_by_hand_must_lie_in_the_accepted_years() {
    use cube_domain::time_bounds::TimeOutOfBounds;
    let year_one = time::macros::datetime!(0001-01-01 8:00 UTC);
    assert_eq!(
        TimeEntry::manual(
            id(71),
            SELLER,
            ASSIGNMENT,
            year_one,
            year_one + time::Duration::hours(2)
        ),
        Err(TimeEntryError::Time(TimeOutOfBounds {
            field: "start",
            year: 1
        }))
    );
}

#[test]
fn a_store_restores_an_entry_running_or_finished_but_never_ending_before_it_starts() {
    let running = TimeEntry::restore(id(72), SELLER, ASSIGNMENT, T0, None).expect("running");
    assert_eq!(running, TimeEntry::start(id(72), SELLER, ASSIGNMENT, T0));
    assert!(running.is_running());
    let finished =
        TimeEntry::restore(id(72), SELLER, ASSIGNMENT, T0, Some(mins(90))).expect("finished");
    assert_eq!(
        (
            finished.id(),
            finished.user(),
            finished.assignment(),
            finished.starts_at(),
            finished.ends_at()
        ),
        (id(72), SELLER, ASSIGNMENT, T0, Some(mins(90)))
    );
    assert!(!finished.is_running());
    // A stored entry that ends as it starts counts no hours but reads back.
    assert!(TimeEntry::restore(id(72), SELLER, ASSIGNMENT, T0, Some(T0)).is_ok());
    assert_eq!(
        TimeEntry::restore(id(72), SELLER, ASSIGNMENT, T0, Some(mins(-1))),
        Err(TimeEntryError::EndsBeforeStart)
    );
}

#[test]
fn an_entry_serializes_as_its_five_fields_and_is_checked_reading_back() {
    let entry = TimeEntry::manual(id(71), SELLER, ASSIGNMENT, T0, mins(90)).expect("valid");
    let json = serde_json::to_value(&entry).expect("serializes");
    let keys: Vec<&str> = json
        .as_object()
        .expect("an object")
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(keys, ["assignment", "end", "id", "start", "user"]);
    let back: TimeEntry = serde_json::from_value(json.clone()).expect("reads back");
    assert_eq!(back, entry);
    let mut backwards = json;
    backwards["end"] = serde_json::to_value(mins(-1)).expect("serializes");
    let error = serde_json::from_value::<TimeEntry>(backwards).expect_err("ends before it starts");
    assert!(
        error.to_string().contains("must end after it starts"),
        "{error}"
    );
}
