//! The outcome list's pages each read one range of `outcome_events_window` in its order
//! (migration 0046): found by the 1,000,000-outcome export on PostgreSQL, whose pages each
//! sorted the rest of the window (2.8–3.2 s a page at the 600,000th outcome). The plans are
//! taken as the pool runs them, generic, since a cursor that is only a filter in a generic
//! plan reads the window from its start on every page.

mod common;

use common::data::event;
use cube_domain::flow::StateCategory;
use cube_domain::ids::OutcomeEventId;
use cube_domain::outcome::OutcomeFilter;
use cube_domain::ports::Store;
use cube_postgres::statements::{OUTCOME_PAGE_AFTER, OUTCOME_PAGE_FIRST};
use cube_testkit::fixtures::{T0, World};
use time::Duration;

/// Outcomes appended to the world's assignment, a second apart.
const OUTCOMES: u128 = 3_000;

/// Every node of an `EXPLAIN (FORMAT JSON)` plan.
fn nodes(plan: &serde_json::Value) -> Vec<&serde_json::Value> {
    let mut all = vec![plan];
    let mut at = 0;
    while at < all.len() {
        if let Some(children) = all[at]["Plans"].as_array() {
            all.extend(children);
        }
        at += 1;
    }
    all
}

#[tokio::test]
async fn each_page_of_the_outcome_list_is_one_range_of_the_window_index() {
    let store = common::fresh_store().await;
    let clock = cube_testkit::FixedClock::new(T0);
    let ids = cube_testkit::SequentialIds::new();
    let world = World::build(&store, &clock, &ids, 40).await.expect("world");
    let assignment = world.assignment.id();
    let enrollments = {
        let mut read = store.begin_read().await.expect("read");
        read.enrollments(assignment).await.expect("enrollments")
    };
    let mut appended = Vec::new();
    let mut uow = store.begin().await.expect("begin");
    for n in 0..OUTCOMES {
        let on = &enrollments[n as usize % enrollments.len()];
        let at = T0 - Duration::hours(2) + Duration::seconds(n as i64);
        let outcome = event(n, on, on.state(), StateCategory::Available, at);
        appended.push(outcome.id());
        uow.append_event(&outcome, None).await.expect("appended");
    }
    uow.commit().await.expect("commit");
    sqlx::query("VACUUM ANALYZE outcome_events")
        .execute(store.pool())
        .await
        .expect("statistics");

    let (from, to) = (T0 - Duration::days(1), T0 + Duration::days(1));
    // The pages as the store reads them: 100 after the 2,000th, in order.
    let after: OutcomeEventId = appended[1_999];
    let page = {
        let mut read = store.begin_read().await.expect("read");
        read.outcome_list(
            assignment,
            from,
            to,
            &OutcomeFilter::default(),
            Some(after),
            100,
        )
        .await
        .expect("a page")
    };
    let listed: Vec<OutcomeEventId> = page.iter().map(|e| e.id()).collect();
    assert_eq!(listed, appended[2_000..2_100].to_vec());

    // Their plans, generic as a pooled connection's prepared statement ends up.
    let mut connection = store.pool().acquire().await.expect("a connection");
    let literal = |at: time::OffsetDateTime| {
        format!(
            "('epoch'::timestamptz + {} * interval '1 microsecond')",
            at.unix_timestamp_nanos() / 1_000
        )
    };
    let window = format!(
        "'{}'::uuid, {}, {}, NULL, NULL, NULL, false",
        assignment.as_uuid(),
        literal(from),
        literal(to)
    );
    for (name, statement, arguments) in [
        ("first_page", OUTCOME_PAGE_FIRST, format!("{window}, 100")),
        (
            "next_page",
            OUTCOME_PAGE_AFTER,
            format!("{window}, 100, '{}'::uuid", after.as_uuid()),
        ),
    ] {
        for sql in [
            "SET plan_cache_mode = force_generic_plan".to_owned(),
            format!("PREPARE {name} AS {statement}"),
        ] {
            sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
                .execute(&mut *connection)
                .await
                .expect("prepared");
        }
        let (plan,): (serde_json::Value,) = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) EXECUTE {name}({arguments})"
        )))
        .fetch_one(&mut *connection)
        .await
        .expect("explained");
        let plan = &plan[0]["Plan"];
        let all = nodes(plan);
        assert!(
            all.iter().all(|n| n["Node Type"] != "Sort"),
            "{name}: the order is the index's, nothing is sorted: {plan:#}"
        );
        let scan = all
            .iter()
            .find(|n| n["Index Name"] == "outcome_events_window" && n["Relation Name"].is_string())
            .unwrap_or_else(|| panic!("{name}: a scan of outcome_events_window: {plan:#}"));
        if name == "next_page" {
            assert!(
                scan["Index Cond"]
                    .as_str()
                    .is_some_and(|c| c.contains("ROW(occurred_at, seq) >")),
                "{name}: the page starts where the last one ended, in the index: {scan:#}"
            );
        }
        assert_eq!(plan["Actual Rows"], 100, "{name}: {plan:#}");
    }
}
