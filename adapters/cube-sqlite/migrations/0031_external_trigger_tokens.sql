-- 0031: tokens scoped to one operation (issue 17: "give the external trigger an API token
-- scoped to that one operation"). Never edit once applied: add a new numbered migration.
--
-- A web shop or a CRM that pushes a customer's external state change (seed 003) gets a token
-- of kind `ExternalTrigger`: it opens that change and nothing else. SQLite cannot change a
-- CHECK constraint in place, so the table is made anew with the new kind allowed and its
-- rows copied over as they are (same columns, same encodings as 0002).
CREATE TABLE access_tokens_0031 (
    token_hash TEXT PRIMARY KEY NOT NULL, -- hex SHA-256 of the raw token: a second one is `Duplicate`
    user_id    TEXT NOT NULL,             -- UserId the token acts as
    kind       TEXT NOT NULL              -- TokenKind
        CHECK (kind IN ('Session', 'Api', 'ExternalTrigger')),
    created_at INTEGER NOT NULL,          -- when issued, unix ns
    expires_at INTEGER                    -- when it stops working, unix ns; NULL: until revoked
) WITHOUT ROWID;
INSERT INTO access_tokens_0031 (token_hash, user_id, kind, created_at, expires_at)
    SELECT token_hash, user_id, kind, created_at, expires_at FROM access_tokens;
DROP TABLE access_tokens;
ALTER TABLE access_tokens_0031 RENAME TO access_tokens;
-- Revoking every token of a user (password change, deactivation).
CREATE INDEX access_tokens_by_user ON access_tokens (user_id);
