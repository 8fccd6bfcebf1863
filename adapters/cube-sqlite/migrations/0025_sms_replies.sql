-- SMS flows that listen, and the texts customers send back (issue 17, seed 000 item 4).
--
-- Registering an outcome with an SMS flow records the flow beside the outbox message that
-- carries its SMS: to whom, when, and (in the document) the outcome, the enrollment and the
-- state the outcome left the customer in. A text that comes in is matched to the latest flow
-- sent to its number (`sms_flows_to`) and kept with what it did; the provider's message id is
-- unique, so a text posted twice is taken in once.
CREATE TABLE sms_flows (
    seq        INTEGER PRIMARY KEY AUTOINCREMENT, -- record order (the copy's order)
    message_id TEXT NOT NULL UNIQUE,              -- OutboxMessageId of the SMS: the flow's id
    to_phone   TEXT NOT NULL,                     -- the number sent to, E.164
    sent_at    INTEGER NOT NULL,                  -- unix ns: the reply window counts from here
    doc        TEXT NOT NULL                      -- sms::SentSmsFlow
);
CREATE INDEX sms_flows_to ON sms_flows (to_phone, sent_at, seq);

CREATE TABLE sms_replies (
    seq             INTEGER PRIMARY KEY AUTOINCREMENT, -- the order kept
    id              TEXT NOT NULL UNIQUE,              -- SmsReplyId
    provider_id     TEXT NOT NULL UNIQUE,              -- the provider's message id
    assignment_id   TEXT,                              -- the matched flow's assignment, if any
    flow_message_id TEXT,                              -- the matched flow, if any
    acted           INTEGER NOT NULL CHECK (acted IN (0, 1)), -- 1: it registered the flow's outcome
    doc             TEXT NOT NULL                      -- sms::SmsReply
);
CREATE INDEX sms_replies_assignment ON sms_replies (assignment_id, seq)
    WHERE assignment_id IS NOT NULL;
CREATE INDEX sms_replies_answered ON sms_replies (flow_message_id) WHERE acted = 1;
