-- 0039: texts no SMS flow matched, in a person's access export and erasure (issue 16).
-- Never edit once applied: add a new numbered migration.
--
-- A text from a number no SMS flow or sale confirmation went to belongs to no assignment;
-- it is the data of each data owner whose assignments contacted its sender's number
-- before it came — an SMS enqueued to the number or a call placed to it — and of no one
-- else (see `cube_domain::sms`, "A text no flow matched"). Those data owners are found when
-- the text is taken in and recorded beside it as claims: listed in a claimant's access
-- export of the person, dropped by its erasure (the text goes with the last claim), and a
-- text nobody claims is deleted by the worker once it is 30 days old.
--
-- The sender's number and the time of receipt become columns beside the document for
-- these lookups. The texts kept before this migration have their time of receipt in the
-- document only; their days count from the upgrade. They get no claims: they were in no
-- export before, and who contacted the number before each came is not told apart here
-- (the documents' times are not SQL times), so they are deleted 30 days after the upgrade.
ALTER TABLE sms_replies ADD COLUMN from_phone text;         -- InboundSms.from, E.164
ALTER TABLE sms_replies ADD COLUMN received_at timestamptz; -- SmsReply.received_at
UPDATE sms_replies SET from_phone = reply -> 'inbound' ->> 'from', received_at = now();
ALTER TABLE sms_replies ALTER COLUMN from_phone SET NOT NULL;
ALTER TABLE sms_replies ALTER COLUMN received_at SET NOT NULL;
-- Only the unmatched texts (no assignment) are looked up this way.
CREATE INDEX sms_replies_unmatched_from ON sms_replies (from_phone)
    WHERE assignment_id IS NULL;
CREATE INDEX sms_replies_unmatched_received ON sms_replies (received_at)
    WHERE assignment_id IS NULL;

-- The data owners' claims on unmatched texts (SmsReplyWrites::claim_unmatched_sms). A text
-- deleted takes its claims with it.
CREATE TABLE sms_reply_owners (
    reply_id      uuid NOT NULL REFERENCES sms_replies (id) ON DELETE CASCADE, -- SmsReplyId of an unmatched text
    data_owner_id uuid NOT NULL, -- DataOwnerId whose assignment contacted the number before
    PRIMARY KEY (reply_id, data_owner_id)
);

-- Who contacted a number, when a text from it is taken in: the SMS enqueued to it (an
-- erased message's payload has no number) and the calls placed to it (an erased call's
-- number is null). Only the rows with a number are indexed.
CREATE INDEX outbox_sms_to ON outbox ((message -> 'payload' -> 'Sms' ->> 'to'))
    WHERE (message -> 'payload' -> 'Sms' ->> 'to') IS NOT NULL;
CREATE INDEX calls_to ON calls ((data ->> 'to'))
    WHERE (data ->> 'to') IS NOT NULL;
