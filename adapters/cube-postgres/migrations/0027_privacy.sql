-- A person's rights under the GDPR (issue 16; seed 002: the data owner is the controller).
--
-- The privacy log: every access export (and later erasure) a data owner carried out for a
-- person — who, when, which right, and the customers the person was found as, by id. No
-- personal data is kept here: the key the person was found by is named by its kind only.
CREATE TABLE privacy_log (
    id            uuid PRIMARY KEY,                     -- PrivacyRequestId
    seq           bigint GENERATED ALWAYS AS IDENTITY,  -- record order (the copy's order)
    data_owner_id uuid NOT NULL,                        -- the log is per data owner
    at            timestamptz NOT NULL,                 -- when
    data          jsonb NOT NULL                        -- privacy::PrivacyRequest
);
CREATE UNIQUE INDEX privacy_log_seq ON privacy_log (seq);
CREATE INDEX privacy_log_owner ON privacy_log (data_owner_id, seq);

-- Finding everything held on one person: the customers with an e-mail address (compared as
-- logins: `Email::login_key`, ASCII lower case, what `lower` does under "C"), their
-- meetings, the messages to them and the SMS flows and texts of their enrollments. Each
-- would otherwise read its whole table. The statements use these very expressions.
CREATE INDEX customers_email
    ON customers (data_owner_id, lower((data -> 'details' ->> 'email') COLLATE "C"));
CREATE INDEX meetings_customer ON meetings ((data ->> 'customer'));
CREATE INDEX outbox_enrollment ON outbox ((message ->> 'enrollment'))
    WHERE message ->> 'enrollment' IS NOT NULL;
CREATE INDEX sms_flows_enrollment ON sms_flows ((flow ->> 'enrollment'));
CREATE INDEX sms_replies_enrollment ON sms_replies ((reply -> 'flow' ->> 'enrollment'));
