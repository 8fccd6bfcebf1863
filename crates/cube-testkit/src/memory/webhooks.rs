//! Webhook endpoints: a small table, scanned.

use super::MemoryUnit;
use async_trait::async_trait;
use cube_domain::ids::{OrganisationId, WebhookEndpointId};
use cube_domain::ports::{StoreError, WebhookRepository, WebhookWrites};
use cube_domain::webhooks::WebhookEndpoint;

#[async_trait]
impl WebhookRepository for MemoryUnit {
    async fn webhook_endpoints(
        &mut self,
        organisation: OrganisationId,
    ) -> Result<Vec<WebhookEndpoint>, StoreError> {
        let mut endpoints: Vec<WebhookEndpoint> = self
            .data
            .webhooks
            .values()
            .filter(|e| e.organisation == organisation)
            .cloned()
            .collect();
        endpoints.sort_by_key(|e| (e.created_at, e.id));
        Ok(endpoints)
    }

    async fn webhook_endpoint(
        &mut self,
        id: WebhookEndpointId,
    ) -> Result<Option<WebhookEndpoint>, StoreError> {
        Ok(self.data.webhooks.get(&id).cloned())
    }
}

#[async_trait]
impl WebhookWrites for MemoryUnit {
    async fn save_webhook_endpoint(
        &mut self,
        endpoint: &WebhookEndpoint,
    ) -> Result<(), StoreError> {
        self.put(|d| &mut d.webhooks, endpoint.id, endpoint.clone());
        Ok(())
    }

    async fn delete_webhook_endpoint(&mut self, id: WebhookEndpointId) -> Result<bool, StoreError> {
        let existed = self.data.webhooks.contains_key(&id);
        self.take(|d| &mut d.webhooks, id);
        Ok(existed)
    }
}
