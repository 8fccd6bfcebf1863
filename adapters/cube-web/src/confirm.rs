//! The public answer page of a sale's written offer by e-mail (angrerettloven § 10, issue
//! 17): `GET /confirm/{token}` shows the offer — the products, the total, the terms link and
//! the deadline — with "Jeg godtar / I accept" and "Nei takk / No thanks"; only
//! `POST /confirm/{token}` decides (`Cube::answer_offer`). A GET never decides: mail
//! scanners and link previews follow every link in an e-mail.
//!
//! No login: the token in the link is the customer's key (32 random bytes; the store keeps
//! only its hash). The customer is no user of Cube and has no language cookie, so the page
//! speaks bokmål with English beside it. An unknown token answers 404, an offer answered or
//! past its deadline 410 — each a page that says so, never an error dump; the page is never
//! cached (`Cache-Control: no-store`), and the terms link sends no referrer.

use crate::WebState;
use crate::views::html;
use askama::Template;
use axum::Form;
use axum::extract::rejection::FormRejection;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;
use cube_app::AppError;
use cube_app::sale_confirmations::{OfferAnswered, OfferPage};
use cube_domain::sale_confirmation::ConfirmationStatus;
use serde::Deserialize;

/// The answer page.
#[derive(Template)]
#[template(path = "confirm.html")]
pub struct ConfirmTemplate {
    /// The token, for the form's action.
    pub token: String,
    /// The heading in bokmål.
    pub heading_nb: &'static str,
    /// The heading in English.
    pub heading_en: &'static str,
    /// What happened or what to do, in bokmål.
    pub message_nb: Option<String>,
    /// The same in English.
    pub message_en: Option<String>,
    /// Whether the message is a problem.
    pub problem: bool,
    /// The offer, when there is one to show.
    pub offer: Option<OfferView>,
    /// Whether the answer form is shown (the offer is open).
    pub form: bool,
    /// The answer the link chose, said back.
    pub chosen: Option<&'static str>,
}

/// The offer as the page shows it.
pub struct OfferView {
    /// The lines.
    pub lines: Vec<cube_domain::sale_confirmation::PricedLine>,
    /// The total.
    pub total: String,
    /// The terms link.
    pub terms_url: Option<String>,
    /// The deadline, in the organisation's time.
    pub deadline: String,
}

/// The link's preselected answer (`?answer=accept` or `refuse`); anything else is none.
#[derive(Debug, Deserialize)]
pub struct Chosen {
    answer: Option<String>,
}

/// The form's answer.
#[derive(Debug, Deserialize)]
pub struct AnswerForm {
    answer: String,
}

fn view(page: &OfferPage) -> OfferView {
    OfferView {
        lines: page.offer.lines.clone(),
        total: page.offer.total.clone(),
        terms_url: page.terms_url.clone(),
        deadline: page.deadline.clone(),
    }
}

fn base(token: &str) -> ConfirmTemplate {
    ConfirmTemplate {
        token: token.to_owned(),
        heading_nb: "Tilbud",
        heading_en: "Offer",
        message_nb: None,
        message_en: None,
        problem: false,
        offer: None,
        form: false,
        chosen: None,
    }
}

fn answer(status: StatusCode, page: &ConfirmTemplate) -> Response {
    let mut response = html(status, page);
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// An offer that takes no answer: 410, saying why.
fn closed(token: &str, page: &OfferPage) -> Response {
    let (nb, en) = match page.confirmation.status {
        ConfirmationStatus::Confirmed => (
            "Du har allerede godtatt dette tilbudet.".to_owned(),
            "You have already accepted this offer.".to_owned(),
        ),
        ConfirmationStatus::Refused => (
            "Du har allerede takket nei til dette tilbudet.".to_owned(),
            "You have already declined this offer.".to_owned(),
        ),
        ConfirmationStatus::Pending | ConfirmationStatus::Expired | ConfirmationStatus::Failed => (
            format!(
                "Fristen for å svare gikk ut {}. Salget er ikke bindende for deg.",
                page.deadline
            ),
            format!(
                "The deadline to answer passed at {}. The sale does not bind you.",
                page.deadline
            ),
        ),
    };
    answer(
        StatusCode::GONE,
        &ConfirmTemplate {
            heading_nb: "Tilbudet er avsluttet",
            heading_en: "This offer is closed",
            message_nb: Some(nb),
            message_en: Some(en),
            offer: Some(view(page)),
            ..base(token)
        },
    )
}

/// An error as a page: 404 for an unknown token, else a short apology (details are logged).
fn failed(error: &AppError) -> Response {
    if matches!(error, AppError::NotFound(_)) {
        return answer(
            StatusCode::NOT_FOUND,
            &ConfirmTemplate {
                heading_nb: "Vi finner ikke tilbudet",
                heading_en: "We cannot find this offer",
                message_nb: Some("Sjekk at lenken er hel, slik den står i e-posten.".to_owned()),
                message_en: Some(
                    "Check that the link is whole, as written in the e-mail.".to_owned(),
                ),
                problem: true,
                ..base("")
            },
        );
    }
    tracing::error!(%error, "the answer page of an offer failed");
    answer(
        StatusCode::SERVICE_UNAVAILABLE,
        &ConfirmTemplate {
            heading_nb: "Noe gikk galt",
            heading_en: "Something went wrong",
            message_nb: Some("Svaret ditt er ikke lagret. Prøv igjen om litt.".to_owned()),
            message_en: Some("Your answer was not saved. Please try again shortly.".to_owned()),
            problem: true,
            ..base("")
        },
    )
}

/// `GET /confirm/{token}`: the offer and, while it is open, the two buttons. Decides nothing.
pub async fn show(
    State(state): State<WebState>,
    Path(token): Path<String>,
    Query(chosen): Query<Chosen>,
) -> Response {
    let page = match state.cube.offer_by_token(&token).await {
        Ok(page) => page,
        Err(error) => return failed(&error),
    };
    if !page.open {
        return closed(&token, &page);
    }
    let chosen = match chosen.answer.as_deref() {
        Some("accept") => Some(
            "Bekreft med knappen under at du godtar tilbudet. / Confirm with the button below \
             that you accept the offer.",
        ),
        Some("refuse") => Some(
            "Bekreft med knappen under at du takker nei. / Confirm with the button below that \
             you decline.",
        ),
        _ => None,
    };
    answer(
        StatusCode::OK,
        &ConfirmTemplate {
            message_nb: Some(
                "Se over tilbudet og svar før fristen. Salget binder deg bare om du godtar det."
                    .to_owned(),
            ),
            message_en: Some(
                "Please review the offer and answer before the deadline. The sale binds you \
                 only if you accept it."
                    .to_owned(),
            ),
            offer: Some(view(&page)),
            form: true,
            chosen,
            ..base(&token)
        },
    )
}

/// `POST /confirm/{token}`: the customer's answer (`answer=accept` or `refuse`), decided
/// once; an offer answered before or past its deadline changes nothing (410).
pub async fn decide(
    State(state): State<WebState>,
    Path(token): Path<String>,
    form: Result<Form<AnswerForm>, FormRejection>,
) -> Response {
    let accept = match form.as_ref().map(|Form(f)| f.answer.as_str()) {
        Ok("accept") => true,
        Ok("refuse") => false,
        _ => {
            return answer(
                StatusCode::UNPROCESSABLE_ENTITY,
                &ConfirmTemplate {
                    message_nb: Some("Velg «Jeg godtar» eller «Nei takk».".to_owned()),
                    message_en: Some("Choose “I accept” or “No thanks”.".to_owned()),
                    problem: true,
                    ..base(&token)
                },
            );
        }
    };
    let page = match state.cube.answer_offer(&token, accept).await {
        Ok(OfferAnswered::Decided(page)) => page,
        Ok(OfferAnswered::NotOpen(page)) => return closed(&token, &page),
        Err(error) => return failed(&error),
    };
    let (heading_nb, heading_en, nb, en) =
        if page.confirmation.status == ConfirmationStatus::Confirmed {
            (
                "Takk!",
                "Thank you!",
                "Du har godtatt tilbudet. Du får ikke flere spørsmål om det.",
                "You have accepted the offer. You will not be asked about it again.",
            )
        } else {
            (
                "Takk for svaret",
                "Thank you for your answer",
                "Du har takket nei. Salget er ikke bindende for deg.",
                "You have declined. The sale does not bind you.",
            )
        };
    answer(
        StatusCode::OK,
        &ConfirmTemplate {
            heading_nb,
            heading_en,
            message_nb: Some(nb.to_owned()),
            message_en: Some(en.to_owned()),
            offer: Some(view(&page)),
            ..base(&token)
        },
    )
}
