//! Webhook endpoints (migration 0032): all columns, no document; the events as a
//! comma-separated text.

use super::execute;
use crate::codec::{col, id_text, parse_id, time_from_ns, time_ns};
use crate::error::store_error;
use crate::unit::SqliteUnit;
use async_trait::async_trait;
use cube_domain::ids::{OrganisationId, WebhookEndpointId};
use cube_domain::ports::{StoreError, WebhookRepository, WebhookWrites};
use cube_domain::webhooks::{
    EndpointUrl, WebhookEndpoint, WebhookSecret, events_text, parse_events_text,
};
use sqlx::sqlite::SqliteRow;

fn endpoint_from_row(row: &SqliteRow) -> Result<WebhookEndpoint, StoreError> {
    let corrupt = |e: cube_domain::webhooks::WebhookError| StoreError::Corrupt(e.to_string());
    let id: String = col(row, "id")?;
    let organisation: String = col(row, "organisation_id")?;
    let url: String = col(row, "url")?;
    let secret: String = col(row, "secret")?;
    let events: String = col(row, "events")?;
    let enabled: i64 = col(row, "enabled")?;
    Ok(WebhookEndpoint {
        id: parse_id(&id)?,
        organisation: parse_id(&organisation)?,
        url: EndpointUrl::parse(&url).map_err(corrupt)?,
        secret: WebhookSecret::parse(&secret).map_err(corrupt)?,
        events: parse_events_text(&events).map_err(corrupt)?,
        enabled: enabled != 0,
        created_at: time_from_ns(col(row, "created_at")?)?,
    })
}

#[async_trait]
impl WebhookRepository for SqliteUnit {
    async fn webhook_endpoints(
        &mut self,
        organisation: OrganisationId,
    ) -> Result<Vec<WebhookEndpoint>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, organisation_id, url, secret, events, enabled, created_at \
             FROM webhook_endpoints WHERE organisation_id = ? ORDER BY created_at, id",
        )
        .bind(id_text(organisation.as_uuid()))
        .fetch_all(self.conn())
        .await
        .map_err(store_error)?;
        rows.iter().map(endpoint_from_row).collect()
    }

    async fn webhook_endpoint(
        &mut self,
        id: WebhookEndpointId,
    ) -> Result<Option<WebhookEndpoint>, StoreError> {
        let row = sqlx::query(
            "SELECT id, organisation_id, url, secret, events, enabled, created_at \
             FROM webhook_endpoints WHERE id = ?",
        )
        .bind(id_text(id.as_uuid()))
        .fetch_optional(self.conn())
        .await
        .map_err(store_error)?;
        row.as_ref().map(endpoint_from_row).transpose()
    }
}

#[async_trait]
impl WebhookWrites for SqliteUnit {
    async fn save_webhook_endpoint(
        &mut self,
        endpoint: &WebhookEndpoint,
    ) -> Result<(), StoreError> {
        let query = sqlx::query(
            "INSERT INTO webhook_endpoints \
             (id, organisation_id, url, secret, events, enabled, created_at) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) \
             ON CONFLICT (id) DO UPDATE SET organisation_id = ?2, url = ?3, secret = ?4, \
             events = ?5, enabled = ?6, created_at = ?7",
        )
        .bind(id_text(endpoint.id.as_uuid()))
        .bind(id_text(endpoint.organisation.as_uuid()))
        .bind(endpoint.url.as_str().to_owned())
        .bind(endpoint.secret.expose().to_owned())
        .bind(events_text(&endpoint.events))
        .bind(i64::from(endpoint.enabled))
        .bind(time_ns(endpoint.created_at)?);
        execute(self.conn(), query).await.map(drop)
    }

    async fn delete_webhook_endpoint(&mut self, id: WebhookEndpointId) -> Result<bool, StoreError> {
        let query =
            sqlx::query("DELETE FROM webhook_endpoints WHERE id = ?").bind(id_text(id.as_uuid()));
        Ok(execute(self.conn(), query).await? > 0)
    }
}
