-- One user's time entries never overlap (issue 21): adding hours reads the user's entries
-- overlapping the new span, in any assignment, in the unit of work that writes it.
CREATE INDEX time_entries_by_user ON time_entries (user_id, start_at); -- user's entries by start
