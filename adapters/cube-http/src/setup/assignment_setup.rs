//! The body of an assignment's whole setup, both ways: what `PUT /api/assignments/{id}/setup`
//! takes and what the set-up endpoints answer. It follows DOMAIN.md's list (outcome options,
//! outcome fields, follow-up ownership and SMS flows per outcome; products; calendars; the
//! customer view; communication; performance criteria; activity limits; analysis fields;
//! visibility; segments and priority rules; the reservation lease and retry delay).
//!
//! Wire choices:
//! - Everything configured per outcome is one entry of `outcomes`, so an outcome's options,
//!   fields, follow-up ownership and SMS flow are read and sent together.
//! - A field of the customer view or an analysis field is a string: a fixed field (`name`,
//!   `phones`, `email`, `address`, `registry_number`, `external_id`), `attempts` for the
//!   analysis, or else a CRM field key. The fixed names win over a CRM key of the same name.
//! - The SMS sender is a string: a number (E.164, starting with `+`) or a text sender.
//! - `caller_id`: `null` is each user's own number, a number is one shared number.
//! - Durations are whole seconds.
//! - Everything left out of a request takes the default a new assignment has, so the body
//!   is the whole setup: send back what was read, changed.

use super::outcome_setup::{OutcomeSetupDto, PerOutcome, outcome_entries};
use super::{filled, name_at};
use crate::error::{ApiResult, invalid_field};
use crate::reports::performance::{LimitMetricDto, LimitModeDto};
use cube_domain::assignment::setup::{
    ActivityLimit, AnalysisField, AssignmentSetup, CallerId, Communication, Direction, FixedField,
    MailAccount, PerformanceCriteria, PriorityRule, ProductSettings, Segment, SmsSender, Template,
    ViewField, Visibility,
};
use cube_domain::fields::FieldKey;
use cube_domain::ids::{CalendarId, OutcomeId, ProductId, SegmentId, UserId};
use cube_domain::sale_confirmation::{ConfirmationChannel, SaleConfirmationSetup};
use cube_domain::values::{Email, PhoneNumber};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use time::{Date, Duration};
use utoipa::ToSchema;
use uuid::Uuid;

/// Products offered, and the price rule.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProductSettingsDto {
    /// The products offered (of the data owner's catalogue).
    #[serde(default)]
    pub available: Vec<Uuid>,
    /// Sellers may set another unit price than the catalogue's.
    #[serde(default)]
    pub price_editable: bool,
}

/// A named message template.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TemplateDto {
    /// The template's name.
    pub name: String,
    /// E-mail subject (empty for SMS).
    #[serde(default)]
    pub subject: String,
    /// The body: plain text for SMS, HTML for e-mail. Merge fields `{{ key }}`: the
    /// customer's `name`, `phone`, `email`, `address` and CRM field keys; `seller.name`,
    /// `seller.email` (who sends, or registered the outcome that sends; empty when the system
    /// did), `assignment.name`; `meeting.date`, `meeting.time` (the organisation's local time)
    /// and `meeting.place` — only in templates sent on an outcome that books a meeting, or by
    /// hand to a customer with a meeting coming up. An unknown key is refused when the setup
    /// is saved.
    pub body: String,
}

/// How the assignment talks to customers.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CommunicationDto {
    /// The SMS sender: a number (`+4791234567`) or 1 to 11 letters and digits; `null`: none.
    #[serde(default)]
    pub sms_sender: Option<String>,
    /// SMS templates.
    #[serde(default)]
    pub sms_templates: Vec<TemplateDto>,
    /// E-mail (HTML) templates.
    #[serde(default)]
    pub email_templates: Vec<TemplateDto>,
    /// The sender address of the assignment's e-mail.
    #[serde(default)]
    pub mail_from: Option<String>,
    /// The outgoing mail account its e-mail is sent through: the name of an account the
    /// server's operator configured (`CUBE_SMTP_ACCOUNT_<NAME>`; its password stays on the
    /// server); `null`: the server's default mail server.
    #[serde(default)]
    pub mail_account: Option<String>,
    /// The caller id on outgoing calls: one shared number, or `null` for each user's own.
    #[serde(default)]
    pub caller_id: Option<String>,
}

/// Expected results per hour (decimal strings); achievement is measured against these.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PerformanceCriteriaDto {
    /// Meetings booked per hour.
    #[serde(default)]
    pub meetings_per_hour: Option<Decimal>,
    /// Yes per hour.
    #[serde(default)]
    pub yes_per_hour: Option<Decimal>,
    /// Products sold per hour.
    #[serde(default)]
    pub products_per_hour: Option<Decimal>,
    /// Conclusions per hour.
    #[serde(default)]
    pub conclusions_per_hour: Option<Decimal>,
}

fn indicator() -> LimitModeDto {
    LimitModeDto::Indicator
}

/// An all-time ("all to date") cap on one metric.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ActivityLimitDto {
    /// What is counted.
    pub metric: LimitMetricDto,
    /// The cap (more than zero).
    pub limit: Decimal,
    /// `indicator` (default) or `hard_stop`.
    #[serde(default = "indicator")]
    pub mode: LimitModeDto,
}

/// Who sees the assignment and when.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VisibilityDto {
    /// Only these users; `null`: every user of the organisation.
    #[serde(default)]
    pub users: Option<Vec<Uuid>>,
    /// Visible from this date, inclusive (`YYYY-MM-DD`).
    #[serde(default)]
    #[schema(value_type = Option<String>, format = Date)]
    pub from: Option<Date>,
    /// Visible until this date, inclusive (`YYYY-MM-DD`).
    #[serde(default)]
    #[schema(value_type = Option<String>, format = Date)]
    pub to: Option<Date>,
}

/// A segment: a group of customers inside the assignment.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SegmentDto {
    /// The id.
    pub id: Uuid,
    /// The name.
    pub name: String,
}

/// Sort direction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DirectionDto {
    /// Smallest first.
    Ascending,
    /// Largest first.
    Descending,
}

impl From<Direction> for DirectionDto {
    fn from(direction: Direction) -> Self {
        match direction {
            Direction::Ascending => DirectionDto::Ascending,
            Direction::Descending => DirectionDto::Descending,
        }
    }
}

impl From<DirectionDto> for Direction {
    fn from(direction: DirectionDto) -> Self {
        match direction {
            DirectionDto::Ascending => Direction::Ascending,
            DirectionDto::Descending => Direction::Descending,
        }
    }
}

/// One rule of the order in which available customers are handed out; rules apply in turn,
/// and a tie on all of them falls back to import order.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(tag = "rule", rename_all = "snake_case", deny_unknown_fields)]
pub enum PriorityRuleDto {
    /// The order of `segments`; customers in no segment last.
    SegmentOrder,
    /// By a CRM field; customers without a value last.
    Field {
        /// The CRM field key.
        key: String,
        /// The direction.
        direction: DirectionDto,
    },
    /// Fewest attempts first.
    FewestAttempts,
    /// Longest since the last contact first.
    LongestSinceLastContact,
    /// The order customers were enrolled in.
    ImportOrder,
}

impl From<&PriorityRule> for PriorityRuleDto {
    fn from(rule: &PriorityRule) -> Self {
        match rule {
            PriorityRule::SegmentOrder => PriorityRuleDto::SegmentOrder,
            PriorityRule::Field(key, direction) => PriorityRuleDto::Field {
                key: key.to_string(),
                direction: (*direction).into(),
            },
            PriorityRule::FewestAttempts => PriorityRuleDto::FewestAttempts,
            PriorityRule::LongestSinceLastContact => PriorityRuleDto::LongestSinceLastContact,
            PriorityRule::ImportOrder => PriorityRuleDto::ImportOrder,
        }
    }
}

/// An assignment's whole setup.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct AssignmentSetupDto {
    /// Options, fields, follow-up ownership and SMS flow per outcome (one entry an outcome).
    pub outcomes: Vec<OutcomeSetupDto>,
    /// Products offered and the price rule.
    pub products: ProductSettingsDto,
    /// Calendars shown for meeting booking (the data owner's).
    pub calendars: Vec<Uuid>,
    /// Fields shown while a customer is worked: fixed field names or CRM field keys.
    pub customer_view: Vec<String>,
    /// SMS, e-mail and caller id.
    pub communication: CommunicationDto,
    /// Expected results per hour.
    pub performance: PerformanceCriteriaDto,
    /// All-time caps.
    pub activity_limits: Vec<ActivityLimitDto>,
    /// Fields for hit analysis, segmentation and bulk selection: `attempts` or CRM keys.
    pub analysis_fields: Vec<String>,
    /// Who sees it and when.
    pub visibility: VisibilityDto,
    /// The segments, in priority order (add new ones with `POST …/segments`).
    pub segments: Vec<SegmentDto>,
    /// The order of available customers.
    pub priority: Vec<PriorityRuleDto>,
    /// How long a handed-out customer stays reserved for the seller, in seconds (1 to
    /// 86 400; default 900).
    pub lease_seconds: i64,
    /// How long a customer stays out of the pool after "no answer", in seconds (default
    /// 7 200).
    pub retry_delay_seconds: i64,
    /// The most call attempts on a customer in this assignment (1 to 1 000): one who has had
    /// them is no longer handed out from the pool (an agreed follow-up still is). Absent:
    /// no cap.
    #[serde(default)]
    pub max_attempts: Option<u32>,
    /// Written confirmation of sales to consumers (angrerettloven § 10): when set, a Sale
    /// (an outcome landing in a Yes state with product lines) on a B2C customer sends the
    /// written offer by SMS or e-mail and stays *pending* until the customer accepts it; the sales
    /// report counts its value only once confirmed. Absent: sales need no confirmation.
    #[serde(default)]
    pub sale_confirmation: Option<SaleConfirmationSetupDto>,
}

/// How sales to consumers are confirmed in writing.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SaleConfirmationSetupDto {
    /// How the offer is sent: `sms` (from `communication.sms_sender`, which must be set; the
    /// customer answers with a keyword) or `email` (from `communication.mail_from`, which
    /// must be set, through `communication.mail_account`; the e-mail carries two links to
    /// the server's answer page, `/confirm/{token}`, so the server must know its public
    /// address: `CUBE_PUBLIC_URL`).
    #[serde(default)]
    pub channel: ConfirmationChannelDto,
    /// The offer's text (SMS) or HTML body (e-mail). Merge fields: the customer's
    /// (`{{ name }}`, CRM keys…, escaped in HTML), and `{{ products }}` (a line a product:
    /// quantity, name, unit price, line total; by e-mail a table), `{{ total }}` (in the
    /// lines' currency, e.g. NOK) — both required — and `{{ terms_url }}`. By e-mail the
    /// deadline and the accept and refuse links are added after it.
    pub template: String,
    /// The e-mail's subject (required with `email`; merge fields as the body's).
    #[serde(default)]
    pub subject: Option<String>,
    /// The link to the sale's terms, `https://…`, shown as `{{ terms_url }}`.
    pub terms_url: String,
    /// The replies that accept the offer by SMS (any case; spaces and a closing `.`/`!`
    /// ignored).
    #[serde(default = "default_accept")]
    pub accept: Vec<String>,
    /// The replies that refuse it.
    #[serde(default = "default_refuse")]
    pub refuse: Vec<String>,
    /// How long an answer is taken, in hours (1 to 720).
    pub window_hours: i64,
    /// The outcome registered as the system on a refusal: a progress outcome allowed from
    /// the state a sale lands in.
    pub on_refusal: Uuid,
    /// The outcome registered as the system when no answer came in the window.
    pub on_no_reply: Uuid,
}

/// The channel a sale's written offer goes by.
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ConfirmationChannelDto {
    /// SMS.
    #[default]
    Sms,
    /// E-mail, answered on the server's public page.
    Email,
}

impl From<ConfirmationChannel> for ConfirmationChannelDto {
    fn from(channel: ConfirmationChannel) -> Self {
        match channel {
            ConfirmationChannel::Sms => Self::Sms,
            ConfirmationChannel::Email => Self::Email,
        }
    }
}

fn default_accept() -> Vec<String> {
    vec![cube_domain::sale_confirmation::DEFAULT_ACCEPT.to_owned()]
}

fn default_refuse() -> Vec<String> {
    vec![cube_domain::sale_confirmation::DEFAULT_REFUSE.to_owned()]
}

impl From<&SaleConfirmationSetup> for SaleConfirmationSetupDto {
    fn from(c: &SaleConfirmationSetup) -> Self {
        Self {
            channel: c.channel.into(),
            template: c.template.clone(),
            subject: c.subject.clone(),
            terms_url: c.terms_url.clone(),
            accept: c.accept.clone(),
            refuse: c.refuse.clone(),
            window_hours: c.window.whole_hours(),
            on_refusal: c.on_refusal.as_uuid(),
            on_no_reply: c.on_no_reply.as_uuid(),
        }
    }
}

impl SaleConfirmationSetupDto {
    fn into_domain(self) -> ApiResult<SaleConfirmationSetup> {
        if !(1..=720).contains(&self.window_hours) {
            return Err(invalid_field(
                "sale_confirmation.window_hours",
                "must be 1 to 720 hours (30 days)",
            ));
        }
        Ok(SaleConfirmationSetup {
            channel: match self.channel {
                ConfirmationChannelDto::Sms => ConfirmationChannel::Sms,
                ConfirmationChannelDto::Email => ConfirmationChannel::Email,
            },
            template: self.template,
            subject: self.subject,
            terms_url: self.terms_url,
            accept: self.accept,
            refuse: self.refuse,
            window: time::Duration::hours(self.window_hours),
            on_refusal: OutcomeId::from_uuid(self.on_refusal),
            on_no_reply: OutcomeId::from_uuid(self.on_no_reply),
        })
    }
}

impl Default for AssignmentSetupDto {
    fn default() -> Self {
        Self::from(&AssignmentSetup::default())
    }
}

const FIXED_FIELDS: [(&str, FixedField); 6] = [
    ("name", FixedField::Name),
    ("phones", FixedField::Phones),
    ("email", FixedField::Email),
    ("address", FixedField::Address),
    ("registry_number", FixedField::RegistryNumber),
    ("external_id", FixedField::ExternalId),
];

fn fixed_name(field: FixedField) -> &'static str {
    FIXED_FIELDS
        .iter()
        .find(|(_, f)| *f == field)
        .map_or("name", |(n, _)| n)
}

fn view_field_name(field: &ViewField) -> String {
    match field {
        ViewField::Fixed(fixed) => fixed_name(*fixed).to_owned(),
        ViewField::Custom(key) => key.to_string(),
    }
}

const ATTEMPTS: &str = "attempts";

impl From<&AssignmentSetup> for AssignmentSetupDto {
    fn from(s: &AssignmentSetup) -> Self {
        let template = |t: &Template| TemplateDto {
            name: t.name.to_string(),
            subject: t.subject.clone(),
            body: t.body.clone(),
        };
        let c = &s.communication;
        Self {
            outcomes: outcome_entries(s),
            products: ProductSettingsDto {
                available: s.products.available.iter().map(|p| p.as_uuid()).collect(),
                price_editable: s.products.price_editable,
            },
            calendars: s.calendars.iter().map(|c| c.as_uuid()).collect(),
            customer_view: s.customer_view.iter().map(view_field_name).collect(),
            communication: CommunicationDto {
                sms_sender: c.sms_sender.as_ref().map(|s| s.as_str().to_owned()),
                sms_templates: c.sms_templates.iter().map(template).collect(),
                email_templates: c.email_templates.iter().map(template).collect(),
                mail_from: c.mail_from.as_ref().map(ToString::to_string),
                mail_account: c.mail_account.as_ref().map(ToString::to_string),
                caller_id: match &c.caller_id {
                    CallerId::PerUser => None,
                    CallerId::Shared(number) => Some(number.to_string()),
                },
            },
            performance: PerformanceCriteriaDto {
                meetings_per_hour: s.performance.meetings_per_hour,
                yes_per_hour: s.performance.yes_per_hour,
                products_per_hour: s.performance.products_per_hour,
                conclusions_per_hour: s.performance.conclusions_per_hour,
            },
            activity_limits: s
                .activity_limits
                .iter()
                .map(|l| ActivityLimitDto {
                    metric: l.metric.into(),
                    limit: l.limit,
                    mode: l.mode.into(),
                })
                .collect(),
            analysis_fields: s
                .analysis_fields
                .iter()
                .map(|f| match f {
                    AnalysisField::Attempts => ATTEMPTS.to_owned(),
                    AnalysisField::Crm(key) => key.to_string(),
                })
                .collect(),
            visibility: VisibilityDto {
                users: s
                    .visibility
                    .users
                    .as_ref()
                    .map(|users| users.iter().map(|u| u.as_uuid()).collect()),
                from: s.visibility.from,
                to: s.visibility.to,
            },
            segments: s
                .segments
                .iter()
                .map(|seg| SegmentDto {
                    id: seg.id.as_uuid(),
                    name: seg.name.to_string(),
                })
                .collect(),
            priority: s.priority.iter().map(PriorityRuleDto::from).collect(),
            lease_seconds: s.lease.whole_seconds(),
            retry_delay_seconds: s.retry_delay.whole_seconds(),
            max_attempts: s.max_attempts,
            sale_confirmation: s
                .sale_confirmation
                .as_ref()
                .map(SaleConfirmationSetupDto::from),
        }
    }
}

fn key_at(at: String, raw: &str) -> ApiResult<FieldKey> {
    FieldKey::parse(raw).map_err(|e| invalid_field(at, e))
}

fn phone_at(at: &str, raw: &str) -> ApiResult<PhoneNumber> {
    PhoneNumber::parse(raw).map_err(|e| invalid_field(at, e))
}

fn templates(list: &str, dtos: Vec<TemplateDto>) -> ApiResult<Vec<Template>> {
    dtos.into_iter()
        .enumerate()
        .map(|(i, t)| {
            Ok(Template {
                name: name_at(format!("{list}[{i}].name"), &t.name)?,
                subject: t.subject,
                body: t.body,
            })
        })
        .collect()
}

impl CommunicationDto {
    fn into_domain(self) -> ApiResult<Communication> {
        let sms_sender = match filled(self.sms_sender) {
            None => None,
            Some(number) if number.starts_with('+') => Some(SmsSender::Number(phone_at(
                "communication.sms_sender",
                &number,
            )?)),
            Some(text) => Some(SmsSender::Text(text)),
        };
        let mail_from = filled(self.mail_from)
            .map(|m| Email::parse(&m))
            .transpose()
            .map_err(|e| invalid_field("communication.mail_from", e))?;
        let mail_account = filled(self.mail_account)
            .map(|name| MailAccount::parse(&name))
            .transpose()
            .map_err(|e| invalid_field("communication.mail_account", e))?;
        let caller_id = match filled(self.caller_id) {
            None => CallerId::PerUser,
            Some(number) => CallerId::Shared(phone_at("communication.caller_id", &number)?),
        };
        Ok(Communication {
            sms_sender,
            sms_templates: templates("communication.sms_templates", self.sms_templates)?,
            email_templates: templates("communication.email_templates", self.email_templates)?,
            mail_from,
            mail_account,
            caller_id,
        })
    }
}

impl AssignmentSetupDto {
    /// The domain's setup; errors name the field's path in the request. The use case checks
    /// the rest against the flow and the data owner (unknown outcomes, products, calendars;
    /// limits, windows, the lease).
    pub fn into_domain(self) -> ApiResult<AssignmentSetup> {
        let per_outcome = PerOutcome::from_entries(self.outcomes)?;
        let customer_view = self
            .customer_view
            .iter()
            .enumerate()
            .map(
                |(i, raw)| match FIXED_FIELDS.iter().find(|(n, _)| n == raw) {
                    Some((_, fixed)) => Ok(ViewField::Fixed(*fixed)),
                    None => Ok(ViewField::Custom(key_at(
                        format!("customer_view[{i}]"),
                        raw,
                    )?)),
                },
            )
            .collect::<ApiResult<Vec<_>>>()?;
        let analysis_fields = self
            .analysis_fields
            .iter()
            .enumerate()
            .map(|(i, raw)| {
                if raw == ATTEMPTS {
                    Ok(AnalysisField::Attempts)
                } else {
                    Ok(AnalysisField::Crm(key_at(
                        format!("analysis_fields[{i}]"),
                        raw,
                    )?))
                }
            })
            .collect::<ApiResult<Vec<_>>>()?;
        let segments = self
            .segments
            .into_iter()
            .enumerate()
            .map(|(i, s)| {
                Ok(Segment {
                    id: SegmentId::from_uuid(s.id),
                    name: name_at(format!("segments[{i}].name"), &s.name)?,
                })
            })
            .collect::<ApiResult<Vec<_>>>()?;
        let priority = self
            .priority
            .into_iter()
            .enumerate()
            .map(|(i, rule)| {
                Ok(match rule {
                    PriorityRuleDto::SegmentOrder => PriorityRule::SegmentOrder,
                    PriorityRuleDto::Field { key, direction } => PriorityRule::Field(
                        key_at(format!("priority[{i}].key"), &key)?,
                        direction.into(),
                    ),
                    PriorityRuleDto::FewestAttempts => PriorityRule::FewestAttempts,
                    PriorityRuleDto::LongestSinceLastContact => {
                        PriorityRule::LongestSinceLastContact
                    }
                    PriorityRuleDto::ImportOrder => PriorityRule::ImportOrder,
                })
            })
            .collect::<ApiResult<Vec<_>>>()?;
        Ok(AssignmentSetup {
            outcome_options: per_outcome.options,
            outcome_fields: per_outcome.fields,
            follow_up_ownership: per_outcome.follow_up,
            sms_flows: per_outcome.sms,
            email_on_outcome: per_outcome.email,
            do_not_call_on: per_outcome.do_not_call,
            sale_confirmation: self
                .sale_confirmation
                .map(SaleConfirmationSetupDto::into_domain)
                .transpose()?,
            products: ProductSettings {
                available: self
                    .products
                    .available
                    .into_iter()
                    .map(ProductId::from_uuid)
                    .collect(),
                price_editable: self.products.price_editable,
            },
            calendars: self
                .calendars
                .into_iter()
                .map(CalendarId::from_uuid)
                .collect(),
            customer_view,
            communication: self.communication.into_domain()?,
            performance: PerformanceCriteria {
                meetings_per_hour: self.performance.meetings_per_hour,
                yes_per_hour: self.performance.yes_per_hour,
                products_per_hour: self.performance.products_per_hour,
                conclusions_per_hour: self.performance.conclusions_per_hour,
            },
            activity_limits: self
                .activity_limits
                .into_iter()
                .map(|l| ActivityLimit {
                    metric: l.metric.into(),
                    limit: l.limit,
                    mode: l.mode.into(),
                })
                .collect(),
            analysis_fields,
            visibility: Visibility {
                users: self
                    .visibility
                    .users
                    .map(|users| users.into_iter().map(UserId::from_uuid).collect()),
                from: self.visibility.from,
                to: self.visibility.to,
            },
            segments,
            priority,
            lease: Duration::seconds(self.lease_seconds),
            retry_delay: Duration::seconds(self.retry_delay_seconds),
            max_attempts: self.max_attempts,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_setup_goes_round_the_wire_unchanged() {
        let setup = AssignmentSetup::default();
        let dto = AssignmentSetupDto::from(&setup);
        let json = serde_json::to_value(&dto).expect("serialises");
        let back: AssignmentSetupDto = serde_json::from_value(json).expect("deserialises");
        assert_eq!(back.into_domain().expect("converts"), setup);
    }

    #[test]
    fn an_empty_body_is_the_default_setup() {
        let dto: AssignmentSetupDto = serde_json::from_str("{}").expect("deserialises");
        assert_eq!(
            dto.into_domain().expect("converts"),
            AssignmentSetup::default()
        );
    }

    #[test]
    fn a_bad_view_field_is_named_by_its_path() {
        let dto: AssignmentSetupDto =
            serde_json::from_str(r#"{"customer_view": ["name", "Not A Key"]}"#)
                .expect("deserialises");
        let Err(crate::error::ApiError::Malformed { detail, .. }) = dto.into_domain() else {
            panic!("a malformed view field is refused");
        };
        assert!(detail.starts_with("`customer_view[1]`"), "{detail}");
    }
}
