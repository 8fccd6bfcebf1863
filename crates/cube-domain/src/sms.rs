//! SMS flows: the message an outcome sends, with merge fields filled in from the customer
//! (the same merge fields an outcome's e-mail uses, escaped for HTML: [`render_html`]),
//! and what to do with a reply. A reply registers the flow's outcome only when it is an
//! approved keyword inside the reply window; anything else is stored and shown, never acted
//! on.

use crate::assignment::setup::SmsFlow;
use crate::customer::Customer;
use crate::ids::OutcomeId;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// Fills `{{ key }}` merge fields: `name`, `phone`, `email`, `address` and the customer's
/// CRM field keys. Unknown keys are left as written so a typo is visible, not silently empty.
pub fn render(template: &str, customer: &Customer) -> String {
    render_with(template, customer, str::to_owned)
}

/// [`render`] for an HTML template (an e-mail's body): the customer's values are escaped,
/// so a name like `<b>Kari</b> & Co` shows as written and never as markup.
pub fn render_html(template: &str, customer: &Customer) -> String {
    render_with(template, customer, escape_html)
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

fn render_with(template: &str, customer: &Customer, value: impl Fn(&str) -> String) -> String {
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let Some(end) = after.find("}}") else {
            out.push_str(&rest[start..]);
            return out;
        };
        let key = after[..end].trim();
        match merge_value(key, customer) {
            Some(merged) => out.push_str(&value(&merged)),
            None => out.push_str(&rest[start..start + 2 + end + 2]),
        }
        rest = &after[end + 2..];
    }
    out.push_str(rest);
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
}
