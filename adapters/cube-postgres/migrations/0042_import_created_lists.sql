-- What an import created, a list a chunk (issue 16's measure): one row an id made a
-- 100,000-row import write 200,000 index entries and as many foreign-key checks, a tenth of
-- the import's time in the database. The lists are read only to undo or list an import.
CREATE TABLE customer_import_lists (
    import_id  uuid NOT NULL REFERENCES customer_imports (id), -- the import
    kind       text NOT NULL CHECK (kind IN ('customer', 'enrollment')),
    part       bigint GENERATED ALWAYS AS IDENTITY,            -- write order
    record_ids uuid[] NOT NULL,                                -- CustomerIds or EnrollmentIds
    PRIMARY KEY (import_id, part)
);

INSERT INTO customer_import_lists (import_id, kind, record_ids)
SELECT import_id, kind, array_agg(record_id ORDER BY record_id)
FROM customer_import_created
GROUP BY import_id, kind;

DROP TABLE customer_import_created;
