-- "Next customer" answered from indexes (issue 13): each tier of `cube_domain::queue` is read
-- from an index already in its order, so a call reads a handful of index entries instead of
-- sorting the assignment (a temporary B-tree over every ready row, 22 ms at 30,000 customers).
-- The columns after the order are there so the filters (the category, a live lease, a
-- resting NoAnswer) are checked in the index without reading the row. See `src/queue.rs`.

-- A seller's own due follow-ups, by due time, then import order.
CREATE INDEX enrollments_personal_due
    ON enrollments (assignment_id, follow_up_owner, follow_up_due, sequence, id, category, reserved_until)
    WHERE follow_up_due IS NOT NULL AND follow_up_owner IS NOT NULL;

-- Shared due follow-ups, by due time, then import order.
CREATE INDEX enrollments_shared_due
    ON enrollments (assignment_id, follow_up_due, sequence, id, category, reserved_until)
    WHERE follow_up_due IS NOT NULL AND follow_up_owner IS NULL;

-- The ready pool in import order (the "import order" priority, and customers in no segment).
CREATE INDEX enrollments_ready
    ON enrollments (assignment_id, sequence, id, no_answer_at, reserved_until, segment_id)
    WHERE category = 'Available' AND follow_up_due IS NULL;

-- The ready pool of one segment in import order (the default "segment order, then import
-- order" priority reads the segments in rank order).
CREATE INDEX enrollments_ready_by_segment
    ON enrollments (assignment_id, segment_id, sequence, id, no_answer_at, reserved_until)
    WHERE category = 'Available' AND follow_up_due IS NULL;

-- Superseded by enrollments_ready.
DROP INDEX enrollments_pool;
