-- 0034: click-to-call (issue 17, seed 000 item 8). Never edit once applied: add a new
-- numbered migration.
--
-- The calls sellers start from the customer card. A call is recorded when it is started
-- (before the PBX is asked), gets the PBX's call id once the PBX took it, and follows the
-- PBX's status events; the customer's history lists the calls of an enrollment. The
-- organisation's registered caller numbers and the users' phones live in their documents
-- (`organisations.doc`, `users.doc`): no column needed here.
CREATE TABLE calls (
    id            TEXT PRIMARY KEY NOT NULL, -- CallId
    enrollment_id TEXT NOT NULL,             -- EnrollmentId called: the history lists by it
    provider_id   TEXT UNIQUE,               -- the PBX's call id: its events find the call by it; NULL until known, or for a tel: link
    started_at    INTEGER NOT NULL,          -- unix ns: the history's order
    doc           TEXT NOT NULL              -- call::Call
) WITHOUT ROWID;
CREATE INDEX calls_of_enrollment ON calls (enrollment_id, started_at, id);
