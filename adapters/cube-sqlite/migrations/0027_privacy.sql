-- A person's rights under the GDPR (issue 16; seed 002: the data owner is the controller).
--
-- The privacy log: every access export (and later erasure) a data owner carried out for a
-- person — who, when, which right, and the customers the person was found as, by id. No
-- personal data is kept here: the key the person was found by is named by its kind only.
CREATE TABLE privacy_log (
    seq           INTEGER PRIMARY KEY AUTOINCREMENT, -- record order (the copy's order)
    id            TEXT NOT NULL UNIQUE,              -- PrivacyRequestId
    data_owner_id TEXT NOT NULL,                     -- DataOwnerId: the log is per data owner
    at            INTEGER NOT NULL,                  -- unix ns: when
    doc           TEXT NOT NULL                      -- privacy::PrivacyRequest
);
CREATE INDEX privacy_log_by_owner ON privacy_log (data_owner_id, seq);

-- Finding everything held on one person: the customers with an e-mail address (compared as
-- logins: `Email::login_key`, ASCII lower case, what `lower` does), their meetings, the
-- messages to them and the SMS flows and texts of their enrollments. Each would otherwise
-- read its whole table.
CREATE INDEX customers_by_email
    ON customers (data_owner_id, lower(json_extract(doc, '$.details.email')));
CREATE INDEX meetings_by_customer ON meetings (customer_id);
CREATE INDEX outbox_by_enrollment ON outbox (enrollment_id) WHERE enrollment_id IS NOT NULL;
CREATE INDEX sms_flows_by_enrollment ON sms_flows (json_extract(doc, '$.enrollment'));
CREATE INDEX sms_replies_by_enrollment ON sms_replies (json_extract(doc, '$.flow.enrollment'));
