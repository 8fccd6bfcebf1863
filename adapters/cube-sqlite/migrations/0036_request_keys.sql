-- 0036: requests from the customer card kept under their Idempotency-Key (issue 17): a
-- manual SMS or e-mail, a call. Never edit once applied: add a new numbered migration.
--
-- A retry with the same key gets the first answer; a second request with the key meets the
-- primary key, so only one message goes out and the PBX rings once. Kept two days
-- (`idempotency::KEPT_REQUEST_DAYS`; the worker forgets older ones).
CREATE TABLE request_keys (
    user_id     TEXT NOT NULL,     -- UserId who sent it: a key is never another user's
    request_key TEXT NOT NULL,     -- the client's Idempotency-Key
    fingerprint TEXT NOT NULL,     -- SHA-256 (hex) of what the request named
    answer      TEXT NOT NULL,     -- the first answer, as the use case encoded it (JSON)
    made_at     INTEGER NOT NULL,  -- unix ns: the worker forgets keys older than two days
    PRIMARY KEY (user_id, request_key)
) WITHOUT ROWID;
CREATE INDEX request_keys_made_at ON request_keys (made_at);
