-- 0032: outbound webhooks (issue 17, "Integrations"). Never edit once applied: add a new
-- numbered migration.
--
-- An organisation's endpoints: where Cube POSTs the events it subscribes to, signed with the
-- endpoint's secret. The outbox message of a delivery names the endpoint (its payload, as
-- JSON); the URL and the secret are read here at sending, so the secret is never in the
-- outbox.
CREATE TABLE webhook_endpoints (
    id              TEXT PRIMARY KEY NOT NULL, -- WebhookEndpointId
    organisation_id TEXT NOT NULL,             -- OrganisationId whose events it receives
    url             TEXT NOT NULL,             -- EndpointUrl: http:// or https://
    secret          TEXT NOT NULL,             -- WebhookSecret: 64 hex digits (never returned after creation)
    events          TEXT NOT NULL,             -- WebhookEvent wire names, comma-separated, sorted
    enabled         INTEGER NOT NULL,          -- 1: receives events; 0: paused
    created_at      INTEGER NOT NULL           -- unix ns
) WITHOUT ROWID;
-- The endpoints of an organisation: read on every change that may send a webhook.
CREATE INDEX webhook_endpoints_by_organisation ON webhook_endpoints (organisation_id, created_at);
