//! A seller's work: the next customer, taking a customer from My Work, releasing one,
//! registering outcomes (idempotent with a client key), My Work itself, and external
//! systems changing a customer's state across assignments.

use crate::error::WorkError;
use crate::flows::flow_of;
use crate::setup::not_found_as;
use crate::{Acting, AppError, AppResult, Cube, Need, acting};
use cube_domain::access::{Permission, Role, User};
use cube_domain::assignment::Assignment;
use cube_domain::contact_policy::standing::ContactFacts;
use cube_domain::customer::{Customer, CustomerFilter};
pub use cube_domain::customer_view::{ViewEntry, customer_view};
use cube_domain::enrollment::{Enrollment, ReservationError};
use cube_domain::idempotency::{IdempotencyKey, RequestFingerprint, RequestKey};
use cube_domain::ids::{
    AssignmentId, CustomerId, EnrollmentId, MeetingId, OutboxMessageId, OutcomeEventId, StateId,
    UserId,
};
use cube_domain::meeting::Meeting;
pub use cube_domain::my_work::{MyWork, MyWorkItem};
use cube_domain::outcome::{
    self, NewIds, OutcomeEvent, RegisterOutcome, Registrar, RegistrationContext, RegistrationError,
};
use cube_domain::ports::ReadUnit;
use cube_domain::ports::{
    EmailMessage, NO_EMAIL_ADDRESS, NO_MOBILE_NUMBER, NextCustomerRequest, OutboxMessage,
    OutboxPayload, Page, SmsMessage, StoreError, UniqueRule, UnitOfWork,
};
use cube_domain::queue::Tier;
use cube_domain::sms::{MergeContext, SentSmsFlow};
use cube_domain::{access, my_work, sms};
use time::OffsetDateTime;

/// A customer handed to a seller, with what the assignment's customer view shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkItem {
    /// The enrollment, reserved for the seller.
    pub enrollment: Enrollment,
    /// Why it was handed out (`None` when taken from My Work).
    pub tier: Option<Tier>,
    /// The customer.
    pub customer: Customer,
    /// The fields the assignment shows, in its order.
    pub view: Vec<ViewEntry>,
}

/// A customer of an assignment found by a seller's search ("search and take", seed 004's
/// other work mode), with whether the seller may take it now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FoundCustomer {
    /// The customer's enrollment in the assignment.
    pub enrollment: Enrollment,
    /// The customer's name.
    pub name: String,
    /// The fields the assignment shows, in its order.
    pub view: Vec<ViewEntry>,
    /// Why taking it now would be refused (held by another seller, another seller's
    /// personal follow-up, taken out of the work); `None`: it may be taken.
    pub refused: Option<String>,
}

/// A page of a seller's search: the customers found in the assignment, and where the next
/// page starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FoundPage {
    /// The customers of this page of matches that are enrolled in the assignment.
    pub found: Vec<FoundCustomer>,
    /// The `offset` of the next page of matches; `None` on the last page.
    pub next_offset: Option<u64>,
}

/// The result of registering an outcome.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Registered {
    /// The log entry (the first one, when a retried request is replayed).
    pub event: OutcomeEvent,
    /// The enrollment now.
    pub enrollment: Enrollment,
    /// The meeting booked.
    pub meeting: Option<Meeting>,
    /// True when the idempotency key matched an earlier registration and nothing new was
    /// written.
    pub replayed: bool,
}

fn registrar(user: &User) -> Registrar {
    match user.role {
        Role::Seller => Registrar::Seller(user.id),
        Role::Admin | Role::Manager { .. } | Role::Client { .. } => Registrar::Manager(user.id),
    }
}

impl Cube {
    /// The enrollment `id` and its assignment, for `user` to work on at `now`: an unknown
    /// enrollment, another organisation's, or one in an assignment the user may not work
    /// (hidden from them) is "customer not found".
    pub(crate) async fn enrollment_to_work(
        &self,
        uow: &mut dyn ReadUnit,
        user: &User,
        id: EnrollmentId,
        now: OffsetDateTime,
    ) -> AppResult<(Enrollment, Assignment)> {
        // One round trip where the store can (issue 19: the reads of a registration).
        let (enrollment, assignment) = uow
            .enrollment_and_assignment(id)
            .await?
            .ok_or(AppError::NotFound("customer"))?;
        let assignment = assignment.ok_or(AppError::NotFound("customer"))?;
        let assignment = self
            .authorize_on(uow, user, assignment, Need::Work, now)
            .await
            .map_err(|e| not_found_as(e, "customer"))?;
        Ok((enrollment, assignment))
    }

    /// Hands the seller the next right customer and reserves it for the assignment's lease:
    /// first a customer the seller already holds (a crashed browser resumes where it was),
    /// then `queue`'s order. `Ok(None)` when nobody is ready. Refused when a hard-stop
    /// activity limit is reached. Reserving and reading the customer are one unit of work:
    /// if the read fails, no reservation is left behind.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// use cube_app::Cube;
    /// use cube_domain::queue::Tier;
    /// use cube_testkit::fixtures::{T0, World};
    /// use cube_testkit::{FixedClock, MemoryStore, SequentialIds};
    /// use std::sync::Arc;
    ///
    /// // The test kit's world: an organisation, seed 003's sales flow, an assignment with
    /// // three customers and three sellers, on the in-memory store.
    /// let (store, clock, ids) = (Arc::new(MemoryStore::new()), Arc::new(FixedClock::new(T0)), Arc::new(SequentialIds::new()));
    /// let world = World::build(store.as_ref(), clock.as_ref(), ids.as_ref(), 3).await.unwrap();
    /// let cube = Cube::new(store, clock, ids);
    /// let (first, second) = (&world.sellers[0], &world.sellers[1]);
    ///
    /// let work = cube.next_customer(first, world.assignment.id()).await.unwrap().expect("ready");
    /// assert_eq!((work.tier, work.enrollment.holder(T0)), (Some(Tier::Pool), Some(first.id)));
    /// // Another seller gets another customer; the first one gets theirs back.
    /// let other = cube.next_customer(second, world.assignment.id()).await.unwrap().expect("ready");
    /// assert_ne!(other.enrollment.id(), work.enrollment.id());
    /// let again = cube.next_customer(first, world.assignment.id()).await.unwrap().expect("held");
    /// assert_eq!((again.enrollment.id(), again.tier), (work.enrollment.id(), Some(Tier::Held)));
    /// # }
    /// ```
    pub async fn next_customer(
        &self,
        who: impl Into<Acting<'_>>,
        assignment_id: AssignmentId,
    ) -> AppResult<Option<WorkItem>> {
        let now = self.now();
        let mut uow = self.begin().await?;
        let user = acting(uow.as_mut(), who.into()).await?;
        let assignment = self
            .assignment_for(uow.as_mut(), &user, assignment_id, Need::Work, now)
            .await?;
        if let Some(metric) =
            crate::reports::reached_hard_stop(uow.as_mut(), &assignment, now).await?
        {
            return Err(AppError::LimitReached(metric));
        }
        let gate = self.gate_for(uow.as_mut(), &user, &assignment, now).await?;
        let request = NextCustomerRequest {
            assignment: assignment_id,
            seller: user.id,
            now,
            setup: assignment.setup().clone(),
            gate,
        };
        // The customer comes with the reservation where the store can (issue 19).
        let Some((handout, customer)) = uow.reserve_next_with_customer(&request).await? else {
            return Ok(None);
        };
        let customer = customer.ok_or(AppError::NotFound("customer"))?;
        uow.commit().await?;
        let view = customer_view(&customer, &assignment.setup().customer_view);
        Ok(Some(WorkItem {
            enrollment: handout.enrollment,
            tier: Some(handout.tier),
            customer,
            view,
        }))
    }

    /// Why the seller's queue in the assignment is what it is (issue: "why is my queue
    /// empty?"): the assignment's customers counted by why each is or is not the seller's
    /// to take now — ready, held by other sellers (until when), resting after a No answer
    /// (until when), follow-ups falling due later (from when), other sellers' follow-ups,
    /// concluded, excluded; and those the contact policy bars now (the do-not-call list, the
    /// reservation register, consumers outside the call windows or not washed this month) —
    /// and the activity limit that stops the handing out, if one does. For those who may
    /// work the assignment; reads only.
    pub async fn queue_explanation(
        &self,
        who: impl Into<Acting<'_>>,
        assignment_id: AssignmentId,
    ) -> AppResult<QueueExplanation> {
        let now = self.now();
        let mut uow = self.begin_read().await?;
        let user = acting(uow.as_mut(), who.into()).await?;
        let assignment = self
            .assignment_for(uow.as_mut(), &user, assignment_id, Need::Work, now)
            .await?;
        let hard_stop = crate::reports::reached_hard_stop(uow.as_mut(), &assignment, now).await?;
        let gate = self.gate_for(uow.as_mut(), &user, &assignment, now).await?;
        let request = NextCustomerRequest {
            assignment: assignment_id,
            seller: user.id,
            now,
            setup: assignment.setup().clone(),
            gate,
        };
        let census = uow.queue_census(&request).await?;
        Ok(QueueExplanation {
            at: now,
            census,
            hard_stop,
            consumers: gate.consumers,
        })
    }

    /// Why one customer is or is not the seller's to take next, now (`queue::census::reason`):
    /// ready (in which tier), barred by the contact policy (why), held by another seller until
    /// when, resting until when, a follow-up due later, another seller's follow-up, concluded,
    /// excluded. For those who may
    /// work the customer's assignment; reads only; the answer holds no personal data.
    pub async fn queue_reason(
        &self,
        who: impl Into<Acting<'_>>,
        enrollment_id: EnrollmentId,
    ) -> AppResult<cube_domain::queue::census::Reason> {
        let now = self.now();
        let mut uow = self.begin_read().await?;
        let user = acting(uow.as_mut(), who.into()).await?;
        let (enrollment, assignment) = self
            .enrollment_to_work(uow.as_mut(), &user, enrollment_id, now)
            .await?;
        let gate = self.gate_for(uow.as_mut(), &user, &assignment, now).await?;
        let facts = match uow.customer(enrollment.customer()).await? {
            Some(customer) => self.contact_facts(uow.as_mut(), &customer, &gate).await?,
            None => ContactFacts::FREE,
        };
        Ok(cube_domain::queue::census::reason(
            assignment.setup(),
            &enrollment,
            gate.barred(&facts),
            user.id,
            now,
        ))
    }

    /// The history of a customer in an assignment: every outcome registered on the
    /// enrollment, oldest first (same instant in append order), with the outcome's field
    /// values, product lines at the price they were sold at, meeting and follow-up. A seller
    /// reads it for a customer they hold or follow up (`my_work::check_history`); managers
    /// and admins of the assignment always.
    pub async fn customer_history(
        &self,
        who: impl Into<Acting<'_>>,
        enrollment_id: EnrollmentId,
    ) -> AppResult<Vec<cube_domain::outcome::OutcomeEvent>> {
        let now = self.now();
        let mut uow = self.begin_read().await?;
        let user = acting(uow.as_mut(), who.into()).await?;
        let (enrollment, _) = self
            .enrollment_to_work(uow.as_mut(), &user, enrollment_id, now)
            .await?;
        my_work::check_history(&user, &enrollment, now)?;
        Ok(uow.events_of(enrollment_id).await?)
    }

    /// Moves a customer's pending follow-up without a call (seed 004): a seller their own
    /// personal follow-up to a new time; a manager or admin any follow-up to any time, and to
    /// another seller who works the assignment, or shared. `owner`: `None` keeps the owner,
    /// `Some(None)` shares it, `Some(Some(seller))` gives it to that seller. My Work and the
    /// side panel follow the new owner and time.
    pub async fn move_follow_up(
        &self,
        who: impl Into<Acting<'_>>,
        enrollment_id: EnrollmentId,
        due: OffsetDateTime,
        owner: Option<Option<UserId>>,
    ) -> AppResult<Enrollment> {
        let now = self.now();
        let due =
            cube_domain::time_bounds::checked_time("due", cube_domain::instant::truncate(due))?;
        let mut uow = self.begin().await?;
        let user = acting(uow.as_mut(), who.into()).await?;
        let (mut enrollment, assignment) = self
            .enrollment_to_work(uow.as_mut(), &user, enrollment_id, now)
            .await?;
        if let Some(Some(owner)) = owner {
            self.check_follow_up_owner(uow.as_mut(), &user, owner, &assignment, now)
                .await?;
        }
        let owner = owner.unwrap_or_else(|| enrollment.follow_up().and_then(|f| f.owner));
        my_work::move_follow_up(&user, &mut enrollment, due, owner, now)?;
        uow.update_enrollment(&enrollment).await?;
        uow.commit().await?;
        Ok(enrollment)
    }

    /// Refuses `owner` as the owner of a follow-up in `assignment` unless they are an active
    /// seller of `acting`'s organisation who may work it today (seed 004: a follow-up goes
    /// to a colleague on the assignment).
    pub(crate) async fn check_follow_up_owner(
        &self,
        uow: &mut dyn ReadUnit,
        acting: &User,
        owner: UserId,
        assignment: &Assignment,
        now: OffsetDateTime,
    ) -> AppResult<()> {
        let named = crate::user_of_organisation(uow, acting, owner).await?;
        let today = self.today_of(uow, acting.organisation, now).await?;
        let works_it = named.role == Role::Seller
            && named.active
            && access::authorize(&named, Permission::WorkAssignment(assignment), today).is_ok();
        if works_it {
            Ok(())
        } else {
            Err(WorkError::OwnerNotASeller {
                user: named.name.to_string(),
            }
            .into())
        }
    }

    /// Searches the customers of an assignment the user works (seed 004's other work mode:
    /// find a customer and take them by hand): the data owner's customers `filter` matches
    /// (name, phone numbers, e-mail, address, registry number, external id), a `page` of
    /// matches, keeping those enrolled in the assignment (so a page may hold fewer than
    /// `page.limit`; `next_offset` says whether more matches follow) — each with the fields the
    /// assignment shows and whether taking it would be refused (the same rules as
    /// [`Cube::take_customer`], the contact policy's included). Nothing is reserved.
    pub async fn search_to_take(
        &self,
        who: impl Into<Acting<'_>>,
        assignment_id: AssignmentId,
        filter: &CustomerFilter,
        page: Page,
    ) -> AppResult<FoundPage> {
        let now = self.now();
        let mut uow = self.begin_read().await?;
        let user = acting(uow.as_mut(), who.into()).await?;
        let assignment = self
            .assignment_for(uow.as_mut(), &user, assignment_id, Need::Work, now)
            .await?;
        let mut customers = uow
            .customers(assignment.data_owner(), filter, page.with_lookahead())
            .await?;
        let limit = usize::try_from(page.limit).unwrap_or(usize::MAX);
        let next_offset = (customers.len() > limit).then(|| page.offset.saturating_add(page.limit));
        customers.truncate(limit);
        let gate = self.gate_for(uow.as_mut(), &user, &assignment, now).await?;
        let mut found = Vec::new();
        for customer in customers {
            let Some(enrollment) = uow.enrollment_of(assignment_id, customer.id()).await? else {
                continue;
            };
            let facts = self.contact_facts(uow.as_mut(), &customer, &gate).await?;
            let refused = match my_work::check_take(&user, &enrollment) {
                Err(refused) => Some(refused.to_string()),
                Ok(()) => match gate.barred(&facts) {
                    Some(barred) => Some(AppError::ContactBarred(barred).to_string()),
                    None => enrollment
                        .clone()
                        .reserve(user.id, now, assignment.setup().lease)
                        .err()
                        .map(|refused| refused.to_string()),
                },
            };
            found.push(FoundCustomer {
                name: customer.details().name.to_string(),
                view: customer_view(&customer, &assignment.setup().customer_view),
                enrollment,
                refused,
            });
        }
        Ok(FoundPage { found, next_offset })
    }

    /// Takes a given customer (from My Work or a search) and reserves it for the seller;
    /// refused (`ContactBarred`) when the contact policy forbids calling them now.
    pub async fn take_customer(
        &self,
        who: impl Into<Acting<'_>>,
        enrollment_id: EnrollmentId,
    ) -> AppResult<WorkItem> {
        let now = self.now();
        let mut uow = self.begin().await?;
        let user = acting(uow.as_mut(), who.into()).await?;
        let (mut enrollment, assignment) = self
            .enrollment_to_work(uow.as_mut(), &user, enrollment_id, now)
            .await?;
        my_work::check_take(&user, &enrollment)?;
        let gate = self.gate_for(uow.as_mut(), &user, &assignment, now).await?;
        let customer = uow
            .customer(enrollment.customer())
            .await?
            .ok_or(AppError::NotFound("customer"))?;
        let facts = self.contact_facts(uow.as_mut(), &customer, &gate).await?;
        if let Some(barred) = gate.barred(&facts) {
            return Err(AppError::ContactBarred(barred));
        }
        enrollment.reserve(user.id, now, assignment.setup().lease)?;
        uow.update_enrollment(&enrollment).await?;
        // A seller works one customer of an assignment at a time, as "next customer" hands
        // them out: taking one by hand gives back any other they hold there (it returns to
        // the queue as a lapsed lease would), so nobody can sit on a pile of customers.
        for mut other in uow.held_by(assignment.id(), user.id, now).await? {
            if other.id() != enrollment.id() && other.release(user.id) {
                uow.update_enrollment(&other).await?;
            }
        }
        uow.commit().await?;
        let view = customer_view(&customer, &assignment.setup().customer_view);
        Ok(WorkItem {
            enrollment,
            tier: None,
            customer,
            view,
        })
    }

    /// Gives a reserved customer back before its lease runs out.
    pub async fn release_customer(
        &self,
        who: impl Into<Acting<'_>>,
        enrollment_id: EnrollmentId,
    ) -> AppResult<Enrollment> {
        let now = self.now();
        let mut uow = self.begin().await?;
        let user = acting(uow.as_mut(), who.into()).await?;
        let (mut enrollment, _) = self
            .enrollment_to_work(uow.as_mut(), &user, enrollment_id, now)
            .await?;
        // Another seller's live reservation is theirs to give back: refused as a take is,
        // never answered "released" while it still holds.
        if let Some(reservation) = enrollment.reservation()
            && reservation.until > now
            && reservation.seller != user.id
        {
            return Err(ReservationError::HeldByAnother(reservation.until).into());
        }
        if enrollment.release(user.id) {
            uow.update_enrollment(&enrollment).await?;
            uow.commit().await?;
        }
        Ok(enrollment)
    }

    /// Registers an outcome: appends the event, updates the enrollment, books the meeting
    /// and queues the SMS flow's message, in one unit of work. With `idempotency_key`, a
    /// retried request returns the first result instead of counting twice; the key is the
    /// user's own, and reusing it with a different request (another outcome, another
    /// customer) is refused. The key comes checked (`RequestKey::parse`, where it came in).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// use cube_app::Cube;
    /// use cube_domain::flow::seeds::SalesFlow;
    /// use cube_domain::idempotency::RequestKey;
    /// use cube_domain::outcome::{ProductLineRequest, RegisterOutcome};
    /// use cube_testkit::fixtures::{T0, World};
    /// use cube_testkit::{FixedClock, MemoryStore, SequentialIds};
    /// use std::sync::Arc;
    ///
    /// let (store, clock, ids) = (Arc::new(MemoryStore::new()), Arc::new(FixedClock::new(T0)), Arc::new(SequentialIds::new()));
    /// let world = World::build(store.as_ref(), clock.as_ref(), ids.as_ref(), 3).await.unwrap();
    /// let cube = Cube::new(store, clock, ids);
    /// let seller = &world.sellers[0];
    /// let work = cube.next_customer(seller, world.assignment.id()).await.unwrap().expect("ready");
    ///
    /// // A sale with one product line at the catalogue's price.
    /// let mut sale = RegisterOutcome::new(SalesFlow::O_SALE);
    /// let product = world.products[0].id();
    /// sale.products = vec![ProductLineRequest { product, quantity: 2, unit_price: None }];
    /// let key = RequestKey::parse("call-0001").unwrap();
    /// let done = cube
    ///     .register_outcome(seller, work.enrollment.id(), sale.clone(), Some(key.clone()))
    ///     .await
    ///     .unwrap();
    /// assert_eq!(done.enrollment.state(), SalesFlow::SALE);
    /// assert_eq!(done.event.products().len(), 1);
    ///
    /// // The browser lost the answer and sends the same request again: the first result,
    /// // counted once.
    /// let retry = cube.register_outcome(seller, work.enrollment.id(), sale, Some(key)).await.unwrap();
    /// assert!(retry.replayed);
    /// assert_eq!(retry.event.id(), done.event.id());
    /// # }
    /// ```
    pub async fn register_outcome(
        &self,
        who: impl Into<Acting<'_>>,
        enrollment_id: EnrollmentId,
        command: RegisterOutcome,
        idempotency_key: Option<RequestKey>,
    ) -> AppResult<Registered> {
        let now = self.now();
        let mut uow = self.begin().await?;
        let user = acting(uow.as_mut(), who.into()).await?;
        let (enrollment, assignment) = self
            .enrollment_to_work(uow.as_mut(), &user, enrollment_id, now)
            .await?;
        if let Some(owner) = command.follow_up_owner.filter(|&owner| owner != user.id) {
            self.check_follow_up_owner(uow.as_mut(), &user, owner, &assignment, now)
                .await?;
        }
        let key = idempotency_key.map(|key| IdempotencyKey {
            key,
            fingerprint: RequestFingerprint::of(enrollment_id, &command),
        });
        // The key's check is folded into the event's insert (a unique index): a request that
        // goes through pays no lookup. Only a registration that fails may be the retry of
        // one that went through (the key taken, or the customer moved on by the first) and
        // looks for the first result.
        let result = self
            .register_in(
                uow.as_mut(),
                &assignment,
                &enrollment,
                registrar(&user),
                command,
                key.as_ref(),
                now,
            )
            .await;
        match (result, key) {
            (Ok(registered), _) => {
                uow.commit().await?;
                Ok(registered)
            }
            (Err(error), Some(key)) => {
                // A failed statement may have left the unit unusable: read in a new one.
                drop(uow);
                let mut read = self.begin_read().await?;
                match replay(read.as_mut(), &assignment, user.id, &key, &enrollment).await? {
                    Some(first) => Ok(first),
                    // The unique index refused the key, yet its event is not there: the
                    // first registration was rolled back in between. Ask for a retry.
                    None if matches!(
                        error,
                        AppError::Store(StoreError::Duplicate(UniqueRule::IdempotencyKey))
                    ) =>
                    {
                        Err(AppError::Store(StoreError::Conflict(
                            "idempotency key raced".into(),
                        )))
                    }
                    None => Err(error),
                }
            }
            (Err(error), None) => Err(error),
        }
    }

    /// The registration steps inside an open unit of work (shared with bulk registration).
    #[allow(clippy::too_many_arguments)]
    pub(crate) async fn register_in(
        &self,
        uow: &mut dyn UnitOfWork,
        assignment: &Assignment,
        enrollment: &Enrollment,
        registrar: Registrar,
        command: RegisterOutcome,
        idempotency_key: Option<&IdempotencyKey>,
        now: OffsetDateTime,
    ) -> AppResult<Registered> {
        // Before any store is asked for meetings around a time it may not represent.
        command.check_times().map_err(RegistrationError::from)?;
        // The domain's precision first: the overlap query and the stored meeting and
        // follow-up then hold the same times in every store.
        let command = command.truncated();
        let flow = flow_of(&self.flows, uow, assignment).await?;
        let mut catalogue = Vec::new();
        for line in &command.products {
            if let Some(product) = uow.product(line.product).await? {
                catalogue.push(product);
            }
        }
        let (calendar, calendar_meetings) = match &command.meeting {
            Some(request) => {
                let calendar = uow.calendar(request.calendar).await?;
                let meetings = uow
                    .meetings_in_calendar(request.calendar, request.start, request.end)
                    .await?;
                (calendar, meetings)
            }
            None => (None, Vec::new()),
        };
        // The opening hours of a calendar are the organisation's local times (kept per
        // process: no round trip on the hot path).
        let zone = self.zones.of(uow, assignment.organisation()).await?;
        let ctx = RegistrationContext {
            assignment,
            flow: &flow,
            catalogue: &catalogue,
            calendar: calendar.as_ref(),
            calendar_meetings: &calendar_meetings,
            zone: &zone,
        };
        let ids = NewIds {
            event: self.new_id::<OutcomeEventId>(),
            meeting: self.new_id::<MeetingId>(),
        };
        let registration = outcome::register(ctx, enrollment, registrar, command, now, ids)?;
        // The enrollment over the version read, and the event only if that went through
        // (one round trip where the store can).
        uow.update_enrollment_with_event(
            &registration.enrollment,
            &registration.event,
            idempotency_key,
        )
        .await?;
        if let Some(meeting) = &registration.meeting {
            uow.insert_meeting(meeting).await?;
        }
        if sends_message(assignment, &registration.event) {
            // The merge fields about the seller and the meeting: read only for an outcome
            // that sends something (no round trip on the plain cycle).
            let mut context = MergeContext::of_assignment(assignment);
            if let Some(user) = registrar.user()
                && let Some(seller) = uow.user(user).await?
            {
                context = context.with_seller(&seller);
            }
            if let Some(meeting) = &registration.meeting {
                context = context.with_meeting(meeting, &zone);
            }
            self.queue_sms_flow(uow, assignment, &registration.event, &context, now)
                .await?;
            self.queue_email(uow, assignment, &registration.event, &context, now)
                .await?;
        }
        self.queue_sale_confirmation(uow, assignment, &registration.event, now)
            .await?;
        list_do_not_call(uow, assignment, &flow, &registration.event, now).await?;
        self.enqueue_webhooks(
            uow,
            assignment.organisation(),
            assignment,
            &registration.event,
        )
        .await?;
        Ok(Registered {
            event: registration.event,
            enrollment: registration.enrollment,
            meeting: registration.meeting,
            replayed: false,
        })
    }

    /// Queues the SMS of the outcome's SMS flow, if it has one. A customer with no number
    /// gets the message enqueued already failed ("customer has no mobile number"), so the
    /// failed messages show it instead of nothing at all (issue 21).
    async fn queue_sms_flow(
        &self,
        uow: &mut dyn UnitOfWork,
        assignment: &Assignment,
        event: &OutcomeEvent,
        context: &MergeContext,
        now: OffsetDateTime,
    ) -> AppResult<()> {
        let setup = assignment.setup();
        let Some((outcome, sms_flow)) = event
            .outcome()
            .and_then(|o| setup.sms_flows.get(&o).map(|flow| (o, flow)))
        else {
            return Ok(());
        };
        let Some(sender) = &setup.communication.sms_sender else {
            return Ok(());
        };
        let customer = uow
            .customer(event.customer())
            .await?
            .ok_or(AppError::NotFound("customer"))?;
        let from = sender.as_str().to_owned();
        let body = sms::render_in(&sms_flow.template, &customer, context);
        let to = customer.details().phones.first().cloned();
        let Some(to) = to else {
            let payload = OutboxPayload::UnaddressedSms { from, body };
            self.enqueue_for(uow, assignment, event, payload, Some(NO_MOBILE_NUMBER), now)
                .await?;
            return Ok(());
        };
        let payload = OutboxPayload::Sms(SmsMessage {
            from: from.clone(),
            to: to.clone(),
            body,
        });
        let message = self
            .enqueue_for(uow, assignment, event, payload, None, now)
            .await?;
        // The flow listens for replies from the number it went to (`crate::sms_replies`).
        uow.record_sms_flow(&SentSmsFlow {
            message,
            assignment: assignment.id(),
            enrollment: event.enrollment(),
            event: event.id(),
            outcome,
            state: event.to_state(),
            to,
            sender: from,
            sent_at: now,
        })
        .await?;
        Ok(())
    }

    /// Enqueues a message an outcome sends, in the registration's unit; one that cannot be
    /// addressed is enqueued already failed with `failed` as the reason, so the failed
    /// messages show what was not sent and to whom.
    async fn enqueue_for(
        &self,
        uow: &mut dyn UnitOfWork,
        assignment: &Assignment,
        event: &OutcomeEvent,
        payload: OutboxPayload,
        failed: Option<&'static str>,
        now: OffsetDateTime,
    ) -> AppResult<OutboxMessageId> {
        let message = OutboxMessage {
            id: self.new_id(),
            assignment: assignment.id(),
            enrollment: Some(event.enrollment()),
            payload,
            created_at: now,
        };
        uow.enqueue(&message).await?;
        if let Some(reason) = failed {
            uow.mark_failed(message.id, reason).await?;
        }
        Ok(message.id)
    }

    /// Queues the e-mail the outcome sends (seed 000 item 8), if the setup names one: the
    /// template's subject and HTML body with the customer's merge fields (escaped in the
    /// HTML), from the assignment's sender. A customer without an e-mail address gets it
    /// enqueued already failed ("customer has no e-mail address"), as an SMS without a number.
    async fn queue_email(
        &self,
        uow: &mut dyn UnitOfWork,
        assignment: &Assignment,
        event: &OutcomeEvent,
        context: &MergeContext,
        now: OffsetDateTime,
    ) -> AppResult<()> {
        let setup = assignment.setup();
        let Some(name) = event.outcome().and_then(|o| setup.email_on_outcome.get(&o)) else {
            return Ok(());
        };
        let communication = &setup.communication;
        let (Some(from), Some(template)) = (
            communication.mail_from.clone(),
            communication
                .email_templates
                .iter()
                .find(|t| t.name == *name),
        ) else {
            // The setup's check refuses this; a setup stored before it is sent nothing.
            return Ok(());
        };
        let customer = uow
            .customer(event.customer())
            .await?
            .ok_or(AppError::NotFound("customer"))?;
        let subject = sms::render_in(&template.subject, &customer, context);
        let (payload, failed) = match customer.details().email.clone() {
            Some(to) => (
                OutboxPayload::Email(EmailMessage {
                    from,
                    to,
                    subject,
                    html: sms::render_html_in(&template.body, &customer, context),
                    account: communication.mail_account.clone(),
                }),
                None,
            ),
            None => (
                OutboxPayload::UnaddressedEmail { from, subject },
                Some(NO_EMAIL_ADDRESS),
            ),
        };
        self.enqueue_for(uow, assignment, event, payload, failed, now)
            .await
            .map(drop)
    }

    /// My Work: the seller's personal follow-ups and the shared ones due by the end of today
    /// (the organisation's local day), in the assignments they may work, overdue ones first;
    /// and their own personal follow-ups of the coming week.
    pub async fn my_work(&self, who: impl Into<Acting<'_>>) -> AppResult<MyWork> {
        let now = self.now();
        let mut uow = self.begin_read().await?;
        let user = acting(uow.as_mut(), who.into()).await?;
        let zone = self.zones.of(uow.as_mut(), user.organisation).await?;
        let today = zone.date_of(now);
        let workable: Vec<AssignmentId> = uow
            .assignments(user.organisation)
            .await?
            .iter()
            .filter(|a| access::authorize(&user, Permission::WorkAssignment(a), today).is_ok())
            .map(Assignment::id)
            .collect();
        let follow_ups = uow
            .follow_ups(&workable, user.id, MyWork::horizon(now, &zone))
            .await?;
        let follow_ups = self.without_lasting_bars(uow.as_mut(), follow_ups).await?;
        Ok(MyWork::of(user.id, now, &zone, &follow_ups))
    }

    /// `follow_ups` without the customers a lasting bar of the contact policy keeps from
    /// ever being called (the do-not-call list, a reservation while their data owner uses the
    /// register): My Work does not offer a call that would be refused.
    async fn without_lasting_bars(
        &self,
        uow: &mut dyn ReadUnit,
        follow_ups: Vec<Enrollment>,
    ) -> AppResult<Vec<Enrollment>> {
        let ids: Vec<CustomerId> = follow_ups.iter().map(Enrollment::customer).collect();
        let mut barred = std::collections::HashSet::new();
        for customer in uow.customers_by_id(&ids).await? {
            let facts = customer.contact_facts();
            if facts.block.is_none() {
                continue;
            }
            let rules = self.contact_rules_of(uow, customer.data_owner()).await?;
            if facts.lasting_bar(rules.reservation_register).is_some() {
                barred.insert(customer.id());
            }
        }
        Ok(follow_ups
            .into_iter()
            .filter(|e| !barred.contains(&e.customer()))
            .collect())
    }

    /// An external system (e.g. a CRM) moves a customer to the state named `state_name` in
    /// every assignment of the caller's organisation where the flow has such a state (a
    /// customer who ordered on their own is excluded everywhere at once). Answers for every
    /// assignment the customer is in: moved, already there (a retry of the same change is a
    /// success that changes nothing), or no such state (the customer stays callable there,
    /// and the integration is told so). Refused only when no assignment has the state.
    pub async fn external_state_change(
        &self,
        who: impl Into<Acting<'_>>,
        customer_id: CustomerId,
        state_name: &str,
    ) -> AppResult<Vec<ExternalChange>> {
        let now = self.now();
        let mut uow = self.begin().await?;
        let user = acting(uow.as_mut(), who.into()).await?;
        let customer = uow
            .customer(customer_id)
            .await?
            .ok_or(AppError::NotFound("customer"))?;
        // Another organisation's customer is "customer not found", word for word what an
        // unknown id gets (found from outside: "data owner not found" told that it exists).
        crate::setup::managed_owner(uow.as_mut(), &user, customer.data_owner(), now.date())
            .await
            .map_err(|e| crate::setup::not_found_as(e, "customer"))?;
        let mut changes = Vec::new();
        for enrollment in uow.enrollments_of_customer(customer_id).await? {
            let assignment = uow
                .assignment(enrollment.assignment())
                .await?
                .ok_or(AppError::NotFound("assignment"))?;
            let flow = flow_of(&self.flows, uow.as_mut(), &assignment).await?;
            let unchanged = |outcome| ExternalChange {
                assignment: enrollment.assignment(),
                enrollment: enrollment.id(),
                state: enrollment.state(),
                outcome,
            };
            let Some(state) = flow.state_named(state_name).map(|s| s.id) else {
                changes.push(unchanged(ExternalOutcome::NoSuchState));
                continue;
            };
            if state == enrollment.state() {
                changes.push(unchanged(ExternalOutcome::AlreadyThere));
                continue;
            }
            if let Some((event, next)) =
                outcome::external_state_change(&enrollment, &flow, state, now, self.new_id())
            {
                uow.append_event(&event, None).await?;
                uow.update_enrollment(&next).await?;
                self.enqueue_webhooks(uow.as_mut(), user.organisation, &assignment, &event)
                    .await?;
                changes.push(ExternalChange {
                    assignment: enrollment.assignment(),
                    enrollment: enrollment.id(),
                    state,
                    outcome: ExternalOutcome::Moved(Box::new(event)),
                });
            }
        }
        if changes
            .iter()
            .all(|c| c.outcome == ExternalOutcome::NoSuchState)
        {
            return Err(WorkError::NoStateNamed {
                state: state_name.to_owned(),
            }
            .into());
        }
        uow.commit().await?;
        Ok(changes)
    }
}

/// What an external state change did in one assignment of the customer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExternalChange {
    /// The assignment.
    pub assignment: AssignmentId,
    /// The customer's enrollment in it.
    pub enrollment: EnrollmentId,
    /// The customer's state there now.
    pub state: StateId,
    /// What happened.
    pub outcome: ExternalOutcome,
}

/// Moved, already there, or no such state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExternalOutcome {
    /// Moved to the state: the entry appended to the outcome log.
    Moved(Box<OutcomeEvent>),
    /// Already in the state: nothing changed (an integration retrying is answered so).
    AlreadyThere,
    /// The assignment's flow has no state of that name: the customer stays where it is.
    NoSuchState,
}

/// The user's earlier registration under `key`, if any, as a replayed result; refused when
/// that one was a different request.
async fn replay(
    uow: &mut dyn ReadUnit,
    assignment: &Assignment,
    user: UserId,
    key: &IdempotencyKey,
    enrollment: &Enrollment,
) -> AppResult<Option<Registered>> {
    let Some(first) = uow.event_by_key(assignment.id(), user, &key.key).await? else {
        return Ok(None);
    };
    first.check_retry(enrollment.id(), &key.fingerprint)?;
    let event = first.event;
    let meeting = match event.meeting() {
        Some(id) => uow.meeting(id).await?,
        None => None,
    };
    let current = uow
        .enrollment(enrollment.id())
        .await?
        .unwrap_or_else(|| enrollment.clone());
    Ok(Some(Registered {
        event,
        enrollment: current,
        meeting,
        replayed: true,
    }))
}

/// Puts the customer on the data owner's do-not-call list when the outcome is one the setup
/// says does (`AssignmentSetup::do_not_call_on`: "never call me again"), in the
/// registration's unit, recorded in the customer's changes; a customer already on the list
/// keeps the first entry.
async fn list_do_not_call(
    uow: &mut dyn UnitOfWork,
    assignment: &Assignment,
    flow: &cube_domain::flow::PublishedFlow,
    event: &OutcomeEvent,
    now: OffsetDateTime,
) -> AppResult<()> {
    let Some(outcome) = event
        .outcome()
        .filter(|o| assignment.setup().do_not_call_on.contains(o))
    else {
        return Ok(());
    };
    let mut customer = uow
        .customer(event.customer())
        .await?
        .ok_or(AppError::NotFound("customer"))?;
    if customer.contact().do_not_call.is_some() {
        return Ok(());
    }
    let name = flow
        .outcome(outcome)
        .map_or_else(|| outcome.to_string(), |o| o.name.to_string());
    let entry = cube_domain::contact_policy::standing::DoNotCall::new(
        now,
        event.user(),
        &format!("outcome «{name}»"),
    )?;
    customer.set_do_not_call(Some(entry));
    uow.save_customer(&customer).await?;
    if let Some(user) = event.user() {
        uow.record_customer_change(&cube_domain::customer::CustomerChange {
            customer: customer.id(),
            user,
            at: now,
            what: cube_domain::customer::Change::DoNotCall {
                reason: customer
                    .contact()
                    .do_not_call
                    .as_ref()
                    .map(|e| e.reason.clone()),
            },
        })
        .await?;
    }
    Ok(())
}

/// Why a seller's queue is what it is ([`Cube::queue_explanation`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QueueExplanation {
    /// The instant counted at.
    pub at: time::OffsetDateTime,
    /// The assignment's customers by why each is or is not the seller's to take now.
    pub census: cube_domain::queue::census::QueueCensus,
    /// The activity limit set as a hard stop that is reached: nobody is handed out.
    pub hard_stop: Option<cube_domain::assignment::setup::LimitMetric>,
    /// Why no consumer (B2C customer) may be called now: outside the call windows (until
    /// when), or the data owner's register not washed this month; `None` when they may.
    pub consumers: Option<cube_domain::contact_policy::standing::Barred>,
}

/// Whether the outcome of `event` sends the customer anything (an SMS flow or an e-mail).
fn sends_message(assignment: &Assignment, event: &OutcomeEvent) -> bool {
    let setup = assignment.setup();
    event.outcome().is_some_and(|outcome| {
        setup.sms_flows.contains_key(&outcome) || setup.email_on_outcome.contains_key(&outcome)
    })
}
