-- "Next customer" no longer walks past the customers resting after a NoAnswer (issue 19,
-- found by `cargo xtask load`). The ready indexes held every available customer without a
-- pending follow-up, resting or not, and "next" read them from the front, filtering out
-- the resting ones one heap fetch at a time: a NoAnswer leaves its customer at the front
-- (import order does not change), and half of all calls are NoAnswers, so at 10,000 resting
-- customers each call read ~800 pages (4.6 ms) instead of one.
--
-- Now the ready indexes hold the fresh customers only (no NoAnswer since their last
-- outcome); the resting ones have two indexes of their own: in import order (the pool's
-- order, to take the first whose delay has ended) and by the time of their NoAnswer (to
-- see at once whether any delay has ended at all). "Next" takes the better of the first
-- fresh customer and the first rested one, by the same rules as before.
DROP INDEX enrollments_ready;
DROP INDEX enrollments_ready_by_segment;
CREATE INDEX enrollments_ready ON enrollments (assignment_id, sequence, id)
    WHERE category = 'available' AND follow_up_due IS NULL AND no_answer_at IS NULL;
CREATE INDEX enrollments_ready_by_segment ON enrollments (assignment_id, segment_id, sequence, id)
    WHERE category = 'available' AND follow_up_due IS NULL AND no_answer_at IS NULL;
CREATE INDEX enrollments_resting ON enrollments (assignment_id, sequence, id)
    WHERE category = 'available' AND follow_up_due IS NULL AND no_answer_at IS NOT NULL;
CREATE INDEX enrollments_resting_by_segment ON enrollments (assignment_id, segment_id, sequence, id)
    WHERE category = 'available' AND follow_up_due IS NULL AND no_answer_at IS NOT NULL;
CREATE INDEX enrollments_resting_since ON enrollments (assignment_id, no_answer_at)
    WHERE category = 'available' AND follow_up_due IS NULL AND no_answer_at IS NOT NULL;
