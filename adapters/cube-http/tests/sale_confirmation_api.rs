//! A sale's written confirmation by e-mail in the assignment setup
//! (`PUT /api/assignments/{id}/setup`, `sale_confirmation.channel = "email"`), in process:
//! refused with a problem naming what to set — the server's public address
//! (`CUBE_PUBLIC_URL`), `communication.mail_from`, the subject — and read back as saved.

mod common;

use axum::http::{Method, StatusCode};
use common::App;
use cube_domain::flow::SwitchPlan;
use cube_testkit::fixtures::SalesFlow;
use serde_json::{Value, json};

/// The app's assignment on a version of the sales flow where No sale may follow a Sale (a
/// refusal's way on); `public_url` given to the server when set.
async fn app(public_url: Option<&str>) -> App {
    let app = App::configured(|state| {
        if let Some(url) = public_url {
            state.cube = state.cube.clone().with_public_url(url);
        }
    })
    .await;
    let mut draft = app.world.sales_flow.new_draft();
    for outcome in &mut draft.outcomes {
        if outcome.id == SalesFlow::O_NO_SALE {
            outcome.from.insert(SalesFlow::SALE);
        }
    }
    let v2 = draft.publish().expect("a valid flow");
    let mut uow = app.store.begin().await.expect("unit");
    uow.save_published_flow(&v2).await.expect("saved");
    uow.commit().await.expect("committed");
    app.state
        .cube
        .switch_flow(
            app.world.manager.id,
            app.world.assignment.id(),
            v2.version(),
            &SwitchPlan::default(),
        )
        .await
        .expect("switched");
    app
}

fn by_email() -> Value {
    json!({
        "channel": "email",
        "subject": "Ditt tilbud: {{ total }}",
        "template": "<p>Hei {{ name }}</p>{{ products }}<p>Totalt {{ total }}</p>",
        "terms_url": "https://acme.example.no/vilkar",
        "window_hours": 48,
        "on_refusal": SalesFlow::O_NO_SALE.to_string(),
        "on_no_reply": SalesFlow::O_NO_SALE.to_string(),
    })
}

async fn put(app: &App, token: &str, edit: impl FnOnce(&mut Value)) -> (StatusCode, Value) {
    let uri = format!("/api/assignments/{}/setup", app.assignment());
    let (status, mut setup) = app.call(Method::GET, &uri, Some(token), None).await;
    assert_eq!(status, StatusCode::OK, "{setup}");
    setup["communication"]["mail_from"] = json!("salg@acme.example.no");
    setup["sale_confirmation"] = by_email();
    edit(&mut setup);
    app.call(Method::PUT, &uri, Some(token), Some(setup)).await
}

#[tokio::test]
async fn an_offer_by_email_needs_the_servers_public_address() {
    let app = app(None).await;
    let manager = app.login(app.world.manager.email.as_str()).await;
    let (status, problem) = put(&app, &manager, |_| {}).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    let detail = problem["detail"].as_str().unwrap_or_default();
    assert!(detail.contains("CUBE_PUBLIC_URL"), "{problem}");
    // By SMS the same server takes it.
    let (status, saved) = put(&app, &manager, |setup| {
        setup["communication"]["sms_sender"] = json!("Acme");
        setup["sale_confirmation"]["channel"] = json!("sms");
        setup["sale_confirmation"]["template"] = json!("{{ products }} {{ total }} Svar JA");
    })
    .await;
    assert_eq!(status, StatusCode::OK, "{saved}");
}

#[tokio::test]
async fn an_offer_by_email_is_checked_and_read_back_as_saved() {
    let app = app(Some("https://cube.example.com")).await;
    let manager = app.login(app.world.manager.email.as_str()).await;
    for (edit, named) in [
        (
            (|s: &mut Value| s["communication"]["mail_from"] = Value::Null) as fn(&mut Value),
            "communication.mail_from",
        ),
        (
            |s: &mut Value| s["sale_confirmation"]["subject"] = Value::Null,
            "sale_confirmation.subject",
        ),
        (
            |s: &mut Value| s["sale_confirmation"]["subject"] = json!("Tilbud {{ pris }}"),
            "{{ pris }}",
        ),
        (
            |s: &mut Value| s["sale_confirmation"]["template"] = json!("<p>{{ total }}</p>"),
            "{{ products }}",
        ),
    ] {
        let (status, problem) = put(&app, &manager, edit).await;
        assert_eq!(
            status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{named}: {problem}"
        );
        let detail = problem["detail"].as_str().unwrap_or_default();
        assert!(detail.contains(named), "{named}: {problem}");
    }
    let (status, saved) = put(&app, &manager, |_| {}).await;
    assert_eq!(status, StatusCode::OK, "{saved}");
    let confirmation = &saved["setup"]["sale_confirmation"];
    assert_eq!(confirmation["channel"], "email", "{saved}");
    assert_eq!(confirmation["subject"], "Ditt tilbud: {{ total }}");
    let uri = format!("/api/assignments/{}/setup", app.assignment());
    let (_, read) = app.call(Method::GET, &uri, Some(&manager), None).await;
    assert_eq!(read["sale_confirmation"], *confirmation);
}
