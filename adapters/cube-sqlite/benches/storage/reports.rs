//! The report tallies and the customer searches through the port, each in a read unit of
//! its own as the use cases read, timed several times.

use crate::load::patterned_id;
use crate::markdown::{Report, Timed};
use crate::{BenchResult, CUSTOMER_PREFIX, REPORT_RUNS, count_text, id_text, ns, plural};
use cube_domain::assignment::setup::AnalysisField;
use cube_domain::customer::{CustomerFilter, SearchWords};
use cube_domain::ids::CustomerId;
use cube_domain::ports::{Page, Store};
use cube_sqlite::SqliteStore;
use cube_testkit::fixtures::World;
use std::time::Instant;
use time::OffsetDateTime;

/// Times `run` `REPORT_RUNS` times after a warm-up, each in a read unit of its own (as the
/// use cases read); returns the times in ms and the last run's row count.
pub(crate) async fn time_runs<F>(store: &SqliteStore, mut run: F) -> BenchResult<(Vec<f64>, usize)>
where
    F: AsyncFnMut(&mut dyn cube_domain::ports::ReadUnit) -> BenchResult<usize>,
{
    let mut times = Vec::new();
    let mut rows = 0;
    for attempt in 0..=REPORT_RUNS {
        let mut unit = store.begin_read().await?;
        let started = Instant::now();
        rows = run(unit.as_mut()).await?;
        let elapsed = started.elapsed().as_secs_f64() * 1_000.0;
        drop(unit);
        if attempt > 0 {
            times.push(elapsed);
        }
    }
    Ok((times, rows))
}

/// Every report tally of the port, over the loaded data.
pub(crate) async fn time_reports(
    store: &SqliteStore,
    world: &World,
    load_now: OffsetDateTime,
    report: &mut Report,
) -> BenchResult<()> {
    let assignment = world.assignment.id();
    let a = id_text(assignment.as_uuid());
    let to = load_now;
    let from = to - time::Duration::days(30);
    let scalar = async |sql: &'static str, binds: &[i64]| -> BenchResult<i64> {
        let mut query = sqlx::query_scalar(sql).bind(a.clone());
        for b in binds {
            query = query.bind(*b);
        }
        Ok(query.fetch_one(store.pool()).await?)
    };
    let window_events = scalar(
        "SELECT count(*) FROM outcome_events
         WHERE assignment_id = ?1 AND occurred_at >= ?2 AND occurred_at < ?3",
        &[ns(from)?, ns(to)?],
    )
    .await?;
    let window_sales = scalar(
        "SELECT count(*) FROM outcome_events
         WHERE assignment_id = ?1 AND occurred_at >= ?2 AND occurred_at < ?3
           AND to_category = 'Yes'",
        &[ns(from)?, ns(to)?],
    )
    .await?;
    let enrollments = scalar(
        "SELECT count(*) FROM enrollments WHERE assignment_id = ?1",
        &[],
    )
    .await?;
    let concluded = scalar(
        "SELECT count(*) FROM enrollments WHERE assignment_id = ?1 AND category IN ('Yes', 'No')",
        &[],
    )
    .await?;
    let open = scalar(
        "SELECT count(*) FROM enrollments WHERE assignment_id = ?1 AND category = 'Open'",
        &[],
    )
    .await?;
    let fields = [
        AnalysisField::Crm(World::industry()),
        AnalysisField::Attempts,
    ];
    let ids = [assignment];
    let cases: [(&str, String); 6] = [
        (
            "Customer status (`status_tally`)",
            format!("{} enrollments", count_text(enrollments)),
        ),
        (
            "Held now (`reserved_count`, the status report's \"reserved\")",
            format!("{} enrollments", count_text(enrollments)),
        ),
        (
            "30-day outcome report (`outcome_tally`, last 30 days)",
            format!("{} of the events", count_text(window_events)),
        ),
        (
            "30-day sales report (`sold_products`, last 30 days)",
            format!("{} sales of the events", count_text(window_sales)),
        ),
        (
            "Hit analysis on `industry` and attempts (`hit_tally`)",
            format!("{} concluded enrollments", count_text(concluded)),
        ),
        (
            "Open offers (`open_offers`)",
            format!("{} open enrollments", count_text(open)),
        ),
    ];
    for (which, (name, input)) in cases.into_iter().enumerate() {
        let (times, rows) = time_runs(store, async |uow| {
            Ok(match which {
                0 => uow.status_tally(assignment).await?.len(),
                1 => usize::try_from(uow.reserved_count(assignment, to).await?)?,
                2 => uow.outcome_tally(&ids, from, to).await?.len(),
                3 => uow.sold_products(&ids, from, to).await?.len(),
                4 => uow.hit_tally(assignment, &fields).await?.len(),
                _ => uow.open_offers(assignment).await?.len(),
            })
        })
        .await?;
        push_timed(
            report,
            name.into(),
            format!("{input} → {}", plural(rows, "row")),
            times,
        );
    }
    Ok(())
}

pub(crate) fn push_timed(report: &mut Report, name: String, input: String, mut times: Vec<f64>) {
    let median = median(&mut times);
    eprintln!("  {name}: median {median:.1} ms ({input})");
    report.reports.push(Timed {
        name,
        input,
        median_ms: median,
        runs_ms: times,
    });
}

/// Customer searches through the port (`customers` with a `CustomerFilter`, first page of
/// 50) over the loaded customers.
pub(crate) async fn time_searches(
    store: &SqliteStore,
    world: &World,
    customers: i64,
    report: &mut Report,
) -> BenchResult<()> {
    let owner = world.data_owner.id();
    let middle = usize::try_from(customers / 2)?;
    let fixture = World::customer(
        CustomerId::from_uuid(patterned_id(CUSTOMER_PREFIX, customers / 2)),
        &world.data_owner,
        middle,
    );
    let details = fixture.details();
    let words = |text: &str| -> BenchResult<CustomerFilter> {
        Ok(CustomerFilter {
            words: SearchWords::parse(text)?,
            ..CustomerFilter::default()
        })
    };
    let cases = [
        (
            "words naming one customer",
            words(&details.name.to_string())?,
        ),
        (
            "words found in 1 of 200 customers (an address)",
            words(&format!("storgata {},", middle % 200 + 1))?,
        ),
        ("a word found nowhere", words("nobody")?),
        ("a two-letter word found nowhere", words("zq")?),
        (
            "exact phone number",
            CustomerFilter {
                phone: Some(details.phones[0].clone()),
                ..CustomerFilter::default()
            },
        ),
        (
            "exact external id",
            CustomerFilter {
                external_id: details.external_id.clone(),
                ..CustomerFilter::default()
            },
        ),
    ];
    let page = Page {
        offset: 0,
        limit: 50,
    };
    for (name, filter) in cases {
        let (times, found) = time_runs(store, async |uow| {
            Ok(uow.customers(owner, &filter, page).await?.len())
        })
        .await?;
        push_timed(
            report,
            format!("Customer search (`customers`), {name}"),
            format!("{} customers → first page: {found}", count_text(customers)),
            times,
        );
    }
    Ok(())
}

pub(crate) fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    match values.len() {
        0 => f64::NAN,
        n if !n.is_multiple_of(2) => values[n / 2],
        n => (values[n / 2 - 1] + values[n / 2]) / 2.0,
    }
}
