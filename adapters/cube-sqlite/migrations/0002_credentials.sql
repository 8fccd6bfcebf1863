-- 0002: credentials, the password hashes and access tokens of `ports::CredentialRepository`.
-- Never edit once applied: add a new numbered migration instead.
--
-- Only hashes are stored: the HTTP adapter hashes passwords (argon2id, PHC strings) and raw
-- tokens (hex SHA-256) before they reach the store. Encodings are those of 0001 (ids as
-- UUID text, times as INTEGER unix nanoseconds UTC, enums as their Rust variant names).
-- Like the other cross-aggregate references, `user_id` is not a foreign key: the use cases
-- check that the user exists.

-- A user's password hash; at most one per user, replaced when the password changes.
CREATE TABLE passwords (
    user_id TEXT PRIMARY KEY NOT NULL, -- UserId whose password it is
    hash    TEXT NOT NULL              -- the PHC string (argon2id), never the password
) WITHOUT ROWID;

-- Access tokens (browser sessions and API tokens), found by the hash of the raw token.
CREATE TABLE access_tokens (
    token_hash TEXT PRIMARY KEY NOT NULL, -- hex SHA-256 of the raw token: a second one is `Duplicate`
    user_id    TEXT NOT NULL,             -- UserId the token acts as
    kind       TEXT NOT NULL              -- TokenKind
        CHECK (kind IN ('Session', 'Api')),
    created_at INTEGER NOT NULL,          -- when issued, unix ns
    expires_at INTEGER                    -- when it stops working, unix ns; NULL: until revoked
) WITHOUT ROWID;
-- Revoking every token of a user (password change, deactivation).
CREATE INDEX access_tokens_by_user ON access_tokens (user_id);
