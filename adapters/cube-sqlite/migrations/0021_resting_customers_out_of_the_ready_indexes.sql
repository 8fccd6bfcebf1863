-- "Next customer" no longer walks past the customers resting after a NoAnswer (issue 19, as
-- PostgreSQL's migration 0020). The ready indexes held every available customer without a
-- pending follow-up, resting or not; a NoAnswer leaves its customer at the front of the
-- import order, and half of all calls are NoAnswers, so "next" stepped over one index entry
-- per resting customer on every call. Now the ready indexes hold the fresh customers only
-- (no NoAnswer since their last outcome); the resting ones have indexes of their own: in
-- import order (overall and per segment: the first whose rest has ended) and by the time of
-- their NoAnswer (one probe: has any rest ended at all?). See `src/queue.rs`. (`IF NOT
-- EXISTS`: a test fills a store at an older version with today's statements, which name
-- these indexes, and creates them by hand first.)
DROP INDEX enrollments_ready;
DROP INDEX enrollments_ready_by_segment;

CREATE INDEX enrollments_ready
    ON enrollments (assignment_id, sequence, id, reserved_until, segment_id)
    WHERE category = 'Available' AND follow_up_due IS NULL AND no_answer_at IS NULL;
CREATE INDEX enrollments_ready_by_segment
    ON enrollments (assignment_id, segment_id, sequence, id, reserved_until)
    WHERE category = 'Available' AND follow_up_due IS NULL AND no_answer_at IS NULL;

CREATE INDEX IF NOT EXISTS enrollments_resting
    ON enrollments (assignment_id, sequence, id, no_answer_at, reserved_until, segment_id)
    WHERE category = 'Available' AND follow_up_due IS NULL AND no_answer_at IS NOT NULL;
CREATE INDEX IF NOT EXISTS enrollments_resting_by_segment
    ON enrollments (assignment_id, segment_id, sequence, id, no_answer_at, reserved_until)
    WHERE category = 'Available' AND follow_up_due IS NULL AND no_answer_at IS NOT NULL;
CREATE INDEX IF NOT EXISTS enrollments_resting_since
    ON enrollments (assignment_id, no_answer_at)
    WHERE category = 'Available' AND follow_up_due IS NULL AND no_answer_at IS NOT NULL;
