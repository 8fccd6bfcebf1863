-- Written confirmation of phone sales (angrerettloven § 10, issue 17).
--
-- A Sale on a consumer of an assignment that requires it sends the written offer and records
-- its confirmation here, pending, in the unit of the registration. A text from the number
-- answers the latest pending one (`sale_confirmations_to`); the worker's sweep expires
-- those past their deadline (`due_sale_confirmations`). Deciding one is a conditional update
-- (`... WHERE status = 'pending'`), so two sweeps, or a reply and a sweep, decide it once. The
-- sales report reads those of its window (`sold_at`) to count confirmed sales only.
CREATE TABLE sale_confirmations (
    seq           INTEGER PRIMARY KEY AUTOINCREMENT, -- record order (the list's and the copy's)
    id            TEXT NOT NULL UNIQUE,              -- SaleConfirmationId
    assignment_id TEXT NOT NULL,                     -- the assignment whose setup required it
    enrollment_id TEXT NOT NULL,                     -- the customer's enrollment (an erasure finds it)
    to_phone      TEXT,                              -- the number the offer went to, E.164; NULL: none, or erased
    status        TEXT NOT NULL CHECK (status IN ('pending', 'confirmed', 'refused', 'expired', 'failed')),
    sold_at       INTEGER NOT NULL,                  -- unix ns of the sale: the report's window counts it here
    sent_at       INTEGER NOT NULL,                  -- unix ns the offer was enqueued
    deadline      INTEGER NOT NULL,                  -- unix ns: the last instant an answer is taken
    doc           TEXT NOT NULL                      -- sale_confirmation::SaleConfirmation (status kept in step)
);
CREATE INDEX sale_confirmations_to ON sale_confirmations (to_phone, sent_at, seq);
CREATE INDEX sale_confirmations_due ON sale_confirmations (deadline, seq) WHERE status = 'pending';
CREATE INDEX sale_confirmations_assignment ON sale_confirmations (assignment_id, seq);
CREATE INDEX sale_confirmations_sold ON sale_confirmations (assignment_id, sold_at);
CREATE INDEX sale_confirmations_enrollment ON sale_confirmations (enrollment_id);
