//! The demo organisation the first `cargo run` loads into an empty store, through the use
//! cases only (so it is valid by the same rules as anything a user makes): an admin, two
//! sellers, a client user, a data owner with controller details and a purpose, both seed
//! flows (`cube_domain::flow::seeds`, the flows the tests use), two products, a calendar, an assignment on the sales flow with 1,000 generated
//! customers, and a meeting-booking assignment with the first 200 of them. It is recognised on the next start by its admin's e-mail.

use crate::ServerError;
use cube_app::Cube;
use cube_app::calendars::CalendarEdit;
use cube_app::customers::{CustomerInput, ImportCommand};
use cube_app::organisation::NewUser;
use cube_app::setup::{FlowContent, NewProduct};
use cube_app::system::UuidV7;
use cube_domain::access::RoleKind;
use cube_domain::assignment::setup::{SmsFlow, SmsReplyRule, SmsSender};
use cube_domain::data_owner::{Controller, Dataset, LegalBasis, ProcessingPurpose};
use cube_domain::flow::seeds::{MeetingFlow, SalesFlow};
use cube_domain::ids::{ClientId, DataOwnerId};
use cube_domain::meeting::{ClockTime, OpeningPeriod};
use cube_domain::ports::{IdGenerator, OnMatch};
use cube_domain::values::{Email, Name};
use rust_decimal::Decimal;
use std::collections::BTreeSet;
use time::Weekday;

/// The password of every demo login. It is printed at start: the demo is for trying Cube
/// on one's own machine, never for real data.
pub const DEMO_PASSWORD: &str = "cube-demo-2025";
/// The demo admin's e-mail (also how an existing demo is recognised).
pub const DEMO_ADMIN: &str = "admin@demo.example.com";
/// The demo sellers' e-mails.
pub const DEMO_SELLERS: [&str; 2] = ["seller1@demo.example.com", "seller2@demo.example.com"];
/// The demo client user's e-mail.
pub const DEMO_CLIENT: &str = "client@demo.example.com";
/// How many customers the demo sales assignment gets.
pub const DEMO_CUSTOMERS: usize = 1_000;
/// How many of them are also enrolled in the demo meeting-booking assignment.
pub const DEMO_MEETING_CUSTOMERS: usize = 200;

/// Whether the demo is in the store already.
pub async fn exists(cube: &Cube) -> Result<bool, ServerError> {
    let email = Email::parse(DEMO_ADMIN).map_err(cube_app::AppError::from)?;
    let mut uow = cube.store().begin_read().await?;
    Ok(!uow.users_by_email(&email).await?.is_empty())
}

/// The logins to print.
pub fn logins() -> String {
    let mut text = format!("  admin   {DEMO_ADMIN}\n");
    for seller in DEMO_SELLERS {
        text.push_str(&format!("  seller  {seller}\n"));
    }
    text.push_str(&format!("  client  {DEMO_CLIENT}\n"));
    text.push_str(&format!("  password (all): {DEMO_PASSWORD}"));
    text
}

fn name(raw: &str) -> Result<Name, ServerError> {
    Ok(Name::parse(raw).map_err(cube_app::AppError::from)?)
}

fn user(name: &str, email: &str, role: RoleKind, client: Option<ClientId>) -> NewUser {
    NewUser {
        phone: None,
        name: name.to_owned(),
        email: email.to_owned(),
        role,
        data_owners: BTreeSet::new(),
        client,
    }
}

/// The demo's two flows for `owner`: meeting booking (seed 000), then sales (seed 003), as
/// the content `create_flow` takes: the demo makes its flows through the use cases like any
/// user (the flow id is the store's; state and outcome ids are the seed's).
fn seed_flows(owner: DataOwnerId) -> [FlowContent; 2] {
    [
        MeetingFlow::draft(MeetingFlow::FLOW, owner).into(),
        SalesFlow::draft(SalesFlow::FLOW, owner).into(),
    ]
}

/// Customer number `i` (from 1).
fn customer(i: usize) -> CustomerInput {
    const STREETS: [&str; 5] = [
        "Storgata",
        "Kirkegata",
        "Dronningens gate",
        "Strandveien",
        "Parkveien",
    ];
    const CITIES: [&str; 4] = ["Oslo", "Bergen", "Trondheim", "Stavanger"];
    CustomerInput {
        name: format!("Demo Kunde {i:04} AS"),
        phones: vec![format!("+479{:07}", i)],
        email: Some(format!("post{i:04}@kunde.example.com")),
        address: Some(format!(
            "{} {}, {}",
            STREETS[i % STREETS.len()],
            i % 90 + 1,
            CITIES[i % CITIES.len()]
        )),
        registry_number: Some(demo_organisation_number(i)),
        external_id: Some(format!("demo-{i:04}")),
        ..CustomerInput::default()
    }
}

/// How big a demo to load: the first start's default, or bigger for load tests
/// (`cube-server demo --customers 50000 --sellers 32`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DemoSize {
    /// Customers in the sales assignment.
    pub customers: usize,
    /// Sellers: `seller1@demo.example.com`, `seller2@…`, ….
    pub sellers: usize,
}

impl Default for DemoSize {
    fn default() -> Self {
        Self {
            customers: DEMO_CUSTOMERS,
            sellers: DEMO_SELLERS.len(),
        }
    }
}

/// The e-mail of demo seller `n` (from 1).
pub fn seller_email(n: usize) -> String {
    format!("seller{n}@demo.example.com")
}

/// Loads the demo through the use cases. Passwords are hashed once (one hash serves every
/// demo login: they share the one published password).
pub async fn load(cube: &Cube, size: DemoSize) -> Result<(), ServerError> {
    let ids = UuidV7;
    let (_, admin) = cube
        .create_organisation(
            "Cube Demo AS",
            user("Ada Admin", DEMO_ADMIN, RoleKind::Admin, None),
        )
        .await?;
    let client = ClientId::from_uuid(ids.next_id());
    let mut logins = vec![admin.id];
    for n in 1..=size.sellers {
        let email = seller_email(n);
        let seller = cube
            .create_user(
                admin.id,
                user(&format!("Sam Seller {n}"), &email, RoleKind::Seller, None),
            )
            .await?;
        logins.push(seller.id);
    }
    let client_user = cube
        .create_user(
            admin.id,
            user("Clara Client", DEMO_CLIENT, RoleKind::Client, Some(client)),
        )
        .await?;
    logins.push(client_user.id);
    let hash = cube_http::hash_password(DEMO_PASSWORD.to_owned())
        .await
        .map_err(|e| ServerError::Hashing(format!("{e:?}")))?;
    for id in logins {
        cube.set_initial_password(id, &hash).await?;
    }

    let owner = cube.create_data_owner(admin.id, "Acme Energi").await?;
    let controller = Controller {
        company_name: Some(name("Acme Energi AS")?),
        organisation_number: Some("987654321".to_owned()),
        address: Some("Storgata 1, 0155 Oslo".to_owned()),
        contact_email: Some(
            Email::parse("post@acme.example.com").map_err(cube_app::AppError::from)?,
        ),
        data_protection_contact: Some("personvern@acme.example.com".to_owned()),
    };
    let purposes = vec![ProcessingPurpose {
        description: name("Telemarketing of electricity contracts")?,
        legal_basis: LegalBasis::LegitimateInterests,
    }];
    cube.set_gdpr_details(admin.id, owner.id(), controller, purposes, None)
        .await?;

    let mut products = Vec::new();
    for (product, code, price) in [
        ("Strøm Fastpris", "STROM-FAST", Decimal::new(49_900, 2)),
        ("Strøm Spot", "STROM-SPOT", Decimal::new(29_950, 2)),
    ] {
        let new = NewProduct {
            name: product.to_owned(),
            code: code.to_owned(),
            unit_price: price,
            currency: "NOK".to_owned(),
        };
        products.push(cube.create_product(admin.id, owner.id(), new).await?.id());
    }
    let calendar = cube
        .create_calendar(admin.id, owner.id(), "Salgsmøter", false)
        .await?;
    // Meetings 08:00–20:00 local every day (the seller's form offers those times; the
    // end-to-end test books tomorrow at ten, whatever today is).
    let at = |clock: &str| ClockTime::parse(clock).map_err(cube_app::AppError::from);
    let working_day = |day| {
        Ok::<_, cube_app::AppError>(OpeningPeriod {
            day,
            opens: at("08:00")?,
            closes: at("20:00")?,
        })
    };
    let opening_hours = [
        Weekday::Monday,
        Weekday::Tuesday,
        Weekday::Wednesday,
        Weekday::Thursday,
        Weekday::Friday,
        Weekday::Saturday,
        Weekday::Sunday,
    ]
    .into_iter()
    .map(working_day)
    .collect::<Result<Vec<_>, _>>()?;
    let edit = CalendarEdit {
        name: calendar.name.to_string(),
        allows_overlap: false,
        opening_hours,
        active: true,
    };
    let calendar = cube.edit_calendar(admin.id, calendar.id, edit).await?;

    let [meeting, sales] = seed_flows(owner.id());
    let draft = cube.create_flow(admin.id, owner.id(), meeting).await?;
    let meeting = cube.publish_flow(admin.id, draft.id).await?;
    let draft = cube.create_flow(admin.id, owner.id(), sales).await?;
    let sales = cube.publish_flow(admin.id, draft.id).await?;

    let assignment = cube
        .create_assignment(
            admin.id,
            owner.id(),
            "Strøm vår 2025",
            sales.version(),
            Some(client),
        )
        .await?;
    let mut setup = assignment.setup().clone();
    setup.products.available = products.into_iter().collect();
    setup.calendars = vec![calendar.id];
    // An Offer sends the customer an SMS that listens for the answer for three days (seed 000
    // item 4): JA registers the Sale, NEI No sale; any other text is kept and shown.
    setup.communication.sms_sender = Some(SmsSender::Text("CubeDemo".into()));
    setup.sms_flows.insert(
        SalesFlow::O_OFFER,
        SmsFlow {
            template: "Hei {{ name }}! Takk for praten. Svar JA for å bestille tilbudet vi \
                       snakket om, eller NEI om du ikke ønsker det."
                .into(),
            reply_window: time::Duration::days(3),
            replies: vec![
                SmsReplyRule {
                    keyword: "JA".into(),
                    registers: SalesFlow::O_SALE,
                },
                SmsReplyRule {
                    keyword: "NEI".into(),
                    registers: SalesFlow::O_NO_SALE,
                },
            ],
        },
    );
    let assignment = cube
        .update_assignment_setup(admin.id, assignment.id(), setup, None)
        .await?;
    let rows = (1..=size.customers).map(customer).collect();
    let report = cube
        .import_customers(
            admin.id,
            ImportCommand {
                assignment: assignment.id(),
                dataset: Dataset::B2b,
                segment: None,
                rows,
                on_match: OnMatch::Update,
                match_by: cube_domain::import_match::MatchKeys::ALL,
                row_numbers: Vec::new(),
            },
        )
        .await?;
    tracing::info!(
        created = report.created,
        enrolled = report.enrolled,
        rejected = report.rejected.len(),
        "demo customers imported"
    );
    if let Some(first) = report.rejected.first() {
        tracing::warn!(row = first.row, reason = %first.reason, "a demo customer was rejected");
    }

    // Meeting booking for the first customers of the same list: the import finds them by
    // external id and enrolls them without making new customers.
    let booking = cube
        .create_assignment(
            admin.id,
            owner.id(),
            "Møtebooking høst 2025",
            meeting.version(),
            Some(client),
        )
        .await?;
    let mut setup = booking.setup().clone();
    setup.calendars = vec![calendar.id];
    let booking = cube
        .update_assignment_setup(admin.id, booking.id(), setup, None)
        .await?;
    let rows = (1..=DEMO_MEETING_CUSTOMERS.min(size.customers))
        .map(customer)
        .collect();
    let report = cube
        .import_customers(
            admin.id,
            ImportCommand {
                assignment: booking.id(),
                dataset: Dataset::B2b,
                segment: None,
                rows,
                on_match: OnMatch::Update,
                match_by: cube_domain::import_match::MatchKeys::ALL,
                row_numbers: Vec::new(),
            },
        )
        .await?;
    tracing::info!(
        matched = report.matched,
        enrolled = report.enrolled,
        "demo meeting-booking customers enrolled"
    );
    Ok(())
}

/// The `i`th demo company's organisation number: nine digits whose last is the modulus-11
/// check digit (a Norwegian data owner refuses any other), distinct for every `i`.
fn demo_organisation_number(i: usize) -> String {
    const WEIGHTS: [u32; 8] = [3, 2, 7, 6, 5, 4, 3, 2];
    let mut first = 90_000_000 + 2 * i as u64;
    loop {
        let digits = format!("{first:08}");
        let sum: u32 = digits
            .bytes()
            .zip(WEIGHTS)
            .map(|(d, w)| u32::from(d - b'0') * w)
            .sum();
        match 11 - sum % 11 {
            10 => first += 1,
            11 => return format!("{digits}0"),
            check => return format!("{digits}{check}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cube_domain::flow::FlowDraft;
    use cube_domain::ids::FlowId;

    #[test]
    fn the_demo_flows_are_the_seed_flows_and_publish() {
        let ids = UuidV7;
        let owner = DataOwnerId::from_uuid(ids.next_id());
        let [meeting, sales] = seed_flows(owner);
        assert_eq!(
            (meeting.name.as_str(), sales.name.as_str()),
            ("Møtebooking", "Salg")
        );
        assert_eq!(sales.initial, SalesFlow::TO_CALL);
        for content in [meeting, sales] {
            let draft = FlowDraft {
                id: FlowId::from_uuid(ids.next_id()),
                data_owner: owner,
                version: 1,
                name: cube_domain::values::Name::parse(&content.name).expect("a name"),
                initial: content.initial,
                states: content.states,
                outcomes: content.outcomes,
            };
            assert_eq!(draft.problems(), []);
        }
    }
}
