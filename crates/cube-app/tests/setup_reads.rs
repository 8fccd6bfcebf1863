//! The set-up reads through the use cases: a data owner's products and calendars, a flow's
//! draft and its published versions, an assignment's whole setup. Each has the access rule of
//! the write it serves: admins and the data owner's managers read; other managers, sellers
//! and clients are refused (or find nothing, as the rules for assignments say); another
//! organisation finds nothing at all.

mod common;

use common::Harness;
use cube_app::organisation::NewUser;
use cube_app::setup::{FlowContent, NewProduct};
use cube_app::{AppError, Revision};
use cube_domain::access::RoleKind;
use cube_domain::assignment::setup::Visibility;
use cube_domain::data_owner::Dataset;
use cube_domain::flow::FlowVersion;
use cube_domain::ids::{AssignmentId, DataOwnerId, FlowId, UserId};
use cube_testkit::fixtures::SalesFlow;
use rust_decimal::Decimal;
use std::collections::BTreeSet;

/// The admin of a second organisation, with a data owner and a published flow of its own.
struct Stranger {
    admin: UserId,
    owner: DataOwnerId,
    flow: FlowVersion,
}

async fn stranger(h: &Harness) -> Stranger {
    let admin = h.other_admin().await;
    let owner = h
        .cube
        .create_data_owner(admin.id, "Other Owner")
        .await
        .expect("their data owner")
        .id();
    let draft = h
        .cube
        .create_flow(admin.id, owner, sales_content("Their secret flow"))
        .await
        .expect("their draft");
    let flow = h
        .cube
        .publish_flow(admin.id, draft.id)
        .await
        .expect("published")
        .version();
    Stranger {
        admin: admin.id,
        owner,
        flow,
    }
}

/// A manager of a second data owner of the first organisation (not the world's).
async fn other_manager(h: &Harness) -> UserId {
    let owner = h
        .cube
        .create_data_owner(h.world.admin.id, "Second Owner")
        .await
        .expect("a second data owner")
        .id();
    let manager = NewUser {
        phone: None,
        name: "Otto Manager".into(),
        email: "otto@acme.example.no".into(),
        role: RoleKind::Manager,
        data_owners: BTreeSet::from([owner]),
        client: None,
    };
    h.cube
        .create_user(h.world.admin.id, manager)
        .await
        .expect("the other manager")
        .id
}

fn sales_content(name: &str) -> FlowContent {
    let sales = SalesFlow::published(DataOwnerId::from_uuid(uuid::Uuid::nil()));
    FlowContent {
        name: name.into(),
        initial: SalesFlow::TO_CALL,
        states: sales.states().to_vec(),
        outcomes: sales.outcomes().to_vec(),
    }
}

#[tokio::test]
async fn the_catalogue_is_listed_by_name_for_those_who_set_it_up() {
    let h = Harness::new(0).await;
    let owner = h.world.data_owner.id();
    let manager = h.world.manager.id;
    let added = h
        .cube
        .create_product(
            manager,
            owner,
            NewProduct {
                name: "Aaa Først".into(),
                code: "AAA".into(),
                unit_price: Decimal::new(100, 0),
                currency: "NOK".into(),
            },
        )
        .await
        .expect("a product");
    h.cube
        .set_product_active(manager, added.id(), false)
        .await
        .expect("stopped");

    for reader in [manager, h.world.admin.id] {
        let products = h.cube.products(reader, owner).await.expect("the catalogue");
        let names: Vec<String> = products.iter().map(|p| p.name().to_string()).collect();
        assert_eq!(names, ["Aaa Først", "Strøm Fastpris", "Strøm Spot"]);
        assert!(!products[0].active(), "products no longer sold are listed");
    }

    let other_manager = other_manager(&h).await;
    for refused in [h.world.seller(0), h.world.client_user.id, other_manager] {
        assert_eq!(
            h.cube.products(refused, owner).await.map(|_| ()),
            Err(AppError::Forbidden)
        );
    }
    let stranger = stranger(&h).await;
    assert_eq!(
        h.cube.products(stranger.admin, owner).await.map(|_| ()),
        Err(AppError::NotFound("data owner"))
    );
    assert_eq!(
        h.cube
            .products(h.world.admin.id, stranger.owner)
            .await
            .map(|_| ()),
        Err(AppError::NotFound("data owner"))
    );
    assert!(
        h.cube
            .products(stranger.admin, stranger.owner)
            .await
            .expect("their own, empty")
            .is_empty()
    );
}

#[tokio::test]
async fn the_calendars_are_listed_by_name_for_those_who_set_them_up() {
    let h = Harness::new(0).await;
    let owner = h.world.data_owner.id();
    let manager = h.world.manager.id;
    let room = h
        .cube
        .create_calendar(manager, owner, "Møterom 1", true)
        .await
        .expect("a calendar");

    let calendars = h.cube.calendars(manager, owner).await.expect("calendars");
    assert_eq!(calendars, vec![room, h.world.calendar.clone()]);
    assert_eq!(
        h.cube.calendars(h.world.admin.id, owner).await,
        Ok(calendars)
    );

    let other_manager = other_manager(&h).await;
    for refused in [h.world.seller(0), h.world.client_user.id, other_manager] {
        assert_eq!(
            h.cube.calendars(refused, owner).await.map(|_| ()),
            Err(AppError::Forbidden)
        );
    }
    let stranger = stranger(&h).await;
    assert_eq!(
        h.cube.calendars(stranger.admin, owner).await.map(|_| ()),
        Err(AppError::NotFound("data owner"))
    );
}

#[tokio::test]
async fn a_flows_draft_is_read_as_the_next_edit_starts_from_it() {
    let h = Harness::new(0).await;
    let manager = h.world.manager.id;
    let sales = &h.world.sales_flow;

    // Without a saved draft: the next version, from the newest published one.
    let next = h
        .cube
        .flow_draft(manager, sales.id())
        .await
        .expect("the next draft");
    assert_eq!(next, sales.new_draft());
    assert_eq!(next.version, 2);
    assert_eq!(
        h.cube.flow_draft(manager, sales.id()).await,
        Ok(next.clone()),
        "reading saves nothing: the same answer again"
    );
    assert_eq!(
        h.cube.publish_flow(manager, sales.id()).await.map(|_| ()),
        Err(AppError::NotFound("flow draft")),
        "reading stored no draft"
    );

    // A saved draft is read back as saved, invalid or not.
    let mut content = sales_content("Salg (utkast)");
    content.initial = SalesFlow::LEAD;
    let saved = h
        .cube
        .update_flow_draft(manager, sales.id(), content, None)
        .await
        .expect("saved");
    let read = h
        .cube
        .flow_draft(h.world.admin.id, sales.id())
        .await
        .expect("read");
    assert_eq!(read, saved);
    assert!(!read.problems().is_empty());

    // A new flow's draft (version 1, never published).
    let fresh = h
        .cube
        .create_flow(manager, h.world.data_owner.id(), sales_content("Ny"))
        .await
        .expect("a new draft");
    assert_eq!(h.cube.flow_draft(manager, fresh.id).await, Ok(fresh));

    for refused in [h.world.seller(0), h.world.client_user.id] {
        assert_eq!(
            h.cube.flow_draft(refused, sales.id()).await.map(|_| ()),
            Err(AppError::Forbidden)
        );
    }
    let unknown = FlowId::from_uuid(uuid::Uuid::from_u128(0xdead));
    assert_eq!(
        h.cube.flow_draft(manager, unknown).await.map(|_| ()),
        Err(AppError::NotFound("flow"))
    );
    let stranger = stranger(&h).await;
    assert_eq!(
        h.cube
            .flow_draft(stranger.admin, sales.id())
            .await
            .map(|_| ()),
        Err(AppError::NotFound("flow"))
    );
    assert_eq!(
        h.cube
            .flow_draft(manager, stranger.flow.flow)
            .await
            .map(|_| ()),
        Err(AppError::NotFound("flow"))
    );
}

#[tokio::test]
async fn a_published_version_is_read_frozen() {
    let h = Harness::new(0).await;
    let manager = h.world.manager.id;
    let sales = &h.world.sales_flow;
    let v1 = sales.version();

    // Version 2 is published; version 1 reads as it was.
    h.cube
        .update_flow_draft(manager, sales.id(), sales_content("Salg 2"), None)
        .await
        .expect("draft");
    let v2 = h.cube.publish_flow(manager, sales.id()).await.expect("v2");
    assert_eq!(h.cube.published_flow(manager, v1).await, Ok(sales.clone()));
    assert_eq!(
        h.cube.published_flow(h.world.admin.id, v2.version()).await,
        Ok(v2.clone())
    );
    assert_eq!(v2.name().as_str(), "Salg 2");

    for missing in [0, 3, u32::MAX] {
        let version = FlowVersion {
            flow: sales.id(),
            version: missing,
        };
        assert_eq!(
            h.cube.published_flow(manager, version).await.map(|_| ()),
            Err(AppError::NotFound("flow"))
        );
    }
    for refused in [h.world.seller(0), h.world.client_user.id] {
        assert_eq!(
            h.cube.published_flow(refused, v1).await.map(|_| ()),
            Err(AppError::Forbidden)
        );
    }
    let other_manager = other_manager(&h).await;
    assert_eq!(
        h.cube.published_flow(other_manager, v1).await.map(|_| ()),
        Err(AppError::Forbidden)
    );
    let stranger = stranger(&h).await;
    assert_eq!(
        h.cube.published_flow(stranger.admin, v1).await.map(|_| ()),
        Err(AppError::NotFound("flow"))
    );
    assert_eq!(
        h.cube
            .published_flow(h.world.admin.id, stranger.flow)
            .await
            .map(|_| ()),
        Err(AppError::NotFound("flow"))
    );
}

#[tokio::test]
async fn an_assignments_setup_is_read_by_those_who_may_change_it() {
    let h = Harness::new(0).await;
    let manager = h.world.manager.id;
    let assignment = h.world.assignment.id();
    let mut setup = h
        .cube
        .assignment_setup(manager, assignment)
        .await
        .expect("the setup");
    assert_eq!(&setup, h.world.assignment.setup());

    // What is read can be edited and sent back, and is read back as sent.
    setup.visibility = Visibility {
        users: Some(BTreeSet::from([h.world.seller(0)])),
        ..Visibility::default()
    };
    h.cube
        .update_assignment_setup(manager, assignment, setup.clone(), None)
        .await
        .expect("sent back");
    assert_eq!(
        h.cube.assignment_setup(h.world.admin.id, assignment).await,
        Ok(setup)
    );

    // A seller who works it and the client who commissioned it may not change it; a seller
    // who does not see it learns nothing.
    for refused in [h.world.seller(0), h.world.client_user.id] {
        assert_eq!(
            h.cube
                .assignment_setup(refused, assignment)
                .await
                .map(|_| ()),
            Err(AppError::Forbidden)
        );
    }
    assert_eq!(
        h.cube
            .assignment_setup(h.world.seller(1), assignment)
            .await
            .map(|_| ()),
        Err(AppError::NotFound("assignment"))
    );
    let other_manager = other_manager(&h).await;
    assert_eq!(
        h.cube
            .assignment_setup(other_manager, assignment)
            .await
            .map(|_| ()),
        Err(AppError::Forbidden)
    );
    let stranger = stranger(&h).await;
    assert_eq!(
        h.cube
            .assignment_setup(stranger.admin, assignment)
            .await
            .map(|_| ()),
        Err(AppError::NotFound("assignment"))
    );
    let unknown = AssignmentId::from_uuid(uuid::Uuid::from_u128(0xbeef));
    assert_eq!(
        h.cube.assignment_setup(manager, unknown).await.map(|_| ()),
        Err(AppError::NotFound("assignment"))
    );
}

/// Two managers read a document and both send it back changed: the second write names the
/// revision it read, which is no longer the current one, and is refused without writing.
#[tokio::test]
async fn a_write_based_on_an_old_revision_is_refused_and_writes_nothing() {
    let h = Harness::new(0).await;
    let (first, second) = (h.world.manager.id, h.world.admin.id);
    let assignment = h.world.assignment.id();

    // Assignment setup.
    let read = h
        .cube
        .assignment_setup(first, assignment)
        .await
        .expect("read");
    let revision = Revision::of(&read).expect("a revision");
    let mut mine = read.clone();
    mine.visibility = Visibility {
        users: Some(BTreeSet::from([h.world.seller(0)])),
        ..Visibility::default()
    };
    h.cube
        .update_assignment_setup(first, assignment, mine.clone(), Some(&revision))
        .await
        .expect("the first write is based on the current revision");
    assert_eq!(
        h.cube
            .update_assignment_setup(second, assignment, read.clone(), Some(&revision))
            .await
            .map(|_| ()),
        Err(AppError::Stale("assignment setup"))
    );
    assert_eq!(
        h.cube.assignment_setup(first, assignment).await,
        Ok(mine.clone())
    );
    // Based on what is there now, it goes through; without a revision it replaces blindly.
    let now = Revision::of(&mine).expect("a revision");
    h.cube
        .update_assignment_setup(second, assignment, read.clone(), Some(&now))
        .await
        .expect("based on the current revision");
    h.cube
        .update_assignment_setup(second, assignment, mine, None)
        .await
        .expect("no revision named");

    // Flow draft (the sales flow has none stored: its next version is made on read).
    let flow = h.world.sales_flow.id();
    let draft = h.cube.flow_draft(first, flow).await.expect("draft");
    let revision = Revision::of(&draft).expect("a revision");
    h.cube
        .update_flow_draft(first, flow, sales_content("Salg A"), Some(&revision))
        .await
        .expect("first");
    assert_eq!(
        h.cube
            .update_flow_draft(second, flow, sales_content("Salg B"), Some(&revision))
            .await
            .map(|_| ()),
        Err(AppError::Stale("flow draft"))
    );
    let kept = h.cube.flow_draft(first, flow).await.expect("draft");
    assert_eq!(kept.name.as_str(), "Salg A");

    // Data owner: its GDPR details and its CRM fields share the data owner's revision.
    let owner_id = h.world.data_owner.id();
    let owner = h.cube.data_owner(first, owner_id).await.expect("owner");
    let revision = Revision::of(&owner).expect("a revision");
    let mut controller = owner.controller().clone();
    controller.address = Some("Revisjonsveien 7, 0150 Oslo".to_owned());
    h.cube
        .set_gdpr_details(
            first,
            owner_id,
            controller,
            owner.purposes().to_vec(),
            Some(&revision),
        )
        .await
        .expect("first");
    let changed = h.cube.data_owner(first, owner_id).await.expect("owner");
    assert_eq!(
        h.cube
            .set_gdpr_details(
                second,
                owner_id,
                owner.controller().clone(),
                owner.purposes().to_vec(),
                Some(&revision),
            )
            .await
            .map(|_| ()),
        Err(AppError::Stale("data owner"))
    );
    assert_eq!(
        h.cube
            .set_crm_fields(second, owner_id, Dataset::B2b, Vec::new(), Some(&revision))
            .await
            .map(|_| ()),
        Err(AppError::Stale("data owner"))
    );
    assert_eq!(h.cube.data_owner(first, owner_id).await, Ok(changed));
}

#[tokio::test]
async fn flow_drafts_lists_the_owners_drafts_by_name_to_those_who_set_it_up() {
    let h = Harness::new(1).await;
    let owner = h.world.data_owner.id();
    let manager = h.world.manager.id;
    let b = h
        .cube
        .create_flow(manager, owner, sales_content("B winter"))
        .await
        .expect("b");
    let a = h
        .cube
        .create_flow(manager, owner, sales_content("A autumn"))
        .await
        .expect("a");
    let listed: Vec<_> = h
        .cube
        .flow_drafts(manager, owner)
        .await
        .expect("drafts")
        .iter()
        .map(|d| d.id)
        .collect();
    assert!(listed.contains(&a.id) && listed.contains(&b.id));
    let a_at = listed.iter().position(|id| *id == a.id);
    let b_at = listed.iter().position(|id| *id == b.id);
    assert!(a_at < b_at, "by name");
    // Publishing ends a draft.
    h.cube.publish_flow(manager, a.id).await.expect("published");
    let after = h.cube.flow_drafts(manager, owner).await.expect("drafts");
    assert!(after.iter().all(|d| d.id != a.id));

    assert!(
        h.cube
            .flow_drafts(h.world.sellers[0].id, owner)
            .await
            .is_err()
    );
    assert!(
        h.cube
            .flow_drafts(h.world.client_user.id, owner)
            .await
            .is_err()
    );
    let stranger = stranger(&h).await;
    assert!(matches!(
        h.cube.flow_drafts(stranger.admin, owner).await,
        Err(AppError::NotFound(_))
    ));
}
