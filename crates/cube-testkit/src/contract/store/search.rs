//! Contract case for finding customers: `customers` with a `CustomerFilter` lists exactly
//! the customers `CustomerFilter::matches` accepts, oldest first, paged over the matches —
//! whichever way the customer was written (saved, updated, imported), and whatever the
//! searched text holds (letters outside ASCII, `%`, `_`, `\`, which SQL `LIKE` would read as
//! patterns).

use crate::contract::{SharedStore, at, setup};
use crate::fixtures::{SalesFlow, World, name};
use cube_domain::customer::{Customer, CustomerDetails, CustomerFilter, SearchWords};
use cube_domain::data_owner::Dataset;
use cube_domain::fields::FieldValues;
use cube_domain::ids::{CustomerId, DataOwnerId, EnrollmentId};
use cube_domain::ports::{IdGenerator, ImportBatch, ImportRow, OnMatch, Page, UnitOfWork};
use cube_domain::values::{Email, PhoneNumber};

/// A customer of the setup's data owner.
struct Spec<'a> {
    name: &'a str,
    phones: &'a [&'a str],
    email: Option<&'a str>,
    address: Option<&'a str>,
    registry_number: Option<&'a str>,
    external_id: Option<&'a str>,
    dataset: Dataset,
}

fn customer(s: &crate::contract::Setup, spec: &Spec<'_>) -> Customer {
    let details = CustomerDetails {
        name: name(spec.name),
        phones: spec
            .phones
            .iter()
            .map(|p| PhoneNumber::parse(p).expect("valid"))
            .collect(),
        email: spec.email.map(|e| Email::parse(e).expect("valid")),
        address: spec.address.map(str::to_owned),
        registry_number: spec.registry_number.map(str::to_owned),
        external_id: spec.external_id.map(str::to_owned),
    };
    Customer::new(
        CustomerId::from_uuid(s.ids.next_id()),
        &s.world.data_owner,
        spec.dataset,
        details,
        FieldValues::new(),
    )
    .expect("valid")
}

fn words(text: &str) -> CustomerFilter {
    CustomerFilter {
        words: SearchWords::parse(text).expect("valid search"),
        ..CustomerFilter::default()
    }
}

const ALL: Page = Page {
    offset: 0,
    limit: 1000,
};

/// Lists with `filter` and checks the store against `CustomerFilter::matches` over `mine`
/// (oldest first) and against the names the case expects.
async fn check(
    uow: &mut dyn UnitOfWork,
    owner: DataOwnerId,
    mine: &[Customer],
    filter: &CustomerFilter,
    expected: &[&str],
) {
    let listed = uow.customers(owner, filter, ALL).await.expect("search");
    let matching: Vec<Customer> = mine.iter().filter(|c| filter.matches(c)).cloned().collect();
    assert_eq!(
        listed, matching,
        "customers MUST list exactly what CustomerFilter::matches accepts, oldest first: {filter:?}"
    );
    let names: Vec<String> = listed
        .iter()
        .map(|c| c.details().name.to_string())
        .collect();
    assert_eq!(names, expected, "{filter:?}");
}

/// `customers` with a filter: free-text words (folded, every one somewhere in name, phones,
/// e-mail, address, registry number or external id, `%`/`_`/`\` taken literally), dataset,
/// exact phone among the numbers, exact external id; combined; paged over the matches; in
/// the data owner only; updated and imported customers are found by their current text.
pub async fn customer_search_matches_the_filter(store: SharedStore) {
    let s = setup(store.as_ref(), 0).await;
    let owner = s.world.data_owner.id();
    let b2b = Dataset::B2b;
    let b2c = Dataset::B2c;
    let specs = [
        Spec {
            name: "Solberg Bil AS",
            phones: &["+4791234567"],
            email: Some("post@solberg.no"),
            address: Some("Storgata 1, Oslo"),
            registry_number: Some("912345678"),
            external_id: Some("crm-1"),
            dataset: b2b,
        },
        Spec {
            name: "Ødegård Rør",
            phones: &["+4790000002", "+4722334455"],
            email: None,
            address: None,
            registry_number: Some("987654321"),
            external_id: Some("crm-2"),
            dataset: b2b,
        },
        Spec {
            name: "Kari Nordmann",
            phones: &["+4741000100"],
            email: Some("kari@example.no"),
            address: Some("Bergveien 5, Bergen"),
            registry_number: None,
            external_id: Some("CRM-1"),
            dataset: b2c,
        },
        Spec {
            name: "Per Solberg",
            phones: &["+4791234568"],
            email: None,
            address: None,
            registry_number: None,
            external_id: None,
            dataset: b2c,
        },
        Spec {
            name: "Hansen & Sønn",
            phones: &[],
            email: Some("ordre@hansen.no"),
            // Typed with a combining ring (NFD): a search for "ødegård" finds it all the same.
            address: Some("ØDEGA\u{30a}RDSVEI 3"),
            registry_number: None,
            external_id: Some("crm-5"),
            dataset: b2b,
        },
        Spec {
            name: "Rabatt 100% _Spesial_ a\\b",
            phones: &["+4747000006"],
            email: None,
            address: None,
            registry_number: None,
            external_id: Some("crm-6"),
            dataset: b2b,
        },
    ];
    let mut mine: Vec<Customer> = specs.iter().map(|spec| customer(&s, spec)).collect();
    let mut uow = store.begin().await.expect("begin");
    for c in &mine {
        uow.save_customer(c).await.expect("save");
    }
    let imported = [
        customer(
            &s,
            &Spec {
                name: "Importert Ærlig Kunde",
                phones: &["+4745000001"],
                email: None,
                address: Some("Fjordveien 9"),
                registry_number: None,
                external_id: Some("imp-1"),
                dataset: b2b,
            },
        ),
        customer(
            &s,
            &Spec {
                name: "Importert Solberg",
                phones: &["+4745000002"],
                email: None,
                address: None,
                registry_number: None,
                external_id: Some("imp-2"),
                dataset: b2c,
            },
        ),
    ];
    let batch = ImportBatch {
        data_owner: owner,
        assignment: s.world.assignment.id(),
        initial_state: SalesFlow::TO_CALL,
        segment: None,
        enrolled_at: at(1),
        on_match: OnMatch::Update,
        match_by: cube_domain::import_match::MatchKeys::ALL,
        rows: imported
            .iter()
            .map(|c| ImportRow {
                customer: c.clone(),
                enrollment: EnrollmentId::from_uuid(s.ids.next_id()),
            })
            .collect(),
    };
    uow.import_batch(&batch).await.expect("import");
    mine.extend(imported);
    uow.commit().await.expect("commit");
    // Another data owner's customers ("Customer 00000", …) never show up in ours.
    let other = World::build(store.as_ref(), &s.clock, &s.ids, 2)
        .await
        .expect("a second world");

    let mut uow = store.begin().await.expect("begin");
    let u = uow.as_mut();
    let every = [
        "Solberg Bil AS",
        "Ødegård Rør",
        "Kari Nordmann",
        "Per Solberg",
        "Hansen & Sønn",
        "Rabatt 100% _Spesial_ a\\b",
        "Importert Ærlig Kunde",
        "Importert Solberg",
    ];
    check(u, owner, &mine, &CustomerFilter::default(), &every).await;
    check(u, owner, &mine, &words("   "), &every).await;
    let solbergs = ["Solberg Bil AS", "Per Solberg", "Importert Solberg"];
    check(u, owner, &mine, &words("solberg"), &solbergs).await;
    check(u, owner, &mine, &words("SOLBERG bil"), &["Solberg Bil AS"]).await;
    check(
        u,
        owner,
        &mine,
        &words("berg"),
        &[
            "Solberg Bil AS",
            "Kari Nordmann",
            "Per Solberg",
            "Importert Solberg",
        ],
    )
    .await;
    check(
        u,
        owner,
        &mine,
        &words("ødegård"),
        &["Ødegård Rør", "Hansen & Sønn"],
    )
    .await;
    check(u, owner, &mine, &words("ØDEGÅRD rør"), &["Ødegård Rør"]).await;
    check(
        u,
        owner,
        &mine,
        &words("ødega\u{30a}rd"),
        &["Ødegård Rør", "Hansen & Sønn"],
    )
    .await;
    check(u, owner, &mine, &words("ærlig"), &["Importert Ærlig Kunde"]).await;
    check(
        u,
        owner,
        &mine,
        &words("4791234"),
        &["Solberg Bil AS", "Per Solberg"],
    )
    .await;
    check(u, owner, &mine, &words("+4722334455"), &["Ødegård Rør"]).await;
    check(u, owner, &mine, &words("solberg.no"), &["Solberg Bil AS"]).await;
    check(u, owner, &mine, &words("987654321"), &["Ødegård Rør"]).await;
    check(
        u,
        owner,
        &mine,
        &words("crm-1"),
        &["Solberg Bil AS", "Kari Nordmann"],
    )
    .await;
    check(
        u,
        owner,
        &mine,
        &words("100%"),
        &["Rabatt 100% _Spesial_ a\\b"],
    )
    .await;
    check(
        u,
        owner,
        &mine,
        &words("_s"),
        &["Rabatt 100% _Spesial_ a\\b"],
    )
    .await;
    check(
        u,
        owner,
        &mine,
        &words("a\\b"),
        &["Rabatt 100% _Spesial_ a\\b"],
    )
    .await;
    check(u, owner, &mine, &words("as+47"), &[]).await;
    check(u, owner, &mine, &words("customer"), &[]).await;
    check(u, owner, &mine, &words("solberg nobody"), &[]).await;

    let dataset = |d| CustomerFilter {
        dataset: Some(d),
        ..CustomerFilter::default()
    };
    check(
        u,
        owner,
        &mine,
        &dataset(b2c),
        &["Kari Nordmann", "Per Solberg", "Importert Solberg"],
    )
    .await;
    let b2b_solbergs = CustomerFilter {
        dataset: Some(b2b),
        ..words("solberg")
    };
    check(u, owner, &mine, &b2b_solbergs, &["Solberg Bil AS"]).await;
    let phone = |p: &str| CustomerFilter {
        phone: Some(PhoneNumber::parse(p).expect("valid")),
        ..CustomerFilter::default()
    };
    check(u, owner, &mine, &phone("+4722334455"), &["Ødegård Rør"]).await;
    check(u, owner, &mine, &phone("+4791234567"), &["Solberg Bil AS"]).await;
    check(u, owner, &mine, &phone("+4791234560"), &[]).await;
    let external = |e: &str| CustomerFilter {
        external_id: Some(e.to_owned()),
        ..CustomerFilter::default()
    };
    check(u, owner, &mine, &external("crm-1"), &["Solberg Bil AS"]).await;
    check(u, owner, &mine, &external("CRM-1"), &["Kari Nordmann"]).await;
    check(u, owner, &mine, &external("crm"), &[]).await;
    check(u, owner, &mine, &external("imp-2"), &["Importert Solberg"]).await;

    let page = |offset, limit| Page { offset, limit };
    let names = |list: Vec<Customer>| -> Vec<String> {
        list.iter().map(|c| c.details().name.to_string()).collect()
    };
    let second = u
        .customers(owner, &words("solberg"), page(1, 1))
        .await
        .expect("page");
    assert_eq!(
        names(second),
        ["Per Solberg"],
        "a page MUST count matching customers only"
    );
    let past = u
        .customers(owner, &words("solberg"), page(3, 5))
        .await
        .expect("page");
    assert_eq!(past, vec![]);
    let theirs = u
        .customers(other.data_owner.id(), &words("solberg"), ALL)
        .await
        .expect("search");
    assert_eq!(theirs, vec![], "a search MUST stay in the data owner");
    let theirs = u
        .customers(other.data_owner.id(), &words("customer"), ALL)
        .await
        .expect("search");
    assert_eq!(theirs, other.customers);
    drop(uow);

    // An update moves the customer's search text: the old name no longer finds it.
    let mut renamed = mine[0].clone();
    let details = CustomerDetails {
        name: name("Solberg Marine AS"),
        ..renamed.details().clone()
    };
    renamed
        .update(&s.world.data_owner, details, FieldValues::new())
        .expect("valid");
    let mut uow = store.begin().await.expect("begin");
    uow.save_customer(&renamed).await.expect("update");
    uow.commit().await.expect("commit");
    mine[0] = renamed;
    let mut uow = store.begin().await.expect("begin");
    let u = uow.as_mut();
    check(u, owner, &mine, &words("bil"), &[]).await;
    check(u, owner, &mine, &words("marine"), &["Solberg Marine AS"]).await;
}
