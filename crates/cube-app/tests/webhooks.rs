//! Webhooks enqueued by an external state change: one `state_changed` message per endpoint
//! subscribed to it, in the change's own unit; an endpoint switched off or subscribed to
//! other events gets none, and a retry that changes nothing enqueues nothing.

mod common;

use common::Harness;
use cube_app::webhooks::NewWebhookEndpoint;
use cube_domain::ports::OutboxPayload;

#[tokio::test]
async fn an_external_state_change_enqueues_state_changed_for_subscribed_endpoints() {
    let h = Harness::new(2).await;
    let admin = h.world.admin.id;
    let new = |url: &str, events: &[&str], enabled: bool| NewWebhookEndpoint {
        url: url.into(),
        events: events.iter().map(|e| (*e).to_owned()).collect(),
        enabled,
        secret: [1; 32],
    };
    let wanted = h
        .cube
        .create_webhook_endpoint(
            admin,
            new("https://a.example.com/", &["state_changed"], true),
        )
        .await
        .expect("created");
    for endpoint in [
        new("https://b.example.com/", &["state_changed"], false),
        new("https://c.example.com/", &["outcome_registered"], true),
    ] {
        h.cube
            .create_webhook_endpoint(admin, endpoint)
            .await
            .expect("created");
    }
    let customer = h.world.customers[0].id();
    h.cube
        .external_state_change(admin, customer, "excluded")
        .await
        .expect("excluded");
    h.cube
        .external_state_change(admin, customer, "excluded")
        .await
        .expect("a retry changes nothing");

    let mut uow = h.store.begin().await.expect("begin");
    let pending = uow.pending_messages(100).await.expect("pending");
    let webhooks: Vec<_> = pending
        .iter()
        .filter_map(|m| match &m.payload {
            OutboxPayload::Webhook {
                endpoint,
                event,
                body,
            } => Some((*endpoint, event.as_str(), body.clone())),
            _ => None,
        })
        .collect();
    assert_eq!(webhooks.len(), 1, "{webhooks:?}");
    assert_eq!(webhooks[0].0, wanted.id);
    assert_eq!(webhooks[0].1, "state_changed");
    let body: serde_json::Value = serde_json::from_str(&webhooks[0].2).expect("JSON");
    assert_eq!(body["customer"], customer.to_string());
    assert_eq!(body["outcome"], serde_json::Value::Null);
}
