//! Written confirmation of a phone sale (angrerettloven § 10, issue 17): a consumer is not
//! bound by a sale made by phone until the trader has confirmed the offer in writing and the
//! consumer has accepted it in writing.
//!
//! An assignment may require it ([`SaleConfirmationSetup`] in its setup). A Sale — an
//! outcome landing in a Yes state with product lines — on a B2C customer then sends the
//! written offer by SMS or by e-mail (the products with quantity, unit price and line total,
//! the total, a terms link) and records a [`SaleConfirmation`], *pending*.
//!
//! - **SMS**: the customer's acceptance keyword ("JA") confirms it; a refusal ("NEI")
//!   refuses it ([`judge_reply`]).
//! - **E-mail**: the offer (HTML, the products as a table: [`render_offer_email`]) carries
//!   two links to the server's public answer page, accept and refuse, both with one
//!   [`AnswerToken`]: 32 random bytes, base64url; only its SHA-256 is stored
//!   ([`token_hash`]). The page shows the offer; only its form's POST decides
//!   ([`judge_answer`]): mail scanners follow links, and a GET must never accept a sale.
//!
//! Either way a refusal registers the setup's refusal outcome as the system; no answer by
//! the deadline expires it and registers the no-reply outcome. A customer with no mobile
//! number (or, by e-mail, no address) gets no offer: the confirmation is recorded
//! [`ConfirmationStatus::Failed`], never confirmed. The reports count the value of a sale
//! needing confirmation only once it is confirmed (`reports::sales::with_confirmations`).

use crate::customer::Customer;
use crate::flow::{OutcomeKind, PublishedFlow, StateCategory};
use crate::ids::{
    AssignmentId, CustomerId, EnrollmentId, OutboxMessageId, OutcomeEventId, OutcomeId,
    SaleConfirmationId, StateId,
};
use crate::outcome::ProductLine;
use crate::sms::{ReplyFate, TemplateError};
use crate::values::PhoneNumber;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use thiserror::Error;
use time::{Duration, OffsetDateTime};

/// The merge fields an offer's template has beside a customer's: the product lines, the
/// total and the terms link. The first two must be in every offer template.
pub const OFFER_MERGE_FIELDS: [&str; 3] = ["products", "total", "terms_url"];

/// The acceptance keyword unless set.
pub const DEFAULT_ACCEPT: &str = "JA";
/// The refusal keyword unless set.
pub const DEFAULT_REFUSE: &str = "NEI";
/// The longest reply window accepted: 30 days.
pub const MAX_WINDOW: Duration = Duration::days(30);
/// The longest terms link accepted.
pub const MAX_TERMS_URL: usize = 500;

/// How the written offer reaches the customer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConfirmationChannel {
    /// A text message from the assignment's SMS sender; the customer answers by SMS.
    #[default]
    Sms,
    /// An e-mail from the assignment's `mail_from`; the customer answers on the server's
    /// public page its links lead to.
    Email,
}

impl ConfirmationChannel {
    /// Whether it is SMS (the default: stored confirmations without a channel are).
    pub fn is_sms(&self) -> bool {
        *self == ConfirmationChannel::Sms
    }
}

/// The senders an assignment's setup has: what each channel needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Senders {
    /// `communication.sms_sender` is set.
    pub sms: bool,
    /// `communication.mail_from` is set.
    pub mail: bool,
}

/// The longest e-mail subject accepted (characters, as written).
pub const MAX_SUBJECT: usize = 200;

/// An assignment's requirement that sales to consumers be confirmed in writing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SaleConfirmationSetup {
    /// How the offer is sent.
    #[serde(default)]
    pub channel: ConfirmationChannel,
    /// The offer's text (SMS) or HTML body (e-mail): merge fields of the customer, and
    /// `{{ products }}` (one line per product: quantity, name, unit price, line total; by
    /// e-mail a table), `{{ total }}` and `{{ terms_url }}`.
    pub template: String,
    /// The e-mail's subject (the e-mail channel; merge fields as the body's, as text).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    /// The link to the terms of the sale (`https://…`), filled in as `{{ terms_url }}`.
    pub terms_url: String,
    /// The replies that accept the offer (compared as SMS flow keywords are).
    pub accept: Vec<String>,
    /// The replies that refuse it.
    pub refuse: Vec<String>,
    /// How long after the offer an answer is taken.
    pub window: Duration,
    /// The outcome the system registers when the customer refuses.
    pub on_refusal: OutcomeId,
    /// The outcome the system registers when no answer came in the window.
    pub on_no_reply: OutcomeId,
}

/// Why a setup's sale confirmation cannot be saved.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ConfirmationSetupError {
    /// The offer goes by SMS but the assignment has no SMS sender.
    #[error("written confirmation of sales sends the offer by SMS: set communication.sms_sender")]
    SenderMissing,
    /// The offer goes by e-mail but the assignment has no e-mail sender.
    #[error("written confirmation of sales sends the offer by e-mail: set communication.mail_from")]
    MailFromMissing,
    /// The offer goes by e-mail without a subject, or with one too long.
    #[error(
        "`sale_confirmation.subject`: an offer by e-mail needs a subject of 1 to \
         {MAX_SUBJECT} characters"
    )]
    Subject,
    /// The offer goes by e-mail, but the server does not know its public address for the
    /// answer links.
    #[error(
        "written confirmation of sales by e-mail links to this server's answer page, but the \
         server does not know its public address: the operator sets CUBE_PUBLIC_URL \
         (--public-url) to it, e.g. https://cube.example.com"
    )]
    NoPublicUrl,
    /// The window is zero, negative or longer than 30 days.
    #[error("`sale_confirmation.window` must be between 1 second and 30 days")]
    Window,
    /// No acceptance or no refusal keyword, an empty one, or one keyword twice.
    #[error(
        "`sale_confirmation.{list}`: '{keyword}' is empty or used twice (accept and refuse \
         words must all differ; case, spaces and a closing . or ! do not count)"
    )]
    Keyword {
        /// `accept` or `refuse`.
        list: &'static str,
        /// The keyword as written.
        keyword: String,
    },
    /// `accept` or `refuse` is empty.
    #[error("`sale_confirmation.{0}` needs at least one keyword")]
    NoKeyword(&'static str),
    /// The refusal or no-reply outcome is not one the flow has, or does not move the customer.
    #[error(
        "`sale_confirmation.{field}`: outcome {outcome} is not a progress outcome of the flow; \
         name one that moves the customer to a state"
    )]
    NotAProgressOutcome {
        /// `on_refusal` or `on_no_reply`.
        field: &'static str,
        /// The outcome named.
        outcome: OutcomeId,
    },
    /// The refusal or no-reply outcome may not be registered from a state a sale lands in.
    #[error(
        "`sale_confirmation.{field}`: outcome '{outcome}' may not be chosen from state \
         '{state}', where a sale leaves the customer; allow it from there in the flow"
    )]
    NotFromSaleState {
        /// `on_refusal` or `on_no_reply`.
        field: &'static str,
        /// The outcome's name.
        outcome: String,
        /// The sale state's name.
        state: String,
    },
    /// The refusal or no-reply outcome lands in a Yes state: it would register another sale
    /// (found from outside: the Sale outcome itself as the refusal made a phantom sale).
    #[error(
        "`sale_confirmation.{field}`: outcome '{outcome}' leads to '{state}', a Yes state — a \
         refused or unanswered offer is no sale; name an outcome that leads to a No or \
         other state"
    )]
    LandsInYes {
        /// `on_refusal` or `on_no_reply`.
        field: &'static str,
        /// The outcome's name.
        outcome: String,
        /// The Yes state's name.
        state: String,
    },
    /// The terms link is missing, too long or not an http(s) URL.
    #[error(
        "`sale_confirmation.terms_url` must be an https:// (or http://) link of at most \
         {MAX_TERMS_URL} characters without spaces"
    )]
    TermsUrl,
    /// The template lacks a merge field every offer needs.
    #[error(
        "the offer's template must show {{{{ {0} }}}}: a written offer names the products, \
         their prices and the total"
    )]
    TemplateMissing(&'static str),
    /// The template names an unknown merge field or leaves one open.
    #[error("the offer's template: {0}")]
    Template(TemplateError),
}

impl SaleConfirmationSetup {
    /// A setup with the default keywords (`JA`, `NEI`).
    pub fn new(
        template: &str,
        terms_url: &str,
        window: Duration,
        on_refusal: OutcomeId,
        on_no_reply: OutcomeId,
    ) -> Self {
        Self {
            channel: ConfirmationChannel::Sms,
            template: template.to_owned(),
            subject: None,
            terms_url: terms_url.to_owned(),
            accept: vec![DEFAULT_ACCEPT.to_owned()],
            refuse: vec![DEFAULT_REFUSE.to_owned()],
            window,
            on_refusal,
            on_no_reply,
        }
    }

    /// The same setup sending its offer by e-mail with `subject`, `template` its HTML body.
    #[must_use]
    pub fn by_email(mut self, subject: &str) -> Self {
        self.channel = ConfirmationChannel::Email;
        self.subject = Some(subject.to_owned());
        self
    }

    /// Checks the setup against the flow: the channel's sender (an SMS sender; by e-mail
    /// `mail_from` and a subject), a window within
    /// bounds, distinct keywords, a terms link, the offer's required merge fields, and
    /// refusal and no-reply outcomes that are progress outcomes of the flow allowed from
    /// every Yes state a product-carrying outcome leads to (where a sale leaves the
    /// customer). Unknown merge fields are checked by [`Self::check_template`], which needs
    /// the data owner's CRM fields.
    pub fn check(
        &self,
        flow: &PublishedFlow,
        senders: Senders,
    ) -> Result<(), ConfirmationSetupError> {
        match self.channel {
            ConfirmationChannel::Sms if !senders.sms => {
                return Err(ConfirmationSetupError::SenderMissing);
            }
            ConfirmationChannel::Email if !senders.mail => {
                return Err(ConfirmationSetupError::MailFromMissing);
            }
            ConfirmationChannel::Email => {
                let subject = self.subject.as_deref().map_or("", str::trim);
                if subject.is_empty() || subject.chars().count() > MAX_SUBJECT {
                    return Err(ConfirmationSetupError::Subject);
                }
            }
            ConfirmationChannel::Sms => {}
        }
        if self.window <= Duration::ZERO || self.window > MAX_WINDOW {
            return Err(ConfirmationSetupError::Window);
        }
        let mut seen = std::collections::BTreeSet::new();
        for (list, words) in [("accept", &self.accept), ("refuse", &self.refuse)] {
            if words.is_empty() {
                return Err(ConfirmationSetupError::NoKeyword(list));
            }
            for word in words {
                let form = keyword_form(word);
                if form.is_empty() || !seen.insert(form) {
                    return Err(ConfirmationSetupError::Keyword {
                        list,
                        keyword: crate::values::excerpt(word),
                    });
                }
            }
        }
        let url = self.terms_url.trim();
        let scheme_ok = url
            .strip_prefix("https://")
            .or_else(|| url.strip_prefix("http://"))
            .is_some_and(|rest| !rest.is_empty());
        if !scheme_ok
            || url.chars().count() > MAX_TERMS_URL
            || url.chars().any(|c| c.is_whitespace() || c.is_control())
        {
            return Err(ConfirmationSetupError::TermsUrl);
        }
        let fields =
            crate::sms::merge_fields(&self.template).map_err(ConfirmationSetupError::Template)?;
        for required in ["products", "total"] {
            if !fields.iter().any(|f| f == required) {
                return Err(ConfirmationSetupError::TemplateMissing(required));
            }
        }
        let sale_states = sale_states(flow);
        for (field, id) in [
            ("on_refusal", self.on_refusal),
            ("on_no_reply", self.on_no_reply),
        ] {
            let outcome = flow
                .outcome(id)
                .filter(|o| matches!(o.kind, OutcomeKind::Progress { .. }))
                .ok_or(ConfirmationSetupError::NotAProgressOutcome { field, outcome: id })?;
            if let OutcomeKind::Progress { target } = outcome.kind
                && let Some(state) = flow.state(target)
                && state.category == StateCategory::Yes
            {
                return Err(ConfirmationSetupError::LandsInYes {
                    field,
                    outcome: outcome.name.to_string(),
                    state: state.name.to_string(),
                });
            }
            if let Some(state) = sale_states.iter().find(|s| !outcome.from.contains(s)) {
                return Err(ConfirmationSetupError::NotFromSaleState {
                    field,
                    outcome: outcome.name.to_string(),
                    state: flow
                        .state(*state)
                        .map_or_else(|| state.to_string(), |s| s.name.to_string()),
                });
            }
        }
        Ok(())
    }

    /// Checks the template's merge fields: the offer's own ([`OFFER_MERGE_FIELDS`]) and
    /// those a customer has (the contact fields, or a key `crm_field` knows).
    /// The e-mail's subject is checked the same way (the e-mail channel).
    pub fn check_template(&self, crm_field: impl Fn(&str) -> bool) -> Result<(), TemplateError> {
        let known = |key: &str| OFFER_MERGE_FIELDS.contains(&key) || crm_field(key);
        crate::sms::check_template(&self.template, known)?;
        match (&self.channel, &self.subject) {
            (ConfirmationChannel::Email, Some(subject)) => {
                crate::sms::check_template(subject, known)
            }
            _ => Ok(()),
        }
    }
}

/// The Yes states an outcome carrying products leads to: where a sale leaves the customer.
pub fn sale_states(flow: &PublishedFlow) -> Vec<StateId> {
    let mut states: Vec<StateId> = flow
        .outcomes()
        .iter()
        .filter(|o| o.carries_products)
        .filter_map(|o| match o.kind {
            OutcomeKind::Progress { target } => Some(target),
            OutcomeKind::Attempt(_) => None,
        })
        .filter(|target| flow.category(*target) == StateCategory::Yes)
        .collect();
    states.sort();
    states.dedup();
    states
}

/// A reply or keyword as compared: lower case, no whitespace, no closing `.` or `!` (the
/// SMS flows' rule, `SmsFlow::outcome_for_reply`).
fn keyword_form(text: &str) -> String {
    let squeezed: String = text
        .chars()
        .filter(|c| !c.is_whitespace())
        .flat_map(char::to_lowercase)
        .collect();
    squeezed.trim_end_matches(['.', '!']).to_owned()
}

/// One product line as the offer shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OfferLine<'a> {
    /// The product's name.
    pub name: &'a str,
    /// The line as sold.
    pub line: &'a ProductLine,
}

/// An amount as a Norwegian reads it: the currency's decimals, a decimal comma
/// (`1 497,00` is written `1497,00`), and the currency code after it.
fn amount(value: Decimal, currency: &crate::product::Currency) -> String {
    format!(
        "{} {}",
        currency.amount(value).to_string().replace('.', ","),
        currency.as_str()
    )
}

/// The offer's text: `template` with the customer's merge fields, `{{ products }}` (one line
/// a product: `2 x Strøm Basis à 499,00 NOK = 998,00 NOK`), `{{ total }}` (per currency,
/// joined with ` + ` in the rare sale in two) and `{{ terms_url }}`. `None` when a sum does
/// not fit (never for lines within the product bounds registration enforces).
pub fn render_offer(
    setup: &SaleConfirmationSetup,
    customer: &Customer,
    lines: &[OfferLine<'_>],
) -> Option<String> {
    let priced = priced(lines)?;
    let shown: Vec<String> = priced
        .lines
        .iter()
        .map(|l| format!("{} x {} à {} = {}", l.quantity, l.name, l.unit, l.value))
        .collect();
    let extra = [
        ("products", shown.join("\n")),
        ("total", priced.total.clone()),
        ("terms_url", setup.terms_url.trim().to_owned()),
    ];
    Some(crate::sms::render_with_extra(
        &setup.template,
        customer,
        &extra,
    ))
}

/// One line of an offer as shown: the amounts written as a Norwegian reads them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PricedLine {
    /// Units.
    pub quantity: u32,
    /// The product's name.
    pub name: String,
    /// The unit price with its currency (`499,00 NOK`).
    pub unit: String,
    /// The line's value with its currency.
    pub value: String,
}

/// An offer's lines and total as shown (the answer page shows them as the e-mail did).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PricedOffer {
    /// The lines, in the sale's order.
    pub lines: Vec<PricedLine>,
    /// The total per currency, joined with ` + ` in the rare sale in two.
    pub total: String,
}

/// The offer's lines and total as shown; `None` when a sum does not fit.
pub fn priced(lines: &[OfferLine<'_>]) -> Option<PricedOffer> {
    let mut shown = Vec::with_capacity(lines.len());
    let mut totals: BTreeMap<&str, (Decimal, &crate::product::Currency)> = BTreeMap::new();
    for offer in lines {
        let line = offer.line;
        let value = line.value()?;
        shown.push(PricedLine {
            quantity: line.quantity,
            name: offer.name.to_owned(),
            unit: amount(line.unit_price, &line.currency),
            value: amount(value, &line.currency),
        });
        let total = totals
            .entry(line.currency.as_str())
            .or_insert((Decimal::ZERO, &line.currency));
        total.0 = total.0.checked_add(value)?;
    }
    let total: Vec<String> = totals
        .values()
        .map(|(value, currency)| amount(*value, currency))
        .collect();
    Some(PricedOffer {
        lines: shown,
        total: total.join(" + "),
    })
}

/// The two links of an offer by e-mail: to the answer page, accepting and refusing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AnswerLinks {
    /// The page, with the acceptance preselected.
    pub accept: String,
    /// The page, with the refusal preselected.
    pub refuse: String,
}

impl AnswerLinks {
    /// The links to `{public_url}/confirm/{token}` (`public_url` without a closing `/`).
    pub fn new(public_url: &str, token: &AnswerToken) -> Self {
        let page = format!(
            "{}/confirm/{}",
            public_url.trim_end_matches('/'),
            token.as_str()
        );
        Self {
            accept: format!("{page}?answer=accept"),
            refuse: format!("{page}?answer=refuse"),
        }
    }
}

/// An offer by e-mail: its subject and HTML body (the gateway adds the plain-text part).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OfferEmail {
    /// The subject, merge fields filled in.
    pub subject: String,
    /// The HTML body: the template with the products as a table (names escaped), the total
    /// and the terms link, then the two answer links and the deadline.
    pub html: String,
}

/// The offer by e-mail: the setup's subject (as text) and HTML body with the customer's
/// merge fields (escaped), `{{ products }}` as a table (in the plain-text part: a line a
/// product, `2 x Strøm Basis à 499,00 NOK = 998,00 NOK`), `{{ total }}` and
/// `{{ terms_url }}` (a link); then, whatever the template says, the deadline (`deadline`,
/// as the customer reads it) and the two answer `links`, each written out so the plain-text
/// part carries them too. `None` when a sum does not fit.
pub fn render_offer_email(
    setup: &SaleConfirmationSetup,
    customer: &Customer,
    lines: &[OfferLine<'_>],
    links: &AnswerLinks,
    deadline: &str,
) -> Option<OfferEmail> {
    use crate::sms::escape_html as esc;
    let priced = priced(lines)?;
    let mut table = String::from(
        "<table class=\"offer\"><thead><tr><th>Antall</th><th>Produkt / Product</th>\
         <th>Pris / Price</th><th>Sum</th></tr></thead><tbody>",
    );
    for line in &priced.lines {
        table.push_str(&format!(
            "<tr><td>{} x</td><td>{}</td><td>à {}</td><td>= {}</td></tr>",
            line.quantity,
            esc(&line.name),
            esc(&line.unit),
            esc(&line.value)
        ));
    }
    table.push_str("</tbody></table>");
    let terms = esc(setup.terms_url.trim());
    let extra = [
        ("products", table),
        ("total", esc(&priced.total)),
        ("terms_url", format!("<a href=\"{terms}\">{terms}</a>")),
    ];
    let mut html = crate::sms::render_html_with_extra(&setup.template, customer, &extra);
    let (accept, refuse) = (esc(&links.accept), esc(&links.refuse));
    html.push_str(&format!(
        "<p>Svar innen {deadline} / Please answer by {deadline}:</p>\
         <p>Jeg godtar / I accept: <a href=\"{accept}\">{accept}</a></p>\
         <p>Nei takk / No thanks: <a href=\"{refuse}\">{refuse}</a></p>",
        deadline = esc(deadline)
    ));
    let plain_lines: Vec<String> = priced
        .lines
        .iter()
        .map(|l| format!("{} x {} à {} = {}", l.quantity, l.name, l.unit, l.value))
        .collect();
    let subject_extra = [
        ("products", plain_lines.join(", ")),
        ("total", priced.total.clone()),
        ("terms_url", setup.terms_url.trim().to_owned()),
    ];
    let subject = crate::sms::render_with_extra(
        setup.subject.as_deref().unwrap_or_default(),
        customer,
        &subject_extra,
    );
    // A header is one line: a merge field with a line break must not end it.
    let subject = subject.split_whitespace().collect::<Vec<_>>().join(" ");
    Some(OfferEmail { subject, html })
}

/// The secret of an offer's answer links: 32 random bytes as base64url (43 characters, no
/// padding). Only its [`token_hash`] is stored; the token itself is only in the e-mail.
#[derive(Clone, PartialEq, Eq)]
pub struct AnswerToken(String);

impl std::fmt::Debug for AnswerToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AnswerToken(…)")
    }
}

/// The length of an [`AnswerToken`] as written.
pub const ANSWER_TOKEN_LEN: usize = 43;

impl AnswerToken {
    /// The token of 32 random `bytes` (the caller draws them from the OS).
    pub fn from_bytes(bytes: &[u8; 32]) -> Self {
        const ALPHABET: &[u8; 64] =
            b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        let mut out = String::with_capacity(ANSWER_TOKEN_LEN);
        for chunk in bytes.chunks(3) {
            let n = chunk
                .iter()
                .enumerate()
                .fold(0_u32, |n, (i, b)| n | u32::from(*b) << (16 - 8 * i));
            let sextets = chunk.len() + 1;
            for i in 0..sextets {
                let index = (n >> (18 - 6 * i)) & 0x3F;
                out.push(char::from(ALPHABET[index as usize]));
            }
        }
        Self(out)
    }

    /// The token as written in the links.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Its hash, as stored.
    pub fn hash(&self) -> String {
        token_hash(&self.0)
    }
}

/// Whether `text` could be an [`AnswerToken`] (43 base64url characters): anything else is
/// unknown without asking the store.
pub fn is_token_shaped(text: &str) -> bool {
    text.len() == ANSWER_TOKEN_LEN
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// The hex SHA-256 of an answer token: what the store keeps and looks up.
pub fn token_hash(token: &str) -> String {
    use sha2::{Digest, Sha256};
    Sha256::digest(token.as_bytes())
        .iter()
        .fold(String::with_capacity(64), |mut s, b| {
            use std::fmt::Write as _;
            let _ = write!(s, "{b:02x}");
            s
        })
}

/// Where a sale's written confirmation stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConfirmationStatus {
    /// The offer was sent; no answer yet, and the deadline has not passed.
    Pending,
    /// The customer accepted in writing: the sale binds them.
    Confirmed,
    /// The customer refused.
    Refused,
    /// No answer came by the deadline.
    Expired,
    /// The offer could not be sent (the customer has no mobile number): the sale stays
    /// unconfirmed until someone confirms it by other means.
    Failed,
}

impl ConfirmationStatus {
    /// `pending`, `confirmed`, … as the stores and the API spell it.
    pub fn as_str(self) -> &'static str {
        match self {
            ConfirmationStatus::Pending => "pending",
            ConfirmationStatus::Confirmed => "confirmed",
            ConfirmationStatus::Refused => "refused",
            ConfirmationStatus::Expired => "expired",
            ConfirmationStatus::Failed => "failed",
        }
    }
}

/// A sale's written confirmation: the offer sent, and what became of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SaleConfirmation {
    /// The id.
    pub id: SaleConfirmationId,
    /// The assignment whose setup required it.
    pub assignment: AssignmentId,
    /// The sale: the outcome event that landed in a Yes state with product lines.
    pub event: OutcomeEventId,
    /// When the sale was registered (the event's time: the report window counts it there).
    pub sold_at: OffsetDateTime,
    /// The customer's enrollment.
    pub enrollment: EnrollmentId,
    /// The customer.
    pub customer: CustomerId,
    /// The state the sale left the customer in: a refusal or expiry moves them on only from
    /// there.
    pub state: StateId,
    /// The sale's product lines (what the offer showed, and what the report counts).
    pub lines: Vec<ProductLine>,
    /// The outbox message carrying the offer.
    pub message: OutboxMessageId,
    /// How the offer went (SMS unless said: stored confirmations before e-mail were SMS).
    #[serde(default, skip_serializing_if = "ConfirmationChannel::is_sms")]
    pub channel: ConfirmationChannel,
    /// The hex SHA-256 of the answer links' token ([`token_hash`]; the e-mail channel).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_hash: Option<String>,
    /// The terms link the offer gave (the e-mail channel: the answer page shows it again).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub terms_url: Option<String>,
    /// The number it went to; `None` when the customer had none (status `Failed`), or the
    /// offer went by e-mail (the address is the outbox message's).
    pub to: Option<PhoneNumber>,
    /// Who it was sent as (the assignment's SMS sender, or by e-mail its `mail_from`).
    pub sender: String,
    /// When the offer was enqueued.
    pub sent_at: OffsetDateTime,
    /// The last instant an answer is taken.
    pub deadline: OffsetDateTime,
    /// The acceptance keywords as the offer said them.
    pub accept: Vec<String>,
    /// The refusal keywords.
    pub refuse: Vec<String>,
    /// The outcome registered on a refusal.
    pub on_refusal: OutcomeId,
    /// The outcome registered when no answer came.
    pub on_no_reply: OutcomeId,
    /// Where it stands.
    pub status: ConfirmationStatus,
    /// When it was decided (confirmed, refused, expired); `None` while pending or failed.
    pub decided_at: Option<OffsetDateTime>,
}

impl SaleConfirmation {
    /// Whether it needs a decision by the expiry sweep at `now`: pending with its deadline
    /// passed.
    pub fn is_due(&self, now: OffsetDateTime) -> bool {
        self.status == ConfirmationStatus::Pending && now > self.deadline
    }

    /// Whether the sale binds the customer: only a confirmed one does.
    pub fn is_confirmed(&self) -> bool {
        self.status == ConfirmationStatus::Confirmed
    }
}

/// What a text from a customer with a confirmation does (see [`judge_reply`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConfirmationStep {
    /// Mark it confirmed.
    Confirm,
    /// Mark it refused and register this outcome, as the system.
    Refuse(OutcomeId),
    /// Keep the text with this fate; nothing else happens.
    Keep(ReplyFate),
}

/// Judges `text`, received at `received_at`, as an answer to `confirmation`: on one no
/// longer pending it is kept as already answered; outside the window (before the offer,
/// after the deadline) it is kept as late — the expiry sweep decides it; an acceptance
/// keyword confirms, a refusal keyword refuses; anything else is kept as an unknown word.
pub fn judge_reply(
    confirmation: &SaleConfirmation,
    received_at: OffsetDateTime,
    text: &str,
) -> ConfirmationStep {
    if confirmation.status != ConfirmationStatus::Pending {
        return ConfirmationStep::Keep(ReplyFate::AlreadyAnswered);
    }
    if received_at < confirmation.sent_at || received_at > confirmation.deadline {
        return ConfirmationStep::Keep(ReplyFate::OutsideWindow);
    }
    let reply = keyword_form(text);
    let said =
        |words: &[String]| !reply.is_empty() && words.iter().any(|w| keyword_form(w) == reply);
    if said(&confirmation.accept) {
        ConfirmationStep::Confirm
    } else if said(&confirmation.refuse) {
        ConfirmationStep::Refuse(confirmation.on_refusal)
    } else {
        ConfirmationStep::Keep(ReplyFate::UnknownKeyword)
    }
}

/// Judges an answer given on the answer page at `now` (`accept`: "Jeg godtar", else "Nei
/// takk") to `confirmation`, as [`judge_reply`] judges a text: on one no longer pending it
/// is kept as already answered; after the deadline as late (the expiry sweep decides it).
pub fn judge_answer(
    confirmation: &SaleConfirmation,
    now: OffsetDateTime,
    accept: bool,
) -> ConfirmationStep {
    if confirmation.status != ConfirmationStatus::Pending {
        return ConfirmationStep::Keep(ReplyFate::AlreadyAnswered);
    }
    if now < confirmation.sent_at || now > confirmation.deadline {
        return ConfirmationStep::Keep(ReplyFate::OutsideWindow);
    }
    if accept {
        ConfirmationStep::Confirm
    } else {
        ConfirmationStep::Refuse(confirmation.on_refusal)
    }
}

/// The pending confirmation a text from a number answers, of the pending ones sent to it
/// (`pending`, the latest first): as SMS flows, the latest sent as the sender the provider
/// says the text went to (`to`), else the latest.
pub fn confirmation_answered<'a>(
    pending: &'a [SaleConfirmation],
    to: Option<&str>,
) -> Option<&'a SaleConfirmation> {
    let form = |s: &str| {
        let squeezed: String = s
            .chars()
            .filter(|c| !c.is_whitespace())
            .flat_map(char::to_lowercase)
            .collect();
        squeezed
            .strip_prefix('+')
            .or_else(|| squeezed.strip_prefix("00"))
            .map_or_else(|| squeezed.clone(), str::to_owned)
    };
    to.and_then(|to| pending.iter().find(|c| form(&c.sender) == form(to)))
        .or_else(|| pending.first())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::customer::CustomerDetails;
    use crate::data_owner::{DataOwner, Dataset};
    use crate::fields::FieldValues;
    use crate::flow::seeds::SalesFlow;
    use crate::ids::{DataOwnerId, OrganisationId, ProductId};
    use crate::product::Currency;
    use crate::values::Name;
    use rust_decimal::dec;
    use time::macros::datetime;
    use uuid::Uuid;

    const SMS: Senders = Senders {
        sms: true,
        mail: false,
    };

    fn owner() -> DataOwnerId {
        DataOwnerId::from_uuid(Uuid::from_u128(1))
    }

    /// The seed's sales flow: No sale may follow a Sale (where a refusal goes).
    fn flow_with_refusal() -> PublishedFlow {
        SalesFlow::published(owner())
    }

    fn setup() -> SaleConfirmationSetup {
        SaleConfirmationSetup::new(
            "Hei {{ name }}! Du har kjøpt:\n{{ products }}\nTotalt {{ total }}. Vilkår: \
             {{ terms_url }}. Svar JA for å bekrefte, NEI om ikke.",
            "https://acme.example.no/vilkar",
            Duration::hours(48),
            SalesFlow::O_NO_SALE,
            SalesFlow::O_NO_SALE,
        )
    }

    #[test]
    fn a_setup_needs_a_sender_a_window_keywords_a_link_and_outcomes_from_the_sale_state() {
        let flow = flow_with_refusal();
        assert_eq!(setup().check(&flow, SMS), Ok(()));
        assert_eq!(
            setup().check(&flow, Senders::default()),
            Err(ConfirmationSetupError::SenderMissing)
        );
        for window in [
            Duration::ZERO,
            Duration::hours(-1),
            MAX_WINDOW + Duration::SECOND,
        ] {
            let s = SaleConfirmationSetup { window, ..setup() };
            assert_eq!(s.check(&flow, SMS), Err(ConfirmationSetupError::Window));
        }
        let s = SaleConfirmationSetup {
            refuse: vec![" ja. ".into()],
            ..setup()
        };
        assert!(matches!(
            s.check(&flow, SMS),
            Err(ConfirmationSetupError::Keyword { list: "refuse", .. })
        ));
        let s = SaleConfirmationSetup {
            accept: vec![],
            ..setup()
        };
        assert_eq!(
            s.check(&flow, SMS),
            Err(ConfirmationSetupError::NoKeyword("accept"))
        );
        for url in ["", "acme.no/vilkar", "https://", "https://a b", "ftp://x"] {
            let s = SaleConfirmationSetup {
                terms_url: url.into(),
                ..setup()
            };
            assert_eq!(
                s.check(&flow, SMS),
                Err(ConfirmationSetupError::TermsUrl),
                "{url:?}"
            );
        }
        let s = SaleConfirmationSetup {
            template: "Hei {{ name }}, svar JA. {{ products }}".into(),
            ..setup()
        };
        assert_eq!(
            s.check(&flow, SMS),
            Err(ConfirmationSetupError::TemplateMissing("total"))
        );
        // The seed flow's Excluded may not be chosen from Sale: a refusal could not move on.
        let s = SaleConfirmationSetup {
            on_refusal: SalesFlow::O_EXCLUDED,
            ..setup()
        };
        let error = s.check(&flow, SMS).expect_err("not from Sale");
        assert!(
            matches!(&error, ConfirmationSetupError::NotFromSaleState { field: "on_refusal", state, .. } if state == "Sale"),
            "{error}"
        );
        let s = SaleConfirmationSetup {
            on_no_reply: SalesFlow::O_NO_ANSWER,
            ..setup()
        };
        assert!(matches!(
            s.check(&flow, SMS),
            Err(ConfirmationSetupError::NotAProgressOutcome {
                field: "on_no_reply",
                ..
            })
        ));
        // The Sale itself as the refusal would register another sale.
        let s = SaleConfirmationSetup {
            on_refusal: SalesFlow::O_SALE,
            ..setup()
        };
        let error = s.check(&flow, SMS).expect_err("a refusal is no sale");
        assert!(
            matches!(&error, ConfirmationSetupError::LandsInYes { field: "on_refusal", state, .. } if state == "Sale"),
            "{error}"
        );
    }

    fn email_setup() -> SaleConfirmationSetup {
        SaleConfirmationSetup {
            template: "<p>Hei {{ name }}!</p>{{ products }}<p>Totalt {{ total }}. Vilkår: \
                       {{ terms_url }}</p>"
                .into(),
            ..setup()
        }
        .by_email("Ditt tilbud, {{ name }}: {{ total }}")
    }

    #[test]
    fn an_offer_by_email_needs_a_mail_sender_and_a_subject_not_an_sms_sender() {
        let flow = flow_with_refusal();
        let mail = Senders {
            sms: false,
            mail: true,
        };
        assert_eq!(email_setup().check(&flow, mail), Ok(()));
        assert_eq!(
            email_setup().check(&flow, SMS),
            Err(ConfirmationSetupError::MailFromMissing)
        );
        assert!(
            ConfirmationSetupError::MailFromMissing
                .to_string()
                .contains("communication.mail_from")
        );
        for subject in [
            None,
            Some(String::new()),
            Some("  ".into()),
            Some("x".repeat(201)),
        ] {
            let s = SaleConfirmationSetup {
                subject,
                ..email_setup()
            };
            assert_eq!(s.check(&flow, mail), Err(ConfirmationSetupError::Subject));
        }
        // The body needs the products and the total as the SMS text does.
        let s = SaleConfirmationSetup {
            template: "<p>{{ products }}</p>".into(),
            ..email_setup()
        };
        assert_eq!(
            s.check(&flow, mail),
            Err(ConfirmationSetupError::TemplateMissing("total"))
        );
        // The subject's merge fields are checked as the body's.
        let s = email_setup().by_email("Tilbud {{ pris }}");
        assert_eq!(
            s.check_template(|_| false),
            Err(TemplateError::UnknownField("pris".into()))
        );
        assert!(
            ConfirmationSetupError::NoPublicUrl
                .to_string()
                .contains("CUBE_PUBLIC_URL")
        );
    }

    #[test]
    fn the_offer_by_email_escapes_product_names_and_carries_both_answer_links() {
        let (a, b) = (line(1, 2, dec!(499)), line(2, 1, dec!(59.5)));
        let lines = [
            OfferLine {
                name: "<b>Strøm</b> & Co",
                line: &a,
            },
            OfferLine {
                name: "Kundeservice+",
                line: &b,
            },
        ];
        let token = AnswerToken::from_bytes(&[7; 32]);
        let links = AnswerLinks::new("https://cube.example.com/", &token);
        assert_eq!(
            links.accept,
            format!(
                "https://cube.example.com/confirm/{}?answer=accept",
                token.as_str()
            )
        );
        let mail = render_offer_email(
            &email_setup(),
            &customer(),
            &lines,
            &links,
            "30.11.2026 10:00",
        )
        .expect("fits");
        assert_eq!(mail.subject, "Ditt tilbud, Kari Nordmann: 1057,50 NOK");
        assert!(
            mail.html
                .contains("<tr><td>2 x</td><td>&lt;b&gt;Strøm&lt;/b&gt; &amp; Co</td><td>à 499,00 NOK</td><td>= 998,00 NOK</td></tr>"),
            "{}",
            mail.html
        );
        assert!(!mail.html.contains("<b>Strøm"), "a name is never markup");
        assert!(mail.html.contains("<p>Totalt 1057,50 NOK."));
        assert!(mail.html.contains(
            "<a href=\"https://acme.example.no/vilkar\">https://acme.example.no/vilkar</a>"
        ));
        for link in [&links.accept, &links.refuse] {
            assert!(
                mail.html
                    .contains(&format!("<a href=\"{link}\">{link}</a>")),
                "{link}"
            );
        }
        assert!(mail.html.contains("30.11.2026 10:00"));
        assert!(mail.html.contains("Jeg godtar / I accept"));
    }

    #[test]
    fn an_answer_token_is_43_base64url_characters_and_only_its_hash_is_kept() {
        let token = AnswerToken::from_bytes(&[0xFB; 32]);
        assert_eq!(token.as_str().len(), ANSWER_TOKEN_LEN);
        assert!(is_token_shaped(token.as_str()));
        assert!(
            token.as_str().starts_with("-_v7"),
            "0xFBFBFB is -_v7 in base64url: {}",
            token.as_str()
        );
        let zero = AnswerToken::from_bytes(&[0; 32]);
        assert_eq!(zero.as_str(), "A".repeat(43));
        // RFC 4648's test vector "foobar" is "Zm9vYmFy"; the token encodes 32 bytes the same way.
        let mut bytes = [0_u8; 32];
        bytes[..6].copy_from_slice(b"foobar");
        assert!(
            AnswerToken::from_bytes(&bytes)
                .as_str()
                .starts_with("Zm9vYmFy")
        );
        assert_eq!(token.hash().len(), 64);
        assert_eq!(token.hash(), token_hash(token.as_str()));
        assert_ne!(token.hash(), zero.hash());
        assert!(
            !format!("{token:?}").contains(token.as_str()),
            "Debug hides it"
        );
        for junk in [
            "",
            "abc",
            &"A".repeat(44),
            &format!("{}=", "A".repeat(42)),
            &"+".repeat(43),
        ] {
            assert!(!is_token_shaped(junk), "{junk:?}");
        }
    }

    #[test]
    fn an_answer_on_the_page_decides_a_pending_confirmation_in_its_window_only() {
        let sent = datetime!(2026-11-28 09:00 UTC);
        let c = confirmation(sent);
        let soon = sent + Duration::hours(1);
        assert_eq!(judge_answer(&c, soon, true), ConfirmationStep::Confirm);
        assert_eq!(
            judge_answer(&c, soon, false),
            ConfirmationStep::Refuse(SalesFlow::O_NO_SALE)
        );
        assert_eq!(
            judge_answer(&c, c.deadline + Duration::SECOND, true),
            ConfirmationStep::Keep(ReplyFate::OutsideWindow)
        );
        let decided = SaleConfirmation {
            status: ConfirmationStatus::Confirmed,
            ..c.clone()
        };
        assert_eq!(
            judge_answer(&decided, soon, false),
            ConfirmationStep::Keep(ReplyFate::AlreadyAnswered)
        );
    }

    #[test]
    fn the_template_may_use_the_offers_fields_and_the_customers() {
        let crm = |key: &str| key == "bransje";
        assert_eq!(setup().check_template(crm), Ok(()));
        let s = SaleConfirmationSetup {
            template: "{{ products }} {{ total }} {{ bransje }} {{ pris }}".into(),
            ..setup()
        };
        assert_eq!(
            s.check_template(crm),
            Err(TemplateError::UnknownField("pris".into()))
        );
    }

    fn customer() -> Customer {
        let owner = DataOwner::new(
            owner(),
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
            crate::ids::CustomerId::from_uuid(Uuid::from_u128(3)),
            &owner,
            Dataset::B2c,
            details,
            FieldValues::new(),
        )
        .expect("valid")
    }

    fn line(n: u128, quantity: u32, price: Decimal) -> ProductLine {
        ProductLine {
            product: ProductId::from_uuid(Uuid::from_u128(n)),
            quantity,
            unit_price: price,
            currency: Currency::parse("NOK").expect("valid"),
        }
    }

    #[test]
    fn the_offer_lists_each_line_with_its_prices_and_the_total() {
        let (a, b) = (line(1, 2, dec!(499)), line(2, 1, dec!(59.5)));
        let lines = [
            OfferLine {
                name: "Strøm Basis",
                line: &a,
            },
            OfferLine {
                name: "Kundeservice+",
                line: &b,
            },
        ];
        let text = render_offer(&setup(), &customer(), &lines).expect("fits");
        assert_eq!(
            text,
            "Hei Kari Nordmann! Du har kjøpt:\n2 x Strøm Basis à 499,00 NOK = 998,00 NOK\n\
             1 x Kundeservice+ à 59,50 NOK = 59,50 NOK\nTotalt 1057,50 NOK. Vilkår: \
             https://acme.example.no/vilkar. Svar JA for å bekrefte, NEI om ikke."
        );
        assert_eq!(
            crate::sms::length(&text).encoding,
            crate::sms::SmsEncoding::Gsm7,
            "Norwegian letters and à stay in the GSM alphabet"
        );
    }

    fn confirmation(sent_at: OffsetDateTime) -> SaleConfirmation {
        SaleConfirmation {
            id: SaleConfirmationId::from_uuid(Uuid::from_u128(10)),
            assignment: AssignmentId::from_uuid(Uuid::from_u128(11)),
            event: OutcomeEventId::from_uuid(Uuid::from_u128(12)),
            sold_at: sent_at,
            enrollment: EnrollmentId::from_uuid(Uuid::from_u128(13)),
            customer: crate::ids::CustomerId::from_uuid(Uuid::from_u128(3)),
            state: SalesFlow::SALE,
            lines: vec![line(1, 2, dec!(499))],
            message: OutboxMessageId::from_uuid(Uuid::from_u128(14)),
            channel: ConfirmationChannel::Sms,
            token_hash: None,
            terms_url: None,
            to: Some(PhoneNumber::parse("+4791234567").expect("valid")),
            sender: "AcmeEnergi".into(),
            sent_at,
            deadline: sent_at + Duration::hours(48),
            accept: vec!["JA".into(), "Ja takk".into()],
            refuse: vec!["NEI".into()],
            on_refusal: SalesFlow::O_NO_SALE,
            on_no_reply: SalesFlow::O_EXCLUDED,
            status: ConfirmationStatus::Pending,
            decided_at: None,
        }
    }

    #[test]
    fn keywords_in_the_window_confirm_or_refuse_and_anything_else_is_kept() {
        let sent = datetime!(2026-11-28 09:00 UTC);
        let c = confirmation(sent);
        let soon = sent + Duration::hours(1);
        for text in ["ja", " JA! ", "J a", "ja takk", "JA TAKK."] {
            assert_eq!(
                judge_reply(&c, soon, text),
                ConfirmationStep::Confirm,
                "{text:?}"
            );
        }
        for text in ["nei", "Nei.", " N E I "] {
            assert_eq!(
                judge_reply(&c, soon, text),
                ConfirmationStep::Refuse(SalesFlow::O_NO_SALE),
                "{text:?}"
            );
        }
        for text in ["", "!", "kanskje", "jaa", "ja nei"] {
            assert_eq!(
                judge_reply(&c, soon, text),
                ConfirmationStep::Keep(ReplyFate::UnknownKeyword),
                "{text:?}"
            );
        }
        // The deadline's own instant still counts; after it, or before the offer, it is late.
        assert_eq!(judge_reply(&c, c.deadline, "ja"), ConfirmationStep::Confirm);
        for at in [c.deadline + Duration::SECOND, sent - Duration::SECOND] {
            assert_eq!(
                judge_reply(&c, at, "ja"),
                ConfirmationStep::Keep(ReplyFate::OutsideWindow)
            );
        }
        for status in [
            ConfirmationStatus::Confirmed,
            ConfirmationStatus::Refused,
            ConfirmationStatus::Expired,
            ConfirmationStatus::Failed,
        ] {
            let decided = SaleConfirmation {
                status,
                ..c.clone()
            };
            assert_eq!(
                judge_reply(&decided, soon, "nei"),
                ConfirmationStep::Keep(ReplyFate::AlreadyAnswered)
            );
        }
    }

    #[test]
    fn only_a_pending_confirmation_past_its_deadline_is_due() {
        let sent = datetime!(2026-11-28 09:00 UTC);
        let c = confirmation(sent);
        assert!(!c.is_due(sent + Duration::hours(47)));
        assert!(
            !c.is_due(c.deadline),
            "the deadline's instant is still in the window"
        );
        assert!(c.is_due(c.deadline + Duration::SECOND));
        for status in [
            ConfirmationStatus::Confirmed,
            ConfirmationStatus::Refused,
            ConfirmationStatus::Expired,
            ConfirmationStatus::Failed,
        ] {
            let decided = SaleConfirmation {
                status,
                ..c.clone()
            };
            assert!(
                !decided.is_due(c.deadline + Duration::days(1)),
                "{status:?}"
            );
        }
        assert!(!c.is_confirmed());
    }

    #[test]
    fn a_text_answers_the_latest_pending_offer_of_its_sender() {
        let sent = datetime!(2026-11-28 09:00 UTC);
        let ours = confirmation(sent);
        let mut theirs = confirmation(sent + Duration::hours(1));
        theirs.sender = "OtherCo".into();
        theirs.id = SaleConfirmationId::from_uuid(Uuid::from_u128(99));
        let pending = vec![theirs.clone(), ours.clone()];
        assert_eq!(confirmation_answered(&pending, None), Some(&theirs));
        assert_eq!(
            confirmation_answered(&pending, Some("acmeenergi")),
            Some(&ours)
        );
        assert_eq!(confirmation_answered(&[], None), None);
    }
}
