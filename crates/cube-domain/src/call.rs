//! Click-to-call (seed 000 item 8, issue 17): the caller id a call shows, the call as Cube
//! keeps it, and what the PBX's events do to it.
//!
//! A seller starts a call from the customer card; the PBX rings the seller's phone and
//! bridges it to the customer, showing a caller id. The assignment says which
//! (`CallerId::Shared` its own number, `CallerId::PerUser` the seller's), and a number is
//! shown only if the organisation registered it (`Organisation::caller_ids`): a call is
//! never placed with a hidden or unregistered number ([`caller_id_for`]).
//!
//! A [`Call`] is recorded when it is started and follows the PBX's status events
//! ([`Call::apply`]): ringing, answered, then one end (completed, busy, no answer, failed,
//! cancelled) with the talk time. Events come as the PBX sends them — late, twice, out of
//! order — so applying one is idempotent and never goes back: an event for a stage the call
//! has passed, or any event after its end, changes nothing. A call placed as a `tel:` link
//! (a softphone dials it) gets no events: it is recorded as dialled, and ended at once.

use crate::assignment::setup::CallerId;
use crate::ids::{AssignmentId, CallId, CustomerId, EnrollmentId, UserId};
use crate::values::PhoneNumber;
use serde::{Deserialize, Serialize};
use thiserror::Error;
use time::OffsetDateTime;

/// The most caller numbers an organisation registers (a handful in practice).
pub const MAX_CALLER_IDS: usize = 100;

/// Why a call cannot be started.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum CallRefused {
    /// The assignment shows each seller's own number, and the seller has none.
    #[error(
        "the assignment shows each seller's own number, and you have no phone number: an admin sets it on your user (PUT /api/users/{{id}}/phone)"
    )]
    NoOwnNumber,
    /// The PBX rings the seller's phone first, and the seller has none.
    #[error(
        "the call rings your phone first, and you have no phone number: an admin sets it on your user (PUT /api/users/{{id}}/phone)"
    )]
    NoPhoneToRing,
    /// The caller id is not one of the organisation's registered numbers.
    #[error(
        "the caller id {0} is not a number the organisation registered: an admin adds it to the organisation's caller_ids (PUT /api/organisation/caller-ids), or the assignment shows another"
    )]
    NotRegistered(PhoneNumber),
    /// The customer has no phone number to call.
    #[error("the customer has no phone number to call: add one on the customer card")]
    NoCustomerNumber,
    /// More caller numbers than an organisation registers.
    #[error("an organisation registers at most {MAX_CALLER_IDS} caller numbers")]
    TooManyCallerIds,
}

/// The caller id a call shows: the assignment's shared number, or the seller's own
/// (`seller_phone`), and only if the organisation registered it (`registered`). Never none:
/// a missing or unregistered number is refused, saying what to set.
pub fn caller_id_for(
    setting: &CallerId,
    seller_phone: Option<&PhoneNumber>,
    registered: &[PhoneNumber],
) -> Result<PhoneNumber, CallRefused> {
    let chosen = match setting {
        CallerId::Shared(number) => number,
        CallerId::PerUser => seller_phone.ok_or(CallRefused::NoOwnNumber)?,
    };
    if registered.contains(chosen) {
        Ok(chosen.clone())
    } else {
        Err(CallRefused::NotRegistered(chosen.clone()))
    }
}

/// Where a call is, as the PBX reports it (Twilio's `CallStatus` names on the wire).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum CallStatus {
    /// Placed as a `tel:` link for a softphone: Cube placed nothing and hears nothing more.
    Dialled,
    /// Asked of the PBX, not yet ringing.
    Initiated,
    /// The seller's phone rings.
    Ringing,
    /// Answered: talking.
    InProgress,
    /// Ended after it was answered.
    Completed,
    /// The line was busy.
    Busy,
    /// Nobody answered.
    NoAnswer,
    /// The PBX could not place it.
    Failed,
    /// Hung up before it was answered.
    Canceled,
}

impl CallStatus {
    /// Every status, in the order a call goes through them (the ends last).
    pub const ALL: [CallStatus; 9] = [
        CallStatus::Dialled,
        CallStatus::Initiated,
        CallStatus::Ringing,
        CallStatus::InProgress,
        CallStatus::Completed,
        CallStatus::Busy,
        CallStatus::NoAnswer,
        CallStatus::Failed,
        CallStatus::Canceled,
    ];

    /// The wire name (Twilio's `CallStatus`; `dialled` is ours).
    pub fn as_str(self) -> &'static str {
        match self {
            CallStatus::Dialled => "dialled",
            CallStatus::Initiated => "initiated",
            CallStatus::Ringing => "ringing",
            CallStatus::InProgress => "in-progress",
            CallStatus::Completed => "completed",
            CallStatus::Busy => "busy",
            CallStatus::NoAnswer => "no-answer",
            CallStatus::Failed => "failed",
            CallStatus::Canceled => "canceled",
        }
    }

    /// The status of a wire name (`in-progress`, `no-answer`, …; `answered`, which some
    /// PBXs send, is `in-progress`); `None` for a name Cube does not know.
    pub fn parse(name: &str) -> Option<CallStatus> {
        let name = name.trim();
        if name.eq_ignore_ascii_case("answered") {
            return Some(CallStatus::InProgress);
        }
        CallStatus::ALL
            .into_iter()
            .find(|s| s.as_str().eq_ignore_ascii_case(name))
    }

    /// Whether the call is over: nothing changes it any more.
    pub fn is_final(self) -> bool {
        self.stage() == 3
    }

    /// How far along a call in this status is: 0 asked, 1 ringing, 2 talking, 3 over.
    fn stage(self) -> u8 {
        match self {
            CallStatus::Initiated => 0,
            CallStatus::Ringing => 1,
            CallStatus::InProgress => 2,
            CallStatus::Dialled
            | CallStatus::Completed
            | CallStatus::Busy
            | CallStatus::NoAnswer
            | CallStatus::Failed
            | CallStatus::Canceled => 3,
        }
    }
}

impl std::fmt::Display for CallStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The longest provider call id kept (Twilio's are 34 characters).
pub const MAX_PROVIDER_CALL_ID: usize = 200;

/// Why a PBX's event cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum CallEventError {
    /// The provider's call id is empty, too long, or not printable.
    #[error("the call id must be 1 to {MAX_PROVIDER_CALL_ID} printable characters")]
    ProviderId,
    /// A status Cube does not know.
    #[error(
        "unknown call status '{0}': one of initiated, ringing, in-progress, completed, busy, no-answer, failed, canceled"
    )]
    Status(String),
    /// A duration that is not a whole number of seconds.
    #[error("the call duration must be a whole number of seconds, at most a day")]
    Duration,
}

/// A provider's call id, checked: 1 to [`MAX_PROVIDER_CALL_ID`] printable ASCII characters.
pub fn provider_call_id(raw: &str) -> Result<String, CallEventError> {
    let id = raw.trim();
    if id.is_empty() || id.len() > MAX_PROVIDER_CALL_ID || !id.chars().all(|c| c.is_ascii_graphic())
    {
        return Err(CallEventError::ProviderId);
    }
    Ok(id.to_owned())
}

/// The longest call Cube believes: a day.
const MAX_CALL_SECONDS: u32 = 86_400;

/// What the PBX said of a call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallEvent {
    /// The status now.
    pub status: CallStatus,
    /// The talk time in seconds, when the PBX says (at the end).
    pub duration: Option<u32>,
    /// When Cube heard it.
    pub at: OffsetDateTime,
}

impl CallEvent {
    /// An event from its wire fields: a status name and an optional duration in seconds
    /// (empty: none). `dialled` is not an event a PBX sends.
    pub fn parse(
        status: &str,
        duration: Option<&str>,
        at: OffsetDateTime,
    ) -> Result<Self, CallEventError> {
        let parsed = CallStatus::parse(status)
            .filter(|s| *s != CallStatus::Dialled)
            .ok_or_else(|| CallEventError::Status(crate::values::excerpt(status)))?;
        let duration = match duration.map(str::trim).filter(|d| !d.is_empty()) {
            None => None,
            Some(d) => Some(
                d.parse::<u32>()
                    .ok()
                    .filter(|s| *s <= MAX_CALL_SECONDS)
                    .ok_or(CallEventError::Duration)?,
            ),
        };
        Ok(Self {
            status: parsed,
            duration,
            at,
        })
    }
}

/// A call a seller started, as Cube keeps it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Call {
    /// The id (also in the PBX's event URL, so its first events find the call).
    pub id: CallId,
    /// The assignment the customer was worked in.
    pub assignment: AssignmentId,
    /// The customer's enrollment in it.
    pub enrollment: EnrollmentId,
    /// The customer.
    pub customer: CustomerId,
    /// The seller who called.
    pub seller: UserId,
    /// The number shown to the customer.
    pub caller_id: PhoneNumber,
    /// The customer's number called; `None` once the customer was erased ([`Call::erased`]).
    pub to: Option<PhoneNumber>,
    /// The PBX's id of the call; `None` for a `tel:` link, before the PBX answered, or once
    /// the customer was erased.
    pub provider_id: Option<String>,
    /// Where it is.
    pub status: CallStatus,
    /// When the seller started it.
    pub started_at: OffsetDateTime,
    /// When it was answered.
    #[serde(default)]
    pub answered_at: Option<OffsetDateTime>,
    /// When it ended.
    #[serde(default)]
    pub ended_at: Option<OffsetDateTime>,
    /// The talk time in seconds, once ended (the PBX's, else answer to end).
    pub duration: Option<u32>,
    /// Why the PBX could not place it, when it could not.
    #[serde(default)]
    pub failure: Option<String>,
}

impl Call {
    /// Applies a PBX's event; `true` when it changed the call. Never goes back: an event
    /// for a stage already passed, or any event once the call is over, changes nothing (so
    /// the same event twice changes nothing the second time).
    pub fn apply(&mut self, event: &CallEvent) -> bool {
        if self.status.is_final() || event.status.stage() <= self.status.stage() {
            return false;
        }
        self.status = event.status;
        if event.status == CallStatus::InProgress {
            self.answered_at = Some(event.at);
        }
        if event.status.is_final() {
            let ended = event.at.max(self.started_at);
            self.ended_at = Some(ended);
            let talked = match (event.status, self.answered_at) {
                (CallStatus::Completed, Some(answered)) => {
                    u32::try_from((ended - answered).whole_seconds()).unwrap_or(0)
                }
                _ => 0,
            };
            self.duration = Some(match event.status {
                CallStatus::Completed => event.duration.unwrap_or(talked),
                _ => 0,
            });
        }
        true
    }

    /// The call, ended at `at` because the PBX would not place it (`reason`).
    pub fn failed(&mut self, reason: String, at: OffsetDateTime) {
        self.status = CallStatus::Failed;
        self.ended_at = Some(at.max(self.started_at));
        self.duration = Some(0);
        self.failure = Some(reason);
    }

    /// The call without what names the customer (an erasure, GDPR art. 17): the number
    /// called, the PBX's id (the PBX's own logs keep the number under it) and the PBX's
    /// failure text go; what the reports count — the assignment, the seller, the status, the
    /// times and the talk time — stays, as an erased customer's outcome history does
    /// (`OutcomeEvent::without_texts`), so the reports add up as before.
    #[must_use]
    pub fn erased(self) -> Call {
        Call {
            to: None,
            provider_id: None,
            failure: None,
            ..self
        }
    }

    /// What the history shows: "call 3 min 12 s, from +4722334455", "call not answered,
    /// from …", "call dialled from a softphone, showing …".
    pub fn summary(&self) -> String {
        let from = self.caller_id.as_str();
        match self.status {
            CallStatus::Dialled => format!("call dialled on a softphone, showing {from}"),
            CallStatus::Initiated | CallStatus::Ringing => format!("call ringing, from {from}"),
            CallStatus::InProgress => format!("call in progress, from {from}"),
            CallStatus::Completed => {
                let seconds = self.duration.unwrap_or(0);
                format!("call {}, from {from}", talk_time(u64::from(seconds)))
            }
            CallStatus::Busy => format!("call busy, from {from}"),
            CallStatus::NoAnswer => format!("call not answered, from {from}"),
            CallStatus::Canceled => format!("call cancelled, from {from}"),
            CallStatus::Failed => format!("call failed, from {from}"),
        }
    }
}

/// A talk time as the history says it: `45 s`, `3 min 12 s`, `1 h 2 min 3 s`.
pub fn talk_time(seconds: u64) -> String {
    let (h, m, s) = (seconds / 3600, seconds / 60 % 60, seconds % 60);
    match (h, m) {
        (0, 0) => format!("{s} s"),
        (0, _) => format!("{m} min {s} s"),
        _ => format!("{h} h {m} min {s} s"),
    }
}

/// A call to place: ring the seller's phone, then bridge to the customer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallRequest {
    /// Cube's id of the call (the PBX's events carry it back).
    pub call: CallId,
    /// The seller.
    pub seller: UserId,
    /// The seller's phone, rung first.
    pub seller_phone: PhoneNumber,
    /// The customer's number.
    pub to: PhoneNumber,
    /// The number shown to the customer (registered, never hidden).
    pub caller_id: PhoneNumber,
}

/// The link a softphone dials: `tel:+4791234567` (RFC 3966, a global number).
pub fn tel_link(to: &PhoneNumber) -> String {
    format!("tel:{}", to.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    fn phone(raw: &str) -> PhoneNumber {
        PhoneNumber::parse(raw).expect("valid")
    }

    fn call() -> Call {
        Call {
            id: CallId::from_uuid(uuid::Uuid::from_u128(1)),
            assignment: AssignmentId::from_uuid(uuid::Uuid::from_u128(2)),
            enrollment: EnrollmentId::from_uuid(uuid::Uuid::from_u128(3)),
            customer: CustomerId::from_uuid(uuid::Uuid::from_u128(4)),
            seller: UserId::from_uuid(uuid::Uuid::from_u128(5)),
            caller_id: phone("+4722334455"),
            to: Some(phone("+4791234567")),
            provider_id: Some("CA1".into()),
            status: CallStatus::Initiated,
            started_at: datetime!(2026-03-02 09:00 UTC),
            answered_at: None,
            ended_at: None,
            duration: None,
            failure: None,
        }
    }

    fn event(status: &str, duration: Option<&str>, at: OffsetDateTime) -> CallEvent {
        CallEvent::parse(status, duration, at).expect("valid event")
    }

    #[test]
    fn the_caller_id_is_the_shared_or_own_number_and_only_a_registered_one() {
        let shared = phone("+4722334455");
        let own = phone("+4790000001");
        let registered = [shared.clone(), own.clone()];
        let setting = CallerId::Shared(shared.clone());
        assert_eq!(caller_id_for(&setting, None, &registered), Ok(shared));
        assert_eq!(
            caller_id_for(&CallerId::PerUser, Some(&own), &registered),
            Ok(own.clone())
        );
        assert_eq!(
            caller_id_for(&CallerId::PerUser, None, &registered),
            Err(CallRefused::NoOwnNumber)
        );
        let other = phone("+4790000002");
        assert_eq!(
            caller_id_for(&CallerId::PerUser, Some(&other), &registered),
            Err(CallRefused::NotRegistered(other.clone()))
        );
        assert_eq!(
            caller_id_for(&CallerId::Shared(other.clone()), Some(&own), &[]),
            Err(CallRefused::NotRegistered(other))
        );
    }

    #[test]
    fn a_completed_call_keeps_the_pbx_duration_and_the_same_event_twice_changes_nothing() {
        let mut c = call();
        assert!(c.apply(&event("ringing", None, datetime!(2026-03-02 09:00:02 UTC))));
        assert!(c.apply(&event(
            "in-progress",
            None,
            datetime!(2026-03-02 09:00:10 UTC)
        )));
        assert_eq!(c.answered_at, Some(datetime!(2026-03-02 09:00:10 UTC)));
        let done = event("completed", Some("192"), datetime!(2026-03-02 09:03:22 UTC));
        assert!(c.apply(&done));
        let once = c.clone();
        assert!(!c.apply(&done));
        assert!(!c.apply(&event("ringing", None, datetime!(2026-03-02 09:04 UTC))));
        assert_eq!(c, once);
        assert_eq!(c.status, CallStatus::Completed);
        assert_eq!(c.duration, Some(192));
        assert_eq!(c.ended_at, Some(datetime!(2026-03-02 09:03:22 UTC)));
        assert_eq!(c.summary(), "call 3 min 12 s, from +4722334455");
    }

    #[test]
    fn events_never_go_back_and_an_unanswered_end_talked_nothing() {
        let mut c = call();
        assert!(c.apply(&event(
            "in-progress",
            None,
            datetime!(2026-03-02 09:00:05 UTC)
        )));
        assert!(!c.apply(&event("ringing", None, datetime!(2026-03-02 09:00:06 UTC))));
        assert_eq!(c.status, CallStatus::InProgress);
        // Completed without a duration: answer to end.
        assert!(c.apply(&event(
            "completed",
            None,
            datetime!(2026-03-02 09:01:05 UTC)
        )));
        assert_eq!(c.duration, Some(60));
        let mut busy = call();
        assert!(busy.apply(&event(
            "busy",
            Some("0"),
            datetime!(2026-03-02 09:00:20 UTC)
        )));
        assert_eq!((busy.status, busy.duration), (CallStatus::Busy, Some(0)));
        assert_eq!(busy.summary(), "call busy, from +4722334455");
        assert!(!busy.apply(&event(
            "completed",
            Some("30"),
            datetime!(2026-03-02 09:01 UTC)
        )));
    }

    #[test]
    fn bad_events_are_refused_with_what_is_wrong() {
        let at = datetime!(2026-03-02 09:00 UTC);
        assert!(matches!(
            CallEvent::parse("exploded", None, at),
            Err(CallEventError::Status(_))
        ));
        assert_eq!(
            CallEvent::parse("dialled", None, at),
            Err(CallEventError::Status("dialled".into()))
        );
        assert_eq!(
            CallEvent::parse("completed", Some("-3"), at),
            Err(CallEventError::Duration)
        );
        assert_eq!(
            CallEvent::parse("completed", Some("86401"), at),
            Err(CallEventError::Duration)
        );
        assert_eq!(
            CallEvent::parse("Answered", Some(""), at).map(|e| e.status),
            Ok(CallStatus::InProgress)
        );
        assert_eq!(provider_call_id(" CA12 "), Ok("CA12".into()));
        assert_eq!(provider_call_id(""), Err(CallEventError::ProviderId));
        assert_eq!(provider_call_id("a b"), Err(CallEventError::ProviderId));
        for status in CallStatus::ALL {
            assert_eq!(CallStatus::parse(status.as_str()), Some(status));
        }
    }

    #[test]
    fn an_erased_call_keeps_what_the_reports_count_and_nothing_that_names_the_customer() {
        let mut ended = call();
        ended.failure = Some("the PBX said +4791234567 is unreachable".into());
        assert!(ended.apply(&event(
            "completed",
            Some("192"),
            datetime!(2026-03-02 09:04 UTC)
        )));
        let erased = ended.clone().erased();
        assert_eq!(
            (&erased.to, &erased.provider_id, &erased.failure),
            (&None, &None, &None)
        );
        assert_eq!(
            (
                erased.status,
                erased.duration,
                erased.seller,
                erased.assignment
            ),
            (ended.status, ended.duration, ended.seller, ended.assignment)
        );
        assert_eq!(erased.started_at, ended.started_at);
        assert_eq!(
            erased.summary(),
            ended.summary(),
            "no number in the summary"
        );
    }

    #[test]
    fn talk_times_read_as_a_person_says_them() {
        assert_eq!(talk_time(45), "45 s");
        assert_eq!(talk_time(192), "3 min 12 s");
        assert_eq!(talk_time(3723), "1 h 2 min 3 s");
        assert_eq!(tel_link(&phone("+4791234567")), "tel:+4791234567");
    }
}
