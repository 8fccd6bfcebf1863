//! Webhook endpoints (migration 0032): all columns, no document; the events as a
//! comma-separated text.

use crate::PgUnitOfWork;
use crate::codec::get;
use async_trait::async_trait;
use cube_domain::ids::{OrganisationId, WebhookEndpointId};
use cube_domain::ports::{StoreError, WebhookRepository, WebhookWrites};
use cube_domain::webhooks::{
    EndpointUrl, WebhookEndpoint, WebhookSecret, events_text, parse_events_text,
};
use sqlx::postgres::PgRow;

fn endpoint_from_row(row: &PgRow) -> Result<WebhookEndpoint, StoreError> {
    let corrupt = |e: cube_domain::webhooks::WebhookError| StoreError::Corrupt(e.to_string());
    let url: String = get(row, "url")?;
    let secret: String = get(row, "secret")?;
    let events: String = get(row, "events")?;
    Ok(WebhookEndpoint {
        id: WebhookEndpointId::from_uuid(get(row, "id")?),
        organisation: OrganisationId::from_uuid(get(row, "organisation_id")?),
        url: EndpointUrl::parse(&url).map_err(corrupt)?,
        secret: WebhookSecret::parse(&secret).map_err(corrupt)?,
        events: parse_events_text(&events).map_err(corrupt)?,
        enabled: get(row, "enabled")?,
        created_at: get(row, "created_at")?,
    })
}

#[async_trait]
impl WebhookRepository for PgUnitOfWork {
    async fn webhook_endpoints(
        &mut self,
        organisation: OrganisationId,
    ) -> Result<Vec<WebhookEndpoint>, StoreError> {
        let query = sqlx::query(
            "SELECT id, organisation_id, url, secret, events, enabled, created_at
             FROM webhook_endpoints WHERE organisation_id = $1 ORDER BY created_at, id",
        )
        .bind(organisation.as_uuid());
        self.fetch_all(query)
            .await?
            .iter()
            .map(endpoint_from_row)
            .collect()
    }

    async fn webhook_endpoint(
        &mut self,
        id: WebhookEndpointId,
    ) -> Result<Option<WebhookEndpoint>, StoreError> {
        let query = sqlx::query(
            "SELECT id, organisation_id, url, secret, events, enabled, created_at
             FROM webhook_endpoints WHERE id = $1",
        )
        .bind(id.as_uuid());
        self.fetch_optional(query)
            .await?
            .map(|row| endpoint_from_row(&row))
            .transpose()
    }
}

#[async_trait]
impl WebhookWrites for PgUnitOfWork {
    async fn save_webhook_endpoint(
        &mut self,
        endpoint: &WebhookEndpoint,
    ) -> Result<(), StoreError> {
        let query = sqlx::query(
            "INSERT INTO webhook_endpoints
                 (id, organisation_id, url, secret, events, enabled, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7)
             ON CONFLICT (id) DO UPDATE SET organisation_id = EXCLUDED.organisation_id,
                 url = EXCLUDED.url, secret = EXCLUDED.secret, events = EXCLUDED.events,
                 enabled = EXCLUDED.enabled, created_at = EXCLUDED.created_at",
        )
        .bind(endpoint.id.as_uuid())
        .bind(endpoint.organisation.as_uuid())
        .bind(endpoint.url.as_str())
        .bind(endpoint.secret.expose())
        .bind(events_text(&endpoint.events))
        .bind(endpoint.enabled)
        .bind(endpoint.created_at);
        self.execute(query).await?;
        Ok(())
    }

    async fn delete_webhook_endpoint(&mut self, id: WebhookEndpointId) -> Result<bool, StoreError> {
        let query = sqlx::query("DELETE FROM webhook_endpoints WHERE id = $1").bind(id.as_uuid());
        Ok(self.execute(query).await? > 0)
    }
}
