-- Written confirmation of phone sales (angrerettloven § 10, issue 17).
--
-- A Sale on a consumer of an assignment that requires it sends the written offer and records
-- its confirmation here, pending, in the unit of the registration. A text from the number
-- answers the latest pending one (`sale_confirmations_to`); the worker's sweep expires
-- those past their deadline (`due_sale_confirmations`). Deciding one is a conditional update
-- (`... WHERE status = 'pending'`: a second process waits on the row lock, then finds it
-- decided), so two sweeps, or a reply and a sweep, decide it once. The sales report reads those
-- of its window (`sold_at`) to count confirmed sales only.
CREATE TABLE sale_confirmations (
    id            uuid PRIMARY KEY,                     -- SaleConfirmationId
    seq           bigint GENERATED ALWAYS AS IDENTITY,  -- record order (the list's and the copy's)
    assignment_id uuid NOT NULL,                        -- the assignment whose setup required it
    enrollment_id uuid NOT NULL,                        -- the customer's enrollment (an erasure finds it)
    to_phone      text,                                 -- the number the offer went to, E.164; NULL: none, or erased
    status        text NOT NULL CHECK (status IN ('pending', 'confirmed', 'refused', 'expired', 'failed')),
    sold_at       timestamptz NOT NULL,                 -- the sale: the report's window counts it here
    sent_at       timestamptz NOT NULL,                 -- the offer was enqueued
    deadline      timestamptz NOT NULL,                 -- the last instant an answer is taken
    confirmation  jsonb NOT NULL                        -- sale_confirmation::SaleConfirmation (status kept in step)
);
CREATE UNIQUE INDEX sale_confirmations_seq ON sale_confirmations (seq);
CREATE INDEX sale_confirmations_to ON sale_confirmations (to_phone, sent_at DESC, seq DESC);
CREATE INDEX sale_confirmations_due ON sale_confirmations (deadline, seq) WHERE status = 'pending';
CREATE INDEX sale_confirmations_assignment ON sale_confirmations (assignment_id, seq);
CREATE INDEX sale_confirmations_sold ON sale_confirmations (assignment_id, sold_at);
CREATE INDEX sale_confirmations_enrollment ON sale_confirmations (enrollment_id);
