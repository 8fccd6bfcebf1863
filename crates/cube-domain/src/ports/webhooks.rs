//! Outbound webhooks through the ports: where an organisation's endpoints are stored (with
//! their secrets, which only the store, the one creation answer and the gateway ever see),
//! and the gateway that POSTs one signed delivery.

use crate::ids::{OrganisationId, WebhookEndpointId};
use crate::ports::{GatewayError, StoreError};
use crate::webhooks::{EndpointUrl, WebhookEvent, WebhookSecret};
use async_trait::async_trait;

/// An organisation's webhook endpoints.
#[cfg_attr(feature = "mocks", mockall::automock)]
#[async_trait]
pub trait WebhookRepository: Send {
    /// Every endpoint of the organisation, enabled or not, by creation time then id. Read
    /// on every change that may send a webhook: an organisation has a handful at most, and
    /// the stores answer from an index on the organisation (one small indexed read).
    async fn webhook_endpoints(
        &mut self,
        organisation: OrganisationId,
    ) -> Result<Vec<crate::webhooks::WebhookEndpoint>, StoreError>;
    /// One endpoint (the outbox worker reads its URL and secret at delivery).
    async fn webhook_endpoint(
        &mut self,
        id: WebhookEndpointId,
    ) -> Result<Option<crate::webhooks::WebhookEndpoint>, StoreError>;
}

/// The writes of [`WebhookRepository`]: only a [`UnitOfWork`](crate::ports::UnitOfWork) has them.
#[cfg_attr(feature = "mocks", mockall::automock)]
#[async_trait]
pub trait WebhookWrites: Send {
    /// Inserts or replaces an endpoint.
    async fn save_webhook_endpoint(
        &mut self,
        endpoint: &crate::webhooks::WebhookEndpoint,
    ) -> Result<(), StoreError>;
    /// Deletes an endpoint; returns whether it existed.
    async fn delete_webhook_endpoint(&mut self, id: WebhookEndpointId) -> Result<bool, StoreError>;
}

/// POSTs one webhook delivery.
#[cfg_attr(feature = "mocks", mockall::automock)]
#[async_trait]
pub trait WebhookGateway: Send + Sync {
    /// POSTs `body` (JSON) to `url`, signed with `secret` at the time of sending, with `key`
    /// (the outbox message id, the same on every retry) as the delivery id. Answers as the
    /// SMS gateways do: `Rejected` for good, `Unavailable` to retry later.
    async fn deliver(
        &self,
        key: &str,
        url: &EndpointUrl,
        secret: &WebhookSecret,
        event: WebhookEvent,
        body: &str,
    ) -> Result<(), GatewayError>;
}
