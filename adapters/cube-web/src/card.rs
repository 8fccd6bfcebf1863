//! The customer card in the seller's workspace (seed 000 item 7): every contact field and
//! CRM value of the customer being worked, on demand, and the edit under the same
//! validation as a manager's, with the changes recorded (who, when, which fields) shown
//! below. Who may open it — a seller holding the customer or following it up — is the use
//! case's rule. From it the seller also sends the customer one of the assignment's SMS or
//! e-mail templates (seed 000 item 8), and calls them (issue 17): through the PBX, which rings
//! the seller's phone first and shows the assignment's caller id, or — without a PBX — as a
//! `tel:` link the seller's softphone dials. The card lists the calls to the customer in its
//! assignment: when (the organisation's local time), how it went, the talk time.

use crate::WebState;
use crate::forms::Pairs;
use crate::i18n::M;
use crate::session::{Viewer, WebError};
use crate::views::{Chrome, html};
use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use cube_app::card::Card;
use cube_app::customers::CustomerInput;
use cube_domain::call::{self, CallStatus};
use cube_domain::customer::Change;
use cube_domain::idempotency::RequestKey;
use cube_domain::ids::EnrollmentId;
use std::collections::BTreeMap;

#[derive(Template)]
#[template(path = "card.html")]
struct CardView {
    page: Chrome,
    enrollment_id: String,
    name: String,
    phones: String,
    email: String,
    address: String,
    registry_number: String,
    external_id: String,
    fields: Vec<(String, String)>,
    changes: Vec<String>,
    message: String,
    /// The templates the card can send: (`sms:<name>` or `email:<name>`, the label shown).
    templates: Vec<(String, String)>,
    /// Whether the customer has a number to call.
    can_call: bool,
    /// A call just placed as a `tel:` link: (the link, the number, the caller id to show).
    dial: Option<(String, String, String)>,
    /// The calls to the customer in this assignment, newest first: (when, status, talk time,
    /// caller id).
    calls: Vec<(String, String, String, String)>,
    /// A fresh key per card shown, sent with the message form as its `Idempotency-Key`: a
    /// double click sends one message.
    send_key: String,
    /// Another fresh key for the call button: a double click rings once.
    call_key: String,
}

async fn view(
    state: &WebState,
    viewer: &Viewer,
    enrollment: EnrollmentId,
    card: Card,
    message: String,
    dial: Option<(String, String, String)>,
) -> Result<Response, WebError> {
    let zone = state
        .cube
        .time_zone_of(&viewer.user)
        .await
        .map_err(|e| WebError::app(e, viewer))?;
    let lang = viewer.lang;
    let details = card.customer.details();
    let changes = card
        .changes
        .iter()
        .rev()
        .map(|change| {
            let what = match &change.what {
                Change::Card { fields } => fields.join(", "),
                Change::DoNotCall {
                    reason: Some(reason),
                } => {
                    format!("{}: {reason}", lang.t(M::ChangeDoNotCall))
                }
                Change::DoNotCall { reason: None } => lang.t(M::ChangeDoNotCallLifted).to_owned(),
                Change::RegisterExemption { recorded } => lang
                    .t(if *recorded {
                        M::ChangeExemptionRecorded
                    } else {
                        M::ChangeExemptionRemoved
                    })
                    .to_owned(),
                other => format!("{other:?}"),
            };
            let who = if change.user == viewer.user.id {
                viewer.user.name.to_string()
            } else {
                change.user.to_string()
            };
            format!(
                "{} · {who} · {what}",
                crate::views::local_time(change.at, &zone)
            )
        })
        .collect();
    let calls = card
        .calls
        .iter()
        .rev()
        .map(|call| {
            let talked = match (call.status, call.duration) {
                (CallStatus::Completed, Some(seconds)) => call::talk_time(u64::from(seconds)),
                _ => "—".to_owned(),
            };
            (
                crate::views::local_time(call.started_at, &zone),
                lang.call_status(call.status).to_owned(),
                talked,
                call.caller_id.as_str().to_owned(),
            )
        })
        .collect();
    let card_view = CardView {
        page: Chrome::of(viewer, "", ""),
        enrollment_id: enrollment.as_uuid().to_string(),
        name: details.name.to_string(),
        phones: details
            .phones
            .iter()
            .map(|p| p.as_str().to_owned())
            .collect::<Vec<_>>()
            .join(", "),
        email: details
            .email
            .as_ref()
            .map(|e| e.as_str().to_owned())
            .unwrap_or_default(),
        address: details.address.clone().unwrap_or_default(),
        registry_number: details.registry_number.clone().unwrap_or_default(),
        external_id: details.external_id.clone().unwrap_or_default(),
        fields: card
            .customer
            .fields()
            .iter()
            .map(|(key, value)| (key.as_str().to_owned(), value.display()))
            .collect(),
        changes,
        message,
        templates: card
            .sms_templates
            .iter()
            .map(|name| (format!("sms:{name}"), format!("SMS · {name}")))
            .chain(card.email_templates.iter().map(|name| {
                (
                    format!("email:{name}"),
                    format!("{} · {name}", lang.t(M::FieldEmail)),
                )
            }))
            .collect(),
        can_call: !details.phones.is_empty(),
        dial,
        calls,
        send_key: uuid::Uuid::now_v7().to_string(),
        call_key: uuid::Uuid::now_v7().to_string(),
    };
    Ok(html(StatusCode::OK, &card_view))
}

/// `GET /app/enrollments/{id}/card`: the card (a partial).
pub async fn show(
    State(state): State<WebState>,
    viewer: Viewer,
    Path(raw): Path<String>,
) -> Result<Response, WebError> {
    let enrollment = enrollment_of(&raw, &viewer)?;
    let card = state
        .cube
        .customer_card(&viewer.user, enrollment)
        .await
        .map_err(|e| WebError::app(e, &viewer))?;
    view(&state, &viewer, enrollment, card, String::new(), None).await
}

/// `POST /app/enrollments/{id}/card`: saves the card (every field as posted; an emptied
/// field is emptied).
pub async fn save(
    State(state): State<WebState>,
    viewer: Viewer,
    Path(raw): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    let enrollment = enrollment_of(&raw, &viewer)?;
    let input = input(&Pairs(pairs));
    let card = state
        .cube
        .edit_customer_card(&viewer.user, enrollment, input)
        .await
        .map_err(|e| WebError::app(e, &viewer))?;
    let message = viewer.lang.t(M::CardSaved).to_owned();
    view(&state, &viewer, enrollment, card, message, None).await
}

/// `POST /app/enrollments/{id}/card/message`: sends the customer one of the assignment's
/// templates (`template` = `sms:<name>` or `email:<name>`) through the outbox, then shows
/// the card again with what was queued.
pub async fn send_message(
    State(state): State<WebState>,
    viewer: Viewer,
    Path(raw): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    let enrollment = enrollment_of(&raw, &viewer)?;
    let pairs = Pairs(pairs);
    let chosen = pairs.get("template").unwrap_or_default();
    let key = card_key(&pairs);
    let lang = viewer.lang;
    let message = if let Some(name) = chosen.strip_prefix("sms:") {
        let sent = state
            .cube
            .send_sms_keyed(&viewer.user, enrollment, name, key.as_ref())
            .await
            .map_err(|e| WebError::app(e, &viewer))?;
        format!(
            "{} {} ({} {}).",
            lang.t(M::SmsQueued),
            sent.to.as_str(),
            sent.length.segments,
            lang.t(M::SmsSegments)
        )
    } else {
        // An e-mail, or a template the form never offered: the use case names what is wrong.
        let name = chosen.strip_prefix("email:").unwrap_or(chosen);
        let sent = state
            .cube
            .send_email_keyed(&viewer.user, enrollment, name, key.as_ref())
            .await
            .map_err(|e| WebError::app(e, &viewer))?;
        format!("{} {}.", lang.t(M::EmailQueued), sent.to.as_str())
    };
    let card = state
        .cube
        .customer_card(&viewer.user, enrollment)
        .await
        .map_err(|e| WebError::app(e, &viewer))?;
    view(&state, &viewer, enrollment, card, message, None).await
}

/// `POST /app/enrollments/{id}/card/call`: calls the customer (`Cube::start_call_keyed`, under
/// the card's `request_key`), then
/// shows the card again with the call listed. Through a PBX the seller's phone rings first:
/// the card says so, with the caller id the customer sees. Without one the card gives the
/// `tel:` link for the seller's softphone. A refusal (no phone on the seller, no registered
/// caller id, the do-not-call list) is shown as the card's other problems are.
pub async fn call(
    State(state): State<WebState>,
    viewer: Viewer,
    Path(raw): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    let enrollment = enrollment_of(&raw, &viewer)?;
    let lang = viewer.lang;
    let key = card_key(&Pairs(pairs));
    let started = state
        .cube
        .start_call_keyed(&viewer.user, enrollment, key.as_ref())
        .await
        .map_err(|e| WebError::app(e, &viewer))?;
    let caller_id = started.call.caller_id.as_str().to_owned();
    let number = started
        .call
        .to
        .as_ref()
        .map(|to| to.as_str().to_owned())
        .unwrap_or_default();
    let (message, dial) = match started.link {
        Some(link) => (String::new(), Some((link, number, caller_id))),
        None => (
            format!(
                "{} ({} {caller_id}).",
                lang.t(M::CallRinging),
                lang.t(M::CallShowing)
            ),
            None,
        ),
    };
    let card = state
        .cube
        .customer_card(&viewer.user, enrollment)
        .await
        .map_err(|e| WebError::app(e, &viewer))?;
    view(&state, &viewer, enrollment, card, message, dial).await
}

/// The enrollment a card's path names; not one (not a UUID) answers as a customer not found.
fn enrollment_of(raw: &str, viewer: &Viewer) -> Result<EnrollmentId, WebError> {
    raw.parse()
        .map(EnrollmentId::from_uuid)
        .map_err(|_| WebError::app(cube_app::AppError::NotFound("customer"), viewer))
}

/// The key a card's form carries (`request_key`, fresh each time the card is shown): a
/// double click sends once and rings once; a form without one sends each time.
fn card_key(pairs: &Pairs) -> Option<RequestKey> {
    pairs
        .get("request_key")
        .and_then(|key| RequestKey::parse(key).ok())
}

/// The posted card as the use case's input: phones separated by commas, CRM values as
/// `fields.<key>`, empty optional fields as none.
fn input(pairs: &Pairs) -> CustomerInput {
    let optional = |key: &str| pairs.get(key).map(str::to_owned);
    let mut fields = BTreeMap::new();
    for (key, value) in &pairs.0 {
        if let Some(field) = key.strip_prefix("fields.")
            && !value.trim().is_empty()
        {
            fields.insert(field.to_owned(), value.trim().to_owned());
        }
    }
    CustomerInput {
        name: pairs.get("name").unwrap_or_default().to_owned(),
        phones: pairs
            .get("phones")
            .unwrap_or_default()
            .split([',', ';'])
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .map(str::to_owned)
            .collect(),
        email: optional("email"),
        address: optional("address"),
        registry_number: optional("registry_number"),
        external_id: optional("external_id"),
        fields,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phones_split_on_commas_and_empty_fields_are_none() {
        let pairs = Pairs(vec![
            ("name".into(), " Kari AS ".into()),
            ("phones".into(), "12345678, +4798765432;".into()),
            ("email".into(), "".into()),
            ("fields.industry".into(), "Retail".into()),
            ("fields.size".into(), " ".into()),
        ]);
        let input = input(&pairs);
        assert_eq!(input.name, "Kari AS");
        assert_eq!(input.phones, vec!["12345678", "+4798765432"]);
        assert_eq!(input.email, None);
        assert_eq!(input.fields.len(), 1);
    }
}
