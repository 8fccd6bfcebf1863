//! Contract cases for the catalogue side: organisations, users, data owners, customers,
//! products, flows and assignments.

use super::duplicate;
use crate::contract::{SharedStore, setup};
use crate::fixtures::World;
use crate::fixtures::name;
use cube_domain::access::Organisation;
use cube_domain::assignment::Assignment;
use cube_domain::customer::{Change, Customer, CustomerChange, CustomerDetails, CustomerFilter};
use cube_domain::data_owner::DataOwner;
use cube_domain::flow::{FlowVersion, PublishedFlow};
use cube_domain::ids::{
    AssignmentId, CustomerId, DataOwnerId, FlowId, MeetingId, OrganisationId, ProductId, UserId,
};
use cube_domain::ports::{CustomerKey, IdGenerator, Page, UniqueRule};
use cube_domain::product::Product;
use cube_domain::values::{Email, PhoneNumber};
use rust_decimal::Decimal;

/// An organisation is read back as saved, in the same unit and after commit; saving again
/// updates it (its name and its time zone); an unknown id is `None`.
pub async fn organisation_round_trip(store: SharedStore) {
    let org = Organisation {
        caller_ids: Vec::new(),
        time_zone: Default::default(),
        id: OrganisationId::from_uuid(uuid::Uuid::from_u128(7)),
        name: name("Kundesenteret AS"),
    };
    let mut uow = store.begin().await.expect("begin");
    uow.save_organisation(&org).await.expect("save");
    assert_eq!(
        uow.organisation(org.id).await.expect("read"),
        Some(org.clone())
    );
    uow.commit().await.expect("commit");

    let renamed = Organisation {
        time_zone: cube_domain::time_zone::TimeZone::parse("Europe/Stockholm").expect("a zone"),
        caller_ids: vec![
            cube_domain::values::PhoneNumber::parse("+4722334455").expect("valid"),
            cube_domain::values::PhoneNumber::parse("+4790000001").expect("valid"),
        ],
        name: name("Kundesenteret Nord AS"),
        ..org.clone()
    };
    let mut uow = store.begin().await.expect("begin");
    assert_eq!(
        uow.organisation(org.id).await.expect("read"),
        Some(org.clone())
    );
    uow.save_organisation(&renamed).await.expect("update");
    uow.commit().await.expect("commit");

    let mut uow = store.begin().await.expect("begin");
    assert_eq!(uow.organisation(org.id).await.expect("read"), Some(renamed));
    let unknown = OrganisationId::from_uuid(uuid::Uuid::from_u128(8));
    assert_eq!(uow.organisation(unknown).await.expect("read"), None);
}

/// Users are read back by id and by e-mail; `users` lists one organisation's users by name.
pub async fn users_round_trip_by_id_email_and_organisation(store: SharedStore) {
    let s = setup(store.as_ref(), 0).await;
    let other = World::build(store.as_ref(), &s.clock, &s.ids, 0)
        .await
        .expect("a second world");
    let world = &s.world;
    let mut uow = store.begin().await.expect("begin");
    for user in world.users() {
        assert_eq!(uow.user(user.id).await.expect("read").as_ref(), Some(user));
        assert_eq!(
            uow.users_by_email(&user.email).await.expect("read"),
            vec![user.clone()]
        );
    }
    let mut expected: Vec<_> = world.users().cloned().collect();
    expected.sort_by(|a, b| a.name.cmp(&b.name));
    let names = |users: &[cube_domain::access::User]| {
        users.iter().map(|u| u.name.to_string()).collect::<Vec<_>>()
    };
    let listed = uow.users(world.organisation.id).await.expect("list");
    assert_eq!(
        names(&listed),
        names(&expected),
        "users MUST be listed by name"
    );
    assert_eq!(listed, expected);
    assert!(
        !listed
            .iter()
            .any(|u| u.organisation == other.organisation.id),
        "users MUST list one organisation only"
    );
    let nobody = Email::parse("nobody@example.no").expect("valid");
    assert_eq!(uow.users_by_email(&nobody).await.expect("read"), vec![]);
    assert_eq!(
        uow.user(UserId::from_uuid(uuid::Uuid::max()))
            .await
            .expect("read"),
        None
    );
}

/// Saving a user whose e-mail another user of the organisation has MUST be
/// `Duplicate(UserEmail)`;
/// saving a user again with its own e-mail is an update.
pub async fn user_email_taken_by_another_user_is_duplicate(store: SharedStore) {
    let s = setup(store.as_ref(), 0).await;
    let admin = s.world.admin.clone();
    let mut impostor = s.world.sellers[0].clone();
    impostor.id = UserId::from_uuid(s.ids.next_id());
    impostor.email = admin.email.clone();
    let mut uow = store.begin().await.expect("begin");
    duplicate(
        uow.save_user(&impostor).await,
        UniqueRule::UserEmail,
        "a new user with a taken e-mail",
    );
    drop(uow);

    let mut moved = s.world.sellers[0].clone();
    moved.email = admin.email.clone();
    let mut uow = store.begin().await.expect("begin");
    duplicate(
        uow.save_user(&moved).await,
        UniqueRule::UserEmail,
        "an existing user changing to a taken e-mail",
    );
    drop(uow);

    let mut renamed = admin.clone();
    renamed.name = name("Ada Admin-Olsen");
    let mut uow = store.begin().await.expect("begin");
    uow.save_user(&renamed)
        .await
        .expect("saving a user with its own e-mail is an update");
    uow.commit().await.expect("commit");
    let mut uow = store.begin().await.expect("begin");
    assert_eq!(
        uow.user(admin.id).await.expect("read"),
        Some(renamed.clone())
    );
    assert_eq!(uow.user(impostor.id).await.expect("read"), None);
    assert_eq!(
        uow.users_by_email(&admin.email).await.expect("read"),
        vec![renamed]
    );
}

/// A login e-mail is one address whatever the case of its letters (`Email::login_key`):
/// `users_by_email` MUST find the user under any casing, and another user of the same
/// organisation MUST NOT take the address in another casing (`Duplicate(UserEmail)`). Another
/// organisation's user MAY have it (an address may log in to several organisations; refusing
/// would tell one organisation about another's users): `users_by_email` then MUST list both,
/// by organisation id.
pub async fn user_emails_are_one_login_whatever_their_case(store: SharedStore) {
    let s = setup(store.as_ref(), 0).await;
    let other = World::build(store.as_ref(), &s.clock, &s.ids, 0)
        .await
        .expect("a second world");
    let seller = s.world.sellers[0].clone();
    let shouted = Email::parse(&seller.email.as_str().to_uppercase()).expect("valid");
    assert_ne!(shouted, seller.email);
    let mut uow = store.begin().await.expect("begin");
    assert_eq!(
        uow.users_by_email(&shouted).await.expect("read"),
        vec![seller.clone()],
        "users_by_email MUST ignore the case of the address"
    );
    let mut twin = s.world.sellers[1].clone();
    twin.id = UserId::from_uuid(s.ids.next_id());
    twin.email = shouted.clone();
    duplicate(
        uow.save_user(&twin).await,
        UniqueRule::UserEmail,
        "a new user whose e-mail differs from another's of the organisation only by case",
    );
    drop(uow);

    let mut elsewhere = other.admin.clone();
    elsewhere.email = shouted.clone();
    let mut uow = store.begin().await.expect("begin");
    uow.save_user(&elsewhere)
        .await
        .expect("another organisation's user MAY have the address");
    uow.commit().await.expect("commit");
    let mut both = vec![seller.clone(), elsewhere.clone()];
    both.sort_by_key(|u| u.organisation);
    let mut uow = store.begin().await.expect("begin");
    assert_eq!(
        uow.users_by_email(&seller.email).await.expect("read"),
        both,
        "users_by_email MUST list every organisation's user, by organisation id"
    );
    drop(uow);

    // The user may change the case of their own address; it is kept as given.
    let mut recased = seller.clone();
    recased.email = shouted.clone();
    let mut uow = store.begin().await.expect("begin");
    uow.save_user(&recased)
        .await
        .expect("a user may re-case their own address");
    uow.commit().await.expect("commit");
    let mut uow = store.begin().await.expect("begin");
    let found = uow.users_by_email(&seller.email).await.expect("read");
    assert!(found.contains(&recased), "{found:?}");
    assert_eq!(found.len(), 2);
}

/// Data owners are read back as saved and listed per organisation by name.
pub async fn data_owners_round_trip_and_list_by_name(store: SharedStore) {
    let s = setup(store.as_ref(), 0).await;
    let org = s.world.organisation.id;
    let beta = DataOwner::new(
        DataOwnerId::from_uuid(s.ids.next_id()),
        org,
        name("Beta Kraft"),
    );
    let other = DataOwner::new(
        DataOwnerId::from_uuid(s.ids.next_id()),
        OrganisationId::from_uuid(s.ids.next_id()),
        name("Aaa Elsewhere"),
    );
    let mut uow = store.begin().await.expect("begin");
    uow.save_data_owner(&beta).await.expect("save");
    uow.save_data_owner(&other).await.expect("save");
    uow.commit().await.expect("commit");

    let mut uow = store.begin().await.expect("begin");
    assert_eq!(
        uow.data_owner(s.world.data_owner.id()).await.expect("read"),
        Some(s.world.data_owner.clone())
    );
    assert_eq!(
        uow.data_owners(org).await.expect("list"),
        vec![s.world.data_owner.clone(), beta],
        "data owners MUST be one organisation's, by name"
    );
}

/// Customers are read back by id, several ids (missing ones left out), external id and
/// phone, within their data owner only; pages list them oldest first.
pub async fn customers_round_trip_find_and_page(store: SharedStore) {
    let s = setup(store.as_ref(), 5).await;
    let owner = s.world.data_owner.id();
    let c = &s.world.customers;
    let mut uow = store.begin().await.expect("begin");
    for customer in c {
        assert_eq!(
            uow.customer(customer.id()).await.expect("read").as_ref(),
            Some(customer)
        );
    }
    let missing = CustomerId::from_uuid(s.ids.next_id());
    assert_eq!(
        uow.customers_by_id(&[c[3].id(), missing, c[1].id()])
            .await
            .expect("read"),
        vec![c[3].clone(), c[1].clone()],
        "customers_by_id MUST leave missing ids out"
    );
    let by_external = CustomerKey::ExternalId("ext-00002".into());
    assert_eq!(
        uow.find_customer(owner, &by_external, None)
            .await
            .expect("find"),
        Some(c[2].clone())
    );
    let phone = c[4].details().phones[0].clone();
    assert_eq!(
        uow.find_customer(owner, &CustomerKey::Phone(phone.clone()), None)
            .await
            .expect("find"),
        Some(c[4].clone())
    );
    let elsewhere = DataOwnerId::from_uuid(s.ids.next_id());
    assert_eq!(
        uow.find_customer(elsewhere, &CustomerKey::Phone(phone), None)
            .await
            .expect("find"),
        None,
        "find_customer MUST look in the given data owner only"
    );
    assert_eq!(
        uow.find_customer(owner, &CustomerKey::ExternalId("ext-99999".into()), None)
            .await
            .expect("find"),
        None
    );
    let page = |offset, limit| Page { offset, limit };
    let all = CustomerFilter::default();
    assert_eq!(
        uow.customers(owner, &all, page(0, 100))
            .await
            .expect("page"),
        c.clone(),
        "customers MUST be listed oldest first"
    );
    assert_eq!(
        uow.customers(owner, &all, page(1, 2)).await.expect("page"),
        c[1..3].to_vec()
    );
    assert_eq!(
        uow.customers(owner, &all, page(5, 2)).await.expect("page"),
        vec![]
    );
    assert_eq!(
        uow.customers(elsewhere, &all, page(0, 9))
            .await
            .expect("page"),
        vec![]
    );
}

/// Updating a customer's external id and phone moves the lookups, and keeps its place in the
/// oldest-first order.
pub async fn customer_update_moves_its_lookup_keys(store: SharedStore) {
    let s = setup(store.as_ref(), 3).await;
    let owner = &s.world.data_owner;
    let mut changed = s.world.customers[0].clone();
    let details = CustomerDetails {
        external_id: Some("crm-42".into()),
        phones: vec![PhoneNumber::parse("+4740000042").expect("valid")],
        ..changed.details().clone()
    };
    changed
        .update(owner, details, changed.fields().clone())
        .expect("a valid update");
    let mut uow = store.begin().await.expect("begin");
    uow.save_customer(&changed).await.expect("update");
    uow.commit().await.expect("commit");

    let mut uow = store.begin().await.expect("begin");
    let find = |key| (owner.id(), key);
    let (o, old_ext) = find(CustomerKey::ExternalId("ext-00000".into()));
    assert_eq!(
        uow.find_customer(o, &old_ext, None).await.expect("find"),
        None
    );
    let (o, new_ext) = find(CustomerKey::ExternalId("crm-42".into()));
    assert_eq!(
        uow.find_customer(o, &new_ext, None).await.expect("find"),
        Some(changed.clone())
    );
    let phone = CustomerKey::Phone(PhoneNumber::parse("+4740000042").expect("valid"));
    assert_eq!(
        uow.find_customer(owner.id(), &phone, None)
            .await
            .expect("find"),
        Some(changed.clone())
    );
    let all = uow
        .customers(
            owner.id(),
            &CustomerFilter::default(),
            Page {
                offset: 0,
                limit: 10,
            },
        )
        .await
        .expect("page");
    assert_eq!(
        all.first(),
        Some(&changed),
        "an update keeps the customer's age"
    );
}

/// Customer changes (card edits, meetings cancelled or moved) are kept per customer, oldest
/// first, changes at one instant in the order recorded (to the microsecond, as every time);
/// another customer has none; a change recorded in a unit that is rolled back is not kept.
pub async fn customer_changes_are_kept_per_customer_oldest_first(store: SharedStore) {
    let s = setup(store.as_ref(), 3).await;
    let (first, second) = (&s.world.customers[0], &s.world.customers[1]);
    let seller = s.world.sellers[0].id;
    let at = |minutes: i64| crate::fixtures::T0 + time::Duration::minutes(minutes);
    let change = |customer: &Customer, when, fields: &[&str]| CustomerChange {
        customer: customer.id(),
        user: seller,
        at: when,
        what: Change::Card {
            fields: fields.iter().map(|f| (*f).to_owned()).collect(),
        },
    };
    let later = change(first, at(20), &["email"]);
    let tie_a = change(first, at(10), &["name", "fields.industry"]);
    let tie_b = CustomerChange {
        what: Change::MeetingMoved {
            meeting: MeetingId::from_uuid(s.ids.next_id()),
            from_start: at(60),
            from_end: at(90),
            to_start: at(120),
            to_end: at(150),
        },
        ..change(first, at(10), &[])
    };
    let precise = change(
        second,
        at(5) + time::Duration::nanoseconds(123_456_000),
        &["address"],
    );
    let mut uow = store.begin().await.expect("begin");
    for c in [&later, &tie_a, &tie_b, &precise] {
        uow.record_customer_change(c).await.expect("record");
    }
    uow.commit().await.expect("commit");
    let mut uow = store.begin().await.expect("begin");
    uow.record_customer_change(&change(first, at(1), &["external_id"]))
        .await
        .expect("record");
    drop(uow);

    let mut uow = store.begin_read().await.expect("begin");
    assert_eq!(
        uow.customer_changes(first.id()).await.expect("read"),
        vec![tie_a, tie_b, later],
        "customer_changes MUST be oldest first, ties in the order recorded, nothing rolled back"
    );
    assert_eq!(
        uow.customer_changes(second.id()).await.expect("read"),
        vec![precise],
        "customer_changes MUST keep to its customer and the microsecond"
    );
    assert_eq!(
        uow.customer_changes(s.world.customers[2].id())
            .await
            .expect("read"),
        vec![]
    );
}

/// `find_customer` leaves out the customer given as `except` (the one being updated), and
/// still finds another holder of the key: the rule "one customer per phone and external id"
/// is checked the same way on update as on create.
pub async fn find_customer_leaves_out_the_customer_being_updated(store: SharedStore) {
    let s = setup(store.as_ref(), 3).await;
    let owner = &s.world.data_owner;
    let c = &s.world.customers;
    let phone = c[1].details().phones[0].clone();
    // A second holder of c[1]'s phone, as data written before the rule could have it.
    let mut twin = c[2].clone();
    let details = CustomerDetails {
        phones: vec![phone.clone()],
        ..twin.details().clone()
    };
    twin.update(owner, details, twin.fields().clone())
        .expect("a valid update");
    let mut uow = store.begin().await.expect("begin");
    uow.save_customer(&twin).await.expect("update");
    uow.commit().await.expect("commit");

    let mut uow = store.begin().await.expect("begin");
    let by_phone = CustomerKey::Phone(phone);
    let found = |c: Option<Customer>| c.map(|c| c.id());
    assert_eq!(
        found(
            uow.find_customer(owner.id(), &by_phone, None)
                .await
                .expect("find")
        ),
        Some(c[1].id()),
        "the first holder in creation order"
    );
    assert_eq!(
        found(
            uow.find_customer(owner.id(), &by_phone, Some(c[1].id()))
                .await
                .expect("find")
        ),
        Some(twin.id()),
        "find_customer MUST leave out `except` and find the next holder"
    );
    let external = CustomerKey::ExternalId(
        c[0].details()
            .external_id
            .clone()
            .expect("the world's customers have one"),
    );
    assert_eq!(
        found(
            uow.find_customer(owner.id(), &external, Some(c[0].id()))
                .await
                .expect("find")
        ),
        None,
        "a customer never clashes with itself"
    );
    assert_eq!(
        found(
            uow.find_customer(owner.id(), &external, Some(c[1].id()))
                .await
                .expect("find")
        ),
        Some(c[0].id())
    );
}

/// Products are read back as saved and listed per data owner by name.
pub async fn products_round_trip_and_list_by_name(store: SharedStore) {
    let s = setup(store.as_ref(), 0).await;
    let owner = s.world.data_owner.id();
    let mut uow = store.begin().await.expect("begin");
    for product in &s.world.products {
        assert_eq!(
            uow.product(product.id()).await.expect("read").as_ref(),
            Some(product)
        );
    }
    let early = Product::new(
        ProductId::from_uuid(s.ids.next_id()),
        owner,
        name("Installasjon"),
        "INSTALL",
        Decimal::new(1_500, 0),
        s.world.products[0].currency().clone(),
    )
    .expect("valid");
    uow.save_product(&early).await.expect("save");
    uow.commit().await.expect("commit");
    let mut uow = store.begin().await.expect("begin");
    let mut expected = vec![early];
    expected.extend(s.world.products.iter().cloned());
    assert_eq!(
        uow.products(owner).await.expect("list"),
        expected,
        "products MUST be listed by name"
    );
    let elsewhere = DataOwnerId::from_uuid(s.ids.next_id());
    assert_eq!(uow.products(elsewhere).await.expect("list"), vec![]);
}

/// A product code the data owner has already MUST be `Duplicate(ProductCode)`; the same code in another
/// data owner, and saving a product again, are fine.
pub async fn product_code_taken_in_the_data_owner_is_duplicate(store: SharedStore) {
    let s = setup(store.as_ref(), 0).await;
    let taken = &s.world.products[0];
    let copy = |owner| {
        Product::new(
            ProductId::from_uuid(s.ids.next_id()),
            owner,
            name("Kopi"),
            taken.code(),
            Decimal::ONE,
            taken.currency().clone(),
        )
        .expect("valid")
    };
    let same_owner = copy(taken.data_owner());
    let mut uow = store.begin().await.expect("begin");
    duplicate(
        uow.save_product(&same_owner).await,
        UniqueRule::ProductCode,
        "a product code taken in the data owner",
    );
    drop(uow);

    let other_owner = copy(DataOwnerId::from_uuid(s.ids.next_id()));
    let mut inactive = taken.clone();
    inactive.set_active(false);
    let mut uow = store.begin().await.expect("begin");
    uow.save_product(&other_owner)
        .await
        .expect("the same code in another data owner");
    uow.save_product(&inactive)
        .await
        .expect("saving a product again");
    uow.commit().await.expect("commit");
    let mut uow = store.begin().await.expect("begin");
    assert_eq!(uow.product(same_owner.id()).await.expect("read"), None);
    assert_eq!(uow.product(taken.id()).await.expect("read"), Some(inactive));
}

/// A flow's draft is read back, replaced, and deleted.
pub async fn flow_drafts_round_trip_and_delete(store: SharedStore) {
    let s = setup(store.as_ref(), 0).await;
    let mut draft = s.world.sales_flow.new_draft();
    let id = draft.id;
    let mut uow = store.begin().await.expect("begin");
    assert_eq!(uow.flow_draft(id).await.expect("read"), None);
    uow.save_flow_draft(&draft).await.expect("save");
    uow.commit().await.expect("commit");

    draft.name = name("Salg (ny)");
    let mut uow = store.begin().await.expect("begin");
    uow.save_flow_draft(&draft).await.expect("replace");
    assert_eq!(uow.flow_draft(id).await.expect("read"), Some(draft.clone()));
    uow.commit().await.expect("commit");

    let mut uow = store.begin().await.expect("begin");
    assert_eq!(uow.flow_draft(id).await.expect("read"), Some(draft));
    uow.delete_flow_draft(id).await.expect("delete");
    uow.commit().await.expect("commit");
    let mut uow = store.begin().await.expect("begin");
    assert_eq!(uow.flow_draft(id).await.expect("read"), None);
}

/// Published versions are read back; the latest is the highest version; `published_flows`
/// gives the newest version of each of the data owner's flows, by name.
pub async fn published_flows_round_trip_latest_and_list(store: SharedStore) {
    let s = setup(store.as_ref(), 0).await;
    let v1 = s.world.sales_flow.clone();
    let mut draft = v1.new_draft();
    draft.name = name("Salg 2");
    let v2 = draft.publish().expect("a new version of a valid flow");
    let mut uow = store.begin().await.expect("begin");
    uow.save_published_flow(&v2).await.expect("save");
    uow.commit().await.expect("commit");

    let mut uow = store.begin().await.expect("begin");
    assert_eq!(
        uow.published_flow(v1.version()).await.expect("read"),
        Some(v1.clone())
    );
    assert_eq!(
        uow.published_flow(v2.version()).await.expect("read"),
        Some(v2.clone())
    );
    assert_eq!(
        uow.latest_published_flow(v1.id()).await.expect("read"),
        Some(v2.clone()),
        "the latest published flow MUST be the highest version"
    );
    let missing = FlowVersion {
        flow: v1.id(),
        version: 3,
    };
    assert_eq!(uow.published_flow(missing).await.expect("read"), None);
    assert_eq!(
        uow.latest_published_flow(FlowId::from_uuid(s.ids.next_id()))
            .await
            .expect("read"),
        None
    );
    let listed: Vec<PublishedFlow> = uow
        .published_flows(s.world.data_owner.id())
        .await
        .expect("list");
    assert_eq!(
        listed,
        vec![s.world.meeting_flow.clone(), v2],
        "published_flows MUST give the newest version of each flow, by name"
    );
}

/// Saving a published version that exists MUST be `Duplicate(PublishedFlowVersion)`:
/// versions are frozen.
pub async fn published_flow_version_is_frozen(store: SharedStore) {
    let s = setup(store.as_ref(), 0).await;
    let mut draft = s.world.sales_flow.as_draft().clone();
    draft.name = name("Omskrevet");
    let rewritten = draft.publish().expect("valid");
    let mut uow = store.begin().await.expect("begin");
    duplicate(
        uow.save_published_flow(&rewritten).await,
        UniqueRule::PublishedFlowVersion,
        "an existing published version",
    );
    drop(uow);
    let mut uow = store.begin().await.expect("begin");
    assert_eq!(
        uow.published_flow(s.world.sales_flow.version())
            .await
            .expect("read"),
        Some(s.world.sales_flow.clone())
    );
}

/// Assignments are read back as saved and listed per organisation by name.
pub async fn assignments_round_trip_and_list_by_name(store: SharedStore) {
    let s = setup(store.as_ref(), 0).await;
    let w = &s.world;
    let second = Assignment::new(
        AssignmentId::from_uuid(s.ids.next_id()),
        w.organisation.id,
        w.data_owner.id(),
        name("Annet oppdrag"),
        &w.meeting_flow,
    )
    .expect("valid");
    let elsewhere = Assignment::new(
        AssignmentId::from_uuid(s.ids.next_id()),
        OrganisationId::from_uuid(s.ids.next_id()),
        w.data_owner.id(),
        name("Aaa"),
        &w.meeting_flow,
    )
    .expect("valid");
    let mut uow = store.begin().await.expect("begin");
    uow.save_assignment(&second).await.expect("save");
    uow.save_assignment(&elsewhere).await.expect("save");
    uow.commit().await.expect("commit");

    let mut renamed = w.assignment.clone();
    renamed.rename(name("Vår 2025"));
    let mut uow = store.begin().await.expect("begin");
    assert_eq!(
        uow.assignment(w.assignment.id()).await.expect("read"),
        Some(w.assignment.clone())
    );
    uow.save_assignment(&renamed).await.expect("update");
    uow.commit().await.expect("commit");
    let mut uow = store.begin().await.expect("begin");
    assert_eq!(
        uow.assignments(w.organisation.id).await.expect("list"),
        vec![second, renamed],
        "assignments MUST be one organisation's, by name"
    );
}
