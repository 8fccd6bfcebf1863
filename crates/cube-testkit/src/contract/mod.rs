//! The storage contract, written once and run against every adapter (in-memory, SQLite,
//! PostgreSQL). Each case is a `pub async fn` taking a fresh, empty `Arc<dyn Store>`; it sets
//! up its data through the store itself (the `fixtures::World`), so it is adapter-neutral,
//! and panics with a message naming the broken rule.
//!
//! An adapter runs the whole suite with one line in a test file:
//!
//! ```text
//! cube_testkit::store_contract_tests!(|| async { Arc::new(MyStore::fresh().await) as Arc<dyn Store> });
//! ```
//!
//! The factory is called once per case and must give an empty store of its own. Each case
//! becomes a `#[test]` named `store_contract::<port>::<case>` running on a multi-threaded
//! tokio runtime with 4 workers (see [`run`]), so a failure names the rule it broke.
//!
//! # Layout
//! - [`store`]: every repository: round trips, list orders, each "MUST return", rollback on
//!   drop, commit visibility, follow-ups, the outcome log, time entries, the outbox, imports,
//!   password hashes and access tokens, and the paged lists that read a whole store back.
//! - [`queue`]: `reserve_next` against `queue::select_next`, leases, retry delays, and
//!   32 sellers draining an assignment at once.
//! - [`reports`]: the report tallies against the domain's `tally_*` functions.
//! - [`sms`]: the contract of an SMS gateway (`sms_gateway_contract_tests!`), for any
//!   adapter of the `SmsGateway` port.

pub mod queue;
pub mod reports;
pub mod sms;
pub mod store;

use crate::clock::{FixedClock, SequentialIds};
use crate::fixtures::{T0, World};
use cube_domain::enrollment::{Enrollment, EnrollmentSnapshot};
use cube_domain::ports::Store;
use std::future::Future;
use std::sync::Arc;
use time::{Duration, OffsetDateTime};

/// What every contract case takes: a fresh, empty store.
pub type SharedStore = Arc<dyn Store>;

/// Runs one contract case to completion on a fresh multi-threaded runtime (4 workers), as
/// `#[tokio::test(flavor = "multi_thread", worker_threads = 4)]` would. The macro uses this
/// so the adapter's test crate needs no tokio attribute of its own.
pub fn run(case: impl Future<Output = ()>) {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(4)
        .enable_all()
        .build()
        .expect("a tokio runtime for the contract case")
        .block_on(case);
}

/// Expands to one named test per contract case for the store the factory makes.
///
/// `$factory` is anything callable with no arguments returning a future of a store that
/// coerces to `Arc<dyn Store>`: a closure `|| async { … }` or the path of an `async fn`. It is
/// called once per test.
///
/// ```text
/// use cube_domain::ports::Store;
/// use cube_testkit::MemoryStore;
/// use std::sync::Arc;
///
/// cube_testkit::store_contract_tests!(|| async { Arc::new(MemoryStore::new()) as Arc<dyn Store> });
/// ```
#[macro_export]
macro_rules! store_contract_tests {
    ($factory:expr $(,)?) => {
        $crate::__store_contract_cases! {
            $factory;
            store: [
                organisation_round_trip,
                users_round_trip_by_id_email_and_organisation,
                user_email_taken_by_another_user_is_duplicate,
                user_emails_are_one_login_whatever_their_case,
                data_owners_round_trip_and_list_by_name,
                customers_round_trip_find_and_page,
                customer_update_moves_its_lookup_keys,
                find_customer_leaves_out_the_customer_being_updated,
                customer_changes_are_kept_per_customer_oldest_first,
                customer_search_matches_the_filter,
                products_round_trip_and_list_by_name,
                product_code_taken_in_the_data_owner_is_duplicate,
                flow_drafts_round_trip_and_delete,
                published_flows_round_trip_latest_and_list,
                published_flow_version_is_frozen,
                assignments_round_trip_and_list_by_name,
                calendars_round_trip_and_list,
                meetings_round_trip_and_duplicate_id,
                meetings_in_calendar_overlap_the_window,
                meetings_of_assignments_start_in_the_window,
                meetings_are_deleted_and_moved_by_id,
                enrollments_round_trip_and_lookups,
                enrollment_is_unique_per_assignment,
                updating_a_missing_enrollment_is_conflict,
                an_update_never_moves_an_enrollment,
                enrollments_update_and_delete,
                a_page_of_updates_writes_each_and_returns_the_refused,
                a_page_of_removals_removes_each,
                enrollment_and_assignment_reads_both,
                held_by_is_the_sellers_live_leases_in_the_assignment,
                next_sequence_is_one_more_than_the_highest,
                follow_ups_are_mine_and_shared_due_before_until,
                events_round_trip_oldest_first,
                events_window_is_half_open_and_per_assignment,
                outcome_list_filters_and_pages_the_window,
                idempotency_key_is_unique_per_assignment_and_user,
                outcome_event_id_taken_is_told_apart_from_a_used_key,
                update_enrollment_with_event_writes_both_or_neither,
                time_entries_round_trip_running_and_window,
                times_are_kept_and_compared_to_the_microsecond,
                user_time_entries_overlapping_across_assignments,
                outbox_hands_out_pending_oldest_first,
                outbox_claims_defers_and_keeps_failures,
                outbox_message_id_taken_is_duplicate,
                outbox_receipts_mark_delivered_and_failed,
                sms_flows_are_found_by_number_and_listed_in_order,
                sms_replies_are_kept_once_and_listed_per_assignment,
                sale_confirmations_are_found_decided_once_and_listed,
                sale_confirmations_are_found_by_their_token_hash,
                customers_of_a_person_are_found_by_each_key_within_the_data_owner,
                meetings_messages_and_texts_of_a_person_are_found,
                unmatched_texts_are_claimed_by_the_data_owners_that_contacted_the_number,
                privacy_log_is_kept_per_data_owner_in_order,
                erasure_writes_keep_the_tallies_and_forget_the_person,
                do_not_contact_lists_are_per_data_owner_and_listed_once,
                customer_imports_are_recorded_listed_and_undone_once,
                a_customer_is_removed_after_its_enrollments_and_the_tallies_follow,
                rolled_back_enqueue_is_never_pending,
                dropped_unit_of_work_rolls_back_every_write,
                committed_writes_are_visible_to_later_units,
                read_unit_sees_committed_work,
                long_read_units_see_what_was_committed_before_each,
                import_batch_creates_matches_and_enrolls,
                import_batch_of_independent_rows,
                import_batch_updates_matched_customers,
                import_batch_keeps_awkward_text_exactly,
                import_batch_is_undone_with_its_unit,
                import_row_keys_finds_who_holds_each_key,
                import_batch_refuses_a_row_whose_phone_is_another_customers,
                import_batch_counts_a_row_that_changes_nothing_unchanged,
                import_row_keys_finds_companies_by_organisation_number,
                find_customer_finds_a_company_by_its_organisation_number,
                import_batch_matches_by_organisation_number_as_chosen,
                import_batch_refuses_a_row_of_the_other_dataset,
                password_hash_is_set_replaced_and_read,
                tokens_round_trip_and_a_taken_hash_is_duplicate,
                delete_token_says_whether_it_existed,
                delete_tokens_of_counts_and_spares_other_users,
                dropped_unit_of_work_rolls_back_credentials,
                expired_tokens_are_still_returned,
                token_holder_reads_the_committed_token_and_its_user,
                organisations_are_listed_by_id,
                flow_drafts_are_listed_per_data_owner,
                customers_after_pages_oldest_first,
                enrollments_after_pages_in_import_order,
                meetings_after_pages_by_start,
                time_entries_after_pages_by_start,
                events_after_reads_the_whole_log_in_append_order,
                messages_after_lists_every_message_with_its_state,
                tokens_of_lists_a_users_tokens_by_hash,
                webhook_endpoints_round_trip_per_organisation,
                calls_round_trip_by_id_provider_id_and_enrollment,
                calls_in_a_window_are_read_per_assignment_as_the_report_counts_them,
                request_keys_are_kept_once_per_user_and_key,
                racing_units_keep_a_request_key_once,
            ],
            queue: [
                reserve_next_is_none_when_nothing_is_ready,
                reserve_next_follows_the_queue_order,
                reserve_next_agrees_with_select_next,
                reserve_next_obeys_the_gate_at_random_instants,
                reserve_next_skips_customers_held_by_another_seller,
                reserve_next_respects_retry_at,
                reserve_next_stores_the_reservation,
                reserve_next_with_customer_hands_out_the_customer_too,
                reserve_next_hands_the_seller_back_what_they_hold,
                reserve_next_hands_out_due_follow_ups_of_concluded_customers,
                reserve_next_applies_a_changed_retry_delay_at_once,
                reserve_next_is_undone_with_its_unit,
                reserved_count_counts_live_leases,
                concurrent_sellers_get_each_enrollment_exactly_once,
                concurrent_release_never_gives_a_customer_to_two_sellers,
            ],
            reports: [
                report_tallies_equal_the_domain_tallies,
                sales_needing_confirmation_count_their_value_once_confirmed,
                report_tallies_of_an_unknown_assignment_are_empty,
            ],
        }
    };
}

/// The expansion of [`store_contract_tests!`]; not for direct use.
#[doc(hidden)]
#[macro_export]
macro_rules! __store_contract_cases {
    ($factory:expr; $($port:ident : [$($case:ident),* $(,)?]),* $(,)?) => {
        mod store_contract {
            #[allow(unused_imports)]
            use super::*;
            $(
                mod $port {
                    #[allow(unused_imports)]
                    use super::*;
                    $(
                        #[test]
                        fn $case() {
                            $crate::contract::run(async {
                                let store: $crate::contract::SharedStore = ($factory)().await;
                                $crate::contract::$port::$case(store).await;
                            });
                        }
                    )*
                }
            )*
        }
    };
}

/// A world and the clock and ids it was built with.
pub(crate) struct Setup {
    pub world: World,
    pub clock: FixedClock,
    pub ids: SequentialIds,
}

/// Builds a `World` with `customers` customers in `store`, at `T0`.
pub(crate) async fn setup(store: &dyn Store, customers: usize) -> Setup {
    let clock = FixedClock::new(T0);
    let ids = SequentialIds::new();
    let world = World::build(store, &clock, &ids, customers)
        .await
        .expect("the world can be written to an empty store");
    Setup { world, clock, ids }
}

/// `T0` plus `minutes`.
pub(crate) fn at(minutes: i64) -> OffsetDateTime {
    T0 + Duration::minutes(minutes)
}

/// A copy of `enrollment` with its plain data changed by `change`.
pub(crate) fn with(
    enrollment: &Enrollment,
    change: impl FnOnce(&mut EnrollmentSnapshot),
) -> Enrollment {
    let mut snapshot = enrollment.snapshot().clone();
    change(&mut snapshot);
    Enrollment::from(snapshot)
}
