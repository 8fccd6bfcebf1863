//! Contract cases for webhook endpoints (migration 0032): stored whole (the secret too: the
//! outbox worker signs with it), listed per organisation oldest first, replaced by a second
//! save, deleted saying whether they existed, and undone with their unit.

use crate::contract::{SharedStore, setup};
use crate::fixtures::T0;
use cube_domain::ids::{OrganisationId, WebhookEndpointId};
use cube_domain::webhooks::{EndpointUrl, WebhookEndpoint, WebhookEvent, WebhookSecret};
use time::Duration;
use uuid::Uuid;

fn endpoint(n: u128, organisation: OrganisationId, at: time::OffsetDateTime) -> WebhookEndpoint {
    WebhookEndpoint {
        id: WebhookEndpointId::from_uuid(Uuid::from_u128(0x4E_0000 + n)),
        organisation,
        url: EndpointUrl::parse(&format!("https://hooks.example.com/{n}")).expect("url"),
        secret: WebhookSecret::from_random([u8::try_from(n).unwrap_or(0); 32]),
        events: vec![WebhookEvent::OutcomeRegistered, WebhookEvent::StateChanged],
        enabled: true,
        created_at: at,
    }
}

/// An organisation's endpoints are read back whole, oldest first, and no other's; a second
/// save replaces; a delete says whether there was one; a dropped unit leaves nothing.
pub async fn webhook_endpoints_round_trip_per_organisation(store: SharedStore) {
    let s = setup(store.as_ref(), 0).await;
    let org = s.world.organisation.id;
    let other = OrganisationId::from_uuid(Uuid::from_u128(0x4E_FFFF));
    let t0 = T0;
    let later = endpoint(1, org, t0 + Duration::seconds(5));
    let first = endpoint(2, org, t0);
    let foreign = endpoint(3, other, t0);

    let mut uow = store.begin().await.expect("begin");
    for e in [&later, &first, &foreign] {
        uow.save_webhook_endpoint(e).await.expect("save");
    }
    uow.commit().await.expect("commit");

    let mut uow = store.begin().await.expect("begin");
    assert_eq!(
        uow.webhook_endpoints(org).await.expect("list"),
        vec![first.clone(), later.clone()],
        "an organisation's endpoints MUST be listed whole, oldest first, and only its own"
    );
    assert_eq!(
        uow.webhook_endpoint(foreign.id).await.expect("one"),
        Some(foreign.clone())
    );
    let mut paused = later.clone();
    paused.enabled = false;
    paused.events = vec![WebhookEvent::CustomersImported];
    uow.save_webhook_endpoint(&paused).await.expect("replace");
    uow.commit().await.expect("commit");

    let mut uow = store.begin().await.expect("begin");
    assert_eq!(
        uow.webhook_endpoint(paused.id).await.expect("one"),
        Some(paused.clone()),
        "a second save MUST replace the endpoint"
    );
    assert!(uow.delete_webhook_endpoint(first.id).await.expect("delete"));
    assert!(!uow.delete_webhook_endpoint(first.id).await.expect("again"));
    drop(uow);

    let mut uow = store.begin().await.expect("begin");
    assert_eq!(
        uow.webhook_endpoints(org).await.expect("list").len(),
        2,
        "a delete in a dropped unit MUST be undone"
    );
    let _ = uow.delete_webhook_endpoint(first.id).await.expect("delete");
    uow.commit().await.expect("commit");
    let mut uow = store.begin_read().await.expect("read");
    assert_eq!(
        uow.webhook_endpoints(org).await.expect("list"),
        vec![paused]
    );
}
