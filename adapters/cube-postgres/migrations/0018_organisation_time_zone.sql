-- Each organisation's time zone (issue 14): an IANA name, checked by the domain
-- (`cube_domain::time_zone`). Its days are "today" for My Work, the reports' default window
-- and the visibility dates. Organisations stored before get Europe/Oslo, Cube's first users'.
ALTER TABLE organisations ADD COLUMN time_zone text NOT NULL DEFAULT 'Europe/Oslo';
