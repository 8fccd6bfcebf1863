//! Outcome registration: every check `outcome::register` makes, and what a successful
//! registration does to the enrollment.

mod common;

use common::*;
use cube_domain::fields::{FieldDefinition, FieldError, FieldType, FieldValue};
use cube_domain::flow::StateCategory;
use cube_domain::ids::{AssignmentId, EnrollmentId, MeetingId};
use cube_domain::meeting::{Meeting, MeetingKind};
use cube_domain::outcome::{
    MAX_NOTE, OutcomeClass, ProductLineRequest, RegisterOutcome, Registrar, RegistrationError,
};
use cube_domain::product::{MAX_QUANTITY, PriceError};
use rust_decimal::Decimal;
use time::Duration;

use sales::outcome as so;
use sales::state as ss;

fn product_line(product: cube_domain::ids::ProductId, quantity: u32) -> ProductLineRequest {
    ProductLineRequest {
        product,
        quantity,
        unit_price: None,
    }
}

fn sale_with(lines: Vec<ProductLineRequest>) -> RegisterOutcome {
    RegisterOutcome {
        products: lines,
        ..RegisterOutcome::new(so::SALE)
    }
}

fn booking(option: Option<&str>, start_min: i64, minutes: i64) -> RegisterOutcome {
    RegisterOutcome {
        option: option.map(str::to_owned),
        meeting: Some(meeting_request(
            CALENDAR,
            mins(start_min),
            minutes,
            MeetingKind::Physical,
        )),
        ..RegisterOutcome::new(meetings::outcome::MEETING_BOOKED)
    }
}

/// Registers `command` as `SELLER` on a fresh enrollment of `world` at `T0`.
fn seller_registers(
    world: &World,
    command: RegisterOutcome,
) -> Result<cube_domain::outcome::Registration, RegistrationError> {
    world.seller_registers(&world.enroll(1), SELLER, command, T0)
}

// --- the flow --------------------------------------------------------------------------

#[test]
fn an_outcome_not_allowed_from_the_current_state_names_both() {
    let world = World::sales();
    let offer = world.enroll_in(1, ss::OFFER);
    let error = world
        .seller_registers(&offer, SELLER, RegisterOutcome::new(so::LEAD), T0)
        .expect_err("Lead is only chosen from To Call");
    assert_eq!(
        error,
        RegistrationError::NotAllowedFrom {
            outcome: "Lead".into(),
            state: "Offer".into(),
        }
    );
    assert_eq!(
        error.to_string(),
        "outcome 'Lead' is not allowed from state 'Offer'"
    );
}

#[test]
fn nothing_is_allowed_from_a_concluded_state() {
    let world = World::sales();
    let lost = world.enroll_in(1, ss::NO_SALE);
    let error = world
        .register(
            &lost,
            Registrar::Manager(MANAGER),
            RegisterOutcome::new(so::SALE),
            T0,
        )
        .expect_err("no outcome leaves No sale");
    assert_eq!(
        error.to_string(),
        "outcome 'Sale' is not allowed from state 'No sale'"
    );
    // From Sale only another Sale or a No sale (a withdrawn or unconfirmed sale) go on.
    let sold = world.enroll_in(2, ss::SALE);
    let error = world
        .register(
            &sold,
            Registrar::Manager(MANAGER),
            RegisterOutcome::new(so::LEAD),
            T0,
        )
        .expect_err("a sale is no lead");
    assert_eq!(
        error.to_string(),
        "outcome 'Lead' is not allowed from state 'Sale'"
    );
}

#[test]
fn an_outcome_of_another_flow_is_unknown() {
    let world = World::sales();
    let error = seller_registers(&world, RegisterOutcome::new(meetings::outcome::NO_ANSWER))
        .expect_err("not a sales outcome");
    assert_eq!(
        error,
        RegistrationError::UnknownOutcome(meetings::outcome::NO_ANSWER)
    );
}

#[test]
fn an_enrollment_of_another_assignment_is_refused() {
    let world = World::sales();
    let mut elsewhere: cube_domain::enrollment::EnrollmentSnapshot = snapshot(1);
    elsewhere.assignment = id::<AssignmentId>(21);
    let elsewhere = cube_domain::enrollment::Enrollment::from(elsewhere);
    let error = world
        .register(
            &elsewhere,
            Registrar::Integration,
            RegisterOutcome::new(so::LEAD),
            T0,
        )
        .expect_err("wrong assignment");
    assert_eq!(error, RegistrationError::WrongAssignment);
}

#[test]
fn a_note_longer_than_the_limit_is_refused() {
    let world = World::sales();
    let command = RegisterOutcome {
        note: Some("x".repeat(MAX_NOTE + 1)),
        ..RegisterOutcome::new(so::LEAD)
    };
    assert_eq!(
        seller_registers(&world, command),
        Err(RegistrationError::NoteTooLong)
    );
    let command = RegisterOutcome {
        note: Some("ø".repeat(MAX_NOTE)),
        ..RegisterOutcome::new(so::LEAD)
    };
    assert!(seller_registers(&world, command).is_ok());
}

// --- options and fields ----------------------------------------------------------------

#[test]
fn an_option_is_required_when_the_assignment_has_options() {
    let world = World::meetings();
    let error = seller_registers(&world, booking(None, 60, 30)).expect_err("option missing");
    assert_eq!(
        error,
        RegistrationError::OptionRequired {
            outcome: "Meeting booked".into(),
            options: "Physical, Video".into(),
        }
    );
}

#[test]
fn an_unknown_option_is_refused() {
    let world = World::meetings();
    let error =
        seller_registers(&world, booking(Some("Phone"), 60, 30)).expect_err("no such option");
    assert_eq!(
        error,
        RegistrationError::UnknownOption {
            outcome: "Meeting booked".into(),
            option: "Phone".into(),
        }
    );
}

#[test]
fn an_option_given_where_none_are_configured_is_refused() {
    let world = World::sales();
    let command = RegisterOutcome {
        option: Some("Video".into()),
        ..RegisterOutcome::new(so::LEAD)
    };
    assert!(matches!(
        seller_registers(&world, command),
        Err(RegistrationError::UnknownOption { .. })
    ));
}

#[test]
fn an_option_is_matched_ignoring_case_and_stored_as_configured() {
    let world = World::meetings();
    let registration =
        seller_registers(&world, booking(Some(" video "), 60, 30)).expect("a configured option");
    assert_eq!(registration.event.option(), Some("Video"));
}

#[test]
fn an_option_with_norwegian_letters_is_matched_ignoring_case() {
    let world = World::meetings().with_setup(|setup| {
        setup.outcome_options.insert(
            meetings::outcome::MEETING_BOOKED,
            vec![name("Fysisk møte"), name("Videomøte")],
        );
    });
    let registration = seller_registers(&world, booking(Some("VIDEOMØTE"), 60, 30))
        .expect("the same option in capitals");
    assert_eq!(registration.event.option(), Some("Videomøte"));
}

#[test]
fn two_assignments_on_one_flow_may_offer_different_options() {
    // Seed 000: only one of two "Møtebooking" assignments books video meetings.
    let physical_only = World::meetings().with_setup(|setup| {
        setup
            .outcome_options
            .insert(meetings::outcome::MEETING_BOOKED, vec![name("Physical")]);
    });
    assert!(seller_registers(&physical_only, booking(Some("Video"), 60, 30)).is_err());
    assert!(seller_registers(&World::meetings(), booking(Some("Video"), 60, 30)).is_ok());
}

fn with_platform_field(world: World) -> World {
    let platform = FieldDefinition::new(
        key("platform"),
        "Video platform",
        FieldType::Choice {
            choices: vec!["Teams".into(), "Zoom".into()],
        },
        true,
    )
    .expect("valid definition");
    let attendees = FieldDefinition::new(key("attendees"), "Attendees", FieldType::Number, false)
        .expect("valid definition");
    world.with_setup(|setup| {
        setup
            .outcome_fields
            .insert(meetings::outcome::MEETING_BOOKED, vec![platform, attendees]);
    })
}

#[test]
fn a_required_outcome_field_must_be_given() {
    let world = with_platform_field(World::meetings());
    let error = seller_registers(&world, booking(Some("Video"), 60, 30)).expect_err("missing");
    assert_eq!(
        error,
        RegistrationError::Field(FieldError::Missing("platform".into()))
    );
}

#[test]
fn outcome_fields_are_typed() {
    let world = with_platform_field(World::meetings());
    let mut command = booking(Some("Video"), 60, 30);
    command
        .fields
        .insert(key("platform"), FieldValue::Choice("Zoom".into()));
    command
        .fields
        .insert(key("attendees"), FieldValue::Text("three".into()));
    let error = seller_registers(&world, command.clone()).expect_err("wrong type");
    assert!(
        matches!(&error, RegistrationError::Field(FieldError::WrongType { key, .. }) if key == "attendees"),
        "{error:?}"
    );

    command
        .fields
        .insert(key("attendees"), FieldValue::Number(3));
    let registration = seller_registers(&world, command).expect("typed values");
    assert_eq!(
        registration.event.fields().get(&key("platform")),
        Some(&FieldValue::Choice("Zoom".into()))
    );
}

#[test]
fn an_outcome_field_value_must_be_one_of_its_choices() {
    let world = with_platform_field(World::meetings());
    let mut command = booking(Some("Video"), 60, 30);
    command
        .fields
        .insert(key("platform"), FieldValue::Choice("Skype".into()));
    assert!(matches!(
        seller_registers(&world, command),
        Err(RegistrationError::Field(FieldError::NotAChoice { .. }))
    ));
}

#[test]
fn a_field_of_another_outcome_is_unknown() {
    let world = with_platform_field(World::meetings());
    let mut command = RegisterOutcome::new(meetings::outcome::NOT_INTERESTED);
    command
        .fields
        .insert(key("platform"), FieldValue::Choice("Zoom".into()));
    assert_eq!(
        seller_registers(&world, command),
        Err(RegistrationError::Field(FieldError::Unknown(
            "platform".into()
        )))
    );
}

// --- products --------------------------------------------------------------------------

#[test]
fn a_sale_takes_product_lines_at_the_list_price() {
    let world = World::sales();
    let registration =
        seller_registers(&world, sale_with(vec![product_line(PRODUCT, 3)])).expect("valid sale");
    let line = &registration.event.products()[0];
    assert_eq!(line.product, PRODUCT);
    assert_eq!(line.unit_price, Decimal::from(499));
    assert_eq!(line.currency.as_str(), "NOK");
    assert_eq!(line.value(), Some(Decimal::from(1497)));
}

#[test]
fn a_product_not_offered_in_the_assignment_is_not_available() {
    let world = World::sales();
    assert_eq!(
        seller_registers(&world, sale_with(vec![product_line(UNOFFERED_PRODUCT, 1)])),
        Err(RegistrationError::ProductNotAvailable(UNOFFERED_PRODUCT))
    );
}

#[test]
fn an_inactive_product_is_not_available() {
    let world = World::sales();
    assert_eq!(
        seller_registers(&world, sale_with(vec![product_line(INACTIVE_PRODUCT, 1)])),
        Err(RegistrationError::ProductNotAvailable(INACTIVE_PRODUCT))
    );
}

#[test]
fn a_product_line_needs_at_least_one_unit() {
    let world = World::sales();
    assert_eq!(
        seller_registers(&world, sale_with(vec![product_line(PRODUCT, 0)])),
        Err(RegistrationError::ZeroQuantity(PRODUCT))
    );
}

#[test]
fn the_price_cannot_be_changed_unless_the_assignment_allows_it() {
    let discounted = || {
        sale_with(vec![ProductLineRequest {
            unit_price: Some(Decimal::from(399)),
            ..product_line(PRODUCT, 1)
        }])
    };
    let fixed = World::sales();
    assert_eq!(
        seller_registers(&fixed, discounted()),
        Err(RegistrationError::PriceNotEditable(PRODUCT))
    );
    // Giving the list price explicitly is not a change.
    let list_price = sale_with(vec![ProductLineRequest {
        unit_price: Some(Decimal::from(499)),
        ..product_line(PRODUCT, 1)
    }]);
    assert!(seller_registers(&fixed, list_price).is_ok());

    let editable = World::sales().with_setup(|setup| setup.products.price_editable = true);
    let registration = seller_registers(&editable, discounted()).expect("price editable");
    assert_eq!(
        registration.event.products()[0].unit_price,
        Decimal::from(399)
    );
}

#[test]
fn a_negative_price_is_refused_even_where_prices_are_editable() {
    let world = World::sales().with_setup(|setup| setup.products.price_editable = true);
    let command = sale_with(vec![ProductLineRequest {
        unit_price: Some(Decimal::from(-1)),
        ..product_line(PRODUCT, 1)
    }]);
    assert_eq!(
        seller_registers(&world, command),
        Err(RegistrationError::Price(
            PRODUCT,
            PriceError::Negative(Decimal::from(-1))
        ))
    );
    let free = sale_with(vec![ProductLineRequest {
        unit_price: Some(Decimal::ZERO),
        ..product_line(PRODUCT, 1)
    }]);
    assert!(seller_registers(&world, free).is_ok());
}

#[test]
fn products_on_an_outcome_that_carries_none_are_refused() {
    let world = World::sales();
    let command = RegisterOutcome {
        products: vec![product_line(PRODUCT, 1)],
        ..RegisterOutcome::new(so::LEAD)
    };
    assert_eq!(
        seller_registers(&world, command),
        Err(RegistrationError::ProductsNotAllowed("Lead".into()))
    );
}

// --- meetings --------------------------------------------------------------------------

#[test]
fn meeting_booked_books_a_meeting_in_the_chosen_calendar() {
    let world = World::meetings();
    let enrollment = world.enroll(1);
    let registration = world
        .seller_registers(&enrollment, SELLER, booking(Some("Physical"), 60, 45), T0)
        .expect("a valid booking");
    let meeting = registration.meeting.expect("a meeting is booked");
    assert_eq!(meeting.id, id::<MeetingId>(9001));
    assert_eq!(meeting.calendar, CALENDAR);
    assert_eq!(meeting.enrollment, enrollment.id());
    assert_eq!(meeting.customer, enrollment.customer());
    assert_eq!(meeting.booked_by, Some(SELLER));
    assert_eq!(meeting.end - meeting.start, Duration::minutes(45));
    assert_eq!(registration.event.meeting(), Some(meeting.id));
    assert_eq!(registration.enrollment.category(), StateCategory::Yes);
}

#[test]
fn a_booking_outcome_requires_a_meeting() {
    let world = World::meetings();
    let command = RegisterOutcome {
        option: Some("Video".into()),
        ..RegisterOutcome::new(meetings::outcome::MEETING_BOOKED)
    };
    assert_eq!(
        seller_registers(&world, command),
        Err(RegistrationError::MeetingRequired("Meeting booked".into()))
    );
}

#[test]
fn a_meeting_on_an_outcome_that_books_none_is_refused() {
    let world = World::meetings();
    let command = RegisterOutcome {
        meeting: Some(meeting_request(CALENDAR, mins(60), 30, MeetingKind::Video)),
        ..RegisterOutcome::new(meetings::outcome::NOT_INTERESTED)
    };
    assert_eq!(
        seller_registers(&world, command),
        Err(RegistrationError::MeetingNotAllowed(
            "Not interested".into()
        ))
    );
}

#[test]
fn a_calendar_the_assignment_does_not_offer_is_refused() {
    let world = World::meetings();
    let mut command = booking(Some("Physical"), 60, 30);
    if let Some(meeting) = &mut command.meeting {
        meeting.calendar = FOREIGN_CALENDAR;
    }
    assert_eq!(
        seller_registers(&world, command),
        Err(RegistrationError::CalendarNotAvailable(FOREIGN_CALENDAR))
    );
}

#[test]
fn a_meeting_must_end_after_it_starts() {
    let world = World::meetings();
    assert_eq!(
        seller_registers(&world, booking(Some("Physical"), 60, 0)),
        Err(RegistrationError::MeetingEndsBeforeStart)
    );
    assert_eq!(
        seller_registers(&world, booking(Some("Physical"), 60, -30)),
        Err(RegistrationError::MeetingEndsBeforeStart)
    );
}

/// Issue 21: meetings were booked in 2020 and in 1677. One that has ended by now is
/// refused; one that ends later (even if under way) is booked.
#[test]
fn a_meeting_that_has_ended_is_refused() {
    let world = World::meetings();
    assert_eq!(
        seller_registers(&world, booking(Some("Physical"), -90, 60)),
        Err(RegistrationError::MeetingInPast(mins(-30)))
    );
    assert_eq!(
        seller_registers(&world, booking(Some("Physical"), -60, 60)),
        Err(RegistrationError::MeetingInPast(T0)),
        "a meeting ending right now has ended"
    );
    let long_ago = RegisterOutcome {
        meeting: Some(meeting_request(
            CALENDAR,
            time::macros::datetime!(2020-09-21 00:12:44 UTC),
            60,
            MeetingKind::Physical,
        )),
        ..booking(Some("Physical"), 0, 0)
    };
    assert!(matches!(
        seller_registers(&world, long_ago),
        Err(RegistrationError::MeetingInPast(_))
    ));
    // Before 1900 the time itself is refused first, naming the field.
    let mut before_1900 = booking(Some("Physical"), 0, 0);
    if let Some(meeting) = before_1900.meeting.as_mut() {
        meeting.start = time::macros::datetime!(1677-09-21 00:12:44 UTC);
    }
    assert!(matches!(
        seller_registers(&world, before_1900),
        Err(RegistrationError::Time(_))
    ));
    assert!(seller_registers(&world, booking(Some("Physical"), -30, 60)).is_ok());
}

/// Issue 21: times finer than the domain's microsecond were compared differently by each
/// store; the command's times are truncated before anything compares them.
#[test]
fn a_command_keeps_whole_microseconds() {
    let ns = time::Duration::nanoseconds;
    let mut command = booking(Some("Physical"), 60, 30);
    if let Some(meeting) = &mut command.meeting {
        meeting.start += ns(500);
        meeting.end += ns(1_000_999);
    }
    command.follow_up_at = Some(mins(10) + ns(1));
    let command = command.truncated();
    let meeting = command.meeting.expect("the meeting stays");
    assert_eq!(meeting.start, mins(60));
    assert_eq!(meeting.end, mins(90) + ns(1_000_000));
    assert_eq!(command.follow_up_at, Some(mins(10)));
}

fn existing_meeting(calendar: cube_domain::ids::CalendarId) -> Meeting {
    Meeting {
        id: id(8000),
        calendar,
        assignment: ASSIGNMENT,
        enrollment: id::<EnrollmentId>(1999),
        customer: id(2999),
        booked_by: Some(OTHER_SELLER),
        start: mins(60),
        end: mins(120),
        kind: MeetingKind::Physical,
        place: Some("Storgata 1".into()),
    }
}

#[test]
fn an_overlapping_meeting_is_refused() {
    let mut world = World::meetings();
    world.booked = vec![existing_meeting(CALENDAR)];
    assert_eq!(
        seller_registers(&world, booking(Some("Physical"), 90, 60)),
        Err(RegistrationError::MeetingOverlaps(mins(60), mins(120)))
    );
    // Touching end to start is not an overlap.
    assert!(seller_registers(&world, booking(Some("Physical"), 120, 30)).is_ok());
    assert!(seller_registers(&world, booking(Some("Physical"), 30, 30)).is_ok());
}

#[test]
fn a_calendar_that_allows_overlap_takes_overlapping_meetings() {
    let mut world = World::meetings();
    world.booked = vec![existing_meeting(SHARED_CALENDAR)];
    let mut command = booking(Some("Physical"), 90, 60);
    if let Some(meeting) = &mut command.meeting {
        meeting.calendar = SHARED_CALENDAR;
    }
    assert!(seller_registers(&world, command).is_ok());
}

#[test]
fn a_meeting_in_another_calendar_does_not_overlap() {
    let mut world = World::meetings();
    world.booked = vec![existing_meeting(SHARED_CALENDAR)];
    assert!(seller_registers(&world, booking(Some("Physical"), 90, 60)).is_ok());
}

// --- who may register ------------------------------------------------------------------

#[test]
fn a_seller_without_a_lease_cannot_register() {
    let world = World::sales();
    let enrollment = world.enroll(1);
    assert_eq!(
        world.register(
            &enrollment,
            Registrar::Seller(SELLER),
            RegisterOutcome::new(so::LEAD),
            T0
        ),
        Err(RegistrationError::LeaseNotHeld)
    );
}

#[test]
fn a_seller_whose_lease_ran_out_cannot_register() {
    let world = World::sales();
    let leased = world.leased(world.enroll(1), SELLER, T0);
    let after_lease = T0 + world.setup().lease;
    assert_eq!(
        world.register(
            &leased,
            Registrar::Seller(SELLER),
            RegisterOutcome::new(so::LEAD),
            after_lease
        ),
        Err(RegistrationError::LeaseNotHeld)
    );
}

#[test]
fn a_seller_cannot_register_on_another_sellers_live_lease() {
    let world = World::sales();
    let leased = world.leased(world.enroll(1), OTHER_SELLER, T0);
    let error = world
        .register(
            &leased,
            Registrar::Seller(SELLER),
            RegisterOutcome::new(so::LEAD),
            mins(5),
        )
        .expect_err("held by another");
    assert_eq!(error, RegistrationError::HeldByAnother(mins(15)));
}

#[test]
fn a_manager_may_register_when_nobody_holds_the_customer() {
    let world = World::sales();
    let registration = world
        .register(
            &world.enroll(1),
            Registrar::Manager(MANAGER),
            RegisterOutcome::new(so::LEAD),
            T0,
        )
        .expect("nobody holds it");
    assert_eq!(registration.event.user(), Some(MANAGER));
}

#[test]
fn a_manager_may_not_register_on_a_sellers_live_lease() {
    let world = World::sales();
    let leased = world.leased(world.enroll(1), SELLER, T0);
    assert_eq!(
        world.register(
            &leased,
            Registrar::Manager(MANAGER),
            RegisterOutcome::new(so::LEAD),
            mins(1)
        ),
        Err(RegistrationError::HeldByAnother(mins(15)))
    );
}

#[test]
fn sms_replies_and_integrations_register_through_any_lease() {
    let world = World::sales();
    let leased = world.leased(world.enroll(1), SELLER, T0);
    for registrar in [Registrar::SmsReply, Registrar::Integration] {
        let registration = world
            .register(&leased, registrar, RegisterOutcome::new(so::LEAD), mins(1))
            .expect("the system is not stopped by a lease");
        assert_eq!(registration.event.user(), None);
        assert_eq!(registration.enrollment.holder(mins(1)), None);
    }
}

// --- what a registration does ----------------------------------------------------------

#[test]
fn a_failed_registration_leaves_the_enrollment_unchanged() {
    let world = World::sales();
    let leased = world.leased(world.enroll(1), SELLER, T0);
    let before = leased.clone();
    let refused = world.register(
        &leased,
        Registrar::Seller(SELLER),
        sale_with(vec![product_line(PRODUCT, 0)]),
        mins(1),
    );
    assert!(refused.is_err());
    assert_eq!(leased, before);
    assert_eq!(leased.holder(mins(1)), Some(SELLER));
}

#[test]
fn no_answer_keeps_the_state_counts_an_attempt_and_sets_the_retry_time() {
    let world = World::sales().with_setup(|setup| setup.retry_delay = Duration::minutes(90));
    let registration = world
        .seller_registers(
            &world.enroll(1),
            SELLER,
            RegisterOutcome::new(so::NO_ANSWER),
            T0,
        )
        .expect("no answer from To Call");
    let enrollment = &registration.enrollment;
    assert_eq!(enrollment.state(), ss::TO_CALL);
    assert_eq!(enrollment.category(), StateCategory::Available);
    assert_eq!(enrollment.attempts(), 1);
    assert_eq!(
        enrollment.retry_at(world.setup().retry_delay),
        Some(mins(90))
    );
    assert_eq!(enrollment.last_contact(), Some(T0));
    assert_eq!(enrollment.holder(T0), None, "the outcome ends the lease");
    assert_eq!(registration.event.class(), OutcomeClass::NoAnswer);
    assert_eq!(
        registration.event.from_state(),
        registration.event.to_state()
    );
    assert_eq!(
        enrollment.no_answer_at(),
        Some(T0),
        "the delay counts from the NoAnswer"
    );
}

#[test]
fn no_answer_uses_the_default_retry_delay() {
    let world = World::sales();
    let registration = world
        .seller_registers(
            &world.enroll(1),
            SELLER,
            RegisterOutcome::new(so::NO_ANSWER),
            T0,
        )
        .expect("no answer from To Call");
    assert_eq!(
        registration.enrollment.retry_at(world.setup().retry_delay),
        Some(T0 + Duration::hours(2))
    );
}

#[test]
fn a_progress_outcome_moves_the_state_and_category() {
    let world = World::sales();
    let enrollment = world.enroll(1);
    let lead = world
        .seller_registers(&enrollment, SELLER, RegisterOutcome::new(so::LEAD), T0)
        .expect("Lead from To Call");
    assert_eq!(lead.enrollment.state(), ss::LEAD);
    assert_eq!(lead.enrollment.category(), StateCategory::Open);
    assert_eq!(lead.enrollment.attempts(), 0);
    assert_eq!(lead.event.class(), OutcomeClass::Progress);
    assert_eq!(lead.event.from_state(), ss::TO_CALL);
    assert_eq!(lead.event.to_state(), ss::LEAD);
    assert_eq!(lead.event.customer(), enrollment.customer());
    assert_eq!(lead.event.user(), Some(SELLER));

    let sale = world
        .seller_registers(
            &lead.enrollment,
            SELLER,
            sale_with(vec![product_line(PRODUCT, 1)]),
            mins(10),
        )
        .expect("Sale from Lead");
    assert_eq!(sale.enrollment.state(), ss::SALE);
    assert_eq!(sale.enrollment.category(), StateCategory::Yes);
    assert_eq!(sale.event.to_category(), StateCategory::Yes);
    assert_eq!(sale.enrollment.last_contact(), Some(mins(10)));
}

#[test]
fn a_progress_outcome_clears_the_retry_delay() {
    let world = World::sales();
    let no_answer = world
        .seller_registers(
            &world.enroll(1),
            SELLER,
            RegisterOutcome::new(so::NO_ANSWER),
            T0,
        )
        .expect("no answer");
    let lead = world
        .register(
            &no_answer.enrollment,
            Registrar::Manager(MANAGER),
            RegisterOutcome::new(so::LEAD),
            mins(5),
        )
        .expect("lead");
    assert_eq!(lead.enrollment.no_answer_at(), None);
    assert_eq!(lead.enrollment.attempts(), 1, "attempts are history");
}

#[test]
fn a_line_is_bounded_in_quantity_and_price() {
    let world = World::sales().with_setup(|setup| setup.products.price_editable = true);
    let most = sale_with(vec![product_line(PRODUCT, MAX_QUANTITY)]);
    assert!(seller_registers(&world, most).is_ok());
    let too_many = sale_with(vec![product_line(PRODUCT, u32::MAX)]);
    assert_eq!(
        seller_registers(&world, too_many),
        Err(RegistrationError::QuantityTooLarge {
            product: PRODUCT,
            got: u32::MAX,
            max: 10_000
        })
    );
    // The line: 7.9 × 10^28 a unit.
    let huge = sale_with(vec![ProductLineRequest {
        unit_price: Some(Decimal::MAX),
        ..product_line(PRODUCT, 1)
    }]);
    let refused = seller_registers(&world, huge).expect_err("beyond the bound");
    assert_eq!(
        refused,
        RegistrationError::Price(PRODUCT, PriceError::TooHigh(Decimal::MAX))
    );
    assert!(
        refused.to_string().contains("at most 1000000000"),
        "{refused}"
    );
    let fractions = sale_with(vec![ProductLineRequest {
        unit_price: Some(Decimal::new(1, 3)),
        ..product_line(PRODUCT, 1)
    }]);
    assert!(matches!(
        seller_registers(&world, fractions),
        Err(RegistrationError::Price(_, PriceError::TooPrecise(_)))
    ));
}

#[test]
fn a_meeting_outside_the_accepted_years_names_its_field() {
    use cube_domain::time_bounds::TimeOutOfBounds;
    let world = World::meetings();
    let far = time::macros::datetime!(1500-06-01 10:00 UTC);
    let mut command = booking(Some("Video"), 60, 30);
    if let Some(meeting) = command.meeting.as_mut() {
        meeting.start = far;
    }
    assert_eq!(
        seller_registers(&world, command),
        Err(RegistrationError::Time(TimeOutOfBounds {
            field: "meeting.start",
            year: 1500
        }))
    );
    let mut command = booking(Some("Video"), 60, 30);
    if let Some(meeting) = command.meeting.as_mut() {
        meeting.end = time::macros::datetime!(9999-01-01 0:00 UTC);
    }
    let err = seller_registers(&world, command).expect_err("refused");
    assert!(
        err.to_string().starts_with("`meeting.end` must be between"),
        "{err}"
    );
}

#[test]
fn a_note_is_kept_with_its_line_breaks_but_no_other_control_characters() {
    let world = World::sales();
    let note = |text: &str| RegisterOutcome {
        note: Some(text.to_owned()),
        ..RegisterOutcome::new(so::NO_ANSWER)
    };
    let registration =
        seller_registers(&world, note(" Ring etter kl. 16\r\nspør etter A\u{30a}se "))
            .expect("a note");
    assert_eq!(
        registration.event.note(),
        Some("Ring etter kl. 16\nspør etter Åse")
    );
    let err = seller_registers(&world, note("bell\u{7}")).expect_err("a BEL");
    assert!(err.to_string().starts_with("`note`:"), "{err}");
}

#[test]
fn a_meeting_outside_the_calendars_opening_hours_or_in_a_closed_calendar_is_refused() {
    use cube_domain::meeting::{ClockTime, OpeningPeriod};
    use time::Weekday;
    // T0 is Saturday 28 November 2026, 10:00 in Oslo; the booking is at 11:30–12:30 Oslo.
    let hours = |day| OpeningPeriod {
        day,
        opens: ClockTime::new(8, 0).expect("a time"),
        closes: ClockTime::new(16, 0).expect("a time"),
    };
    let with = |opening_hours: Vec<OpeningPeriod>, active: bool| {
        let mut world = World::meetings();
        for calendar in &mut world.calendars {
            calendar.opening_hours = opening_hours.clone();
            calendar.active = active;
        }
        world
    };
    let weekdays = with(vec![hours(Weekday::Monday), hours(Weekday::Friday)], true);
    assert_eq!(
        seller_registers(&weekdays, booking(Some("Physical"), 90, 60)),
        Err(RegistrationError::MeetingOutsideOpeningHours(
            "Kari's calendar".into()
        ))
    );
    let saturdays = with(vec![hours(Weekday::Saturday)], true);
    assert!(seller_registers(&saturdays, booking(Some("Physical"), 90, 60)).is_ok());
    // 15:30–16:30 Oslo runs past closing.
    assert_eq!(
        seller_registers(&saturdays, booking(Some("Physical"), 330, 60)),
        Err(RegistrationError::MeetingOutsideOpeningHours(
            "Kari's calendar".into()
        ))
    );
    let closed = with(Vec::new(), false);
    assert_eq!(
        seller_registers(&closed, booking(Some("Physical"), 90, 60)),
        Err(RegistrationError::CalendarClosed("Kari's calendar".into()))
    );
}
