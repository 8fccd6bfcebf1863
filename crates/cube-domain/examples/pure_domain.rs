//! The pure domain, without any async runtime or store: validate a flow, pick the next
//! customer with `queue::select_next`, register outcomes with `outcome::register`, fold the
//! outcome log back into an enrollment, and compute hitrate, progress rate and utilization
//! from tallies. `cube-domain` has no tokio in its dependencies, and neither has this.
//!
//! Run it with `cargo run -p cube-domain --example pure_domain`.

use cube_domain::assignment::Assignment;
use cube_domain::enrollment::Enrollment;
use cube_domain::fields::FieldValues;
use cube_domain::flow::seeds::SalesFlow;
use cube_domain::ids::{
    AssignmentId, CustomerId, DataOwnerId, EnrollmentId, MeetingId, OrganisationId, OutcomeEventId,
    OutcomeId, UserId,
};
use cube_domain::outcome::{self, NewIds, RegisterOutcome, Registrar, RegistrationContext};
use cube_domain::queue::{self, Candidate};
use cube_domain::reports::{self, Ratio};
use cube_domain::values::Name;
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

type Error = Box<dyn std::error::Error>;

fn main() -> Result<(), Error> {
    let owner = DataOwnerId::from_uuid(Uuid::now_v7());
    // A draft is checked before it is published: a broken one says what to fix.
    let mut broken = SalesFlow::draft(SalesFlow::FLOW, owner);
    broken.outcomes.clear();
    println!("a flow without outcomes: {:?}", broken.problems());
    let flow = SalesFlow::draft(SalesFlow::FLOW, owner).publish()?;

    let organisation = OrganisationId::from_uuid(Uuid::now_v7());
    let name = Name::parse("Strøm vår")?;
    let assignment = Assignment::new(
        AssignmentId::from_uuid(Uuid::now_v7()),
        organisation,
        owner,
        name,
        &flow,
    )?;
    let now = OffsetDateTime::now_utc();
    let mut enrollments: Vec<Enrollment> = (1..=3)
        .map(|n| {
            Enrollment::new(
                id(),
                assignment.id(),
                CustomerId::from_uuid(Uuid::now_v7()),
                flow.initial_state(),
                None,
                n,
                now,
            )
        })
        .collect();

    let seller = UserId::from_uuid(Uuid::now_v7());
    let no_fields = FieldValues::new();
    let mut log = Vec::new();
    for (minute, outcome) in [
        SalesFlow::O_NO_ANSWER,
        SalesFlow::O_LEAD,
        SalesFlow::O_NO_SALE,
    ]
    .into_iter()
    .enumerate()
    {
        let at = now + Duration::minutes(minute as i64);
        let candidates = enrollments.iter().map(|enrollment| Candidate {
            enrollment,
            fields: &no_fields,
            barred: None,
        });
        let (next, tier) = queue::select_next(assignment.setup(), seller, at, candidates)
            .ok_or("nobody is ready")?;
        let index = enrollments
            .iter()
            .position(|e| e.id() == next.enrollment.id())
            .ok_or("handed out")?;
        enrollments[index].reserve(seller, at, assignment.setup().lease)?;
        let registration = register(&assignment, &flow, &enrollments[index], seller, outcome, at)?;
        println!(
            "{tier:?}: customer {} → {:?}",
            enrollments[index].sequence(),
            registration.enrollment.category()
        );
        enrollments[index] = registration.enrollment;
        log.push(registration.event);
    }

    // The log is the truth: an enrollment is its first state plus its events, in order.
    let first = &enrollments[0];
    let fresh = Enrollment::new(
        first.id(),
        first.assignment(),
        first.customer(),
        flow.initial_state(),
        None,
        first.sequence(),
        first.enrolled_at(),
    );
    assert_eq!(
        fresh.replay(log.iter().filter(|e| e.enrollment() == first.id())),
        *first
    );

    let activity = reports::activity(&reports::tally_outcomes(&log));
    let status = reports::customer_status(&flow, &reports::tally_status(&enrollments), 0);
    println!(
        "hitrate {}, progress rate {}, utilization {}",
        percent(activity.hitrate),
        percent(activity.progress_rate),
        percent(status.utilization)
    );
    Ok(())
}

/// `outcome::register` with what it needs: the assignment, its flow, no products, no
/// calendar. Pure: it returns the event and the new enrollment, and changes nothing.
fn register(
    assignment: &Assignment,
    flow: &cube_domain::flow::PublishedFlow,
    enrollment: &Enrollment,
    seller: UserId,
    outcome: OutcomeId,
    at: OffsetDateTime,
) -> Result<outcome::Registration, Error> {
    let ctx = RegistrationContext {
        assignment,
        flow,
        catalogue: &[],
        calendar: None,
        calendar_meetings: &[],
        zone: &cube_domain::time_zone::TimeZone::oslo(),
    };
    let ids = NewIds {
        event: OutcomeEventId::from_uuid(Uuid::now_v7()),
        meeting: MeetingId::from_uuid(Uuid::now_v7()),
    };
    Ok(outcome::register(
        ctx,
        enrollment,
        Registrar::Seller(seller),
        RegisterOutcome::new(outcome),
        at,
        ids,
    )?)
}

fn id() -> EnrollmentId {
    EnrollmentId::from_uuid(Uuid::now_v7())
}

fn percent(ratio: Ratio) -> String {
    ratio
        .percent()
        .map_or_else(|| "—".to_owned(), |p| format!("{}%", p.round_dp(1)))
}
