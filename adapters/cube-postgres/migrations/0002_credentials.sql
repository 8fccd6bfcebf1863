-- Cube's PostgreSQL schema, version 2: credentials (`ports::CredentialRepository`). Applied
-- migrations are never edited: change the schema with a new numbered file.
--
-- Only hashes are stored: the HTTP adapter hashes passwords (argon2id, PHC strings) and raw
-- tokens (hex SHA-256) before they reach the store. Conventions are those of 0001: times are
-- `timestamptz`, enums are lower-case text checked against the domain's enum, and `user_id`
-- is no foreign key (the use cases check that the user exists).

-- A user's password hash; at most one per user, replaced when the password changes.
CREATE TABLE passwords (
    user_id uuid PRIMARY KEY,   -- UserId whose password it is
    hash    text NOT NULL       -- the PHC string (argon2id), never the password
);

-- Access tokens (browser sessions and API tokens), found by the hash of the raw token.
CREATE TABLE access_tokens (
    token_hash text NOT NULL,           -- hex SHA-256 of the raw token
    user_id    uuid NOT NULL,           -- UserId the token acts as
    kind       text NOT NULL            -- TokenKind
        CHECK (kind IN ('session', 'api')),
    created_at timestamptz NOT NULL,    -- when issued
    expires_at timestamptz,             -- when it stops working; NULL: until revoked
    CONSTRAINT access_tokens_pkey PRIMARY KEY (token_hash)
);
-- Revoking every token of a user (password change, deactivation).
CREATE INDEX access_tokens_user ON access_tokens (user_id);
