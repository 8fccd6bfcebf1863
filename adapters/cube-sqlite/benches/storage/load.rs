//! Loading the data: the organisation's customers through the port as templates, then the
//! rest of the customers, the enrollments and the outcome events with set-based SQL in the
//! adapter's row format, read back through the port on samples.

use crate::markdown::Report;
use crate::{
    BenchResult, CUSTOMER_PREFIX, DAY_NS, ENROLLMENT_PREFIX, EVENT_CHUNK, EVENT_PREFIX,
    HISTORY_DAYS, TEMPLATES, category_text, class_text, count_text, file_size, from_ns, id_text,
    ns,
};
use cube_domain::customer::Customer;
use cube_domain::fields::FieldValues;
use cube_domain::ids::{CustomerId, EnrollmentId, OutcomeEventId, OutcomeId, StateId, UserId};
use cube_domain::outcome::{OutcomeClass, OutcomeEvent, OutcomeEventRecord, ProductLine};
use cube_domain::ports::Store;
use cube_sqlite::SqliteStore;
use cube_testkit::fixtures::{SalesFlow, World};
use sqlx::sqlite::{
    SqliteArguments, SqliteConnectOptions, SqliteConnection, SqliteJournalMode, SqliteSynchronous,
};
use sqlx::{Arguments, AssertSqlSafe, ConnectOptions, Connection};
use std::fmt::Write as _;
use std::path::Path;
use std::time::{Duration, Instant};
use time::OffsetDateTime;
use uuid::Uuid;

/// The id of loaded row `index` (from 0) under `prefix`.
pub(crate) fn patterned_id(prefix: u32, index: i64) -> Uuid {
    let index = u128::from(index.unsigned_abs()) & 0xffff_ffff_ffff;
    Uuid::from_u128((u128::from(prefix) << 96) | (0x7000_u128 << 64) | (0x8000_u128 << 48) | index)
}

/// SQL for the text of [`patterned_id`] of the index expression `expr`.
pub(crate) fn id_sql(prefix: u32, expr: &str) -> String {
    format!("printf('{prefix:08x}-0000-7000-8000-%012x', {expr})")
}

/// The pseudo-random percentile (0–99) of loaded row `i`, as [`HASH_SQL`] computes it.
pub(crate) fn hash_percent(i: i64) -> i64 {
    (i.wrapping_mul(2_654_435_761) % 4_294_967_296) * 100 / 4_294_967_296
}

/// [`hash_percent`] in SQL, of the index expression `expr`.
pub(crate) fn hash_sql(expr: &str) -> String {
    format!("((({expr}) * 2654435761) % 4294967296) * 100 / 4294967296")
}

/// One kind of loaded event: its share of the log (in percent) and what it records.
pub(crate) struct EventKind {
    pub(crate) percent: i64,
    pub(crate) outcome: OutcomeId,
    pub(crate) class: OutcomeClass,
    pub(crate) from: StateId,
    pub(crate) to: StateId,
    pub(crate) sale: bool,
}

pub(crate) fn event_kinds() -> [EventKind; 6] {
    let kind = |percent, outcome, class, from, to, sale| EventKind {
        percent,
        outcome,
        class,
        from,
        to,
        sale,
    };
    use OutcomeClass::{NoAnswer, Progress};
    let s = SalesFlow::TO_CALL;
    [
        kind(55, SalesFlow::O_NO_ANSWER, NoAnswer, s, s, false),
        kind(12, SalesFlow::O_LEAD, Progress, s, SalesFlow::LEAD, false),
        kind(
            8,
            SalesFlow::O_OFFER,
            Progress,
            SalesFlow::LEAD,
            SalesFlow::OFFER,
            false,
        ),
        kind(
            5,
            SalesFlow::O_SALE,
            Progress,
            SalesFlow::OFFER,
            SalesFlow::SALE,
            true,
        ),
        kind(
            17,
            SalesFlow::O_NO_SALE,
            Progress,
            s,
            SalesFlow::NO_SALE,
            false,
        ),
        kind(
            3,
            SalesFlow::O_EXCLUDED,
            Progress,
            s,
            SalesFlow::EXCLUDED,
            false,
        ),
    ]
}

/// The kind (index into [`event_kinds`]) of loaded event `g`.
pub(crate) fn kind_of(kinds: &[EventKind], g: i64) -> usize {
    let h = hash_percent(g);
    let mut bound = 0;
    for (k, kind) in kinds.iter().enumerate() {
        bound += kind.percent;
        if h < bound {
            return k;
        }
    }
    kinds.len() - 1
}

/// Who and what a loaded event is about.
pub(crate) struct EventFacts {
    pub(crate) id: OutcomeEventId,
    pub(crate) enrollment: EnrollmentId,
    pub(crate) customer: CustomerId,
    pub(crate) user: Option<UserId>,
    pub(crate) at: OffsetDateTime,
}

/// The one place the bench builds an `OutcomeEvent` itself: a loaded event of `kind`. The
/// loading statement's templates are these with nil ids (then `json_set`), and the read-back
/// check compares with them.
pub(crate) fn loaded_event(world: &World, kind: &EventKind, facts: EventFacts) -> OutcomeEvent {
    let products = if kind.sale {
        let product = &world.products[0];
        vec![ProductLine {
            product: product.id(),
            quantity: 1,
            unit_price: product.unit_price(),
            currency: product.currency().clone(),
        }]
    } else {
        Vec::new()
    };
    OutcomeEvent::from(OutcomeEventRecord {
        id: facts.id,
        assignment: world.assignment.id(),
        enrollment: facts.enrollment,
        customer: facts.customer,
        occurred_at: facts.at,
        user: facts.user,
        outcome: Some(kind.outcome),
        class: kind.class,
        option: None,
        from_state: kind.from,
        to_state: kind.to,
        to_category: world.sales_flow.category(kind.to),
        fields: FieldValues::new(),
        products,
        meeting: None,
        follow_up: None,
        note: None,
    })
}

/// A connection for loading: the adapter's pragmas, but no waiting for the disk and a large
/// page cache (the load is redone from scratch if the machine fails).
pub(crate) async fn load_connection(path: &Path) -> BenchResult<SqliteConnection> {
    let mut conn = SqliteConnectOptions::new()
        .filename(path)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Off)
        .busy_timeout(Duration::from_secs(60))
        .foreign_keys(true)
        .pragma("cache_size", "-1048576")
        .pragma("temp_store", "memory")
        .connect()
        .await?;
    sqlx::query("SELECT 1").execute(&mut conn).await?;
    Ok(conn)
}

/// Runs one loading statement in a transaction of its own.
pub(crate) async fn load_statement(
    conn: &mut SqliteConnection,
    sql: String,
    binds: &[i64],
    texts: &[&str],
) -> BenchResult<u64> {
    let mut args = SqliteArguments::default();
    for n in binds {
        args.add(*n)?;
    }
    for text in texts {
        args.add((*text).to_owned())?;
    }
    let mut tx = conn.begin().await?;
    let done = sqlx::query_with(AssertSqlSafe(sql), args)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(done.rows_affected())
}

#[allow(clippy::too_many_arguments)]
pub(crate) async fn load(
    path: &Path,
    store: &SqliteStore,
    world: &World,
    sellers: &[UserId],
    load_now: OffsetDateTime,
    customers: i64,
    events: i64,
    report: &mut Report,
) -> BenchResult<()> {
    let mut conn = load_connection(path).await?;
    let owner = id_text(world.data_owner.id().as_uuid());
    let assignment = id_text(world.assignment.id().as_uuid());

    // The templates, through the port.
    let templates = customers.min(TEMPLATES);
    eprintln!("saving {templates} customers through the port …");
    let started = Instant::now();
    let mut uow = store.begin().await?;
    for i in 0..templates {
        let id = CustomerId::from_uuid(patterned_id(CUSTOMER_PREFIX, i));
        uow.save_customer(&World::customer(id, &world.data_owner, usize::try_from(i)?))
            .await?;
    }
    uow.commit().await?;
    report.load.push((
        "Customers saved through `SqliteStore` (`save_customer`), the templates of the rest".into(),
        count_text(templates),
        started.elapsed(),
    ));

    // Lookup tables of this connection for the loading statements.
    for statement in [
        "CREATE TEMP TABLE bench_customer (n INTEGER PRIMARY KEY, doc TEXT NOT NULL,
             dataset TEXT NOT NULL)",
        "CREATE TEMP TABLE bench_field (n INTEGER NOT NULL, field_key TEXT NOT NULL,
             value TEXT NOT NULL, sort_key BLOB NOT NULL, PRIMARY KEY (n, field_key))",
        "CREATE TEMP TABLE bench_seller (n INTEGER PRIMARY KEY, id TEXT NOT NULL)",
        "CREATE TEMP TABLE bench_state (s INTEGER PRIMARY KEY, id TEXT NOT NULL,
             category TEXT NOT NULL)",
        "CREATE TEMP TABLE bench_kind (k INTEGER PRIMARY KEY, outcome_id TEXT NOT NULL,
             class TEXT NOT NULL, from_state TEXT NOT NULL, to_state TEXT NOT NULL,
             to_category TEXT NOT NULL, doc TEXT NOT NULL)",
    ] {
        sqlx::query(statement).execute(&mut conn).await?;
    }
    let template_of = id_sql(CUSTOMER_PREFIX, "n");
    load_statement(
        &mut conn,
        format!(
            "INSERT INTO bench_customer (n, doc, dataset)
             WITH RECURSIVE c(n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM c WHERE n + 1 < ?1)
             SELECT c.n, t.doc, t.dataset FROM c JOIN customers AS t ON t.id = {template_of}"
        ),
        &[templates],
        &[],
    )
    .await?;
    load_statement(
        &mut conn,
        format!(
            "INSERT INTO bench_field (n, field_key, value, sort_key)
             WITH RECURSIVE c(n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM c WHERE n + 1 < ?1)
             SELECT c.n, f.field_key, f.value, f.sort_key
             FROM c JOIN customer_fields AS f ON f.customer_id = {template_of}"
        ),
        &[templates],
        &[],
    )
    .await?;
    for (n, seller) in sellers.iter().enumerate() {
        sqlx::query("INSERT INTO bench_seller (n, id) VALUES (?1, ?2)")
            .bind(i64::try_from(n)?)
            .bind(id_text(seller.as_uuid()))
            .execute(&mut conn)
            .await?;
    }
    let states = [
        SalesFlow::TO_CALL,
        SalesFlow::LEAD,
        SalesFlow::OFFER,
        SalesFlow::SALE_TO_FOLLOWUP,
        SalesFlow::SALE,
        SalesFlow::NO_SALE,
        SalesFlow::EXCLUDED,
    ];
    for (s, state) in (1i64..).zip(states) {
        sqlx::query("INSERT INTO bench_state (s, id, category) VALUES (?1, ?2, ?3)")
            .bind(s)
            .bind(id_text(state.as_uuid()))
            .bind(category_text(world.sales_flow.category(state)))
            .execute(&mut conn)
            .await?;
    }
    let kinds = event_kinds();
    for (k, kind) in (0i64..).zip(&kinds) {
        let nil = Uuid::nil();
        let template = loaded_event(
            world,
            kind,
            EventFacts {
                id: OutcomeEventId::from_uuid(nil),
                enrollment: EnrollmentId::from_uuid(nil),
                customer: CustomerId::from_uuid(nil),
                user: None,
                at: load_now,
            },
        );
        sqlx::query(
            "INSERT INTO bench_kind (k, outcome_id, class, from_state, to_state, to_category, doc)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        )
        .bind(k)
        .bind(id_text(kind.outcome.as_uuid()))
        .bind(class_text(kind.class))
        .bind(id_text(kind.from.as_uuid()))
        .bind(id_text(kind.to.as_uuid()))
        .bind(category_text(world.sales_flow.category(kind.to)))
        .bind(serde_json::to_string(&template)?)
        .execute(&mut conn)
        .await?;
    }

    // Customers `templates..customers`: `World::customer(i)` exactly, copied from template
    // `i % TEMPLATES` with the customer's own id, name, phone, address and external id.
    eprintln!("loading {customers} customers …");
    let started = Instant::now();
    let customer_id = id_sql(CUSTOMER_PREFIX, "c.i");
    let counter =
        "WITH RECURSIVE c(i) AS (SELECT ?1 UNION ALL SELECT i + 1 FROM c WHERE i + 1 < ?2)";
    let loaded = load_statement(
        &mut conn,
        format!(
            "INSERT INTO customers (id, data_owner_id, external_id, doc, dataset, search_text)
             {counter}
             SELECT v.id, ?4, v.ext,
                    json_set(t.doc, '$.id', v.id, '$.details.name', v.name,
                             '$.details.phones', json_array(v.phone),
                             '$.details.address', v.address, '$.details.external_id', v.ext),
                    t.dataset,
                    -- Customer::search_text: ASCII only here, so `lower` folds it exactly like
                    -- Rust (check_customers compares samples).
                    lower(v.name || char(10) || v.phone || char(10) || v.address || char(10)
                          || v.ext)
             FROM (SELECT c.i, {customer_id} AS id, printf('Customer %05d', c.i) AS name,
                          printf('+479%07d', c.i % 10000000) AS phone,
                          'Storgata ' || (c.i % 200 + 1) || ', Oslo' AS address,
                          printf('ext-%05d', c.i) AS ext
                   FROM c) AS v
             JOIN bench_customer AS t ON t.n = v.i % ?3"
        ),
        &[templates, customers, TEMPLATES],
        &[&owner],
    )
    .await?;
    load_statement(
        &mut conn,
        format!(
            "INSERT INTO customer_phones (customer_id, position, data_owner_id, phone)
             {counter}
             SELECT {customer_id}, 0, ?3, printf('+479%07d', c.i % 10000000) FROM c"
        ),
        &[templates, customers],
        &[&owner],
    )
    .await?;
    load_statement(
        &mut conn,
        format!(
            "INSERT INTO customer_fields (customer_id, field_key, value, sort_key)
             {counter}
             SELECT {customer_id}, f.field_key, f.value, f.sort_key
             FROM c JOIN bench_field AS f ON f.n = c.i % ?3"
        ),
        &[templates, customers, TEMPLATES],
        &[],
    )
    .await?;
    report.load.push((
        "Customers with their phones and CRM values (`INSERT … SELECT`, `WITH RECURSIVE`)".into(),
        count_text(i64::try_from(loaded)?),
        started.elapsed(),
    ));

    // Enrollments: 55% To Call (ready), 15% open with a future follow-up (half of them
    // personal), 8% Sale, 17% No sale, 5% Excluded; import order = customer order.
    eprintln!("loading {customers} enrollments …");
    let started = Instant::now();
    let enrollment_id = id_sql(ENROLLMENT_PREFIX, "e.i");
    let customer_of = id_sql(CUSTOMER_PREFIX, "e.i");
    let hash = hash_sql("c.i");
    load_statement(
        &mut conn,
        format!(
            "INSERT INTO enrollments (id, assignment_id, customer_id, state_id, category,
                 segment_id, attempts, last_contact, follow_up_due, follow_up_owner, no_answer_at,
                 reserved_by, reserved_until, sequence, enrolled_at)
             {counter}
             SELECT {enrollment_id}, ?4, {customer_of}, st.id, st.category, NULL,
                    CASE WHEN e.s = 1 THEN e.i % 4 ELSE 1 + e.i % 3 END,
                    CASE WHEN e.s = 1 AND e.i % 4 = 0 THEN NULL
                         ELSE ?3 - (e.i % 179 + 1) * {DAY_NS} END,
                    CASE WHEN e.s IN (2, 3, 4) THEN ?3 + (1 + e.i % 30) * {DAY_NS} END,
                    CASE WHEN e.s IN (2, 3, 4) AND e.i % 2 = 0 THEN
                        (SELECT b.id FROM bench_seller AS b
                         WHERE b.n = e.i % (SELECT count(*) FROM bench_seller)) END,
                    NULL, NULL, NULL, e.i + 1, ?3 - 181 * {DAY_NS}
             FROM (SELECT c.i,
                          CASE WHEN h < 55 THEN 1 WHEN h < 62 THEN 2 WHEN h < 67 THEN 3
                               WHEN h < 70 THEN 4 WHEN h < 78 THEN 5 WHEN h < 95 THEN 6
                               ELSE 7 END AS s
                   FROM (SELECT c.i, {hash} AS h FROM c) AS c) AS e
             JOIN bench_state AS st ON st.s = e.s"
        ),
        &[0, customers, ns(load_now)?],
        &[&assignment],
    )
    .await?;
    report.load.push((
        "Enrollments (`INSERT … SELECT`, `WITH RECURSIVE`)".into(),
        count_text(customers),
        started.elapsed(),
    ));

    // Outcome events: in time order over the last 180 days (whole milliseconds), each on a
    // pseudo-random enrollment (every enrollment gets events/customers of them), by the
    // sellers in turn; the Sale events' product lines after each chunk.
    eprintln!("loading {events} outcome events …");
    let started = Instant::now();
    let mut kind_case = String::from("CASE");
    let mut bound = 0;
    for (k, kind) in kinds.iter().enumerate() {
        bound += kind.percent;
        let _ = write!(kind_case, " WHEN v.h < {bound} THEN {k}");
    }
    kind_case.push_str(" END");
    let loader = EventLoader {
        start_ms: (ns(load_now)? - HISTORY_DAYS * DAY_NS) / 1_000_000,
        span_ms: HISTORY_DAYS * DAY_NS / 1_000_000,
        events,
        customers,
        started,
    };
    let event_id = id_sql(EVENT_PREFIX, "v.g");
    let enrollment_of = id_sql(ENROLLMENT_PREFIX, "v.m");
    let customer_of = id_sql(CUSTOMER_PREFIX, "v.m");
    let hash = hash_sql("g.g");
    let statement = format!(
        "INSERT INTO outcome_events (id, assignment_id, enrollment_id, customer_id, occurred_at,
             user_id, outcome_id, class, option, from_state, to_state, to_category, meeting_id,
             request_key, request_fingerprint, doc)
         WITH RECURSIVE g(g) AS (SELECT ?1 UNION ALL SELECT g + 1 FROM g WHERE g + 1 < ?2)
         SELECT w.id, ?3, w.enrollment, w.customer, w.at_ms * 1000000, s.id, k.outcome_id,
                k.class, NULL, k.from_state, k.to_state, k.to_category, NULL, NULL, NULL,
                json_set(k.doc, '$.id', w.id, '$.enrollment', w.enrollment,
                         '$.customer', w.customer, '$.user', s.id,
                         '$.occurred_at',
                         strftime('%Y-%m-%d %H:%M:%S', w.at_ms / 1000, 'unixepoch')
                         || printf('.%03d +00:00:00', w.at_ms % 1000))
         FROM (SELECT v.g, {event_id} AS id, {enrollment_of} AS enrollment,
                      {customer_of} AS customer, v.at_ms, {kind_case} AS k,
                      v.g % (SELECT count(*) FROM bench_seller) AS seller
               FROM (SELECT g.g, (g.g * 7919) % ?4 AS m, ?5 + g.g * ?6 / ?7 AS at_ms,
                            {hash} AS h
                     FROM g) AS v) AS w
         JOIN bench_kind AS k ON k.k = w.k
         JOIN bench_seller AS s ON s.n = w.seller"
    );
    let lines = "INSERT INTO outcome_product_lines (event_id, position, product_id, quantity,
                     unit_price, currency)
                 SELECT e.id, 0, ?2, 1, ?3, ?4 FROM outcome_events AS e
                 WHERE e.seq > ?1 AND e.outcome_id = ?5";
    let product = &world.products[0];
    let mut from = 0;
    while from < events {
        let to = (from + EVENT_CHUNK).min(events);
        let before: i64 = sqlx::query_scalar("SELECT COALESCE(MAX(seq), 0) FROM outcome_events")
            .fetch_one(&mut conn)
            .await?;
        let mut args = SqliteArguments::default();
        args.add(from)?;
        args.add(to)?;
        args.add(assignment.clone())?;
        args.add(customers)?;
        args.add(loader.start_ms)?;
        args.add(loader.span_ms)?;
        args.add(events)?;
        let mut tx = conn.begin().await?;
        sqlx::query_with(AssertSqlSafe(statement.clone()), args)
            .execute(&mut *tx)
            .await?;
        sqlx::query(lines)
            .bind(before)
            .bind(id_text(product.id().as_uuid()))
            .bind(product.unit_price().to_string())
            .bind(product.currency().as_str().to_owned())
            .bind(id_text(SalesFlow::O_SALE.as_uuid()))
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        eprintln!(
            "  events to {to}: {:.1} s",
            loader.started.elapsed().as_secs_f64()
        );
        if from == 0 {
            // The first chunk read back through the adapter before loading the rest.
            check_events(store, world, sellers, &loader, to).await?;
        }
        from = to;
    }
    report.load.push((
        format!(
            "Outcome events and the Sale events' product lines (`INSERT … SELECT`, `WITH \
             RECURSIVE`, {} events per transaction)",
            count_text(EVENT_CHUNK)
        ),
        count_text(events),
        started.elapsed(),
    ));

    // The load wrote a WAL as large as the data: move it into the database file now rather
    // than during the measurements.
    let started = Instant::now();
    sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
        .execute(&mut conn)
        .await?;
    report.load.push((
        "`PRAGMA wal_checkpoint(TRUNCATE)` (so the measurements do not pay for it)".into(),
        "—".into(),
        started.elapsed(),
    ));
    conn.close().await?;
    report.notes.push(format!(
        "Database file after loading: {:.2} GiB.",
        file_size(path) as f64 / f64::from(1u32 << 30)
    ));
    check_customers(store, world, customers).await?;
    Ok(())
}

/// What the events' loading statement computes, for the read-back check.
pub(crate) struct EventLoader {
    /// The first event's time and the span of the log, in unix milliseconds.
    pub(crate) start_ms: i64,
    pub(crate) span_ms: i64,
    pub(crate) events: i64,
    pub(crate) customers: i64,
    pub(crate) started: Instant,
}

impl EventLoader {
    /// Loaded event `g`'s time: whole milliseconds, as the statement computes it.
    pub(crate) fn at(&self, g: i64) -> BenchResult<OffsetDateTime> {
        from_ns((self.start_ms + g * self.span_ms / self.events) * 1_000_000)
    }
}

/// Reads loaded customers and enrollments back through the adapter and compares them with
/// what `World` would have made.
pub(crate) async fn check_customers(
    store: &SqliteStore,
    world: &World,
    count: i64,
) -> BenchResult<()> {
    let mut samples = vec![0, 1, count / 2, count - 1];
    if count > TEMPLATES {
        samples.push(TEMPLATES);
    }
    // The search text first: the read unit below holds a connection of the pool.
    for &i in &samples {
        let id = CustomerId::from_uuid(patterned_id(CUSTOMER_PREFIX, i));
        let expected = World::customer(id, &world.data_owner, usize::try_from(i)?);
        let search_text: Option<String> =
            sqlx::query_scalar("SELECT search_text FROM customers WHERE id = ?1")
                .bind(id_text(id.as_uuid()))
                .fetch_one(store.pool())
                .await?;
        if search_text.as_deref() != Some(expected.search_text().as_str()) {
            return Err(format!(
                "loaded customer {i} has search text {search_text:?}, expected {:?}",
                expected.search_text()
            )
            .into());
        }
    }
    let mut uow = store.begin_read().await?;
    for i in samples {
        let id = CustomerId::from_uuid(patterned_id(CUSTOMER_PREFIX, i));
        let stored = uow
            .customer(id)
            .await?
            .ok_or(format!("loaded customer {i} not found"))?;
        let expected: Customer = World::customer(id, &world.data_owner, usize::try_from(i)?);
        if stored != expected {
            return Err(format!(
                "loaded customer {i} reads back as {stored:?}, expected {expected:?}"
            )
            .into());
        }
        let enrollment = uow
            .enrollment(EnrollmentId::from_uuid(patterned_id(ENROLLMENT_PREFIX, i)))
            .await?
            .ok_or(format!("loaded enrollment {i} not found"))?;
        if enrollment.customer() != id || enrollment.snapshot().sequence != i as u64 + 1 {
            return Err(format!("loaded enrollment {i} reads back as {enrollment:?}").into());
        }
    }
    // The port finds a loaded customer by phone and by external id, as an import would.
    let i = count - 1;
    let expected = World::customer(
        CustomerId::from_uuid(patterned_id(CUSTOMER_PREFIX, i)),
        &world.data_owner,
        usize::try_from(i)?,
    );
    for key in expected.identity_keys() {
        let found = uow
            .find_customer(world.data_owner.id(), &key, None)
            .await?
            .map(|c| c.id());
        if found != Some(expected.id()) {
            return Err(format!("loaded customer {i} is not found by {key}: {found:?}").into());
        }
    }
    Ok(())
}

/// Reads a few loaded events back through the adapter and compares them with what the
/// domain would have made.
pub(crate) async fn check_events(
    store: &SqliteStore,
    world: &World,
    sellers: &[UserId],
    loader: &EventLoader,
    loaded: i64,
) -> BenchResult<()> {
    let kinds = event_kinds();
    let mut uow = store.begin_read().await?;
    for g in [0, 1, loaded / 2, loaded - 1] {
        let id = OutcomeEventId::from_uuid(patterned_id(EVENT_PREFIX, g));
        let stored = uow
            .event(id)
            .await?
            .ok_or(format!("loaded event {g} not found"))?;
        let m = (g * 7919) % loader.customers;
        let seller = sellers[usize::try_from(g)? % sellers.len()];
        let expected = loaded_event(
            world,
            &kinds[kind_of(&kinds, g)],
            EventFacts {
                id,
                enrollment: EnrollmentId::from_uuid(patterned_id(ENROLLMENT_PREFIX, m)),
                customer: CustomerId::from_uuid(patterned_id(CUSTOMER_PREFIX, m)),
                user: Some(seller),
                at: loader.at(g)?,
            },
        );
        if stored != expected {
            return Err(format!(
                "loaded event {g} reads back as {stored:?}, expected {expected:?}"
            )
            .into());
        }
    }
    Ok(())
}
