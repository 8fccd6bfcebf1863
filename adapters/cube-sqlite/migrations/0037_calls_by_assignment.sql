-- 0037: calls in the performance report (issue 17). Never edit once applied: add a new
-- numbered migration.
--
-- The performance report counts each seller's calls and talk time in a window per
-- assignment: the call's assignment becomes a column beside the document, filled from it
-- for the calls already kept, with an index by assignment and start.
ALTER TABLE calls ADD COLUMN assignment_id TEXT NOT NULL DEFAULT ''; -- AssignmentId of call::Call
UPDATE calls SET assignment_id = json_extract(doc, '$.assignment');
CREATE INDEX calls_of_assignment ON calls (assignment_id, started_at, id);
