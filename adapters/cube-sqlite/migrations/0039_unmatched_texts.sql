-- 0039: texts no SMS flow matched, in a person's access export and erasure (issue 16).
-- Never edit once applied: add a new numbered migration.
--
-- A text from a number no SMS flow or sale confirmation went to belongs to no assignment;
-- it is the data of each data owner holding a customer with its sender's number (see
-- `cube_domain::sms`, "A text no flow matched"): listed in that data owner's access export
-- of the person, deleted by its erasure, and deleted by the worker once it is 30 days old
-- while no customer has the number. The sender's number and the time of receipt become
-- columns beside the document for these lookups. The texts kept before this migration have
-- their time of receipt in the document only; their days count from the upgrade.
ALTER TABLE sms_replies ADD COLUMN from_phone TEXT NOT NULL DEFAULT '';  -- InboundSms.from, E.164
ALTER TABLE sms_replies ADD COLUMN received_at INTEGER NOT NULL DEFAULT 0; -- unix ns: SmsReply.received_at
UPDATE sms_replies SET from_phone = json_extract(doc, '$.inbound.from'),
                       received_at = CAST(strftime('%s', 'now') AS INTEGER) * 1000000000;
-- Only the unmatched texts (no assignment) are looked up this way.
CREATE INDEX sms_replies_unmatched_from ON sms_replies (from_phone)
    WHERE assignment_id IS NULL;
CREATE INDEX sms_replies_unmatched_received ON sms_replies (received_at)
    WHERE assignment_id IS NULL;
