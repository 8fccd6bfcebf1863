//! A seller's day on the in-memory twin, through the public API only: an organisation, a
//! data owner with a product, seed 003's sales flow, an assignment with three customers,
//! washed against the reservation register; a seller asks for the next customer three times
//! and registers No answer, Call back later and a Sale with a product; then the historical
//! (outcome) and current (status) reports.
//!
//! `main` is the day; the helpers below it only build values. Run it with
//! `cargo run -p cube-app --example seller_day`. Swap `MemoryStore` for
//! `cube_sqlite::SqliteStore` or `cube_postgres::PgStore` and nothing else changes.

use cube_app::Cube;
use cube_app::customers::{CustomerInput, ImportCommand};
use cube_app::organisation::NewUser;
use cube_app::reports::Window;
use cube_app::setup::NewProduct;
use cube_app::system::{SystemClock, UuidV7};
use cube_domain::access::RoleKind;
use cube_domain::contact_policy::standing::ContactRules;
use cube_domain::data_owner::Dataset;
use cube_domain::flow::seeds::SalesFlow;
use cube_domain::ids::{AssignmentId, ProductId, UserId};
use cube_domain::outcome::{ProductLineRequest, RegisterOutcome};
use cube_domain::ports::{OnMatch, ReservationRegister};
use cube_domain::reports::Ratio;
use cube_domain::values::PhoneNumber;
use cube_testkit::MemoryStore;
use rust_decimal::Decimal;
use std::sync::Arc;
use time::{Duration, OffsetDateTime};

type Error = Box<dyn std::error::Error>;

#[tokio::main]
async fn main() -> Result<(), Error> {
    let store = Arc::new(MemoryStore::new());
    let cube = Cube::new(store, Arc::new(SystemClock), Arc::new(UuidV7));
    // The set-up, as an admin: who works, for whom, what is sold, how a call can end.
    let (_, admin) = cube
        .create_organisation("Ringesenteret AS", person("Ada", RoleKind::Admin))
        .await?;
    let seller = cube
        .create_user(admin.id, person("Sam", RoleKind::Seller))
        .await?;
    let owner = cube.create_data_owner(admin.id, "Acme Energi").await?.id();
    let product = cube
        .create_product(admin.id, owner, fixed_price())
        .await?
        .id();
    let sales_flow = SalesFlow::draft(SalesFlow::FLOW, owner).into();
    let draft = cube.create_flow(admin.id, owner, sales_flow).await?;
    let flow = cube.publish_flow(admin.id, draft.id).await?;
    let assignment = cube
        .create_assignment(admin.id, owner, "Strøm vår", flow.version(), None)
        .await?;
    let mut setup = assignment.setup().clone();
    setup.products.available = [product].into();
    let assignment = cube
        .update_assignment_setup(admin.id, assignment.id(), setup, None)
        .await?
        .id();
    cube.import_customers(admin.id, three_customers(assignment))
        .await?;
    // Norway's law for calling consumers: washed against the reservation register in the
    // month of calling (here against a register where none of them is reserved), and only on
    // weekdays 09:00–21:00. This example runs at any hour on the real clock, so its data owner
    // turns the call windows off; a real one keeps them on.
    let wash = cube.wash(admin.id, owner, &NobodyReserved).await?;
    println!(
        "washed: {} consumers checked, {} reserved",
        wash.checked, wash.reserved
    );
    let rules = ContactRules {
        consumer_call_windows: false,
        ..ContactRules::default()
    };
    cube.set_contact_rules(admin.id, owner, rules).await?;

    // The seller's day: next customer, what happened, next.
    for command in [no_answer(), call_back_tomorrow(), sale(product, 2)] {
        let work = cube
            .next_customer(seller.id, assignment)
            .await?
            .ok_or("the queue is empty")?;
        let done = cube
            .register_outcome(seller.id, work.enrollment.id(), command, None)
            .await?;
        let name = &work.customer.details().name;
        println!(
            "{name}: {:?}, now {:?}",
            done.event.class(),
            done.enrollment.category()
        );
    }
    print_reports(&cube, admin.id, assignment).await
}

fn no_answer() -> RegisterOutcome {
    RegisterOutcome::new(SalesFlow::O_NO_ANSWER)
}

fn call_back_tomorrow() -> RegisterOutcome {
    RegisterOutcome {
        follow_up_at: Some(OffsetDateTime::now_utc() + Duration::days(1)),
        ..RegisterOutcome::new(SalesFlow::O_CALL_BACK_LATER)
    }
}

fn sale(product: ProductId, quantity: u32) -> RegisterOutcome {
    let line = ProductLineRequest {
        product,
        quantity,
        unit_price: None,
    };
    RegisterOutcome {
        products: vec![line],
        ..RegisterOutcome::new(SalesFlow::O_SALE)
    }
}

/// The outcome report of everything so far, and the customers per state now.
async fn print_reports(cube: &Cube, admin: UserId, assignment: AssignmentId) -> Result<(), Error> {
    let window = Window::all_to(OffsetDateTime::now_utc());
    let outcomes = cube.outcome_report(admin, assignment, window).await?;
    for row in &outcomes.rows {
        println!(
            "outcome {:<16} {} ({}%)",
            row.name,
            row.events,
            percent(row.share)
        );
    }
    let status = cube.customer_status_report(admin, assignment).await?;
    for state in status.per_state.iter().filter(|s| s.customers > 0) {
        println!("state   {:<16} {}", state.name, state.customers);
    }
    println!(
        "utilization {}% of {} customers",
        percent(status.utilization),
        status.total
    );
    Ok(())
}

fn percent(ratio: Ratio) -> Decimal {
    ratio.percent().unwrap_or_default().round_dp(1)
}

fn person(name: &str, role: RoleKind) -> NewUser {
    let email = format!("{}@ringesenteret.example.no", name.to_lowercase());
    NewUser {
        phone: None,
        name: name.into(),
        email,
        role,
        data_owners: Default::default(),
        client: None,
    }
}

/// A reservation register in which nobody is reserved (a data owner loads the register's
/// export instead: `cube_sheets::register::RegisterFile`).
struct NobodyReserved;

impl ReservationRegister for NobodyReserved {
    fn is_reserved(&self, _phone: &PhoneNumber) -> bool {
        false
    }
    fn numbers(&self) -> u64 {
        0
    }
}

fn fixed_price() -> NewProduct {
    NewProduct {
        name: "Strøm Fastpris".into(),
        code: "FAST".into(),
        unit_price: Decimal::new(49_900, 2),
        currency: "NOK".into(),
    }
}

/// Three private customers with Norwegian mobile numbers, enrolled in `assignment`.
fn three_customers(assignment: AssignmentId) -> ImportCommand {
    let rows = (1..=3)
        .map(|n| CustomerInput {
            name: format!("Kunde {n}"),
            phones: vec![format!("+4791{n:06}")],
            ..CustomerInput::default()
        })
        .collect();
    ImportCommand {
        assignment,
        dataset: Dataset::B2c,
        segment: None,
        rows,
        on_match: OnMatch::Update,
        match_by: cube_domain::import_match::MatchKeys::ALL,
        row_numbers: Vec::new(),
    }
}
