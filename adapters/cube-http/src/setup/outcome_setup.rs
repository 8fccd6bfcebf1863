//! The per-outcome part of an assignment's setup: for one outcome of the flow, its options,
//! its fields, who owns the follow-ups it schedules, the SMS flow it starts, the e-mail it
//! sends and whether it puts the customer on the do-not-call list. The domain keeps these as
//! maps and a set by outcome; the wire has one entry an outcome.

use super::field_definitions::{FieldDefinitionDto, definitions};
use super::name_at;
use crate::error::{ApiResult, invalid_field};
use cube_domain::assignment::setup::{AssignmentSetup, FollowUpOwnership, SmsFlow, SmsReplyRule};
use cube_domain::fields::FieldDefinition;
use cube_domain::ids::OutcomeId;
use cube_domain::values::Name;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use time::Duration;
use utoipa::ToSchema;
use uuid::Uuid;

/// Who owns a follow-up scheduled by a progress outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum FollowUpOwnershipDto {
    /// The seller who registered it.
    Personal,
    /// Nobody: whoever works the assignment when it is due.
    Shared,
}

impl From<FollowUpOwnership> for FollowUpOwnershipDto {
    fn from(ownership: FollowUpOwnership) -> Self {
        match ownership {
            FollowUpOwnership::Personal => FollowUpOwnershipDto::Personal,
            FollowUpOwnership::Shared => FollowUpOwnershipDto::Shared,
        }
    }
}

impl From<FollowUpOwnershipDto> for FollowUpOwnership {
    fn from(ownership: FollowUpOwnershipDto) -> Self {
        match ownership {
            FollowUpOwnershipDto::Personal => FollowUpOwnership::Personal,
            FollowUpOwnershipDto::Shared => FollowUpOwnership::Shared,
        }
    }
}

/// A keyword reply that registers an outcome.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SmsReplyRuleDto {
    /// The approved reply, compared case-insensitively after trimming (`JA`, `YES`).
    pub keyword: String,
    /// The outcome a matching reply registers.
    pub registers: Uuid,
}

/// An SMS flow: registering the outcome sends an SMS and listens for approved replies.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SmsFlowDto {
    /// The message sent, with merge fields like `{{ name }}`.
    pub template: String,
    /// How long replies are acted on after sending, in seconds (more than zero).
    pub reply_window_seconds: i64,
    /// The approved replies.
    #[serde(default)]
    pub replies: Vec<SmsReplyRuleDto>,
}

/// Everything the assignment configures for one outcome of its flow.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OutcomeSetupDto {
    /// The outcome (of the assignment's flow).
    pub outcome: Uuid,
    /// Sub-categories; when any are given, a seller must choose one.
    #[serde(default)]
    pub options: Vec<String>,
    /// Fields captured when the outcome is registered.
    #[serde(default)]
    pub fields: Vec<FieldDefinitionDto>,
    /// For progress outcomes that schedule a follow-up: whose it is (default personal).
    #[serde(default)]
    pub follow_up: Option<FollowUpOwnershipDto>,
    /// The SMS flow registering the outcome starts.
    #[serde(default)]
    pub sms: Option<SmsFlowDto>,
    /// The e-mail registering the outcome sends the customer: the name of one of
    /// `communication.email_templates` (needs `communication.mail_from`).
    #[serde(default)]
    pub email: Option<String>,
    /// Registering the outcome puts the customer on the data owner's do-not-call list ("never
    /// call me again"): no assignment hands them out after.
    #[serde(default)]
    pub do_not_call: bool,
}

/// One entry for every outcome the setup configures anything for, in id order.
pub(super) fn outcome_entries(s: &AssignmentSetup) -> Vec<OutcomeSetupDto> {
    let outcomes: BTreeSet<OutcomeId> = s
        .outcome_options
        .keys()
        .chain(s.outcome_fields.keys())
        .chain(s.follow_up_ownership.keys())
        .chain(s.sms_flows.keys())
        .chain(s.email_on_outcome.keys())
        .chain(s.do_not_call_on.iter())
        .copied()
        .collect();
    outcomes
        .into_iter()
        .map(|id| OutcomeSetupDto {
            outcome: id.as_uuid(),
            options: s
                .outcome_options
                .get(&id)
                .map(|o| o.iter().map(ToString::to_string).collect())
                .unwrap_or_default(),
            fields: s
                .outcome_fields
                .get(&id)
                .map(|f| f.iter().map(Into::into).collect())
                .unwrap_or_default(),
            follow_up: s.follow_up_ownership.get(&id).copied().map(Into::into),
            sms: s.sms_flows.get(&id).map(|sms| SmsFlowDto {
                template: sms.template.clone(),
                reply_window_seconds: sms.reply_window.whole_seconds(),
                replies: sms
                    .replies
                    .iter()
                    .map(|r| SmsReplyRuleDto {
                        keyword: r.keyword.clone(),
                        registers: r.registers.as_uuid(),
                    })
                    .collect(),
            }),
            email: s.email_on_outcome.get(&id).map(ToString::to_string),
            do_not_call: s.do_not_call_on.contains(&id),
        })
        .collect()
}

/// The per-outcome maps of a setup, as the domain keeps them.
#[derive(Debug, Default)]
pub(super) struct PerOutcome {
    pub(super) options: BTreeMap<OutcomeId, Vec<Name>>,
    pub(super) fields: BTreeMap<OutcomeId, Vec<FieldDefinition>>,
    pub(super) follow_up: BTreeMap<OutcomeId, FollowUpOwnership>,
    pub(super) sms: BTreeMap<OutcomeId, SmsFlow>,
    pub(super) email: BTreeMap<OutcomeId, Name>,
    pub(super) do_not_call: BTreeSet<OutcomeId>,
}

impl PerOutcome {
    /// The maps from the request's entries; errors name `outcomes[i]…`.
    pub(super) fn from_entries(entries: Vec<OutcomeSetupDto>) -> ApiResult<Self> {
        let mut maps = PerOutcome::default();
        let mut seen = BTreeSet::new();
        for (i, entry) in entries.into_iter().enumerate() {
            let at = format!("outcomes[{i}]");
            let id = OutcomeId::from_uuid(entry.outcome);
            if !seen.insert(id) {
                return Err(invalid_field(
                    format!("{at}.outcome"),
                    format!("outcome {id} has two entries; give each outcome one"),
                ));
            }
            if !entry.options.is_empty() {
                let options = entry
                    .options
                    .iter()
                    .enumerate()
                    .map(|(j, o)| name_at(format!("{at}.options[{j}]"), o))
                    .collect::<ApiResult<Vec<_>>>()?;
                maps.options.insert(id, options);
            }
            if !entry.fields.is_empty() {
                maps.fields
                    .insert(id, definitions(&format!("{at}.fields"), entry.fields)?);
            }
            if let Some(ownership) = entry.follow_up {
                maps.follow_up.insert(id, ownership.into());
            }
            if let Some(sms) = entry.sms {
                maps.sms.insert(
                    id,
                    SmsFlow {
                        template: sms.template,
                        reply_window: Duration::seconds(sms.reply_window_seconds),
                        replies: sms
                            .replies
                            .into_iter()
                            .map(|r| SmsReplyRule {
                                keyword: r.keyword,
                                registers: OutcomeId::from_uuid(r.registers),
                            })
                            .collect(),
                    },
                );
            }
            if let Some(template) = entry.email {
                maps.email
                    .insert(id, name_at(format!("{at}.email"), &template)?);
            }
            if entry.do_not_call {
                maps.do_not_call.insert(id);
            }
        }
        Ok(maps)
    }
}
