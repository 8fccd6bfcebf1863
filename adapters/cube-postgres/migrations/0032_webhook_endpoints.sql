-- 0032: outbound webhooks (issue 17, "Integrations"). Never edit once applied: add a new
-- numbered migration.
--
-- An organisation's endpoints: where Cube POSTs the events it subscribes to, signed with the
-- endpoint's secret. The outbox message of a delivery names the endpoint (its payload, in
-- jsonb); the URL and the secret are read here at sending, so the secret is never in the
-- outbox.
CREATE TABLE webhook_endpoints (
    id              uuid PRIMARY KEY,        -- WebhookEndpointId
    organisation_id uuid NOT NULL,           -- OrganisationId whose events it receives
    url             text NOT NULL,           -- EndpointUrl: http:// or https://
    secret          text NOT NULL,           -- WebhookSecret: 64 hex digits (never returned after creation)
    events          text NOT NULL,           -- WebhookEvent wire names, comma-separated, sorted
    enabled         boolean NOT NULL,        -- receives events, or paused
    created_at      timestamptz NOT NULL     -- when created
);
-- The endpoints of an organisation: read on every change that may send a webhook.
CREATE INDEX webhook_endpoints_by_organisation ON webhook_endpoints (organisation_id, created_at);
