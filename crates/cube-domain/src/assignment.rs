//! The assignment (campaign): where customers live while work following a flow is done.
//! Its setup (items 1–14 of DOMAIN.md) is plain data in `setup`; this module holds the
//! aggregate and the rules that tie the setup to the flow it uses.

pub mod setup;

use crate::flow::{FlowSwitchError, FlowVersion, PublishedFlow, StateMapping, SwitchPlan};
use crate::ids::{
    AssignmentId, CalendarId, ClientId, DataOwnerId, OrganisationId, OutcomeId, ProductId,
    SegmentId, StateId, UserId,
};
use crate::values::Name;
use serde::{Deserialize, Serialize};
use setup::AssignmentSetup;
use std::collections::BTreeSet;
use thiserror::Error;
use time::Date;

/// Why an assignment change was refused.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum AssignmentError {
    /// The flow belongs to another data owner.
    #[error("flow '{0}' belongs to another data owner")]
    FlowOfAnotherDataOwner(String),
    /// The setup names an outcome the flow does not have.
    #[error("the setup refers to outcome {0}, which the flow does not have")]
    UnknownOutcome(OutcomeId),
    /// The setup names a segment the assignment does not have.
    #[error("the setup refers to segment {0}, which the assignment does not have")]
    UnknownSegment(SegmentId),
    /// `visibility.users` names users who are not of the assignment's organisation, or no
    /// user at all (never told apart, as another organisation's data is never shown).
    #[error(
        "`visibility.users`: {} not a user of this organisation; list only users of the organisation (or none for everyone)",
        list_ids(.0)
    )]
    UnknownVisibilityUsers(Vec<UserId>),
    /// A flow switch cannot go ahead as asked.
    #[error(transparent)]
    Switch(#[from] FlowSwitchError),
    /// A duration or number of the setup is outside the bounds the product accepts (so no
    /// later arithmetic on it can overflow). `field` is the setup's name for it.
    #[error("`{field}` must be {bounds}")]
    OutOfBounds {
        /// The setup item, e.g. `retry_delay`.
        field: &'static str,
        /// The accepted range, in words a user can act on.
        bounds: &'static str,
    },
    /// The setup offers a product that is not in the data owner's catalogue (another data
    /// owner's, or none at all: never told apart).
    #[error("product {0} is not in the data owner's catalogue")]
    ProductNotInCatalogue(ProductId),
    /// The setup names a calendar that is not the data owner's (another's, or none at all).
    #[error("calendar {0} is not one of the data owner's")]
    CalendarOfAnotherDataOwner(CalendarId),
    /// A segment is added under a name the assignment has already (ignoring case, as
    /// `AssignmentSetup::segment_named` compares).
    #[error("the assignment already has a segment named '{0}'")]
    SegmentNameTaken(Name),
    /// An outcome offers the same option twice (ignoring case).
    #[error("outcome '{0}' has the same option twice: give each option its own name")]
    OptionTwice(String),
    /// An outcome's field definitions are inconsistent (a key used twice, a choice with no
    /// choices, …).
    #[error("the fields of outcome '{outcome}': {error}")]
    OutcomeFields {
        /// The outcome's name.
        outcome: String,
        /// What is wrong with its fields.
        error: crate::fields::FieldError,
    },
    /// An outcome sends an e-mail template the setup does not have.
    #[error("no e-mail template is named '{0}': add it to communication.email_templates first")]
    UnknownEmailTemplate(String),
    /// Outcomes send e-mail but no sender address is set.
    #[error("outcomes that send e-mail need a sender: set communication.mail_from")]
    MailFromMissing,
    /// A mail account's name breaks the rule ([`setup::MailAccount`]).
    #[error(
        "mail account '{0}' must be 1 to 32 letters a-z, digits or _ (the suffix of the server's CUBE_SMTP_ACCOUNT_<NAME>)"
    )]
    MailAccountInvalid(String),
    /// The setup names a mail account the server has not configured.
    #[error(
        "no mail account '{account}' is configured on this server ({configured}): the operator sets CUBE_SMTP_ACCOUNT_{upper} to its smtp:// or smtps:// URL, or leave communication.mail_account empty for the default mail server"
    )]
    UnknownMailAccount {
        /// The name given.
        account: String,
        /// The same name upper-cased, as the environment variable spells it.
        upper: String,
        /// The accounts this server has, in words.
        configured: String,
    },
    /// SMS flows are set up but no sender is.
    #[error("SMS flows need an SMS sender: set communication.sms_sender")]
    SmsSenderMissing,
    /// A template (an SMS flow's, an SMS or e-mail template) names a merge field no
    /// customer of the data owner has, or leaves one open.
    #[error("the template {template}: {error}")]
    Template {
        /// Which template, in words (`of the SMS flow on 'Offer'`, `'Velkommen'`).
        template: String,
        /// What is wrong.
        error: crate::sms::TemplateError,
    },
    /// An SMS flow's reply keyword is empty, or the same as another of that flow as replies
    /// are compared (case, spaces and a closing `.` or `!` ignored).
    #[error(
        "the SMS flow of outcome '{outcome}' has an empty keyword or the same keyword twice \
         ('{keyword}'; case, spaces and a closing . or ! do not count): give each reply its own word"
    )]
    SmsKeyword {
        /// The outcome whose flow it is (its name).
        outcome: String,
        /// The keyword as written.
        keyword: String,
    },
    /// The written confirmation of sales is set up wrong.
    #[error(transparent)]
    SaleConfirmation(#[from] crate::sale_confirmation::ConfirmationSetupError),
    /// A text SMS sender breaks the operators' rule (1 to 11 ASCII letters or digits).
    #[error("SMS sender '{0}' must be 1 to 11 letters or digits")]
    SmsSenderInvalid(String),
    /// A segment (by id) is listed twice.
    #[error("segment '{0}' is listed twice")]
    SegmentListedTwice(Name),
    /// Two segments have the same name ignoring case ([`Name::same_as`]).
    #[error(
        "segments '{0}' and '{1}' have the same name (names are compared ignoring case); give each segment its own name"
    )]
    SegmentNamesAlike(Name, Name),
    /// The visibility window ends before it starts.
    #[error("visibility 'from' ({from}) is after 'to' ({to}): set 'from' on or before 'to'")]
    VisibilityReversed {
        /// The first visible day.
        from: time::Date,
        /// The last visible day.
        to: time::Date,
    },
    /// A visibility date outside the years Cube accepts.
    #[error(transparent)]
    Time(#[from] crate::time_bounds::TimeOutOfBounds),
}

fn list_ids(ids: &[UserId]) -> String {
    let listed: Vec<String> = ids.iter().map(ToString::to_string).collect();
    let verb = if ids.len() == 1 { "is" } else { "are" };
    format!("{} {verb}", listed.join(", "))
}

/// An assignment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Assignment {
    id: AssignmentId,
    organisation: OrganisationId,
    data_owner: DataOwnerId,
    client: Option<ClientId>,
    name: Name,
    flow: FlowVersion,
    setup: AssignmentSetup,
}

impl Assignment {
    /// A new assignment using a published flow of the same data owner, with the default setup.
    pub fn new(
        id: AssignmentId,
        organisation: OrganisationId,
        data_owner: DataOwnerId,
        name: Name,
        flow: &PublishedFlow,
    ) -> Result<Self, AssignmentError> {
        if flow.data_owner() != data_owner {
            return Err(AssignmentError::FlowOfAnotherDataOwner(
                flow.name().to_string(),
            ));
        }
        Ok(Self {
            id,
            organisation,
            data_owner,
            client: None,
            name,
            flow: flow.version(),
            setup: AssignmentSetup::default(),
        })
    }

    /// The id.
    pub fn id(&self) -> AssignmentId {
        self.id
    }
    /// The organisation.
    pub fn organisation(&self) -> OrganisationId {
        self.organisation
    }
    /// The data owner.
    pub fn data_owner(&self) -> DataOwnerId {
        self.data_owner
    }
    /// The commissioning client, if any.
    pub fn client(&self) -> Option<ClientId> {
        self.client
    }
    /// The name.
    pub fn name(&self) -> &Name {
        &self.name
    }
    /// The flow version in use.
    pub fn flow(&self) -> FlowVersion {
        self.flow
    }
    /// The setup.
    pub fn setup(&self) -> &AssignmentSetup {
        &self.setup
    }

    /// Renames the assignment.
    pub fn rename(&mut self, name: Name) {
        self.name = name;
    }

    /// Sets or clears the commissioning client.
    pub fn set_client(&mut self, client: Option<ClientId>) {
        self.client = client;
    }

    /// Replaces the setup after checking it against the flow in use. Effective at once.
    pub fn set_setup(
        &mut self,
        setup: AssignmentSetup,
        flow: &PublishedFlow,
    ) -> Result<(), AssignmentError> {
        setup.check(flow)?;
        self.setup = setup;
        Ok(())
    }

    /// Switches to another published flow of the same data owner. Setup entries for outcomes
    /// the new flow does not have are dropped; the returned mapping says where each old
    /// state's customers go (callers move the enrollments). Refused, changing nothing, when a
    /// state in `populated` (the states holding customers) has no place in `to` or the
    /// caller's mapping is wrong (see [`crate::flow::FlowSwitchError`]).
    pub fn switch_flow(
        &mut self,
        current: &PublishedFlow,
        to: &PublishedFlow,
        plan: &SwitchPlan,
        populated: &BTreeSet<StateId>,
    ) -> Result<StateMapping, AssignmentError> {
        if to.data_owner() != self.data_owner {
            return Err(AssignmentError::FlowOfAnotherDataOwner(
                to.name().to_string(),
            ));
        }
        let mapping = current.plan_switch(to, plan, populated)?;
        self.setup
            .retain_outcomes(|outcome| to.outcome(outcome).is_some());
        self.flow = to.version();
        Ok(mapping)
    }

    /// Whether `user` is among those who may see the assignment on `today` (the setup's
    /// user list and date window; roles are checked by the access policy).
    pub fn visible_to(&self, user: UserId, today: Date) -> bool {
        self.setup.visibility.admits(user, today)
    }
}
