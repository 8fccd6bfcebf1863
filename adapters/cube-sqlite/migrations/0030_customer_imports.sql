-- Undoing a finished import (issue 16): each import is recorded with what it created, in
-- the import's own units of work (a chunk at a time), so an import brought in by mistake
-- can be taken out again while nobody has worked on it. Customers an import only updated
-- are not recorded: they are not undone.
CREATE TABLE customer_imports (
    seq           INTEGER PRIMARY KEY AUTOINCREMENT, -- record order (the copy's order)
    id            TEXT NOT NULL UNIQUE,              -- ImportId
    data_owner_id TEXT NOT NULL,                     -- DataOwnerId: imports are listed per data owner
    imported_at   INTEGER NOT NULL,                  -- unix ns: when it started (newest first)
    doc           TEXT NOT NULL                      -- customer_import::CustomerImport without its
                                                     -- id lists; `undone` rewritten on undo
);
CREATE INDEX customer_imports_by_owner ON customer_imports (data_owner_id, imported_at, id);

-- What each import created, one row an id. Rows stay after an undo (the record is history).
CREATE TABLE customer_import_created (
    import_id     TEXT NOT NULL REFERENCES customer_imports (id), -- ImportId
    kind          TEXT NOT NULL,   -- 'customer' or 'enrollment'
    record_id     TEXT NOT NULL,   -- CustomerId or EnrollmentId
    PRIMARY KEY (import_id, kind, record_id)
) WITHOUT ROWID;
