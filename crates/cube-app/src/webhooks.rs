//! Outbound webhooks: an organisation's admin registers endpoints (URL, events, a secret the
//! server makes and shows once), and the changes that interest them enqueue one outbox
//! message per subscribed endpoint **in the unit of work of the change**, so a webhook is
//! sent if and only if the change was committed. The outbox worker sends them, signed
//! (`cube_domain::webhooks`), with the outbox's retries (`crate::outbox`).
//!
//! What enqueues now: registering an outcome (`outcome_registered`, and `state_changed` /
//! `meeting_booked` when it moved the customer or booked a meeting) and an external state
//! change (`state_changed`), and each committed chunk of an import (`customers_imported`,
//! with the chunk's counts: a receiver adds a file's chunks up by the import's id).

use crate::{Acting, AppError, AppResult, Cube, acting};
use cube_domain::access::{self, Permission};
use cube_domain::assignment::Assignment;
use cube_domain::customer_import::CustomerImport;
use cube_domain::ids::{AssignmentId, OrganisationId, WebhookEndpointId};
use cube_domain::outcome::OutcomeEvent;
use cube_domain::ports::{ImportCounts, OutboxMessage, OutboxPayload, UnitOfWork};
use cube_domain::webhooks::{
    EndpointUrl, WebhookEndpoint, WebhookEvent, WebhookSecret, bodies_of, import_body, parse_events,
};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

/// How long a process trusts the endpoints it read of an organisation.
pub const ENDPOINTS_TTL: Duration = Duration::from_secs(60);

/// Each organisation's endpoints as last read, with when (as `crate::zones` keeps time
/// zones): registering an outcome is the sellers' hot path, and reading the endpoints on
/// every call would cost each a statement. A change made through this process is seen at
/// once (it clears the organisation's entry); one made through another process within
/// [`ENDPOINTS_TTL`]: an endpoint created there gets this process's events a minute late, and
/// one deleted there still gets messages enqueued here, which fail at sending ("the webhook
/// endpoint was deleted").
#[derive(Debug, Clone, Default)]
pub struct EndpointCache {
    read: Arc<Mutex<HashMap<OrganisationId, Kept>>>,
}

/// An organisation's endpoints and when they were read.
type Kept = (Arc<Vec<WebhookEndpoint>>, Instant);

impl EndpointCache {
    fn fresh(&self, organisation: OrganisationId) -> Option<Arc<Vec<WebhookEndpoint>>> {
        // A std `Mutex`, held for a lookup or an insert, never across an `.await`; every
        // update is one insert or removal, so a poisoned map is consistent.
        let read = self.read.lock().unwrap_or_else(PoisonError::into_inner);
        read.get(&organisation)
            .filter(|(_, at)| at.elapsed() < ENDPOINTS_TTL)
            .map(|(endpoints, _)| endpoints.clone())
    }

    fn keep(&self, organisation: OrganisationId, endpoints: Arc<Vec<WebhookEndpoint>>) {
        let mut read = self.read.lock().unwrap_or_else(PoisonError::into_inner);
        read.insert(organisation, (endpoints, Instant::now()));
    }

    fn forget(&self, organisation: OrganisationId) {
        let mut read = self.read.lock().unwrap_or_else(PoisonError::into_inner);
        read.remove(&organisation);
    }
}

/// An endpoint to create: what the admin gave, and the secret's random bytes (the HTTP
/// adapter reads them from the OS; the app never reads a random source).
#[derive(Debug)]
pub struct NewWebhookEndpoint {
    /// The URL, unparsed.
    pub url: String,
    /// The events' wire names, unparsed.
    pub events: Vec<String>,
    /// Whether it receives events at once (the default) or is created paused.
    pub enabled: bool,
    /// 32 random bytes for the secret.
    pub secret: [u8; 32],
}

impl Cube {
    /// The organisation's webhook endpoints (their secrets are the caller's to hide: the
    /// HTTP adapter never answers them after creation). Admins only.
    pub async fn webhook_endpoints(
        &self,
        who: impl Into<Acting<'_>>,
    ) -> AppResult<Vec<WebhookEndpoint>> {
        let mut uow = self.begin_read().await?;
        let user = acting(uow.as_mut(), who.into()).await?;
        access::authorize(&user, Permission::ManageOrganisation, self.now().date())
            .map_err(|e| AppError::access(e, "organisation"))?;
        Ok(uow.webhook_endpoints(user.organisation).await?)
    }

    /// Registers an endpoint of the caller's organisation. Admins only; the URL must be
    /// `http://` or `https://` and at least one known event chosen.
    pub async fn create_webhook_endpoint(
        &self,
        who: impl Into<Acting<'_>>,
        new: NewWebhookEndpoint,
    ) -> AppResult<WebhookEndpoint> {
        let mut uow = self.begin().await?;
        let user = acting(uow.as_mut(), who.into()).await?;
        access::authorize(&user, Permission::ManageOrganisation, self.now().date())
            .map_err(|e| AppError::access(e, "organisation"))?;
        let endpoint = WebhookEndpoint {
            id: self.new_id(),
            organisation: user.organisation,
            url: EndpointUrl::parse(&new.url)?,
            secret: WebhookSecret::from_random(new.secret),
            events: parse_events(&new.events)?,
            enabled: new.enabled,
            created_at: self.now(),
        };
        uow.save_webhook_endpoint(&endpoint).await?;
        uow.commit().await?;
        self.webhooks.forget(user.organisation);
        Ok(endpoint)
    }

    /// Deletes an endpoint of the caller's organisation; its webhooks not yet sent fail
    /// ("the webhook endpoint was deleted"). Admins only; another organisation's endpoint is
    /// "not found".
    pub async fn delete_webhook_endpoint(
        &self,
        who: impl Into<Acting<'_>>,
        id: WebhookEndpointId,
    ) -> AppResult<()> {
        let mut uow = self.begin().await?;
        let user = acting(uow.as_mut(), who.into()).await?;
        access::authorize(&user, Permission::ManageOrganisation, self.now().date())
            .map_err(|e| AppError::access(e, "organisation"))?;
        match uow.webhook_endpoint(id).await? {
            Some(endpoint) if endpoint.organisation == user.organisation => {
                uow.delete_webhook_endpoint(id).await?;
            }
            _ => return Err(AppError::NotFound("webhook endpoint")),
        }
        uow.commit().await?;
        self.webhooks.forget(user.organisation);
        Ok(())
    }

    /// Enqueues, in `uow` (the change's own unit), one webhook per endpoint of the
    /// organisation subscribed to what `event` tells (`bodies_of`).
    ///
    /// Cost on the hot path: none while the organisation's endpoints are cached
    /// ([`EndpointCache`]), else one indexed read (`webhook_endpoints_by_organisation`, a
    /// handful of rows at most) a minute per process; with no endpoint nothing else happens —
    /// no body is built and nothing is written.
    pub(crate) async fn enqueue_webhooks(
        &self,
        uow: &mut dyn UnitOfWork,
        organisation: OrganisationId,
        assignment: &Assignment,
        event: &OutcomeEvent,
    ) -> AppResult<()> {
        let endpoints = self.endpoints_of(uow, organisation).await?;
        if !endpoints.iter().any(|e| e.enabled) {
            return Ok(());
        }
        for (kind, body) in bodies_of(organisation, event) {
            self.enqueue_to(uow, &endpoints, assignment.id(), kind, &body)
                .await?;
        }
        Ok(())
    }

    /// Enqueues, in the unit of an import's chunk, `customers_imported` for each endpoint of
    /// the organisation subscribed to it (`import_body`: the chunk's counts).
    pub(crate) async fn enqueue_import_webhooks(
        &self,
        uow: &mut dyn UnitOfWork,
        organisation: OrganisationId,
        import: &CustomerImport,
        counts: &ImportCounts,
    ) -> AppResult<()> {
        let endpoints = self.endpoints_of(uow, organisation).await?;
        let kind = WebhookEvent::CustomersImported;
        if !endpoints.iter().any(|e| e.wants(kind)) {
            return Ok(());
        }
        let body = import_body(organisation, import, counts, self.now());
        self.enqueue_to(uow, &endpoints, import.assignment, kind, &body)
            .await
    }

    /// The organisation's endpoints, from the cache or read in `uow`.
    async fn endpoints_of(
        &self,
        uow: &mut dyn UnitOfWork,
        organisation: OrganisationId,
    ) -> AppResult<Arc<Vec<WebhookEndpoint>>> {
        if let Some(endpoints) = self.webhooks.fresh(organisation) {
            return Ok(endpoints);
        }
        let endpoints = Arc::new(uow.webhook_endpoints(organisation).await?);
        self.webhooks.keep(organisation, endpoints.clone());
        Ok(endpoints)
    }

    /// One outbox message of `kind` with `body` for each of `endpoints` that wants it.
    async fn enqueue_to(
        &self,
        uow: &mut dyn UnitOfWork,
        endpoints: &[WebhookEndpoint],
        assignment: AssignmentId,
        kind: WebhookEvent,
        body: &str,
    ) -> AppResult<()> {
        for endpoint in endpoints.iter().filter(|e| e.wants(kind)) {
            let message = OutboxMessage {
                id: self.new_id(),
                assignment,
                // Not tied to the enrollment: the body holds ids only, nothing a person's
                // access or erasure request is about.
                enrollment: None,
                payload: OutboxPayload::Webhook {
                    endpoint: endpoint.id,
                    event: kind,
                    body: body.to_owned(),
                },
                created_at: self.now(),
            };
            uow.enqueue(&message).await?;
        }
        Ok(())
    }
}
