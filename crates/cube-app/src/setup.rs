//! Setting up the work: data owners (controller, purposes, CRM fields), products, calendars,
//! flows (draft, publish, edit, copy) and assignments (setup, flow switch, segments). The
//! reads that serve these edits (catalogue, calendars, a flow's draft and versions, an
//! assignment's setup) are in `reads`.

use crate::flows::flow_of;
use crate::revision::{Revision, expect_revision};
use crate::{Acting, AppError, AppResult, Cube, Need, acting};
use cube_domain::access::{self, Permission, User};
use cube_domain::assignment::setup::{AssignmentSetup, Segment};
use cube_domain::assignment::{Assignment, AssignmentError};
use cube_domain::data_owner::{Controller, DataOwner, Dataset, ImportMapping, ProcessingPurpose};
use cube_domain::fields::FieldDefinition;
use cube_domain::flow::{
    FlowDraft, FlowProblem, FlowVersion, Outcome, PublishedFlow, State, StateMapping, SwitchPlan,
};
use cube_domain::ids::{
    AssignmentId, CalendarId, ClientId, DataOwnerId, FlowId, OutcomeId, ProductId, SegmentId,
    StateId, UserId,
};
use cube_domain::meeting::Calendar;
use cube_domain::ports::{ReadUnit, StoreError};
use cube_domain::product::{Currency, Product};
use cube_domain::sale_confirmation::{ConfirmationChannel, ConfirmationSetupError};
use cube_domain::values::{Name, PhoneRegion};
use rust_decimal::Decimal;
use std::collections::{BTreeMap, BTreeSet};

mod reads;

/// An assignment with what working it takes; see `Cube::assignment_overview`.
#[derive(Debug, Clone, PartialEq)]
pub struct AssignmentOverview {
    /// The assignment and its setup.
    pub assignment: Assignment,
    /// Its published flow.
    pub flow: PublishedFlow,
    /// The active products it sells, by name.
    pub products: Vec<Product>,
    /// The calendars meetings are booked in.
    pub calendars: Vec<Calendar>,
}

/// A flow's content as edited.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlowContent {
    /// The name.
    pub name: String,
    /// The initial state.
    pub initial: StateId,
    /// The states.
    pub states: Vec<State>,
    /// The outcomes.
    pub outcomes: Vec<Outcome>,
}

impl From<FlowDraft> for FlowContent {
    /// A draft's content, to create a flow from it (a seed flow, a flow copied from another
    /// store): its id, data owner and version are the new flow's own.
    fn from(draft: FlowDraft) -> Self {
        Self {
            name: draft.name.to_string(),
            initial: draft.initial,
            states: draft.states,
            outcomes: draft.outcomes,
        }
    }
}

/// A new product as asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewProduct {
    /// The name.
    pub name: String,
    /// The product code.
    pub code: String,
    /// The list price of one unit.
    pub unit_price: Decimal,
    /// ISO 4217 currency.
    pub currency: String,
}

/// The result of switching an assignment's flow.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlowSwitch {
    /// The assignment after the switch.
    pub assignment: Assignment,
    /// The flow version it used before.
    pub from: PublishedFlow,
    /// The flow version it uses now.
    pub to: PublishedFlow,
    /// Where each old state's customers went, and how each state was placed.
    pub mapping: StateMapping,
    /// How many customers each old state held at the switch.
    pub customers: BTreeMap<StateId, usize>,
    /// How many enrollments changed state.
    pub moved: usize,
}

/// Loads a data owner and checks the user may manage it.
pub(crate) async fn managed_owner(
    uow: &mut dyn ReadUnit,
    user: &User,
    id: DataOwnerId,
    today: time::Date,
) -> AppResult<DataOwner> {
    let owner = uow
        .data_owner(id)
        .await?
        .ok_or(AppError::NotFound("data owner"))?;
    access::authorize(
        user,
        Permission::ManageDataOwner(owner.organisation(), owner.id()),
        today,
    )
    .map_err(|e| AppError::access(e, "data owner"))?;
    Ok(owner)
}

/// A product of a data owner the user may manage.
async fn managed_product(
    uow: &mut dyn ReadUnit,
    user: &User,
    id: ProductId,
    today: time::Date,
) -> AppResult<Product> {
    let product = uow
        .product(id)
        .await?
        .ok_or(AppError::NotFound("product"))?;
    managed_owner(uow, user, product.data_owner(), today).await?;
    Ok(product)
}

/// A published flow of a data owner the user may manage; "flow not found" otherwise, word
/// for word what a missing one gets.
pub(crate) async fn managed_flow(
    uow: &mut dyn ReadUnit,
    user: &User,
    version: FlowVersion,
    today: time::Date,
) -> AppResult<PublishedFlow> {
    let flow = uow
        .published_flow(version)
        .await?
        .ok_or(AppError::NotFound("flow"))?;
    managed_owner(uow, user, flow.data_owner(), today)
        .await
        .map_err(flow_not_found)?;
    Ok(flow)
}

impl Cube {
    /// Creates a data owner (admins) whose customers' phone numbers without a country code
    /// are Norwegian.
    pub async fn create_data_owner(
        &self,
        who: impl Into<Acting<'_>>,
        name: &str,
    ) -> AppResult<DataOwner> {
        self.create_data_owner_in(who, name, PhoneRegion::default())
            .await
    }

    /// Creates a data owner (admins) whose customers' phone numbers without a country code
    /// are read in `region`.
    pub async fn create_data_owner_in(
        &self,
        who: impl Into<Acting<'_>>,
        name: &str,
        region: PhoneRegion,
    ) -> AppResult<DataOwner> {
        let mut uow = self.begin().await?;
        let user = acting(uow.as_mut(), who.into()).await?;
        access::authorize(&user, Permission::ManageOrganisation, self.now().date())
            .map_err(|e| AppError::access(e, "organisation"))?;
        let name = Name::parse(name).map_err(|e| e.at("name"))?;
        let mut owner = DataOwner::new(self.new_id(), user.organisation, name);
        owner.set_phone_region(region);
        uow.save_data_owner(&owner).await?;
        uow.commit().await?;
        Ok(owner)
    }

    /// Sets the controller details and processing purposes. With `expected`, only if the data
    /// owner is still at that revision ([`Revision::of`] the data owner).
    pub async fn set_gdpr_details(
        &self,
        who: impl Into<Acting<'_>>,
        owner_id: DataOwnerId,
        controller: Controller,
        purposes: Vec<ProcessingPurpose>,
        expected: Option<&Revision>,
    ) -> AppResult<DataOwner> {
        self.change_data_owner(who, owner_id, expected, |owner| {
            owner.set_controller(controller.cleaned()?);
            owner.set_purposes(purposes);
            Ok(())
        })
        .await
    }

    /// Replaces a dataset's optional CRM field definitions. With `expected`, only if the data
    /// owner is still at that revision ([`Revision::of`] the data owner).
    pub async fn set_crm_fields(
        &self,
        who: impl Into<Acting<'_>>,
        owner_id: DataOwnerId,
        dataset: Dataset,
        fields: Vec<FieldDefinition>,
        expected: Option<&Revision>,
    ) -> AppResult<DataOwner> {
        self.change_data_owner(who, owner_id, expected, |owner| {
            owner.set_fields(dataset, fields)?;
            Ok(())
        })
        .await
    }

    /// Changes a data owner the user may manage, in one unit: `change` edits it, and the
    /// result is saved only if `change` succeeds (and, with `expected`, only if the data
    /// owner is still at that revision).
    async fn change_data_owner(
        &self,
        who: impl Into<Acting<'_>>,
        owner_id: DataOwnerId,
        expected: Option<&Revision>,
        change: impl FnOnce(&mut DataOwner) -> AppResult<()>,
    ) -> AppResult<DataOwner> {
        let mut uow = self.begin().await?;
        let user = acting(uow.as_mut(), who.into()).await?;
        let mut owner = managed_owner(uow.as_mut(), &user, owner_id, self.now().date()).await?;
        expect_revision(expected, &owner, "data owner")?;
        change(&mut owner)?;
        uow.save_data_owner(&owner).await?;
        uow.commit().await?;
        Ok(owner)
    }

    /// Saves a customer file's choices under `name` for a data owner the user may manage,
    /// replacing one of that name in any case (issue 16). The columns are kept as written:
    /// the file reader (`cube_sheets`) checks them before this is called and when a file is
    /// read. The caller sends no revision, so a data owner changed meanwhile by another unit
    /// is read again and the mapping saved on it (a few times, then `Conflict`).
    pub async fn save_import_mapping(
        &self,
        who: impl Into<Acting<'_>>,
        owner_id: DataOwnerId,
        name: Name,
        mapping: ImportMapping,
    ) -> AppResult<DataOwner> {
        let who = who.into();
        self.on_the_latest_data_owner(|| {
            self.change_data_owner(who, owner_id, None, |owner| {
                owner.save_import_mapping(name.clone(), mapping.clone())?;
                Ok(())
            })
        })
        .await
    }

    /// Deletes the saved mapping `name` (in any case) of a data owner the user may manage;
    /// not found when there is none of that name. Retried on a concurrent change, as a save.
    pub async fn delete_import_mapping(
        &self,
        who: impl Into<Acting<'_>>,
        owner_id: DataOwnerId,
        name: &Name,
    ) -> AppResult<DataOwner> {
        let who = who.into();
        self.on_the_latest_data_owner(|| {
            self.change_data_owner(who, owner_id, None, |owner| {
                if owner.delete_import_mapping(name) {
                    Ok(())
                } else {
                    Err(AppError::NotFound("saved mapping"))
                }
            })
        })
        .await
    }

    /// Runs a change of a data owner that names no revision again while another unit's
    /// change got there first (the store's `Conflict`), at most five times.
    async fn on_the_latest_data_owner<F, Fut>(&self, change: F) -> AppResult<DataOwner>
    where
        F: Fn() -> Fut,
        Fut: Future<Output = AppResult<DataOwner>>,
    {
        const TRIES: usize = 5;
        let mut tried = 1;
        loop {
            match change().await {
                Err(AppError::Store(StoreError::Conflict(_))) if tried < TRIES => tried += 1,
                done => return done,
            }
        }
    }

    /// One data owner the user may manage.
    pub async fn data_owner(
        &self,
        who: impl Into<Acting<'_>>,
        owner_id: DataOwnerId,
    ) -> AppResult<DataOwner> {
        let mut uow = self.begin_read().await?;
        let user = acting(uow.as_mut(), who.into()).await?;
        managed_owner(uow.as_mut(), &user, owner_id, self.now().date()).await
    }

    /// The data owners the user may manage.
    pub async fn data_owners(&self, who: impl Into<Acting<'_>>) -> AppResult<Vec<DataOwner>> {
        let mut uow = self.begin_read().await?;
        let user = acting(uow.as_mut(), who.into()).await?;
        let today = self
            .today_of(uow.as_mut(), user.organisation, self.now())
            .await?;
        let all = uow.data_owners(user.organisation).await?;
        Ok(all
            .into_iter()
            .filter(|o| {
                access::authorize(
                    &user,
                    Permission::ManageDataOwner(o.organisation(), o.id()),
                    today,
                )
                .is_ok()
            })
            .collect())
    }

    /// Adds a product to the catalogue.
    pub async fn create_product(
        &self,
        who: impl Into<Acting<'_>>,
        owner_id: DataOwnerId,
        new: NewProduct,
    ) -> AppResult<Product> {
        let mut uow = self.begin().await?;
        let user = acting(uow.as_mut(), who.into()).await?;
        let owner = managed_owner(uow.as_mut(), &user, owner_id, self.now().date()).await?;
        let product = Product::new(
            self.new_id(),
            owner.id(),
            Name::parse(&new.name)?,
            &new.code,
            new.unit_price,
            Currency::parse(&new.currency)?,
        )?;
        uow.save_product(&product).await?;
        uow.commit().await?;
        Ok(product)
    }

    /// Changes a product's name, code and list price (its currency too). What was sold keeps
    /// the price it was sold at; offers and sales registered from now on take the new one. A
    /// code another product of the data owner has is a conflict.
    pub async fn update_product(
        &self,
        who: impl Into<Acting<'_>>,
        product_id: ProductId,
        change: NewProduct,
    ) -> AppResult<Product> {
        let mut uow = self.begin().await?;
        let user = acting(uow.as_mut(), who.into()).await?;
        let mut product =
            managed_product(uow.as_mut(), &user, product_id, self.now().date()).await?;
        product.edit(
            Name::parse(&change.name)?,
            &change.code,
            change.unit_price,
            Currency::parse(&change.currency)?,
        )?;
        uow.save_product(&product).await?;
        uow.commit().await?;
        Ok(product)
    }

    /// Stops or resumes selling a product.
    pub async fn set_product_active(
        &self,
        who: impl Into<Acting<'_>>,
        product_id: ProductId,
        active: bool,
    ) -> AppResult<Product> {
        let mut uow = self.begin().await?;
        let user = acting(uow.as_mut(), who.into()).await?;
        let mut product =
            managed_product(uow.as_mut(), &user, product_id, self.now().date()).await?;
        product.set_active(active);
        uow.save_product(&product).await?;
        uow.commit().await?;
        Ok(product)
    }

    /// Creates a calendar.
    pub async fn create_calendar(
        &self,
        who: impl Into<Acting<'_>>,
        owner_id: DataOwnerId,
        name: &str,
        allows_overlap: bool,
    ) -> AppResult<Calendar> {
        let mut uow = self.begin().await?;
        let user = acting(uow.as_mut(), who.into()).await?;
        let owner = managed_owner(uow.as_mut(), &user, owner_id, self.now().date()).await?;
        let calendar = Calendar {
            id: self.new_id(),
            data_owner: owner.id(),
            name: Name::parse(name)?,
            allows_overlap,
            opening_hours: Vec::new(),
            active: true,
        };
        uow.save_calendar(&calendar).await?;
        uow.commit().await?;
        Ok(calendar)
    }

    /// Starts a new flow as a draft (version 1).
    pub async fn create_flow(
        &self,
        who: impl Into<Acting<'_>>,
        owner_id: DataOwnerId,
        content: FlowContent,
    ) -> AppResult<FlowDraft> {
        let mut uow = self.begin().await?;
        let user = acting(uow.as_mut(), who.into()).await?;
        let owner = managed_owner(uow.as_mut(), &user, owner_id, self.now().date()).await?;
        let draft = FlowDraft {
            id: self.new_id(),
            data_owner: owner.id(),
            version: 1,
            name: Name::parse(&content.name)?,
            initial: content.initial,
            states: content.states,
            outcomes: content.outcomes,
        };
        uow.save_flow_draft(&draft).await?;
        uow.commit().await?;
        Ok(draft)
    }

    /// Replaces a draft's content; the draft may be invalid until it is published. With
    /// `expected`, only if the draft is still at that revision ([`Revision::of`] the draft).
    pub async fn update_flow_draft(
        &self,
        who: impl Into<Acting<'_>>,
        flow_id: FlowId,
        content: FlowContent,
        expected: Option<&Revision>,
    ) -> AppResult<FlowDraft> {
        let mut uow = self.begin().await?;
        let user = acting(uow.as_mut(), who.into()).await?;
        let mut draft = self.editable_draft(uow.as_mut(), &user, flow_id).await?;
        expect_revision(expected, &draft, "flow draft")?;
        draft.name = Name::parse(&content.name)?;
        draft.initial = content.initial;
        draft.states = content.states;
        draft.outcomes = content.outcomes;
        uow.save_flow_draft(&draft).await?;
        uow.commit().await?;
        Ok(draft)
    }

    /// The problems that stop a draft from being published (empty: it can be).
    pub async fn check_flow_draft(
        &self,
        who: impl Into<Acting<'_>>,
        flow_id: FlowId,
    ) -> AppResult<Vec<FlowProblem>> {
        let mut uow = self.begin_read().await?;
        let user = acting(uow.as_mut(), who.into()).await?;
        let draft = self.editable_draft(uow.as_mut(), &user, flow_id).await?;
        Ok(draft.problems())
    }

    /// Publishes the flow's draft as a frozen version.
    pub async fn publish_flow(
        &self,
        who: impl Into<Acting<'_>>,
        flow_id: FlowId,
    ) -> AppResult<PublishedFlow> {
        let mut uow = self.begin().await?;
        let user = acting(uow.as_mut(), who.into()).await?;
        let draft = uow
            .flow_draft(flow_id)
            .await?
            .ok_or(AppError::NotFound("flow draft"))?;
        managed_owner(uow.as_mut(), &user, draft.data_owner, self.now().date()).await?;
        let published = draft.publish()?;
        uow.save_published_flow(&published).await?;
        uow.delete_flow_draft(flow_id).await?;
        uow.commit().await?;
        Ok(published)
    }

    /// Copies a published flow into a new, independent draft (so a flow shared by several
    /// assignments can be changed for one of them).
    pub async fn copy_flow(
        &self,
        who: impl Into<Acting<'_>>,
        version: FlowVersion,
        name: &str,
    ) -> AppResult<FlowDraft> {
        let mut uow = self.begin().await?;
        let user = acting(uow.as_mut(), who.into()).await?;
        let flow = managed_flow(uow.as_mut(), &user, version, self.now().date()).await?;
        let copy = flow.copy(self.new_id(), Name::parse(name)?);
        uow.save_flow_draft(&copy).await?;
        uow.commit().await?;
        Ok(copy)
    }

    /// The newest published versions of the data owner's flows.
    pub async fn flows(
        &self,
        who: impl Into<Acting<'_>>,
        owner_id: DataOwnerId,
    ) -> AppResult<Vec<PublishedFlow>> {
        let mut uow = self.begin_read().await?;
        let user = acting(uow.as_mut(), who.into()).await?;
        managed_owner(uow.as_mut(), &user, owner_id, self.now().date()).await?;
        Ok(uow.published_flows(owner_id).await?)
    }

    /// The flow's draft; editing a published flow without a draft starts the next version.
    async fn editable_draft(
        &self,
        uow: &mut dyn ReadUnit,
        user: &User,
        flow_id: FlowId,
    ) -> AppResult<FlowDraft> {
        let draft = match uow.flow_draft(flow_id).await? {
            Some(draft) => draft,
            None => uow
                .latest_published_flow(flow_id)
                .await?
                .ok_or(AppError::NotFound("flow"))?
                .new_draft(),
        };
        managed_owner(uow, user, draft.data_owner, self.now().date())
            .await
            .map_err(flow_not_found)?;
        Ok(draft)
    }

    /// Creates an assignment on a published flow of the data owner.
    pub async fn create_assignment(
        &self,
        who: impl Into<Acting<'_>>,
        owner_id: DataOwnerId,
        name: &str,
        flow: FlowVersion,
        client: Option<ClientId>,
    ) -> AppResult<Assignment> {
        let mut uow = self.begin().await?;
        let user = acting(uow.as_mut(), who.into()).await?;
        let owner = managed_owner(uow.as_mut(), &user, owner_id, self.now().date()).await?;
        let flow = owned_flow(uow.as_mut(), flow, owner.id()).await?;
        let mut assignment = Assignment::new(
            self.new_id(),
            owner.organisation(),
            owner.id(),
            Name::parse(name)?,
            &flow,
        )?;
        assignment.set_client(client);
        uow.save_assignment(&assignment).await?;
        uow.commit().await?;
        Ok(assignment)
    }

    /// One assignment the user may see.
    pub async fn assignment(
        &self,
        who: impl Into<Acting<'_>>,
        id: AssignmentId,
    ) -> AppResult<Assignment> {
        let mut uow = self.begin_read().await?;
        let user = acting(uow.as_mut(), who.into()).await?;
        let assignment = uow
            .assignment(id)
            .await?
            .ok_or(AppError::NotFound("assignment"))?;
        let today = self
            .today_of(uow.as_mut(), user.organisation, self.now())
            .await?;
        if access::can_see(&user, &assignment, today) {
            Ok(assignment)
        } else {
            Err(AppError::NotFound("assignment"))
        }
    }

    /// One assignment the user may see, with what working it takes: its published flow (the
    /// states and outcomes), the products it sells that are active (by name), and the
    /// calendars its meetings are booked in (in setup order).
    pub async fn assignment_overview(
        &self,
        who: impl Into<Acting<'_>>,
        id: AssignmentId,
    ) -> AppResult<AssignmentOverview> {
        self.overview(who.into(), id, None).await
    }

    /// The overview of an assignment the user may work as a seller (the seller's workspace
    /// in the web app): refused like "next customer" is for anyone else.
    pub async fn work_overview(
        &self,
        who: impl Into<Acting<'_>>,
        id: AssignmentId,
    ) -> AppResult<AssignmentOverview> {
        self.overview(who.into(), id, Some(Need::Work)).await
    }

    /// The assignments the user may work as a seller today (what "next customer" serves).
    pub async fn workable_assignments(
        &self,
        who: impl Into<Acting<'_>>,
    ) -> AppResult<Vec<Assignment>> {
        let mut uow = self.begin_read().await?;
        let user = acting(uow.as_mut(), who.into()).await?;
        let today = self
            .today_of(uow.as_mut(), user.organisation, self.now())
            .await?;
        Ok(uow
            .assignments(user.organisation)
            .await?
            .into_iter()
            .filter(|a| access::authorize(&user, Need::Work.on(a), today).is_ok())
            .collect())
    }

    async fn overview(
        &self,
        who: Acting<'_>,
        id: AssignmentId,
        need: Option<Need>,
    ) -> AppResult<AssignmentOverview> {
        let mut uow = self.begin_read().await?;
        let user = acting(uow.as_mut(), who).await?;
        let assignment = match need {
            Some(need) => {
                self.assignment_for(uow.as_mut(), &user, id, need, self.now())
                    .await?
            }
            None => {
                let assignment = uow
                    .assignment(id)
                    .await?
                    .ok_or(AppError::NotFound("assignment"))?;
                let today = self
                    .today_of(uow.as_mut(), user.organisation, self.now())
                    .await?;
                if !access::can_see(&user, &assignment, today) {
                    return Err(AppError::NotFound("assignment"));
                }
                assignment
            }
        };
        let flow = flow_of(&self.flows, uow.as_mut(), &assignment).await?;
        // The data owner's catalogue in one read (not one read per offered product).
        let offered = &assignment.setup().products.available;
        let mut products: Vec<_> = uow
            .products(assignment.data_owner())
            .await?
            .into_iter()
            .filter(|p| p.active() && offered.contains(&p.id()))
            .collect();
        products.sort_by(|a, b| a.name().cmp(b.name()).then(a.id().cmp(&b.id())));
        let mut calendars = Vec::new();
        for calendar in &assignment.setup().calendars {
            if let Some(calendar) = uow.calendar(*calendar).await? {
                calendars.push(calendar);
            }
        }
        Ok(AssignmentOverview {
            assignment,
            flow: PublishedFlow::clone(&flow),
            products,
            calendars,
        })
    }

    /// The assignments the user may see.
    pub async fn assignments(&self, who: impl Into<Acting<'_>>) -> AppResult<Vec<Assignment>> {
        let mut uow = self.begin_read().await?;
        let user = acting(uow.as_mut(), who.into()).await?;
        let today = self
            .today_of(uow.as_mut(), user.organisation, self.now())
            .await?;
        Ok(uow
            .assignments(user.organisation)
            .await?
            .into_iter()
            .filter(|a| access::can_see(&user, a, today))
            .collect())
    }

    /// Replaces the assignment's setup; effective at once for everyone working it. With
    /// `expected`, only if the setup is still at that revision ([`Revision::of`] the setup).
    pub async fn update_assignment_setup(
        &self,
        who: impl Into<Acting<'_>>,
        id: AssignmentId,
        setup: AssignmentSetup,
        expected: Option<&Revision>,
    ) -> AppResult<Assignment> {
        let mut uow = self.begin().await?;
        let user = acting(uow.as_mut(), who.into()).await?;
        let now = self.now();
        let mut assignment = self
            .assignment_for(uow.as_mut(), &user, id, Need::Manage, now)
            .await?;
        expect_revision(expected, assignment.setup(), "assignment setup")?;
        setup
            .communication
            .check_mail_account(&self.mail_accounts)?;
        if setup
            .sale_confirmation
            .as_ref()
            .is_some_and(|c| c.channel == ConfirmationChannel::Email)
            && self.public_url.is_none()
        {
            return Err(AssignmentError::from(ConfirmationSetupError::NoPublicUrl).into());
        }
        let flow = flow_of(&self.flows, uow.as_mut(), &assignment).await?;
        self.check_setup_references(uow.as_mut(), &assignment, &setup)
            .await?;
        check_templates(uow.as_mut(), &assignment, &flow, &setup).await?;
        assignment.set_setup(setup, &flow)?;
        uow.save_assignment(&assignment).await?;
        uow.commit().await?;
        Ok(assignment)
    }

    /// Products and calendars named in a setup must be the data owner's; the users it is
    /// visible to must be users of the assignment's organisation.
    async fn check_setup_references(
        &self,
        uow: &mut dyn ReadUnit,
        assignment: &Assignment,
        setup: &AssignmentSetup,
    ) -> AppResult<()> {
        if setup.visibility.users.is_some() {
            let members: BTreeSet<UserId> = uow
                .users(assignment.organisation())
                .await?
                .into_iter()
                .map(|u| u.id)
                .collect();
            setup
                .visibility
                .check_users(|user| members.contains(&user))?;
        }
        for product_id in &setup.products.available {
            let product = uow.product(*product_id).await?;
            if product.is_none_or(|p| p.data_owner() != assignment.data_owner()) {
                return Err(AssignmentError::ProductNotInCatalogue(*product_id).into());
            }
        }
        for calendar_id in &setup.calendars {
            let calendar: Option<Calendar> = uow.calendar(*calendar_id).await?;
            if calendar.is_none_or(|c| c.data_owner != assignment.data_owner()) {
                return Err(AssignmentError::CalendarOfAnotherDataOwner(*calendar_id).into());
            }
        }
        Ok(())
    }

    /// Adds a segment (last in priority order) and returns its id.
    pub async fn add_segment(
        &self,
        who: impl Into<Acting<'_>>,
        id: AssignmentId,
        name: &str,
    ) -> AppResult<SegmentId> {
        let mut uow = self.begin().await?;
        let user = acting(uow.as_mut(), who.into()).await?;
        let mut assignment = self
            .assignment_for(uow.as_mut(), &user, id, Need::Manage, self.now())
            .await?;
        let name = Name::parse(name)?;
        if assignment.setup().segment_named(&name).is_some() {
            return Err(AssignmentError::SegmentNameTaken(name).into());
        }
        let flow = flow_of(&self.flows, uow.as_mut(), &assignment).await?;
        let segment = Segment {
            id: self.new_id(),
            name,
        };
        let mut setup = assignment.setup().clone();
        setup.segments.push(segment.clone());
        assignment.set_setup(setup, &flow)?;
        uow.save_assignment(&assignment).await?;
        uow.commit().await?;
        Ok(segment.id)
    }

    /// Switches the assignment to another published flow: setup entries of outcomes the new
    /// flow lacks are dropped, and every enrollment moves to the state `plan` names for its
    /// state, else the state of the same id, name or category (`PublishedFlow::plan_switch`).
    /// Refused, changing nothing, when a state holding customers has no place. The answer
    /// says where each state went and how many customers each state had.
    pub async fn switch_flow(
        &self,
        who: impl Into<Acting<'_>>,
        id: AssignmentId,
        to: FlowVersion,
        plan: &SwitchPlan,
    ) -> AppResult<FlowSwitch> {
        let mut uow = self.begin().await?;
        let user = acting(uow.as_mut(), who.into()).await?;
        let mut assignment = self
            .assignment_for(uow.as_mut(), &user, id, Need::Manage, self.now())
            .await?;
        let current = flow_of(&self.flows, uow.as_mut(), &assignment).await?;
        let target = owned_flow(uow.as_mut(), to, assignment.data_owner()).await?;
        let enrollments = uow.enrollments(id).await?;
        let mut customers: BTreeMap<StateId, usize> = BTreeMap::new();
        for enrollment in &enrollments {
            *customers.entry(enrollment.state()).or_default() += 1;
        }
        let populated = customers.keys().copied().collect();
        let mapping = assignment.switch_flow(&current, &target, plan, &populated)?;
        let mut moved = 0;
        for mut enrollment in enrollments {
            // Every populated state has a place: `switch_flow` refused the switch otherwise.
            let Some(new_state) = mapping.target(enrollment.state()) else {
                continue;
            };
            if new_state != enrollment.state()
                || target.category(new_state) != enrollment.category()
            {
                enrollment.remap_state(new_state, target.category(new_state));
                uow.update_enrollment(&enrollment).await?;
                moved += 1;
            }
        }
        uow.save_assignment(&assignment).await?;
        uow.commit().await?;
        Ok(FlowSwitch {
            assignment,
            from: PublishedFlow::clone(&current),
            to: target,
            mapping,
            customers,
            moved,
        })
    }

    /// A calendar of a data owner the user may manage.
    pub async fn calendar(
        &self,
        who: impl Into<Acting<'_>>,
        id: CalendarId,
    ) -> AppResult<Calendar> {
        let mut uow = self.begin_read().await?;
        let user = acting(uow.as_mut(), who.into()).await?;
        let calendar = uow
            .calendar(id)
            .await?
            .ok_or(AppError::NotFound("calendar"))?;
        managed_owner(uow.as_mut(), &user, calendar.data_owner, self.now().date())
            .await
            .map_err(|e| not_found_as(e, "calendar"))?;
        Ok(calendar)
    }
}

/// Another organisation's flow is "flow not found" (not the data owner behind it).
fn flow_not_found(error: AppError) -> AppError {
    not_found_as(error, "flow")
}

/// A resource reached through a data owner the user may not see is "`what` not found",
/// word for word what a missing one gets: naming the data owner would tell it exists.
pub(crate) fn not_found_as(error: AppError, what: &'static str) -> AppError {
    match error {
        AppError::NotFound(_) => AppError::NotFound(what),
        other => other,
    }
}

/// A published flow version of `owner`. Another data owner's flow — possibly another
/// organisation's — is `NotFound`, exactly like a flow that does not exist: its existence
/// and name are not the caller's to learn.
async fn owned_flow(
    uow: &mut dyn ReadUnit,
    version: FlowVersion,
    owner: DataOwnerId,
) -> AppResult<PublishedFlow> {
    match uow.published_flow(version).await? {
        Some(flow) if flow.data_owner() == owner => Ok(flow),
        _ => Err(AppError::NotFound("flow")),
    }
}

/// Every template of a setup — the SMS flows', the SMS and e-mail templates (subject and
/// body), the sale confirmation's offer (which also has `products`, `total`, `terms_url`) — may only use merge fields a customer of the data owner has: the contact fields
/// and the data owner's CRM field keys (of either dataset). Checked when the setup is saved,
/// so a typo is refused here instead of sent as `{{ navn }}` to customers.
async fn check_templates(
    uow: &mut dyn ReadUnit,
    assignment: &Assignment,
    flow: &PublishedFlow,
    setup: &AssignmentSetup,
) -> AppResult<()> {
    let owner = uow
        .data_owner(assignment.data_owner())
        .await?
        .ok_or(AppError::NotFound("data owner"))?;
    let crm: BTreeSet<String> = [Dataset::B2b, Dataset::B2c]
        .into_iter()
        .flat_map(|dataset| owner.fields(dataset).iter())
        .map(|field| field.key().to_string())
        .collect();
    let check = |template: &str, which: String| {
        cube_domain::sms::check_template(template, |key| crm.contains(key)).map_err(|error| {
            AppError::from(AssignmentError::Template {
                template: which,
                error,
            })
        })
    };
    // A template an outcome sends may use the meeting's fields only if the outcome books one.
    let needs_meeting = |outcome: OutcomeId, template: &str, which: String| {
        let booked = flow.outcome(outcome).is_some_and(|o| o.books_meeting);
        if booked || !cube_domain::sms::uses_meeting(template) {
            return Ok(());
        }
        let name = flow
            .outcome(outcome)
            .map_or_else(|| outcome.to_string(), |o| o.name.to_string());
        Err(AppError::from(AssignmentError::Template {
            template: which,
            error: cube_domain::sms::TemplateError::NeedsMeeting(name),
        }))
    };
    for (outcome, sms_flow) in &setup.sms_flows {
        let name = flow
            .outcome(*outcome)
            .map_or_else(|| outcome.to_string(), |o| o.name.to_string());
        check(&sms_flow.template, format!("of the SMS flow on '{name}'"))?;
        needs_meeting(
            *outcome,
            &sms_flow.template,
            format!("of the SMS flow on '{name}'"),
        )?;
    }
    for (outcome, name) in &setup.email_on_outcome {
        if let Some(template) = setup
            .communication
            .email_templates
            .iter()
            .find(|t| t.name == *name)
        {
            let both = format!("{} {}", template.subject, template.body);
            needs_meeting(*outcome, &both, format!("'{}'", template.name))?;
        }
    }
    for template in &setup.communication.sms_templates {
        check(&template.body, format!("'{}'", template.name))?;
    }
    if let Some(confirmation) = &setup.sale_confirmation {
        confirmation
            .check_template(|key| crm.contains(key))
            .map_err(|error| {
                AppError::from(AssignmentError::Template {
                    template: "of the sale confirmation's offer".into(),
                    error,
                })
            })?;
    }
    for template in &setup.communication.email_templates {
        check(
            &template.subject,
            format!("'{}' (its subject)", template.name),
        )?;
        check(&template.body, format!("'{}'", template.name))?;
    }
    Ok(())
}
