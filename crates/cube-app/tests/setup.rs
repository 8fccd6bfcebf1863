//! Setting up through the use cases: flows (draft, publish, edit, copy, switch), assignment
//! setup, imports with per-row rejections, bulk actions all-or-nothing, time tracking and
//! performance, and the access rules at the use-case level.

mod common;

use common::{Harness, command};
use cube_app::customers::{CustomerInput, ImportCommand};
use cube_app::organisation::NewUser;
use cube_app::reports::Window;
use cube_app::setup::FlowContent;
use cube_app::{AppError, ErrorKind};
use cube_domain::access::RoleKind;
use cube_domain::assignment::AssignmentError;
use cube_domain::assignment::setup::{PerformanceCriteria, Visibility};
use cube_domain::bulk::{BulkAction, Selection};
use cube_domain::data_owner::Dataset;
use cube_domain::flow::{FlowProblem, FlowVersion, StateCategory, SwitchPlan};
use cube_domain::ids::UserId;
use cube_domain::ports::OnMatch;
use cube_testkit::fixtures::{MeetingFlow, SalesFlow};
use rust_decimal::Decimal;
use std::collections::{BTreeMap, BTreeSet};
use time::Duration;

fn row(name: &str, phone: &str, external: &str) -> CustomerInput {
    CustomerInput {
        name: name.into(),
        phones: vec![phone.into()],
        external_id: Some(external.into()),
        fields: BTreeMap::from([("industry".to_owned(), "Retail".to_owned())]),
        ..CustomerInput::default()
    }
}

#[tokio::test]
async fn flows_are_drafted_published_edited_and_copied() {
    let h = Harness::new(0).await;
    let manager = h.world.manager.id;
    let owner = h.world.data_owner.id();
    let sales = SalesFlow::published(owner);
    let mut content = FlowContent {
        name: "Sales v2".into(),
        initial: SalesFlow::LEAD,
        states: sales.states().to_vec(),
        outcomes: sales.outcomes().to_vec(),
    };
    let draft = h
        .cube
        .create_flow(manager, owner, content.clone())
        .await
        .expect("draft");
    let problems = h
        .cube
        .check_flow_draft(manager, draft.id)
        .await
        .expect("check");
    assert!(problems.contains(&FlowProblem::InitialNotAvailable("Lead".into())));
    let refused = h
        .cube
        .publish_flow(manager, draft.id)
        .await
        .expect_err("invalid");
    assert_eq!(refused.kind(), ErrorKind::Invalid);
    assert!(
        refused
            .to_string()
            .contains("must be of category Available")
    );

    content.initial = SalesFlow::TO_CALL;
    h.cube
        .update_flow_draft(manager, draft.id, content.clone(), None)
        .await
        .expect("update");
    let published = h
        .cube
        .publish_flow(manager, draft.id)
        .await
        .expect("publish");
    assert_eq!(published.version().version, 1);

    // Editing a published flow starts version 2; version 1 stays frozen.
    content.name = "Sales v2 (edited)".into();
    let edited = h
        .cube
        .update_flow_draft(manager, draft.id, content, None)
        .await
        .expect("edit");
    assert_eq!(edited.version, 2);
    let v2 = h
        .cube
        .publish_flow(manager, draft.id)
        .await
        .expect("publish v2");
    assert_eq!(v2.version().version, 2);

    let copy = h
        .cube
        .copy_flow(manager, v2.version(), "Sales for Bergen")
        .await
        .expect("copy");
    assert_ne!(copy.id, draft.id);
    assert_eq!(copy.version, 1);
}

#[tokio::test]
async fn switching_flows_keeps_excluded_customers_excluded_and_never_strands_a_state() {
    let h = Harness::new(3).await;
    let manager = h.world.manager.id;
    let seller = h.world.seller(0);
    let assignment = h.world.assignment.id();
    for outcome in [SalesFlow::O_EXCLUDED, SalesFlow::O_LEAD] {
        let item = h
            .cube
            .next_customer(seller, assignment)
            .await
            .expect("next")
            .expect("customer");
        h.cube
            .register_outcome(seller, item.enrollment.id(), command(outcome), None)
            .await
            .expect("registered");
    }
    let to = h.world.meeting_flow.version();
    // The booking flow has no Open state: the lead has no place, and nothing moves.
    let refused = h
        .cube
        .switch_flow(manager, assignment, to, &SwitchPlan::default())
        .await
        .expect_err("a lead would be stranded");
    assert_eq!(refused.kind(), ErrorKind::Invalid);
    assert!(refused.to_string().contains("'Lead'"), "{refused}");
    let overview = h
        .cube
        .assignment_overview(manager, assignment)
        .await
        .expect("overview");
    assert_eq!(overview.assignment.flow(), h.world.sales_flow.version());

    let plan = SwitchPlan {
        explicit: vec![(SalesFlow::LEAD, MeetingFlow::TO_CALL)],
        confirm_category_changes: true,
    };
    let switch = h
        .cube
        .switch_flow(manager, assignment, to, &plan)
        .await
        .expect("switch");
    assert_eq!(switch.assignment.flow(), to);
    assert_eq!(switch.customers.get(&SalesFlow::LEAD), Some(&1));
    assert_eq!(switch.customers.get(&SalesFlow::EXCLUDED), Some(&1));
    assert_eq!(
        switch.moved, 3,
        "every enrollment moved to the new flow's states"
    );
    let status = h
        .cube
        .customer_status_report(manager, assignment)
        .await
        .expect("status");
    let in_category = |category| {
        status
            .per_state
            .iter()
            .filter(|s| s.category == category)
            .map(|s| s.customers)
            .sum::<u64>()
    };
    assert_eq!(in_category(StateCategory::Excluded), 1, "still excluded");
    assert_eq!(
        in_category(StateCategory::Available),
        2,
        "the lead, placed by hand"
    );
    // The history keeps its names: outcomes registered under the sales flow are named by it,
    // not shown as ids, after the assignment moved to the booking flow.
    let window =
        Window::new(h.now() - Duration::days(1), h.now() + Duration::days(1)).expect("a window");
    let report = h
        .cube
        .outcome_report(manager, assignment, window)
        .await
        .expect("outcomes");
    let names: Vec<&str> = report.rows.iter().map(|r| r.name.as_str()).collect();
    assert_eq!(names, ["Lead", "Excluded"], "named by the earlier flow");
    // The two callable customers go to two sellers; the excluded one is never handed out.
    for i in 0..2 {
        let item = h
            .cube
            .next_customer(h.world.seller(i), assignment)
            .await
            .expect("next")
            .expect("a callable customer");
        assert_eq!(item.enrollment.category(), StateCategory::Available);
    }
    assert!(
        h.cube
            .next_customer(h.world.seller(2), assignment)
            .await
            .expect("next")
            .is_none(),
        "the excluded customer stays out of the queue"
    );
    let unknown = FlowVersion {
        flow: MeetingFlow::FLOW,
        version: 9,
    };
    assert_eq!(
        h.cube
            .switch_flow(manager, assignment, unknown, &SwitchPlan::default())
            .await,
        Err(AppError::NotFound("flow"))
    );
}

#[tokio::test]
async fn an_import_rejects_bad_rows_with_reasons_and_takes_the_rest() {
    let h = Harness::new(1).await;
    let manager = h.world.manager.id;
    let assignment = h.world.assignment.id();
    let existing = h.world.customers[0]
        .details()
        .external_id
        .clone()
        .expect("fixture has ext id");
    let rows = vec![
        row("Ny Kunde AS", "+4791111111", "new-1"),
        row("Ugyldig", "12345", "new-2"),
        row("Samme som rad 1", "+4791111111", "new-3"),
        row("Kjent", "+4792222222", &existing),
        CustomerInput {
            fields: BTreeMap::from([("industry".to_owned(), "Mining".to_owned())]),
            ..row("Feil bransje", "+4793333333", "new-5")
        },
    ];
    let report = h
        .cube
        .import_customers(
            manager,
            ImportCommand {
                assignment,
                dataset: Dataset::B2b,
                segment: None,
                rows,
                on_match: OnMatch::Update,
                match_by: cube_domain::import_match::MatchKeys::ALL,
                row_numbers: Vec::new(),
            },
        )
        .await
        .expect("import");
    assert_eq!(report.created, 1);
    assert_eq!(report.matched, 1);
    assert_eq!(report.enrolled, 1);
    assert_eq!(report.already_enrolled, 1);
    let rejected: Vec<usize> = report.rejected.iter().map(|r| r.row).collect();
    assert_eq!(rejected, vec![2, 3, 5]);
    assert!(
        report.rejected[0]
            .reason
            .to_string()
            .starts_with("`phones[0]`: phone number '12345'"),
        "{}",
        report.rejected[0].reason
    );
    assert!(report.rejected[1].reason.to_string().contains("row 1"));
    assert!(report.rejected[2].reason.to_string().contains("Mining"));
    let status = h
        .cube
        .customer_status_report(manager, assignment)
        .await
        .expect("status");
    assert_eq!(status.total, 2);
}

#[tokio::test]
async fn bulk_actions_are_all_or_nothing() {
    let h = Harness::new(6).await;
    let manager = h.world.manager.id;
    let seller = h.world.seller(0);
    let assignment = h.world.assignment.id();
    // Two customers get an attempt; one of them then a sale.
    for _ in 0..2 {
        let item = h
            .cube
            .next_customer(seller, assignment)
            .await
            .expect("next")
            .expect("customer");
        h.cube
            .register_outcome(
                seller,
                item.enrollment.id(),
                command(SalesFlow::O_NO_ANSWER),
                None,
            )
            .await
            .expect("na");
    }
    let tried = Selection {
        min_attempts: Some(1),
        ..Selection::default()
    };
    assert_eq!(
        h.cube
            .select(manager, assignment, &tried)
            .await
            .expect("select")
            .len(),
        2
    );

    let segment = h
        .cube
        .add_segment(manager, assignment, "Second round")
        .await
        .expect("segment");
    // Segment names are distinct ignoring case in every script, however a segment comes in.
    for same in ["SECOND ROUND", "second Round"] {
        let error = h
            .cube
            .add_segment(manager, assignment, same)
            .await
            .expect_err("the same name");
        assert!(
            matches!(
                error,
                AppError::Assignment(AssignmentError::SegmentNameTaken(_))
            ),
            "{error}"
        );
        assert_eq!(error.kind(), ErrorKind::Invalid);
    }
    h.cube
        .add_segment(manager, assignment, "Østlandet")
        .await
        .expect("segment");
    h.cube
        .add_segment(manager, assignment, "ØSTLANDET")
        .await
        .expect_err("not ASCII, and still the same name");
    let mut setup = h
        .cube
        .assignment_setup(manager, assignment)
        .await
        .expect("setup");
    let mut twin = setup
        .segments
        .iter()
        .find(|s| s.id == segment)
        .cloned()
        .expect("the segment added");
    twin.id = cube_domain::ids::SegmentId::from_uuid(uuid::Uuid::from_u128(0x5E6));
    twin.name = cube_domain::values::Name::parse("SECOND round").expect("a name");
    setup.segments.push(twin);
    let error = h
        .cube
        .update_assignment_setup(manager, assignment, setup, None)
        .await
        .expect_err("two segments of one name");
    assert!(
        matches!(error, AppError::Assignment(_))
            && error.to_string().contains("'Second round'")
            && error.to_string().contains("'SECOND round'"),
        "{error}"
    );
    let moved = h
        .cube
        .bulk(
            manager,
            assignment,
            &tried,
            BulkAction::MoveToSegment(Some(segment)),
        )
        .await
        .expect("move");
    assert_eq!((moved.selected, moved.changed), (2, 2));

    // Excluding everybody works from every open state.
    let everybody = Selection::default();
    let excluded = h
        .cube
        .bulk(
            manager,
            assignment,
            &everybody,
            BulkAction::RegisterOutcome(Box::new(command(SalesFlow::O_EXCLUDED))),
        )
        .await
        .expect("exclude all");
    assert_eq!(excluded.changed, 6);
    // Now nobody can take "Lead" (not allowed from Excluded): nothing changes.
    let refused = h
        .cube
        .bulk(
            manager,
            assignment,
            &everybody,
            BulkAction::RegisterOutcome(Box::new(command(SalesFlow::O_LEAD))),
        )
        .await
        .expect_err("not allowed from Excluded");
    assert!(matches!(
        refused,
        AppError::Bulk {
            selected: 6,
            failed: 6,
            ..
        }
    ));
    let status = h
        .cube
        .customer_status_report(manager, assignment)
        .await
        .expect("status");
    let lead = status
        .per_state
        .iter()
        .find(|s| s.state == SalesFlow::LEAD)
        .expect("row");
    assert_eq!(lead.customers, 0);

    let removed = h
        .cube
        .bulk(manager, assignment, &tried, BulkAction::Remove)
        .await
        .expect("remove");
    assert_eq!(removed.changed, 2);
    let status = h
        .cube
        .customer_status_report(manager, assignment)
        .await
        .expect("status");
    assert_eq!(status.total, 4);
}

#[tokio::test]
async fn a_seller_reads_their_own_performance_only() {
    let h = Harness::new(4).await;
    let assignment = h.world.assignment.id();
    let (me, colleague) = (h.world.seller(0), h.world.seller(1));
    for (seller, outcome) in [
        (me, SalesFlow::O_SALE),
        (colleague, SalesFlow::O_SALE),
        (colleague, SalesFlow::O_NO_SALE),
    ] {
        let item = h
            .cube
            .next_customer(seller, assignment)
            .await
            .expect("next")
            .expect("customer");
        h.cube
            .register_outcome(seller, item.enrollment.id(), command(outcome), None)
            .await
            .expect("registered");
    }
    let mine = h
        .cube
        .performance_across(
            me,
            Window::today(h.now(), &cube_domain::time_zone::TimeZone::oslo()),
        )
        .await
        .expect("a seller reads their own figures");
    let users: Vec<_> = mine.per_user.iter().map(|u| u.user).collect();
    assert_eq!(users, [Some(me)]);
    assert_eq!(mine.per_assignment.len(), 1);
    assert_eq!(mine.per_assignment[0].performance.results.conclusions, 1);
    assert_eq!(
        (mine.overall.results.yes, mine.overall.results.conclusions),
        (1, 1)
    );
    let everyone = h
        .cube
        .performance_across(
            h.world.manager.id,
            Window::today(h.now(), &cube_domain::time_zone::TimeZone::oslo()),
        )
        .await
        .expect("the manager reads everyone's");
    assert_eq!(everyone.overall.results.conclusions, 3);
}

#[tokio::test]
async fn performance_is_measured_per_hour_registered() {
    let h = Harness::new(4).await;
    let manager = h.world.manager.id;
    let seller = h.world.seller(0);
    let assignment = h.world.assignment.id();
    let mut setup = h.world.assignment.setup().clone();
    setup.performance = PerformanceCriteria {
        yes_per_hour: Some(Decimal::new(4, 0)),
        ..PerformanceCriteria::default()
    };
    h.cube
        .update_assignment_setup(manager, assignment, setup, None)
        .await
        .expect("setup");
    let start = h.now();
    h.cube.start_time(seller, assignment).await.expect("start");
    for _ in 0..2 {
        let item = h
            .cube
            .next_customer(seller, assignment)
            .await
            .expect("next")
            .expect("customer");
        h.cube
            .register_outcome(
                seller,
                item.enrollment.id(),
                command(SalesFlow::O_SALE),
                None,
            )
            .await
            .expect("sale");
    }
    h.clock.advance(Duration::hours(1));
    let entry = h.cube.stop_time(seller).await.expect("stop");
    assert_eq!(entry.ends_at(), Some(start + Duration::hours(1)));
    let report = h
        .cube
        .activity_report(
            manager,
            assignment,
            Window::new(start, h.now()).expect("window"),
        )
        .await
        .expect("report");
    // 2 yes in 1 hour against 4 expected per hour: 50 %.
    assert_eq!(
        report.performance.overall.achievement.yes,
        Some(Decimal::new(50, 0))
    );
    let across = h
        .cube
        .performance_across(
            manager,
            Window::today(h.now(), &cube_domain::time_zone::TimeZone::oslo()),
        )
        .await
        .expect("across");
    assert_eq!(across.overall.results.yes, 2);
    let future = h
        .cube
        .add_time(
            seller,
            seller,
            assignment,
            h.now(),
            h.now() + Duration::hours(1),
        )
        .await;
    assert_eq!(future.expect_err("future").kind(), ErrorKind::Invalid);
}

#[tokio::test]
async fn access_is_checked_in_every_use_case() {
    let h = Harness::new(2).await;
    let assignment = h.world.assignment.id();
    let admin = h.world.admin.id;
    let seller = h.world.seller(0);
    let client = h.world.client_user.id;

    // A seller outside the visibility list does not see the assignment at all.
    let mut setup = h.world.assignment.setup().clone();
    setup.visibility = Visibility {
        users: Some(BTreeSet::from([h.world.seller(1)])),
        from: None,
        to: None,
    };
    h.cube
        .update_assignment_setup(admin, assignment, setup, None)
        .await
        .expect("setup");
    assert_eq!(
        h.cube.next_customer(seller, assignment).await,
        Err(AppError::NotFound("assignment"))
    );
    assert!(h.cube.assignments(seller).await.expect("list").is_empty());
    assert!(
        h.cube
            .next_customer(h.world.seller(1), assignment)
            .await
            .expect("visible")
            .is_some()
    );

    // A client reads its assignment's client reports, nothing else.
    let window = Window::today(h.now(), &cube_domain::time_zone::TimeZone::oslo());
    assert!(
        h.cube
            .activity_report(client, assignment, window)
            .await
            .is_ok()
    );
    assert!(
        h.cube
            .customer_status_report(client, assignment)
            .await
            .is_ok()
    );
    assert_eq!(
        h.cube.limit_report(client, assignment).await,
        Err(AppError::Forbidden)
    );
    assert_eq!(
        h.cube.next_customer(client, assignment).await,
        Err(AppError::Forbidden)
    );
    assert_eq!(
        h.cube
            .update_assignment_setup(client, assignment, h.world.assignment.setup().clone(), None)
            .await,
        Err(AppError::Forbidden)
    );

    // Another organisation's admin finds nothing.
    let stranger = h.other_admin().await;
    assert_eq!(
        h.cube.assignment(stranger.id, assignment).await,
        Err(AppError::NotFound("assignment"))
    );
    assert_eq!(
        h.cube
            .customer(stranger.id, h.world.customers[0].id())
            .await,
        Err(AppError::NotFound("customer"))
    );
    assert_eq!(
        h.cube
            .activity_report(stranger.id, assignment, window)
            .await
            .map(|_| ()),
        Err(AppError::NotFound("assignment"))
    );
    assert!(
        h.cube
            .assignments(stranger.id)
            .await
            .expect("list")
            .is_empty()
    );

    // A manager needs a data owner; a client user needs a client.
    let orphan = NewUser {
        role: RoleKind::Manager,
        email: "m2@acme.example.no".into(),
        ..new_user()
    };
    assert_eq!(
        h.cube
            .create_user(admin, orphan)
            .await
            .map(|_| ())
            .expect_err("no data owner")
            .kind(),
        ErrorKind::Invalid
    );
    assert_eq!(
        h.cube.create_user(seller, new_user()).await.map(|_| ()),
        Err(AppError::Forbidden)
    );
    let created = h
        .cube
        .create_user(admin, new_user())
        .await
        .expect("created");
    let duplicate = h
        .cube
        .create_user(admin, new_user())
        .await
        .map(|_| ())
        .expect_err("same e-mail");
    assert_eq!(duplicate.kind(), ErrorKind::Conflict);
    h.cube
        .set_user_active(admin, created.id, false)
        .await
        .expect("deactivate");
    assert_eq!(h.cube.me(created.id).await, Err(AppError::Unauthenticated));
}

fn new_user() -> NewUser {
    NewUser {
        phone: None,
        name: "New Seller".into(),
        email: "new.seller@acme.example.no".into(),
        role: RoleKind::Seller,
        data_owners: BTreeSet::new(),
        client: None,
    }
}

/// Another organisation's flow is not found, whether an assignment is created on it or
/// switched to it: its existence and name are not leaked ("belongs to another data owner").
#[tokio::test]
async fn another_organisations_flow_is_not_found_for_assignments() {
    let h = Harness::new(3).await;
    let stranger = h.other_admin().await;
    let theirs = h
        .cube
        .create_data_owner(stranger.id, "Other Owner")
        .await
        .expect("owner");
    let sales = SalesFlow::published(theirs.id());
    let content = FlowContent {
        name: "Their secret flow".into(),
        initial: SalesFlow::TO_CALL,
        states: sales.states().to_vec(),
        outcomes: sales.outcomes().to_vec(),
    };
    let draft = h
        .cube
        .create_flow(stranger.id, theirs.id(), content)
        .await
        .expect("draft");
    let their_flow = h
        .cube
        .publish_flow(stranger.id, draft.id)
        .await
        .expect("published")
        .version();

    // The first organisation's admin names the stranger's flow.
    let admin = h.world.admin.id;
    let created = h
        .cube
        .create_assignment(admin, h.world.data_owner.id(), "Leak?", their_flow, None)
        .await;
    assert_eq!(created.map(|_| ()), Err(AppError::NotFound("flow")));
    let switched = h
        .cube
        .switch_flow(
            admin,
            h.world.assignment.id(),
            their_flow,
            &SwitchPlan::default(),
        )
        .await;
    assert_eq!(switched.map(|_| ()), Err(AppError::NotFound("flow")));
    // And the stranger names the first organisation's flow.
    let created = h
        .cube
        .create_assignment(
            stranger.id,
            theirs.id(),
            "Leak?",
            h.world.sales_flow.version(),
            None,
        )
        .await;
    assert_eq!(created.map(|_| ()), Err(AppError::NotFound("flow")));
}

/// Customers are found in the register of a data owner the user manages: by words, dataset,
/// phone and external id, paged over the matches; a seller or client may not search, and
/// another organisation's admin does not find the data owner.
#[tokio::test]
async fn customers_are_searched_in_the_managed_data_owner_only() {
    use cube_domain::customer::{CustomerFilter, SearchWords};
    use cube_domain::ports::Page;
    use cube_domain::values::PhoneNumber;
    let h = Harness::new(12).await;
    let owner = h.world.data_owner.id();
    let admin = h.world.admin.id;
    let page = Page {
        offset: 0,
        limit: 50,
    };
    let words = |text: &str| CustomerFilter {
        words: SearchWords::parse(text).expect("valid"),
        ..CustomerFilter::default()
    };
    let names = |found: Vec<cube_domain::customer::Customer>| -> Vec<String> {
        found.iter().map(|c| c.details().name.to_string()).collect()
    };

    let all = h
        .cube
        .customers(admin, owner, &CustomerFilter::default(), page)
        .await
        .expect("list");
    assert_eq!(all.len(), 12);
    let found = h
        .cube
        .customers(admin, owner, &words("CUSTOMER 00011"), page)
        .await;
    assert_eq!(names(found.expect("search")), ["Customer 00011"]);
    let found = h
        .cube
        .customers(admin, owner, &words("ext-0001"), page)
        .await;
    assert_eq!(
        names(found.expect("search")),
        ["Customer 00010", "Customer 00011"]
    );
    let by_phone = CustomerFilter {
        phone: Some(PhoneNumber::parse("+4790000003").expect("valid")),
        ..CustomerFilter::default()
    };
    let found = h.cube.customers(admin, owner, &by_phone, page).await;
    assert_eq!(names(found.expect("search")), ["Customer 00003"]);
    let by_external = CustomerFilter {
        external_id: Some("ext-00007".into()),
        ..CustomerFilter::default()
    };
    let found = h.cube.customers(admin, owner, &by_external, page).await;
    assert_eq!(names(found.expect("search")), ["Customer 00007"]);
    let persons = CustomerFilter {
        dataset: Some(Dataset::B2c),
        ..CustomerFilter::default()
    };
    let found = h.cube.customers(admin, owner, &persons, page).await;
    assert_eq!(found.expect("search"), vec![]);
    let second = Page {
        offset: 1,
        limit: 1,
    };
    let found = h
        .cube
        .customers(admin, owner, &words("ext-0001"), second)
        .await;
    assert_eq!(names(found.expect("search")), ["Customer 00011"]);
    let manager = h.world.manager.id;
    let found = h
        .cube
        .customers(manager, owner, &words("00002"), page)
        .await;
    assert_eq!(names(found.expect("search")), ["Customer 00002"]);

    for refused in [h.world.seller(0), h.world.client_user.id] {
        let found = h
            .cube
            .customers(refused, owner, &words("customer"), page)
            .await;
        assert_eq!(found, Err(AppError::Forbidden));
    }
    let stranger = h.other_admin().await;
    let found = h
        .cube
        .customers(stranger.id, owner, &words("customer"), page)
        .await;
    assert_eq!(found, Err(AppError::NotFound("data owner")));
}

#[tokio::test]
async fn visibility_names_only_users_of_the_organisation() {
    let h = Harness::new(1).await;
    let assignment = h.world.assignment.id();
    let admin = h.world.admin.id;
    let stranger = h.other_admin().await.id;
    let nobody = UserId::from_uuid(uuid::Uuid::from_u128(0xdead));
    let before = h.cube.assignment(admin, assignment).await.expect("read");
    let mut setup = before.setup().clone();
    setup.visibility = Visibility {
        users: Some(BTreeSet::from([h.world.seller(0), stranger, nobody])),
        from: None,
        to: None,
    };
    let error = h
        .cube
        .update_assignment_setup(admin, assignment, setup, None)
        .await
        .expect_err("a stranger and a made-up id");
    assert_eq!(error.kind(), ErrorKind::Invalid);
    let detail = error.to_string();
    assert!(detail.contains("visibility.users"), "{detail}");
    assert!(detail.contains(&stranger.to_string()), "{detail}");
    assert!(detail.contains(&nobody.to_string()), "{detail}");
    assert!(!detail.contains(&h.world.seller(0).to_string()), "{detail}");
    assert_eq!(
        h.cube.assignment(admin, assignment).await.expect("read"),
        before,
        "nothing was stored"
    );
}

/// A bulk action leaves the customers sellers are calling as they are and counts them; the
/// preview says how many are held right now. Once the call is over, the next bulk action
/// takes them too.
#[tokio::test]
async fn a_bulk_action_leaves_the_customers_sellers_hold() {
    let h = Harness::new(6).await;
    let assignment = h.world.assignment.id();
    let manager = h.world.manager.id;
    let (first, second) = (h.world.seller(0), h.world.seller(1));
    let segment = h
        .cube
        .add_segment(manager, assignment, "Priority")
        .await
        .expect("a segment");
    let calling = h
        .cube
        .next_customer(first, assignment)
        .await
        .expect("next")
        .expect("a customer");
    let also = h
        .cube
        .next_customer(second, assignment)
        .await
        .expect("next")
        .expect("a customer");
    let everyone = Selection::default();
    let preview = h
        .cube
        .preview_selection(manager, assignment, &everyone, 0)
        .await
        .expect("preview");
    assert_eq!((preview.count, preview.held), (6, 2));

    let moved = h
        .cube
        .bulk(
            manager,
            assignment,
            &everyone,
            BulkAction::MoveToSegment(Some(segment)),
        )
        .await
        .expect("the bulk action runs while sellers call");
    assert_eq!(
        (
            moved.selected,
            moved.changed,
            moved.held,
            moved.changed_meanwhile
        ),
        (6, 4, 2, 0)
    );
    let again = h
        .cube
        .bulk(
            manager,
            assignment,
            &everyone,
            BulkAction::MoveToSegment(Some(segment)),
        )
        .await
        .expect("again");
    assert_eq!(
        (again.changed, again.held, again.unchanged()),
        (0, 2, 4),
        "the moved ones are already there: {again:?}"
    );
    let rows = h
        .cube
        .select(manager, assignment, &everyone)
        .await
        .expect("select");
    for row in &rows {
        let held = [calling.enrollment.id(), also.enrollment.id()].contains(&row.enrollment.id());
        assert_eq!(
            row.enrollment.segment(),
            (!held).then_some(segment),
            "a held customer is left as it is: {row:?}"
        );
        if held {
            assert!(row.enrollment.holder(cube_testkit::fixtures::T0).is_some());
        }
    }
    // A bulk registration and a removal leave them too.
    let excluded = h
        .cube
        .bulk(
            manager,
            assignment,
            &everyone,
            BulkAction::RegisterOutcome(Box::new(command(SalesFlow::O_EXCLUDED))),
        )
        .await
        .expect("exclude");
    assert_eq!((excluded.changed, excluded.held), (4, 2));
    let removed = h
        .cube
        .bulk(manager, assignment, &everyone, BulkAction::Remove)
        .await
        .expect("remove");
    assert_eq!((removed.changed, removed.held), (4, 2));

    // The call ends: the next action takes the customer.
    h.cube
        .register_outcome(
            first,
            calling.enrollment.id(),
            command(SalesFlow::O_NO_ANSWER),
            None,
        )
        .await
        .expect("the seller registers");
    let removed = h
        .cube
        .bulk(manager, assignment, &everyone, BulkAction::Remove)
        .await
        .expect("remove");
    assert_eq!((removed.selected, removed.changed, removed.held), (2, 1, 1));
    let left = h
        .cube
        .select(manager, assignment, &everyone)
        .await
        .expect("select");
    assert_eq!(left.len(), 1);
    assert_eq!(left[0].enrollment.id(), also.enrollment.id());
}
