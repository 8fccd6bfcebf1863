//! SMS flows: the message an outcome sends, with merge fields filled in from the customer
//! (the same merge fields an outcome's e-mail uses, escaped for HTML: [`render_html`]),
//! and what to do with a reply. A reply registers the flow's outcome only when it is an
//! approved keyword inside the reply window; anything else is stored and shown, never acted
//! on.
//!
//! # A flow that listens
//! Registering an outcome with an SMS flow enqueues the message and records a
//! [`SentSmsFlow`]: to whom, when, which outcome's flow, and the state the outcome left
//! the customer in. A reply ([`InboundSms`]) is matched to the latest flow sent to its
//! number and judged by [`judge_reply`]: an approved keyword inside the window, on a flow
//! not answered yet, while the customer is still where the flow left them, registers the
//! keyword's outcome; anything else is kept with its [`ReplyFate`] and never acted on.
//!
//! # A text no flow matched
//! A text from a number no SMS flow or sale confirmation went to ([`SmsReply::is_unmatched`])
//! belongs to no assignment: the platform's number is shared by every organisation on the
//! server, and the text says nothing of whom it was meant for. It is the data of **each data
//! owner whose assignments contacted the sender's number before the text came** — an SMS
//! enqueued to it in the outbox or a call placed to it — and of no one else; holding a
//! customer with the number is no claim (anyone can type a number into a card: that is
//! how another organisation's admin read an Acme customer's texts before this rule).
//! - The claims are **decided at receipt and recorded with the text**
//!   (`SmsReplyWrites::claim_unmatched_sms`): "contacted before the text came" is a fact of
//!   that moment, everything it depends on is in the store then, and nothing later may
//!   change it — a data owner contacting the number the day after gets no claim, and an
//!   erasure that blanks a message's recipient or a call's number afterwards cannot move
//!   the text to someone else. Deciding it when a right is exercised would have to re-read
//!   every outbox message and call by time, and would read a record erased since as "no
//!   contact".
//! - A claiming data owner's access export lists the text beside its customer with the
//!   number; its erasure of the person drops **its own claim only**. The text is one record:
//!   it is deleted when the last claim goes, and until then the other claimants — separate
//!   controllers, each answering for its own processing — keep it, as they keep every other
//!   record of the person, until the person asks them. The erasing data owner never sees it
//!   again (its claim is gone and is not made again by a later contact), and is not told
//!   whether anyone else still holds it.
//! - A text no data owner claims is kept at most [`UNMATCHED_TEXT_DAYS`] days and then
//!   deleted by the server's worker, so nothing personal is held for ever without a
//!   controller.

use crate::assignment::setup::SmsFlow;
use crate::customer::Customer;
use crate::ids::{
    AssignmentId, EnrollmentId, OutboxMessageId, OutcomeEventId, OutcomeId, SmsReplyId, StateId,
};
use crate::values::PhoneNumber;
use serde::{Deserialize, Serialize};
use thiserror::Error;
use time::OffsetDateTime;

/// Fills `{{ key }}` merge fields: `name`, `phone`, `email`, `address` and the customer's
/// CRM field keys. Unknown keys are left as written so a typo is visible, not silently empty.
pub fn render(template: &str, customer: &Customer) -> String {
    render_with(
        template,
        customer,
        &MergeContext::default(),
        &[],
        str::to_owned,
    )
}

/// [`render`] with more merge fields than a customer has (`extra`: key and value, looked up
/// before the customer's): what a sale's written offer fills in its product lines and total
/// with (`crate::sale_confirmation`).
pub fn render_with_extra(template: &str, customer: &Customer, extra: &[(&str, String)]) -> String {
    render_with(
        template,
        customer,
        &MergeContext::default(),
        extra,
        str::to_owned,
    )
}

/// [`render_html`] with more merge fields than a customer has (`extra`: key and value,
/// inserted **as given**, so they may be markup the caller built and escaped itself): what a
/// sale's written offer by e-mail fills in its product table with (`crate::sale_confirmation`).
pub fn render_html_with_extra(
    template: &str,
    customer: &Customer,
    extra: &[(&str, String)],
) -> String {
    render_with(
        template,
        customer,
        &MergeContext::default(),
        extra,
        escape_html,
    )
}

/// [`render`] for an HTML template (an e-mail's body): the customer's values are escaped,
/// so a name like `<b>Kari</b> & Co` shows as written and never as markup.
pub fn render_html(template: &str, customer: &Customer) -> String {
    render_with(
        template,
        customer,
        &MergeContext::default(),
        &[],
        escape_html,
    )
}

/// [`render`] with the merge fields of the message's context too ([`CONTEXT_MERGE_FIELDS`]:
/// the seller, the assignment, the meeting).
pub fn render_in(template: &str, customer: &Customer, context: &MergeContext) -> String {
    render_with(template, customer, context, &[], str::to_owned)
}

/// [`render_html`] with the merge fields of the message's context too.
pub fn render_html_in(template: &str, customer: &Customer, context: &MergeContext) -> String {
    render_with(template, customer, context, &[], escape_html)
}

/// The merge fields about who sends and why, beside the customer's: the seller who sends
/// (or registered the outcome that sends), the assignment, and the meeting (its local date
/// and time, and its place).
pub const CONTEXT_MERGE_FIELDS: [&str; 6] = [
    "seller.name",
    "seller.email",
    "assignment.name",
    "meeting.date",
    "meeting.time",
    "meeting.place",
];

/// Whether `key` is one of the meeting's merge fields: a template using one needs a meeting
/// (an outcome that books one, or a customer with one coming up).
pub fn is_meeting_field(key: &str) -> bool {
    key.starts_with("meeting.")
}

/// Whether `template` uses a meeting's merge field (an unreadable template uses none: its
/// check says what is wrong with it).
pub fn uses_meeting(template: &str) -> bool {
    merge_fields(template).is_ok_and(|keys| keys.iter().any(|key| is_meeting_field(key)))
}

/// The values of [`CONTEXT_MERGE_FIELDS`] for one message. A field without a value (no
/// seller when the system registered the outcome; no place for a video meeting without a
/// link) is empty in the message; a meeting field with no meeting at all never gets here —
/// the use cases refuse to send it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MergeContext {
    /// The seller's name.
    pub seller_name: Option<String>,
    /// The seller's e-mail address.
    pub seller_email: Option<String>,
    /// The assignment's name.
    pub assignment_name: Option<String>,
    /// The meeting's start as the customer reads it: in the organisation's time zone.
    pub meeting_start: Option<time::PrimitiveDateTime>,
    /// The meeting's address or video link.
    pub meeting_place: Option<String>,
    /// Whether there is a meeting (its fields are then known, even when empty).
    pub meeting: bool,
}

impl MergeContext {
    /// The context of a message of `assignment` (its name).
    pub fn of_assignment(assignment: &crate::assignment::Assignment) -> Self {
        Self {
            assignment_name: Some(assignment.name().to_string()),
            ..Self::default()
        }
    }

    /// The same, sent by (or on the outcome of) `seller`.
    #[must_use]
    pub fn with_seller(mut self, seller: &crate::access::User) -> Self {
        self.seller_name = Some(seller.name.to_string());
        self.seller_email = Some(seller.email.to_string());
        self
    }

    /// The same, about `meeting`, its time read in the organisation's `zone`.
    #[must_use]
    pub fn with_meeting(
        mut self,
        meeting: &crate::meeting::Meeting,
        zone: &crate::time_zone::TimeZone,
    ) -> Self {
        let local = meeting.start.to_offset(zone.offset_at(meeting.start));
        self.meeting_start = Some(time::PrimitiveDateTime::new(local.date(), local.time()));
        self.meeting_place = meeting.place.clone();
        self.meeting = true;
        self
    }

    /// The value of a context field: `None` if `key` is not one (or is a meeting field and
    /// there is no meeting), else the value, empty when unknown.
    fn value(&self, key: &str) -> Option<String> {
        let or_empty = |value: &Option<String>| value.clone().unwrap_or_default();
        match key {
            "seller.name" => Some(or_empty(&self.seller_name)),
            "seller.email" => Some(or_empty(&self.seller_email)),
            "assignment.name" => Some(or_empty(&self.assignment_name)),
            "meeting.date" if self.meeting => self.meeting_start.map(|start| {
                format!(
                    "{:02}.{:02}.{}",
                    start.day(),
                    u8::from(start.month()),
                    start.year()
                )
            }),
            "meeting.time" if self.meeting => self
                .meeting_start
                .map(|start| format!("{:02}:{:02}", start.hour(), start.minute())),
            "meeting.place" if self.meeting => Some(or_empty(&self.meeting_place)),
            _ => None,
        }
    }
}

/// `text` with the five characters HTML gives meaning escaped.
pub fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            other => out.push(other),
        }
    }
    out
}

/// One piece of a template, in order: text as written, a merge field (`{{ key }}`: its key
/// trimmed, and the field as written), or a `{{` never closed (the rest, as written).
enum Piece<'a> {
    Text(&'a str),
    Field { key: &'a str, written: &'a str },
    Unclosed(&'a str),
}

/// The pieces of `template`: the one reading of `{{ … }}` that rendering, checking and
/// measuring share.
fn pieces(template: &str) -> Vec<Piece<'_>> {
    let mut pieces = Vec::new();
    let mut rest = template;
    while let Some(start) = rest.find("{{") {
        if start > 0 {
            pieces.push(Piece::Text(&rest[..start]));
        }
        let after = &rest[start + 2..];
        let Some(end) = after.find("}}") else {
            pieces.push(Piece::Unclosed(&rest[start..]));
            return pieces;
        };
        pieces.push(Piece::Field {
            key: after[..end].trim(),
            written: &rest[start..start + 2 + end + 2],
        });
        rest = &after[end + 2..];
    }
    if !rest.is_empty() {
        pieces.push(Piece::Text(rest));
    }
    pieces
}

fn render_with(
    template: &str,
    customer: &Customer,
    context: &MergeContext,
    extra: &[(&str, String)],
    value: impl Fn(&str) -> String,
) -> String {
    let mut out = String::with_capacity(template.len());
    for piece in pieces(template) {
        match piece {
            Piece::Text(text) | Piece::Unclosed(text) => out.push_str(text),
            Piece::Field { key, written } => {
                if let Some((_, given)) = extra.iter().find(|(k, _)| *k == key) {
                    // As given: the caller made it for the template's kind (markup in HTML).
                    out.push_str(given);
                    continue;
                }
                match context.value(key).or_else(|| merge_value(key, customer)) {
                    Some(merged) => out.push_str(&value(&merged)),
                    None => out.push_str(written),
                }
            }
        }
    }
    out
}

fn merge_value(key: &str, customer: &Customer) -> Option<String> {
    let details = customer.details();
    match key {
        "name" => Some(details.name.to_string()),
        "phone" => details.phones.first().map(ToString::to_string),
        "email" => details.email.as_ref().map(ToString::to_string),
        "address" => details.address.clone(),
        other => customer
            .fields()
            .iter()
            .find(|(k, _)| k.as_str() == other)
            .map(|(_, v)| v.display()),
    }
}

/// What to do with an incoming reply.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ReplyDecision {
    /// Register this outcome on the enrollment.
    Register(OutcomeId),
    /// Store and show it; the keyword is not an approved one.
    UnknownKeyword,
    /// Store and show it; it came after the reply window closed.
    OutsideWindow,
}

/// Decides what a reply to an SMS sent at `sent_at` does when it arrives at `received_at`.
pub fn interpret_reply(
    flow: &SmsFlow,
    sent_at: OffsetDateTime,
    received_at: OffsetDateTime,
    body: &str,
) -> ReplyDecision {
    // A window ending past the last representable time never closes.
    let closed = sent_at
        .checked_add(flow.reply_window)
        .is_some_and(|end| received_at > end);
    if received_at < sent_at || closed {
        return ReplyDecision::OutsideWindow;
    }
    flow.outcome_for_reply(body)
        .map_or(ReplyDecision::UnknownKeyword, ReplyDecision::Register)
}

/// The merge fields every template may use, whatever the data owner's CRM fields.
pub const CONTACT_MERGE_FIELDS: [&str; 4] = ["name", "phone", "email", "address"];

/// Why a template cannot be saved.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum TemplateError {
    /// A `{{` without its `}}`.
    #[error("a merge field is opened with {{{{ and never closed with }}}}: \"{0}\"")]
    Unclosed(String),
    /// A merge field no customer has.
    #[error(
        "the merge field {{{{ {0} }}}} is not known: use name, phone, email, address, a CRM \
         field key of the data owner, seller.name, seller.email, assignment.name, \
         meeting.date, meeting.time or meeting.place"
    )]
    UnknownField(String),
    /// A template an outcome sends uses a meeting's merge field, and the outcome books no
    /// meeting.
    #[error(
        "it uses the meeting's merge fields (meeting.date, meeting.time, meeting.place), and \
         outcome '{0}', which sends it, books no meeting: remove them or send it on an outcome \
         that books one"
    )]
    NeedsMeeting(String),
}

/// The merge fields of a template in order of appearance (`{{ key }}`, spaces trimmed).
pub fn merge_fields(template: &str) -> Result<Vec<String>, TemplateError> {
    let mut keys = Vec::new();
    for piece in pieces(template) {
        match piece {
            Piece::Text(_) => {}
            Piece::Field { key, .. } => keys.push(key.to_owned()),
            Piece::Unclosed(rest) => {
                let opened: String = rest.chars().take(24).collect();
                return Err(TemplateError::Unclosed(crate::values::excerpt(&opened)));
            }
        }
    }
    Ok(keys)
}

/// Checks that every merge field of `template` is one a customer has: the contact fields
/// ([`CONTACT_MERGE_FIELDS`]) or a key `crm_field` knows. What [`render`] would leave as
/// written is refused here, when the template is saved, not found in a sent message.
pub fn check_template(
    template: &str,
    crm_field: impl Fn(&str) -> bool,
) -> Result<(), TemplateError> {
    for key in merge_fields(template)? {
        if !CONTACT_MERGE_FIELDS.contains(&key.as_str())
            && !CONTEXT_MERGE_FIELDS.contains(&key.as_str())
            && !crm_field(&key)
        {
            return Err(TemplateError::UnknownField(crate::values::excerpt(&key)));
        }
    }
    Ok(())
}

/// How a text message is encoded: the GSM 03.38 alphabet (7 bits a character; Norwegian
/// letters æ, ø, å are in it) when every character is, else UCS-2 (16 bits).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SmsEncoding {
    /// GSM 03.38: 160 characters in one SMS, 153 in each part of a longer one.
    Gsm7,
    /// UCS-2: 70 characters in one SMS, 67 in each part.
    Ucs2,
}

impl SmsEncoding {
    /// `gsm7` or `ucs2`, as the API and the stored documents spell it.
    pub fn as_str(self) -> &'static str {
        match self {
            SmsEncoding::Gsm7 => "gsm7",
            SmsEncoding::Ucs2 => "ucs2",
        }
    }
}

/// A text's size as a phone network counts it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SmsLength {
    /// The encoding the whole text needs.
    pub encoding: SmsEncoding,
    /// Its size in the encoding's units: septets (an extension character such as `€` or
    /// `{` takes two) or UTF-16 units (an emoji takes two).
    pub units: u32,
    /// How many SMS it is sent as (each billed): 0 for an empty text.
    pub segments: u32,
}

/// The GSM 03.38 basic alphabet (one septet each).
const GSM7_BASIC: &str = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?\
    ¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";

/// The GSM 03.38 extension table (two septets each: an escape, then the character).
const GSM7_EXTENSION: &str = "^{}\\[~]|€\u{0C}";

/// The size of `text` as sent: its encoding, units and segments. A character is never split
/// between two segments (an extension character or an emoji that does not fit starts the
/// next one).
pub fn length(text: &str) -> SmsLength {
    let gsm = text
        .chars()
        .all(|c| GSM7_BASIC.contains(c) || GSM7_EXTENSION.contains(c));
    let (encoding, single, part) = if gsm {
        (SmsEncoding::Gsm7, 160, 153)
    } else {
        (SmsEncoding::Ucs2, 70, 67)
    };
    let cost = |c: char| -> u32 {
        match encoding {
            SmsEncoding::Gsm7 if GSM7_EXTENSION.contains(c) => 2,
            SmsEncoding::Gsm7 => 1,
            SmsEncoding::Ucs2 => u32::try_from(c.len_utf16()).unwrap_or(2),
        }
    };
    let units: u32 = text.chars().map(cost).sum();
    let segments = if units == 0 {
        0
    } else if units <= single {
        1
    } else {
        let (mut segments, mut used) = (1, 0);
        for c in text.chars() {
            let c = cost(c);
            if used + c > part {
                segments += 1;
                used = 0;
            }
            used += c;
        }
        segments
    };
    SmsLength {
        encoding,
        units,
        segments,
    }
}

/// The text of a template with its merge fields left out: what [`length`] measures when a
/// template is saved (each merge field then adds its value).
pub fn fixed_text(template: &str) -> String {
    pieces(template)
        .into_iter()
        .filter_map(|piece| match piece {
            Piece::Text(text) | Piece::Unclosed(text) => Some(text),
            Piece::Field { .. } => None,
        })
        .collect()
}

/// An SMS an outcome's flow sent, listening for replies: recorded in the unit of work that
/// registered the outcome and enqueued the message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SentSmsFlow {
    /// The outbox message that carries the SMS (also this flow's id).
    pub message: OutboxMessageId,
    /// The assignment whose setup holds the flow.
    pub assignment: AssignmentId,
    /// The customer's enrollment in it.
    pub enrollment: EnrollmentId,
    /// The outcome event that started the flow.
    pub event: OutcomeEventId,
    /// The outcome whose SMS flow it is (the key of `AssignmentSetup::sms_flows`).
    pub outcome: OutcomeId,
    /// The state the outcome left the customer in: a reply acts only while they are there.
    pub state: StateId,
    /// The number the SMS went to (and replies come from).
    pub to: PhoneNumber,
    /// Who it was sent as (the assignment's sender: a name or a number), to tell one
    /// organisation's flow from another's when a provider says which sender a text answers.
    pub sender: String,
    /// When the SMS was enqueued: the reply window counts from here.
    pub sent_at: OffsetDateTime,
}

/// How many days a text no flow matched is kept while no data owner claims it (see the
/// module doc), then deleted: nothing personal is held for ever without a controller, and
/// a month leaves the operator time to answer a person who asks after a text of theirs.
pub const UNMATCHED_TEXT_DAYS: i64 = 30;

/// The longest provider message id kept.
pub const MAX_PROVIDER_ID: usize = 200;

/// The longest reply text kept (ten concatenated SMS of 160 characters).
pub const MAX_REPLY_TEXT: usize = 1_600;

/// The sender's number of a text as SMS providers write it: with its country code
/// (`+4791234567`, `+47 912 34 567`, `004791234567`), as an international number without
/// the `+` (`4791234567`: how many providers write an MSISDN), or a Norwegian number without
/// a country code (`91234567`).
pub fn sender_number(raw: &str) -> Result<PhoneNumber, crate::values::ValueError> {
    let national = PhoneNumber::parse_in(raw, crate::values::PhoneRegion::NORWAY);
    let digits: String = raw.chars().filter(|c| !c.is_whitespace()).collect();
    match national {
        Ok(number) => Ok(number),
        Err(error) if !digits.is_empty() && digits.chars().all(|c| c.is_ascii_digit()) => {
            PhoneNumber::parse(&format!("+{digits}")).map_err(|_| error)
        }
        Err(error) => Err(error),
    }
}

/// Why an inbound SMS cannot be taken in: said to the provider, which must fix its call.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum InboundError {
    /// The provider's message id is missing, too long or holds control characters.
    #[error("the message id must be 1 to {MAX_PROVIDER_ID} characters without control characters")]
    ProviderId,
    /// The text is longer than [`MAX_REPLY_TEXT`] characters.
    #[error("the text is longer than {MAX_REPLY_TEXT} characters")]
    TextTooLong,
    /// The recipient (our sender) is longer than 64 characters or holds control characters.
    #[error("the recipient must be at most 64 characters without control characters")]
    To,
}

/// A text message a customer sent to us, as the provider reported it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InboundSms {
    /// The provider's id of the message: the same message posted twice is taken in once.
    pub provider_id: String,
    /// The sender.
    pub from: PhoneNumber,
    /// The text as written, with line breaks as `\n` and no other control characters (a
    /// tab is a space; NUL, escape sequences and the like are dropped: a text is shown in
    /// pages, files and logs, where they would do harm and say nothing).
    pub text: String,
    /// Whom it was sent to (our sender's number or name), when the provider says.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<String>,
}

impl InboundSms {
    /// The same text, sent to `to` (our sender, as the provider reports it; blank: not said).
    pub fn sent_to(mut self, to: Option<&str>) -> Result<Self, InboundError> {
        let to = to.map(str::trim).filter(|t| !t.is_empty());
        if let Some(to) = to
            && (to.chars().count() > 64 || to.chars().any(char::is_control))
        {
            return Err(InboundError::To);
        }
        self.to = to.map(str::to_owned);
        Ok(self)
    }

    /// Checks the provider's fields.
    pub fn new(provider_id: &str, from: PhoneNumber, text: &str) -> Result<Self, InboundError> {
        let provider_id = provider_id.trim();
        if provider_id.is_empty()
            || provider_id.chars().count() > MAX_PROVIDER_ID
            || provider_id.chars().any(char::is_control)
        {
            return Err(InboundError::ProviderId);
        }
        if text.chars().count() > MAX_REPLY_TEXT {
            return Err(InboundError::TextTooLong);
        }
        Ok(Self {
            provider_id: provider_id.to_owned(),
            from,
            text: printable(text),
            to: None,
        })
    }
}

/// `text` as it may be shown: its line breaks (`\r\n`, `\r`, NEL, the Unicode line and
/// paragraph separators) as `\n`, tabs as spaces, and dropped: every other control
/// character, a terminal escape sequence whole (`ESC [ … m`, `ESC ] … BEL`), the
/// bidirectional overrides and isolates (which can make a text read backwards), and the
/// zero-width space and byte-order mark. The zero-width joiners stay (emoji and scripts
/// need them).
fn printable(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\r' => {
                chars.next_if_eq(&'\n');
                out.push('\n');
            }
            '\n' | '\u{85}' | '\u{2028}' | '\u{2029}' => out.push('\n'),
            '\t' => out.push(' '),
            '\u{1b}' => match chars.peek() {
                // CSI: parameters, then one final byte in @..~.
                Some('[') => {
                    chars.next();
                    for c in chars.by_ref() {
                        if ('@'..='~').contains(&c) {
                            break;
                        }
                    }
                }
                // OSC: up to BEL or ESC \.
                Some(']') => {
                    chars.next();
                    while let Some(c) = chars.next() {
                        if c == '\u{7}' {
                            break;
                        }
                        if c == '\u{1b}' {
                            chars.next_if_eq(&'\\');
                            break;
                        }
                    }
                }
                _ => {}
            },
            '\u{200b}'
            | '\u{200e}'
            | '\u{200f}'
            | '\u{202a}'..='\u{202e}'
            | '\u{2066}'..='\u{2069}'
            | '\u{feff}' => {}
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// What a received SMS did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "fate", rename_all = "snake_case")]
pub enum ReplyFate {
    /// An approved keyword in time: the outcome was registered (the event appended).
    Registered {
        /// The outcome the keyword maps to.
        outcome: OutcomeId,
        /// The event it appended.
        event: OutcomeEventId,
    },
    /// Not an approved keyword of the flow.
    UnknownKeyword,
    /// It came after the reply window closed.
    OutsideWindow,
    /// No SMS flow was ever sent to the number.
    UnknownNumber,
    /// The flow was answered already by an earlier reply: one answer acts.
    AlreadyAnswered,
    /// The customer was moved on (by a seller, a manager, an integration) after the flow's
    /// SMS: a late "yes" does not undo that.
    CustomerMovedOn,
    /// The keyword's outcome could not be registered; why, in the domain's words.
    Refused {
        /// Why.
        reason: String,
    },
    /// The customer accepted a sale's written offer: the sale is confirmed.
    SaleConfirmed {
        /// The confirmation.
        confirmation: crate::ids::SaleConfirmationId,
    },
    /// The customer refused a sale's written offer: the confirmation is refused and the
    /// setup's refusal outcome registered (`event`), or not, and why (`not_registered`: the
    /// customer was moved on since the sale, or the outcome is refused there).
    SaleRefused {
        /// The confirmation.
        confirmation: crate::ids::SaleConfirmationId,
        /// The event the refusal outcome appended, if it was registered.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        event: Option<OutcomeEventId>,
        /// Why the refusal outcome was not registered.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        not_registered: Option<String>,
    },
}

impl ReplyFate {
    /// Whether the reply moved the customer on.
    pub fn acted(&self) -> bool {
        matches!(
            self,
            ReplyFate::Registered { .. }
                | ReplyFate::SaleConfirmed { .. }
                | ReplyFate::SaleRefused { .. }
        )
    }
}

/// A received SMS as it is kept, with what it did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SmsReply {
    /// The id.
    pub id: SmsReplyId,
    /// The message.
    pub inbound: InboundSms,
    /// When it was received.
    pub received_at: OffsetDateTime,
    /// The flow it was matched to (the latest sent to its number), if any.
    pub flow: Option<SentSmsFlow>,
    /// The sale confirmation it answered (pending when it came), if any: a text from a
    /// number with a pending confirmation answers that, not an SMS flow. Replies kept before
    /// confirmations existed read as none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confirmation: Option<crate::sale_confirmation::SaleConfirmation>,
    /// What it did.
    pub fate: ReplyFate,
}

impl SmsReply {
    /// The assignment of the flow or confirmation it answered, if any.
    pub fn assignment(&self) -> Option<AssignmentId> {
        self.flow
            .as_ref()
            .map(|f| f.assignment)
            .or_else(|| self.confirmation.as_ref().map(|c| c.assignment))
    }

    /// Whether it answered neither an SMS flow nor a sale confirmation: no assignment's
    /// (see the module doc for whose it is).
    pub fn is_unmatched(&self) -> bool {
        self.assignment().is_none()
    }

    /// The enrollment of the flow or confirmation it answered, if any.
    pub fn enrollment(&self) -> Option<EnrollmentId> {
        self.flow
            .as_ref()
            .map(|f| f.enrollment)
            .or_else(|| self.confirmation.as_ref().map(|c| c.enrollment))
    }
}

/// The flow a text answers, of the flows sent to its number (`flows`, the latest first):
/// when the provider says whom the text was sent to (`to`), the latest flow sent as that
/// sender — so two organisations texting one person each get their own answers —; when it
/// does not say, or no flow was sent as that sender (a provider reporting its own inbound
/// number for an alphanumeric sender), the latest flow.
pub fn flow_answered<'a>(flows: &'a [SentSmsFlow], to: Option<&str>) -> Option<&'a SentSmsFlow> {
    let same = |sender: &str, to: &str| sender_form(sender) == sender_form(to);
    to.and_then(|to| flows.iter().find(|flow| same(&flow.sender, to)))
        .or_else(|| flows.first())
}

/// A sender as compared: lower case, no spaces, no leading `+` or `00`.
fn sender_form(sender: &str) -> String {
    let squeezed: String = sender
        .chars()
        .filter(|c| !c.is_whitespace())
        .flat_map(char::to_lowercase)
        .collect();
    let number = squeezed
        .strip_prefix('+')
        .or_else(|| squeezed.strip_prefix("00"));
    number.unwrap_or(&squeezed).to_owned()
}

/// Why an answer was not acted on when its customer left the assignment since the SMS.
pub const NOT_ENROLLED: &str = "the customer is no longer enrolled in the assignment";

/// The next step for a reply matched to `sent` (see [`judge_reply`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReplyStep {
    /// Register this outcome on the flow's enrollment, as the system.
    Register(OutcomeId),
    /// Keep the reply with this fate; nothing else happens.
    Keep(ReplyFate),
}

/// Judges a reply matched to the flow `sent`, received at `received_at`. `flow` is the
/// assignment's SMS flow on the sent outcome now (`None`: removed from the setup since);
/// `answered` whether an earlier reply to this flow registered its outcome; `state_now`
/// where the customer is now (`None`: no longer enrolled). In this order: a flow already
/// answered, a flow no longer set up, outside the window, an unknown keyword, a customer no
/// longer enrolled or moved on; else the keyword's outcome is registered.
pub fn judge_reply(
    sent: &SentSmsFlow,
    flow: Option<&SmsFlow>,
    answered: bool,
    state_now: Option<StateId>,
    received_at: OffsetDateTime,
    text: &str,
) -> ReplyStep {
    if answered {
        return ReplyStep::Keep(ReplyFate::AlreadyAnswered);
    }
    let Some(flow) = flow else {
        return ReplyStep::Keep(ReplyFate::Refused {
            reason: "the assignment no longer has an SMS flow on this outcome".into(),
        });
    };
    match interpret_reply(flow, sent.sent_at, received_at, text) {
        ReplyDecision::OutsideWindow => ReplyStep::Keep(ReplyFate::OutsideWindow),
        ReplyDecision::UnknownKeyword => ReplyStep::Keep(ReplyFate::UnknownKeyword),
        ReplyDecision::Register(outcome) => match state_now {
            None => ReplyStep::Keep(ReplyFate::Refused {
                reason: NOT_ENROLLED.into(),
            }),
            Some(state) if state != sent.state => ReplyStep::Keep(ReplyFate::CustomerMovedOn),
            Some(_) => ReplyStep::Register(outcome),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::assignment::setup::SmsReplyRule;
    use crate::customer::CustomerDetails;
    use crate::data_owner::{DataOwner, Dataset};
    use crate::fields::FieldValues;
    use crate::ids::{CustomerId, DataOwnerId, OrganisationId};
    use crate::values::{Name, PhoneNumber};
    use time::Duration;
    use time::macros::datetime;
    use uuid::Uuid;

    fn customer() -> Customer {
        let owner = DataOwner::new(
            DataOwnerId::from_uuid(Uuid::from_u128(1)),
            OrganisationId::from_uuid(Uuid::from_u128(2)),
            Name::parse("Owner").expect("valid"),
        );
        let details = CustomerDetails {
            name: Name::parse("Kari Nordmann").expect("valid"),
            phones: vec![PhoneNumber::parse("+4791234567").expect("valid")],
            email: None,
            address: None,
            registry_number: None,
            external_id: None,
        };
        Customer::new(
            CustomerId::from_uuid(Uuid::from_u128(3)),
            &owner,
            Dataset::B2c,
            details,
            FieldValues::new(),
        )
        .expect("valid")
    }

    #[test]
    fn merge_fields_are_filled_and_unknown_ones_stay_visible() {
        let text = render(
            "Hei {{ name }}, svar JA til {{phone}}. {{ nope }} {{",
            &customer(),
        );
        assert_eq!(
            text,
            "Hei Kari Nordmann, svar JA til +4791234567. {{ nope }} {{"
        );
    }

    /// The seller's, the assignment's and the meeting's fields: the meeting read in the
    /// organisation's zone (Oslo is UTC+1 in December, UTC+2 in June), a missing value
    /// empty, and meeting fields without a meeting left as written.
    #[test]
    fn context_fields_name_the_seller_the_assignment_and_the_local_meeting() {
        use crate::meeting::{Meeting, MeetingKind};
        use crate::time_zone::TimeZone;
        let meeting = |start: time::OffsetDateTime, place: Option<&str>| Meeting {
            id: crate::ids::MeetingId::from_uuid(Uuid::from_u128(10)),
            calendar: crate::ids::CalendarId::from_uuid(Uuid::from_u128(11)),
            assignment: AssignmentId::from_uuid(Uuid::from_u128(12)),
            enrollment: EnrollmentId::from_uuid(Uuid::from_u128(13)),
            customer: CustomerId::from_uuid(Uuid::from_u128(3)),
            booked_by: None,
            start,
            end: start + Duration::hours(1),
            kind: MeetingKind::Physical,
            place: place.map(str::to_owned),
        };
        let template = "Hei {{ name }}! {{ seller.name }} ({{seller.email}}) i {{ assignment.name }}: \
                        {{ meeting.date }} kl. {{ meeting.time }}, {{ meeting.place }}.";
        let base = MergeContext {
            seller_name: Some("Ola Selger".into()),
            seller_email: Some("ola@acme.no".into()),
            assignment_name: Some("Strøm høst".into()),
            ..MergeContext::default()
        };
        let winter = base.clone().with_meeting(
            &meeting(datetime!(2026-12-10 08:30 UTC), Some("Storgata 1, Oslo")),
            &TimeZone::oslo(),
        );
        assert_eq!(
            render_in(template, &customer(), &winter),
            "Hei Kari Nordmann! Ola Selger (ola@acme.no) i Strøm høst: 10.12.2026 kl. 09:30, Storgata 1, Oslo."
        );
        let summer = base.clone().with_meeting(
            &meeting(datetime!(2026-06-30 22:15 UTC), None),
            &TimeZone::oslo(),
        );
        assert_eq!(
            render_in(
                "{{ meeting.date }} {{ meeting.time }} [{{ meeting.place }}]",
                &customer(),
                &summer
            ),
            "01.07.2026 00:15 []",
            "past midnight in Oslo is the next day"
        );
        let system = MergeContext {
            assignment_name: Some("Strøm høst".into()),
            ..MergeContext::default()
        };
        assert_eq!(
            render_in(
                "[{{ seller.name }}] {{ meeting.time }}",
                &customer(),
                &system
            ),
            "[] {{ meeting.time }}"
        );
        assert_eq!(
            render_html_in(
                "<p>{{ seller.name }}</p>",
                &customer(),
                &MergeContext {
                    seller_name: Some("Ola <Selger> & Co".into()),
                    ..MergeContext::default()
                }
            ),
            "<p>Ola &lt;Selger&gt; &amp; Co</p>"
        );
    }

    #[test]
    fn context_fields_are_known_to_the_check_and_others_are_not() {
        for key in CONTEXT_MERGE_FIELDS {
            assert_eq!(
                check_template(&format!("{{{{ {key} }}}}"), |_| false),
                Ok(()),
                "{key}"
            );
        }
        assert_eq!(
            check_template("{{ seller.phone }}", |_| false),
            Err(TemplateError::UnknownField("seller.phone".into()))
        );
        assert!(uses_meeting("Vi sees {{meeting.time}}"));
        assert!(!uses_meeting("Hei {{ name }} fra {{ seller.name }}"));
    }

    #[test]
    fn an_html_template_gets_the_values_escaped_and_keeps_its_own_markup() {
        assert_eq!(
            render_html("<p>Hei <b>{{ name }}</b></p>", &customer()),
            "<p>Hei <b>Kari Nordmann</b></p>"
        );
        assert_eq!(
            escape_html(r#"<b>K&Co</b> "x" 'y'"#),
            "&lt;b&gt;K&amp;Co&lt;/b&gt; &quot;x&quot; &#39;y&#39;"
        );
    }

    #[test]
    fn replies_register_only_approved_keywords_inside_the_window() {
        let yes = OutcomeId::from_uuid(Uuid::from_u128(9));
        let flow = SmsFlow {
            template: String::new(),
            reply_window: Duration::hours(48),
            replies: vec![SmsReplyRule {
                keyword: "JA".into(),
                registers: yes,
            }],
        };
        let sent = datetime!(2026-11-28 09:00 UTC);
        assert_eq!(
            interpret_reply(&flow, sent, sent + Duration::hours(1), " ja "),
            ReplyDecision::Register(yes)
        );
        assert_eq!(
            interpret_reply(&flow, sent, sent + Duration::hours(1), "kanskje"),
            ReplyDecision::UnknownKeyword
        );
        assert_eq!(
            interpret_reply(&flow, sent, sent + Duration::hours(49), "JA"),
            ReplyDecision::OutsideWindow
        );
    }

    fn sent_flow(sent_at: OffsetDateTime) -> SentSmsFlow {
        SentSmsFlow {
            message: OutboxMessageId::from_uuid(Uuid::from_u128(20)),
            assignment: AssignmentId::from_uuid(Uuid::from_u128(21)),
            enrollment: EnrollmentId::from_uuid(Uuid::from_u128(22)),
            event: OutcomeEventId::from_uuid(Uuid::from_u128(23)),
            outcome: OutcomeId::from_uuid(Uuid::from_u128(24)),
            state: StateId::from_uuid(Uuid::from_u128(25)),
            to: PhoneNumber::parse("+4791234567").expect("valid"),
            sender: "AcmeEnergi".into(),
            sent_at,
        }
    }

    #[test]
    fn a_text_answers_the_latest_flow_of_the_sender_it_was_sent_to() {
        let at = datetime!(2026-11-28 09:00 UTC);
        let mut ours = sent_flow(at);
        ours.sender = "+47 22 33 44 55".into();
        let mut theirs = sent_flow(at + Duration::hours(1));
        theirs.sender = "OtherCo".into();
        theirs.message = OutboxMessageId::from_uuid(Uuid::from_u128(77));
        let flows = vec![theirs.clone(), ours.clone()];
        assert_eq!(flow_answered(&flows, None), Some(&theirs), "the latest");
        assert_eq!(flow_answered(&flows, Some("otherco")), Some(&theirs));
        for to in [
            "+4722334455",
            "004722334455",
            "4722334455",
            " +47 22 33 44 55 ",
        ] {
            assert_eq!(flow_answered(&flows, Some(to)), Some(&ours), "{to:?}");
        }
        assert_eq!(
            flow_answered(&flows, Some("+4799999999")),
            Some(&theirs),
            "no flow from that sender: the latest"
        );
        assert_eq!(flow_answered(&[], Some("OtherCo")), None);
    }

    fn yes_no_flow() -> (SmsFlow, OutcomeId, OutcomeId) {
        let yes = OutcomeId::from_uuid(Uuid::from_u128(30));
        let no = OutcomeId::from_uuid(Uuid::from_u128(31));
        let flow = SmsFlow {
            template: String::new(),
            reply_window: Duration::hours(48),
            replies: vec![
                SmsReplyRule {
                    keyword: "JA".into(),
                    registers: yes,
                },
                SmsReplyRule {
                    keyword: " Nei takk ".into(),
                    registers: no,
                },
                SmsReplyRule {
                    keyword: "ÅPEN".into(),
                    registers: no,
                },
            ],
        };
        (flow, yes, no)
    }

    #[test]
    fn keywords_match_in_any_case_with_spaces_and_a_closing_mark_ignored() {
        let (flow, yes, no) = yes_no_flow();
        for reply in ["ja", "Ja", " JA ", "J A", "ja!", "Ja.", "ja\n"] {
            assert_eq!(flow.outcome_for_reply(reply), Some(yes), "{reply:?}");
        }
        for reply in ["nei takk", "NEITAKK", "Nei Takk!"] {
            assert_eq!(flow.outcome_for_reply(reply), Some(no), "{reply:?}");
        }
        assert_eq!(flow.outcome_for_reply("åpen"), Some(no));
        for reply in ["", "   ", "!", "jaa", "ja takk", "nei", "j4"] {
            assert_eq!(flow.outcome_for_reply(reply), None, "{reply:?}");
        }
    }

    #[test]
    fn a_reply_registers_only_on_an_open_unanswered_flow_with_the_customer_still_there() {
        let (flow, yes, _) = yes_no_flow();
        let sent_at = datetime!(2026-11-28 09:00 UTC);
        let sent = sent_flow(sent_at);
        let soon = sent_at + Duration::hours(1);
        let judge = |flow: Option<&SmsFlow>, answered, state, at, text| {
            judge_reply(&sent, flow, answered, state, at, text)
        };
        assert_eq!(
            judge(Some(&flow), false, Some(sent.state), soon, "Ja"),
            ReplyStep::Register(yes)
        );
        assert_eq!(
            judge(Some(&flow), true, Some(sent.state), soon, "Ja"),
            ReplyStep::Keep(ReplyFate::AlreadyAnswered)
        );
        assert!(matches!(
            judge(None, false, Some(sent.state), soon, "Ja"),
            ReplyStep::Keep(ReplyFate::Refused { .. })
        ));
        assert_eq!(
            judge(
                Some(&flow),
                false,
                Some(sent.state),
                sent_at + Duration::hours(49),
                "Ja"
            ),
            ReplyStep::Keep(ReplyFate::OutsideWindow)
        );
        assert_eq!(
            judge(Some(&flow), false, Some(sent.state), soon, "kanskje"),
            ReplyStep::Keep(ReplyFate::UnknownKeyword)
        );
        let elsewhere = StateId::from_uuid(Uuid::from_u128(99));
        assert_eq!(
            judge(Some(&flow), false, Some(elsewhere), soon, "Ja"),
            ReplyStep::Keep(ReplyFate::CustomerMovedOn)
        );
        // An unknown keyword is said so even when the customer moved on: nothing to act on.
        assert_eq!(
            judge(Some(&flow), false, Some(elsewhere), soon, "kanskje"),
            ReplyStep::Keep(ReplyFate::UnknownKeyword)
        );
        assert!(matches!(
            judge(Some(&flow), false, None, soon, "Ja"),
            ReplyStep::Keep(ReplyFate::Refused { .. })
        ));
        // The window's last instant still counts; a reply stamped before the SMS does not.
        assert_eq!(
            judge(
                Some(&flow),
                false,
                Some(sent.state),
                sent_at + Duration::hours(48),
                "ja"
            ),
            ReplyStep::Register(yes)
        );
        assert_eq!(
            judge(
                Some(&flow),
                false,
                Some(sent.state),
                sent_at - Duration::seconds(1),
                "ja"
            ),
            ReplyStep::Keep(ReplyFate::OutsideWindow)
        );
    }

    #[test]
    fn an_inbound_sms_needs_a_provider_id_and_a_bounded_text() {
        let from = PhoneNumber::parse("+4791234567").expect("valid");
        let ok = InboundSms::new(" SM123 ", from.clone(), "Ja").expect("valid");
        assert_eq!(ok.provider_id, "SM123");
        for id in ["", "  ", "a\u{0}b", &"x".repeat(MAX_PROVIDER_ID + 1)] {
            assert_eq!(
                InboundSms::new(id, from.clone(), "Ja"),
                Err(InboundError::ProviderId),
                "{id:?}"
            );
        }
        assert!(InboundSms::new("id", from.clone(), &"æ".repeat(MAX_REPLY_TEXT)).is_ok());
        assert_eq!(
            InboundSms::new("id", from.clone(), &"æ".repeat(MAX_REPLY_TEXT + 1)),
            Err(InboundError::TextTooLong)
        );
        // Line breaks kept (as \n), tabs as spaces, other control characters dropped.
        let text = |raw: &str| {
            InboundSms::new("id", from.clone(), raw)
                .expect("valid")
                .text
        };
        assert_eq!(text("Ja\r\ntakk\rhilsen\nKari"), "Ja\ntakk\nhilsen\nKari");
        assert_eq!(text("JA\u{0}\u{1b}[31m\u{7f}rød\tnå"), "JArød nå");
        assert_eq!(text("a\u{85}b\u{2028}c\u{2029}d"), "a\nb\nc\nd");
        assert_eq!(text("x\u{1b}]0;tittel\u{7}y\u{1b}]2;t\u{1b}\\z"), "xyz");
        assert_eq!(text("ja\u{202e}live\u{2066}\u{200b}\u{feff}"), "jalive");
        assert_eq!(text("👨\u{200d}👩"), "👨\u{200d}👩", "the joiner stays");
        assert_eq!(text("Nei 😀"), "Nei 😀");
    }

    #[test]
    fn norwegian_text_is_gsm_7_and_an_emoji_makes_it_ucs_2() {
        let norwegian = "Hei Kari! Svar JA for å bestille, eller NEI. Æ Ø Å æ ø å.";
        let l = length(norwegian);
        assert_eq!(l.encoding, SmsEncoding::Gsm7);
        assert_eq!(
            l.units,
            u32::try_from(norwegian.chars().count()).expect("small")
        );
        assert_eq!(l.segments, 1);
        assert_eq!(length("").segments, 0);
        assert_eq!(length(&"a".repeat(160)).segments, 1);
        assert_eq!(length(&"a".repeat(161)).segments, 2);
        assert_eq!(length(&"a".repeat(306)).segments, 2);
        assert_eq!(length(&"a".repeat(307)).segments, 3);
        // An extension character takes two septets, and is never split between parts.
        let euro = length("Pris: 100 €");
        assert_eq!((euro.encoding, euro.units), (SmsEncoding::Gsm7, 12));
        assert_eq!(length(&"€".repeat(80)).segments, 1);
        assert_eq!(length(&"€".repeat(81)).segments, 2);
        let split = format!("{}€", "a".repeat(152));
        assert_eq!(length(&split).units, 154);
        assert_eq!(length(&split).segments, 1, "154 septets fit one SMS of 160");
        let split = format!("{}€{}", "a".repeat(152), "a".repeat(10));
        assert_eq!(length(&split).segments, 2);
        // Outside the GSM alphabet: UCS-2, 70 a message, 67 a part; an emoji is two units.
        let smile = length("Takk 😊");
        assert_eq!(
            (smile.encoding, smile.units, smile.segments),
            (SmsEncoding::Ucs2, 7, 1)
        );
        assert_eq!(length(&"ŝ".repeat(70)).segments, 1);
        assert_eq!(length(&"ŝ".repeat(71)).segments, 2);
        assert_eq!(length(&"ŝ".repeat(134)).segments, 2);
        assert_eq!(length(&"ŝ".repeat(135)).segments, 3);
        // 66 units then an emoji: it does not fit the first part's 67, so it starts the second.
        let text = format!("{}😊{}", "ŝ".repeat(66), "ŝ".repeat(10));
        assert_eq!(length(&text).segments, 2);
    }

    #[test]
    fn a_template_may_only_use_merge_fields_a_customer_has() {
        let crm = |key: &str| key == "bransje";
        assert_eq!(
            merge_fields("Hei {{ name }}, {{bransje}}!").expect("closed"),
            vec!["name".to_owned(), "bransje".to_owned()]
        );
        assert!(check_template("Hei {{ name }} på {{ phone }} ({{ bransje }})", crm).is_ok());
        assert_eq!(
            check_template("Hei {{ navn }}", crm),
            Err(TemplateError::UnknownField("navn".into()))
        );
        assert!(matches!(
            check_template("Hei {{ name ", crm),
            Err(TemplateError::Unclosed(_))
        ));
        let error = check_template("Hei {{ navn }}", crm).expect_err("unknown");
        assert!(error.to_string().contains("{{ navn }}"), "{error}");
        assert_eq!(
            fixed_text("Hei {{ name }}, ring {{phone}}."),
            "Hei , ring ."
        );
        assert_eq!(fixed_text("Hei {{ name"), "Hei {{ name");
    }

    #[test]
    fn a_senders_number_is_read_as_providers_write_it() {
        let expected = PhoneNumber::parse("+4790000006").expect("valid");
        for raw in [
            "+4790000006",
            "+47 900 00 006",
            "004790000006",
            "4790000006",
            "90000006",
            " 900 00 006 ",
        ] {
            assert_eq!(sender_number(raw).as_ref(), Ok(&expected), "{raw:?}");
        }
        assert_eq!(
            sender_number("46701234567").map(|n| n.as_str().to_owned()),
            Ok("+46701234567".to_owned()),
            "a Swedish number without its +"
        );
        for raw in ["", "hei", "+00000000000", "12", "<script>"] {
            assert!(sender_number(raw).is_err(), "{raw:?}");
        }
    }
}
