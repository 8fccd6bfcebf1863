-- SMS flows that listen, and the texts customers send back (issue 17, seed 000 item 4).
--
-- Registering an outcome with an SMS flow records the flow beside the outbox message that
-- carries its SMS: to whom, when, and (in the document) the outcome, the enrollment and the
-- state the outcome left the customer in. A text that comes in is matched to the latest flow
-- sent to its number (`sms_flows_to`) and kept with what it did; the provider's message id is
-- unique, so a text posted twice is taken in once.
CREATE TABLE sms_flows (
    message_id uuid PRIMARY KEY,                     -- OutboxMessageId of the SMS: the flow's id
    seq        bigint GENERATED ALWAYS AS IDENTITY,  -- record order (the copy's order)
    to_phone   text NOT NULL,                        -- the number sent to, E.164
    sent_at    timestamptz NOT NULL,                 -- the reply window counts from here
    flow       jsonb NOT NULL                        -- sms::SentSmsFlow
);
CREATE INDEX sms_flows_to ON sms_flows (to_phone, sent_at DESC, seq DESC);
CREATE UNIQUE INDEX sms_flows_seq ON sms_flows (seq);

CREATE TABLE sms_replies (
    id              uuid PRIMARY KEY,                     -- SmsReplyId
    seq             bigint GENERATED ALWAYS AS IDENTITY,  -- the order kept
    provider_id     text NOT NULL,                        -- the provider's message id
    assignment_id   uuid,                                 -- the matched flow's assignment, if any
    flow_message_id uuid,                                 -- the matched flow, if any
    acted           boolean NOT NULL,                     -- it registered the flow's outcome
    reply           jsonb NOT NULL,                       -- sms::SmsReply
    CONSTRAINT sms_replies_provider_id_key UNIQUE (provider_id)
);
CREATE UNIQUE INDEX sms_replies_seq ON sms_replies (seq);
CREATE INDEX sms_replies_assignment ON sms_replies (assignment_id, seq)
    WHERE assignment_id IS NOT NULL;
CREATE INDEX sms_replies_answered ON sms_replies (flow_message_id) WHERE acted;
