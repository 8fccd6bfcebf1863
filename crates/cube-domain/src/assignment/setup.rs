//! The assignment's setup as data: every item of DOMAIN.md's list, all changeable while work
//! goes on. `AssignmentSetup::check` ties it to the flow in use.

use super::AssignmentError;
use crate::fields::{FieldDefinition, FieldKey, check_definitions};
use crate::flow::PublishedFlow;
use crate::ids::{CalendarId, OutcomeId, ProductId, SegmentId, UserId};
use crate::time_bounds::checked_date;
use crate::values::{Email, Name, PhoneNumber};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use time::{Date, Duration};

/// A sub-category of an outcome in this assignment ("video" / "physical" for a meeting).
pub type OutcomeOption = Name;

/// Who owns a follow-up scheduled by a progress outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum FollowUpOwnership {
    /// The seller who registered it (shown in their My Work).
    #[default]
    Personal,
    /// Nobody: whoever works the assignment when it is due.
    Shared,
}

/// A keyword reply that registers an outcome.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SmsReplyRule {
    /// The approved reply, compared case-insensitively after trimming ("JA", "YES").
    pub keyword: String,
    /// The outcome a matching reply registers.
    pub registers: OutcomeId,
}

/// An SMS flow: registering the outcome sends an SMS and listens for approved replies.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SmsFlow {
    /// Template (merge fields like `{{ name }}`) of the message sent.
    pub template: String,
    /// How long replies are acted on after sending.
    pub reply_window: Duration,
    /// The approved replies.
    pub replies: Vec<SmsReplyRule>,
}

impl SmsFlow {
    /// The outcome a reply registers, if it is an approved keyword. Compared as people
    /// type on a phone: any case (`ja`, `Ja`, `JA`; `nei`, `NEI`; `å`, `Å`), spaces
    /// anywhere ignored (` J A `), and a closing `.` or `!` ignored (`Ja!`).
    pub fn outcome_for_reply(&self, reply: &str) -> Option<OutcomeId> {
        let reply = keyword_form(reply);
        if reply.is_empty() {
            return None;
        }
        self.replies
            .iter()
            .find(|r| keyword_form(&r.keyword) == reply)
            .map(|r| r.registers)
    }
}

/// A reply or keyword as [`SmsFlow::outcome_for_reply`] compares them: lower case, no
/// whitespace, no closing `.` or `!`.
fn keyword_form(text: &str) -> String {
    let squeezed: String = text
        .chars()
        .filter(|c| !c.is_whitespace())
        .flat_map(char::to_lowercase)
        .collect();
    squeezed.trim_end_matches(['.', '!']).to_owned()
}

/// Which products may be sold in this assignment, and whether sellers may change the price.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ProductSettings {
    /// The products offered.
    pub available: BTreeSet<ProductId>,
    /// Sellers may set another unit price than the catalogue's.
    pub price_editable: bool,
}

/// A fixed customer field that can be shown in the customer view.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum FixedField {
    /// Name.
    Name,
    /// Phone numbers.
    Phones,
    /// E-mail.
    Email,
    /// Address.
    Address,
    /// Organisation or person number.
    RegistryNumber,
    /// External id.
    ExternalId,
}

/// A field shown in the customer view.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum ViewField {
    /// A fixed field.
    Fixed(FixedField),
    /// An optional CRM field of the data owner.
    Custom(FieldKey),
}

/// The SMS sender: an alphanumeric name (at most 11 characters) or a number.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum SmsSender {
    /// Up to 11 letters and digits.
    Text(String),
    /// A phone number.
    Number(PhoneNumber),
}

impl SmsSender {
    /// The sender as an SMS carries it: the name, or the number in E.164.
    pub fn as_str(&self) -> &str {
        match self {
            SmsSender::Text(text) => text,
            SmsSender::Number(number) => number.as_str(),
        }
    }
}

/// A named message template with merge fields.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Template {
    /// The template's name.
    pub name: Name,
    /// E-mail subject (empty for SMS).
    pub subject: String,
    /// The body: plain text for SMS, HTML for e-mail.
    pub body: String,
}

/// The name of an outgoing mail account the server's operator configured: the assignment
/// names it, the server holds its SMTP URL and password (`CUBE_SMTP_ACCOUNT_<NAME>` in its
/// environment). So a setup, its API and its copies never carry a mail password, and the
/// same setup works on a test server whose accounts point elsewhere. 1 to 32 ASCII letters,
/// digits or `_`, compared and stored in lower case.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct MailAccount(String);

impl MailAccount {
    /// The longest name.
    pub const MAX_LEN: usize = 32;

    /// Parses a name: trimmed, lower-cased, 1 to 32 of `a-z`, `0-9`, `_`.
    pub fn parse(raw: &str) -> Result<Self, AssignmentError> {
        let name = raw.trim().to_ascii_lowercase();
        if name.is_empty()
            || name.len() > Self::MAX_LEN
            || !name
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        {
            return Err(AssignmentError::MailAccountInvalid(crate::values::excerpt(
                raw,
            )));
        }
        Ok(Self(name))
    }

    /// The name, lower case.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for MailAccount {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for MailAccount {
    type Error = AssignmentError;
    fn try_from(raw: String) -> Result<Self, Self::Error> {
        Self::parse(&raw)
    }
}

impl From<MailAccount> for String {
    fn from(account: MailAccount) -> Self {
        account.0
    }
}

/// The caller id shown on outgoing calls.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum CallerId {
    /// Each user's own number.
    #[default]
    PerUser,
    /// One shared number for the assignment.
    Shared(PhoneNumber),
}

/// How the assignment talks to customers.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Communication {
    /// The SMS sender.
    pub sms_sender: Option<SmsSender>,
    /// SMS templates.
    pub sms_templates: Vec<Template>,
    /// E-mail (HTML) templates.
    pub email_templates: Vec<Template>,
    /// The sender address of its e-mail.
    pub mail_from: Option<Email>,
    /// The outgoing mail account its e-mail is sent through ([`MailAccount`]); `None`: the
    /// server's default mail server.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mail_account: Option<MailAccount>,
    /// The caller id on outgoing calls.
    pub caller_id: CallerId,
}

impl Communication {
    /// Checks that the mail account this setup names, if any, is one the server has
    /// (`configured`): a setup is refused when it is saved, not found out when its first
    /// e-mail fails.
    pub fn check_mail_account(
        &self,
        configured: &BTreeSet<MailAccount>,
    ) -> Result<(), AssignmentError> {
        let Some(account) = &self.mail_account else {
            return Ok(());
        };
        if configured.contains(account) {
            return Ok(());
        }
        let configured = if configured.is_empty() {
            "it has none".to_owned()
        } else {
            let names: Vec<&str> = configured.iter().map(MailAccount::as_str).collect();
            format!("it has {}", names.join(", "))
        };
        Err(AssignmentError::UnknownMailAccount {
            account: account.to_string(),
            upper: account.as_str().to_ascii_uppercase(),
            configured,
        })
    }
}

/// Expected results per hour; achievement is measured against these.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct PerformanceCriteria {
    /// Meetings booked per hour.
    pub meetings_per_hour: Option<Decimal>,
    /// Yes per hour.
    pub yes_per_hour: Option<Decimal>,
    /// Products sold per hour.
    pub products_per_hour: Option<Decimal>,
    /// Conclusions per hour.
    pub conclusions_per_hour: Option<Decimal>,
}

/// What an activity limit counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum LimitMetric {
    /// Hours registered.
    Hours,
    /// Outcomes landing in a Yes state.
    Yes,
    /// Outcomes landing in a Yes or No state.
    Conclusions,
    /// Units of products sold.
    ProductsSold,
    /// Meetings booked.
    Meetings,
}

/// What happens when an activity limit is reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum LimitMode {
    /// Only shown in the report.
    #[default]
    Indicator,
    /// "Next customer" stops handing out customers of this assignment.
    HardStop,
}

/// An all-time ("all to date") cap on one metric.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActivityLimit {
    /// What is counted.
    pub metric: LimitMetric,
    /// The cap.
    pub limit: Decimal,
    /// Indicator or hard stop.
    pub mode: LimitMode,
}

/// A field used for hit analysis, segmentation and bulk selection.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum AnalysisField {
    /// An optional CRM field.
    Crm(FieldKey),
    /// The enrollment's attempts count.
    Attempts,
}

/// Who sees the assignment and when.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Visibility {
    /// Only these users; `None` means every user of the organisation.
    pub users: Option<BTreeSet<UserId>>,
    /// Visible from this date (inclusive).
    pub from: Option<Date>,
    /// Visible until this date (inclusive).
    pub to: Option<Date>,
}

impl Visibility {
    /// Checks that `users` names only members of the organisation (`is_member`): an id of
    /// another organisation, or of no user, is refused by name rather than stored.
    pub fn check_users(&self, is_member: impl Fn(UserId) -> bool) -> Result<(), AssignmentError> {
        let strangers: Vec<UserId> = self
            .users
            .iter()
            .flatten()
            .copied()
            .filter(|user| !is_member(*user))
            .collect();
        if strangers.is_empty() {
            Ok(())
        } else {
            Err(AssignmentError::UnknownVisibilityUsers(strangers))
        }
    }

    /// Whether `user` sees the assignment on `today`.
    pub fn admits(&self, user: UserId, today: Date) -> bool {
        self.users
            .as_ref()
            .is_none_or(|users| users.contains(&user))
            && self.from.is_none_or(|from| today >= from)
            && self.to.is_none_or(|to| today <= to)
    }
}

/// A group of customers inside the assignment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Segment {
    /// The id.
    pub id: SegmentId,
    /// The name.
    pub name: Name,
}

/// Sort direction of a field rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Direction {
    /// Smallest first.
    Ascending,
    /// Largest first.
    Descending,
}

/// One rule of the order in which available customers are handed out. Rules apply in turn;
/// a tie on all of them falls back to import order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum PriorityRule {
    /// The order of `AssignmentSetup::segments`; customers in no segment last.
    SegmentOrder,
    /// By a CRM field; customers without a value last.
    Field(FieldKey, Direction),
    /// Fewest attempts first.
    FewestAttempts,
    /// Longest since the last contact first (never contacted first of all).
    LongestSinceLastContact,
    /// The order customers were enrolled in.
    ImportOrder,
}

/// The whole setup of an assignment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AssignmentSetup {
    /// Options per outcome; if an outcome has options, one must be chosen.
    pub outcome_options: BTreeMap<OutcomeId, Vec<OutcomeOption>>,
    /// Fields captured per outcome.
    pub outcome_fields: BTreeMap<OutcomeId, Vec<FieldDefinition>>,
    /// Personal or shared, per progress outcome that schedules a follow-up.
    pub follow_up_ownership: BTreeMap<OutcomeId, FollowUpOwnership>,
    /// SMS flows per outcome.
    pub sms_flows: BTreeMap<OutcomeId, SmsFlow>,
    /// The e-mail an outcome sends to the customer (seed 000 item 8): the name of one of
    /// `communication.email_templates`, sent from `communication.mail_from`. Setups stored
    /// before it existed read as none.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub email_on_outcome: BTreeMap<OutcomeId, Name>,
    /// The outcomes that put the customer on the data owner's do-not-call list (the
    /// customer said "never call me again": markedsføringsloven § 12). Setups stored before
    /// it existed read as none.
    #[serde(default, skip_serializing_if = "BTreeSet::is_empty")]
    pub do_not_call_on: BTreeSet<OutcomeId>,
    /// Products offered and the price rule.
    pub products: ProductSettings,
    /// Calendars shown for meeting booking.
    pub calendars: Vec<CalendarId>,
    /// Fields shown while a customer is worked.
    pub customer_view: Vec<ViewField>,
    /// SMS, e-mail and caller id.
    pub communication: Communication,
    /// Expected results per hour.
    pub performance: PerformanceCriteria,
    /// All-time caps.
    pub activity_limits: Vec<ActivityLimit>,
    /// Fields for hit analysis, segmentation and bulk selection.
    pub analysis_fields: Vec<AnalysisField>,
    /// Who sees it and when.
    pub visibility: Visibility,
    /// The segments, in priority order.
    pub segments: Vec<Segment>,
    /// The order of available customers.
    pub priority: Vec<PriorityRule>,
    /// How long a handed-out customer stays reserved for the seller.
    pub lease: Duration,
    /// How long a customer stays out of the pool after NoAnswer.
    pub retry_delay: Duration,
    /// The most call attempts on a customer in this assignment: one who has had this many
    /// is no longer handed out from the pool (a follow-up agreed with them still is). `None`:
    /// no cap. Setups stored before it existed read as none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_attempts: Option<u32>,
    /// Whether sales to consumers must be confirmed in writing (angrerettloven § 10), and
    /// how (`crate::sale_confirmation`). Setups stored before it existed read as none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sale_confirmation: Option<crate::sale_confirmation::SaleConfirmationSetup>,
}

impl Default for AssignmentSetup {
    fn default() -> Self {
        Self {
            outcome_options: BTreeMap::new(),
            outcome_fields: BTreeMap::new(),
            follow_up_ownership: BTreeMap::new(),
            sms_flows: BTreeMap::new(),
            email_on_outcome: BTreeMap::new(),
            do_not_call_on: BTreeSet::new(),
            products: ProductSettings::default(),
            calendars: Vec::new(),
            customer_view: vec![
                ViewField::Fixed(FixedField::Name),
                ViewField::Fixed(FixedField::Phones),
                ViewField::Fixed(FixedField::Email),
            ],
            communication: Communication::default(),
            performance: PerformanceCriteria::default(),
            activity_limits: Vec::new(),
            analysis_fields: vec![AnalysisField::Attempts],
            visibility: Visibility::default(),
            segments: Vec::new(),
            priority: vec![PriorityRule::SegmentOrder, PriorityRule::ImportOrder],
            lease: Self::DEFAULT_LEASE,
            retry_delay: Self::DEFAULT_RETRY_DELAY,
            max_attempts: None,
            sale_confirmation: None,
        }
    }
}

impl AssignmentSetup {
    /// The reservation lease unless set: 15 minutes.
    pub const DEFAULT_LEASE: Duration = Duration::minutes(15);
    /// The retry delay after NoAnswer unless set: 2 hours.
    pub const DEFAULT_RETRY_DELAY: Duration = Duration::hours(2);
    /// The longest lease accepted: a day.
    pub const MAX_LEASE: Duration = Duration::hours(24);
    /// The longest retry delay accepted: 30 days.
    pub const MAX_RETRY_DELAY: Duration = Duration::days(30);
    /// The largest attempt cap accepted.
    pub const MAX_ATTEMPTS: u32 = 1000;
    /// The longest SMS reply window accepted: 30 days.
    pub const MAX_REPLY_WINDOW: Duration = Duration::days(30);
    /// The largest activity limit accepted.
    pub const MAX_ACTIVITY_LIMIT: Decimal = Decimal::from_parts(3_567_587_328, 232, 0, false, 0);
    /// The largest expected result per hour accepted.
    pub const MAX_PER_HOUR: Decimal = Decimal::from_parts(10_000, 0, 0, false, 0);

    /// Checks the setup against the flow: every outcome it names exists, options are
    /// distinct, field keys unique, SMS replies register outcomes of the flow, segments are
    /// listed once and their names distinct ignoring case ([`Name::same_as`]), limits make
    /// sense, and every duration and number is within its bounds (`MAX_*`), so
    /// no time computed from the setup (a lease's end, a retry time) can overflow.
    pub fn check(&self, flow: &PublishedFlow) -> Result<(), AssignmentError> {
        let known = |id: &OutcomeId| {
            flow.outcome(*id)
                .map(|_| ())
                .ok_or(AssignmentError::UnknownOutcome(*id))
        };
        for (outcome, options) in &self.outcome_options {
            known(outcome)?;
            let distinct: BTreeSet<_> = options.iter().map(|o| o.as_str().to_lowercase()).collect();
            if distinct.len() != options.len() {
                let name = flow
                    .outcome(*outcome)
                    .map_or_else(String::new, |o| o.name.to_string());
                return Err(AssignmentError::OptionTwice(name));
            }
        }
        for (outcome, fields) in &self.outcome_fields {
            known(outcome)?;
            check_definitions(fields).map_err(|error| AssignmentError::OutcomeFields {
                outcome: flow
                    .outcome(*outcome)
                    .map_or_else(|| outcome.to_string(), |o| o.name.to_string()),
                error,
            })?;
        }
        for outcome in self.follow_up_ownership.keys() {
            known(outcome)?;
        }
        for (outcome, sms) in &self.sms_flows {
            known(outcome)?;
            let mut keywords = std::collections::BTreeSet::new();
            for reply in &sms.replies {
                known(&reply.registers)?;
                let form = keyword_form(&reply.keyword);
                if form.is_empty() || !keywords.insert(form) {
                    return Err(AssignmentError::SmsKeyword {
                        outcome: flow
                            .outcome(*outcome)
                            .map_or_else(|| outcome.to_string(), |o| o.name.to_string()),
                        keyword: crate::values::excerpt(&reply.keyword),
                    });
                }
            }
            if sms.reply_window <= Duration::ZERO || sms.reply_window > Self::MAX_REPLY_WINDOW {
                return Err(AssignmentError::OutOfBounds {
                    field: "sms_flow.reply_window",
                    bounds: "between 1 second and 30 days (2 592 000 seconds)",
                });
            }
        }
        if !self.sms_flows.is_empty() && self.communication.sms_sender.is_none() {
            return Err(AssignmentError::SmsSenderMissing);
        }
        for (outcome, template) in &self.email_on_outcome {
            known(outcome)?;
            if !self
                .communication
                .email_templates
                .iter()
                .any(|t| t.name == *template)
            {
                return Err(AssignmentError::UnknownEmailTemplate(template.to_string()));
            }
        }
        if !self.email_on_outcome.is_empty() && self.communication.mail_from.is_none() {
            return Err(AssignmentError::MailFromMissing);
        }
        for outcome in &self.do_not_call_on {
            known(outcome)?;
        }
        if let Some(confirmation) = &self.sale_confirmation {
            confirmation.check(
                flow,
                crate::sale_confirmation::Senders {
                    sms: self.communication.sms_sender.is_some(),
                    mail: self.communication.mail_from.is_some(),
                },
            )?;
        }
        if let Some(SmsSender::Text(text)) = &self.communication.sms_sender
            && (text.is_empty()
                || text.len() > 11
                || !text.chars().all(|c| c.is_ascii_alphanumeric()))
        {
            return Err(AssignmentError::SmsSenderInvalid(text.clone()));
        }
        let mut segment_ids = BTreeSet::new();
        for (i, segment) in self.segments.iter().enumerate() {
            if !segment_ids.insert(segment.id) {
                return Err(AssignmentError::SegmentListedTwice(segment.name.clone()));
            }
            if let Some(earlier) = self.segments[..i]
                .iter()
                .find(|s| s.name.same_as(&segment.name))
            {
                return Err(AssignmentError::SegmentNamesAlike(
                    earlier.name.clone(),
                    segment.name.clone(),
                ));
            }
        }
        for limit in &self.activity_limits {
            if limit.limit <= Decimal::ZERO || limit.limit > Self::MAX_ACTIVITY_LIMIT {
                return Err(AssignmentError::OutOfBounds {
                    field: "activity_limits.limit",
                    bounds: "more than zero and at most 1 000 000 000 000",
                });
            }
        }
        let performance = &self.performance;
        for (field, expected) in [
            (
                "performance.meetings_per_hour",
                performance.meetings_per_hour,
            ),
            ("performance.yes_per_hour", performance.yes_per_hour),
            (
                "performance.products_per_hour",
                performance.products_per_hour,
            ),
            (
                "performance.conclusions_per_hour",
                performance.conclusions_per_hour,
            ),
        ] {
            if expected.is_some_and(|e| e < Decimal::ZERO || e > Self::MAX_PER_HOUR) {
                return Err(AssignmentError::OutOfBounds {
                    field,
                    bounds: "between 0 and 10 000 per hour",
                });
            }
        }
        if let Some(from) = self.visibility.from {
            checked_date("visibility.from", from)?;
        }
        if let Some(to) = self.visibility.to {
            checked_date("visibility.to", to)?;
        }
        if let (Some(from), Some(to)) = (self.visibility.from, self.visibility.to)
            && from > to
        {
            return Err(AssignmentError::VisibilityReversed { from, to });
        }
        if self.lease < Duration::SECOND || self.lease > Self::MAX_LEASE {
            return Err(AssignmentError::OutOfBounds {
                field: "lease",
                bounds: "between 1 second and 24 hours (86 400 seconds)",
            });
        }
        if self.retry_delay < Duration::ZERO || self.retry_delay > Self::MAX_RETRY_DELAY {
            return Err(AssignmentError::OutOfBounds {
                field: "retry_delay",
                bounds: "between 0 seconds and 30 days (2 592 000 seconds)",
            });
        }
        if self
            .max_attempts
            .is_some_and(|cap| cap == 0 || cap > Self::MAX_ATTEMPTS)
        {
            return Err(AssignmentError::OutOfBounds {
                field: "max_attempts",
                bounds: "between 1 and 1000",
            });
        }
        Ok(())
    }

    /// Whether a customer who has had `attempts` call attempts may still be handed out from
    /// the pool (`max_attempts`).
    pub fn attempts_left(&self, attempts: u32) -> bool {
        self.max_attempts.is_none_or(|cap| attempts < cap)
    }

    /// The segment's position in priority order; customers in no segment come last.
    pub fn segment_rank(&self, segment: Option<SegmentId>) -> usize {
        segment
            .and_then(|id| self.segments.iter().position(|s| s.id == id))
            .unwrap_or(self.segments.len())
    }

    /// The segment called `name`, compared as segment names are kept distinct
    /// ([`Name::same_as`]: ignoring case, in every script).
    pub fn segment_named(&self, name: &Name) -> Option<&Segment> {
        self.segments.iter().find(|s| s.name.same_as(name))
    }

    /// Whether the assignment has a segment.
    pub fn has_segment(&self, segment: SegmentId) -> bool {
        self.segments.iter().any(|s| s.id == segment)
    }

    /// The hard-stop limits.
    pub fn hard_stops(&self) -> impl Iterator<Item = &ActivityLimit> {
        self.activity_limits
            .iter()
            .filter(|l| l.mode == LimitMode::HardStop)
    }

    /// Drops every per-outcome entry whose outcome does not pass `keep`.
    pub(crate) fn retain_outcomes(&mut self, keep: impl Fn(OutcomeId) -> bool) {
        self.outcome_options.retain(|id, _| keep(*id));
        self.outcome_fields.retain(|id, _| keep(*id));
        self.follow_up_ownership.retain(|id, _| keep(*id));
        self.sms_flows.retain(|id, sms| {
            sms.replies.retain(|r| keep(r.registers));
            keep(*id)
        });
        self.email_on_outcome.retain(|id, _| keep(*id));
        self.do_not_call_on.retain(|id| keep(*id));
        if self
            .sale_confirmation
            .as_ref()
            .is_some_and(|c| !keep(c.on_refusal) || !keep(c.on_no_reply))
        {
            self.sale_confirmation = None;
        }
    }
}
