-- 0034: click-to-call (issue 17, seed 000 item 8). Never edit once applied: add a new
-- numbered migration.
--
-- The numbers an organisation may show as caller id on outgoing calls (E.164, in the
-- order an admin gave them). Users' phones live in their `data` document.
ALTER TABLE organisations ADD COLUMN caller_ids text[] NOT NULL DEFAULT '{}';

-- The calls sellers start from the customer card. A call is recorded when it is started
-- (before the PBX is asked), gets the PBX's call id once the PBX took it, and follows the
-- PBX's status events; the customer's history lists the calls of an enrollment.
CREATE TABLE calls (
    id            uuid PRIMARY KEY,         -- CallId
    enrollment_id uuid NOT NULL,            -- EnrollmentId called: the history lists by it
    provider_id   text UNIQUE,              -- the PBX's call id: its events find the call by it; NULL until known, or for a tel: link
    started_at    timestamptz NOT NULL,     -- the history's order
    data          jsonb NOT NULL            -- call::Call
);
CREATE INDEX calls_of_enrollment ON calls (enrollment_id, started_at, id);
