-- Undoing a finished import (issue 16): each import is recorded with what it created, in
-- the import's own units of work (a chunk at a time), so an import brought in by mistake
-- can be taken out again while nobody has worked on it. Customers an import only updated
-- are not recorded: they are not undone.
CREATE TABLE customer_imports (
    id            uuid PRIMARY KEY,                     -- ImportId
    seq           bigint GENERATED ALWAYS AS IDENTITY,  -- record order (the copy's order)
    data_owner_id uuid NOT NULL,                        -- imports are listed per data owner
    imported_at   timestamptz NOT NULL,                 -- when it started (newest first)
    data          jsonb NOT NULL                        -- customer_import::CustomerImport without
                                                        -- its id lists; `undone` set on undo
);
CREATE UNIQUE INDEX customer_imports_seq ON customer_imports (seq);
CREATE INDEX customer_imports_owner ON customer_imports (data_owner_id, imported_at, id);

-- What each import created, one row an id. Rows stay after an undo (the record is history).
CREATE TABLE customer_import_created (
    import_id uuid NOT NULL REFERENCES customer_imports (id), -- the import
    kind      text NOT NULL,                                  -- 'customer' or 'enrollment'
    record_id uuid NOT NULL,                                  -- CustomerId or EnrollmentId
    PRIMARY KEY (import_id, kind, record_id)
);
