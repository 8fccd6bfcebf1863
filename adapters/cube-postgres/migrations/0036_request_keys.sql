-- 0036: requests from the customer card kept under their Idempotency-Key (issue 17): a
-- manual SMS or e-mail, a call. Never edit once applied: add a new numbered migration.
--
-- A retry with the same key gets the first answer; two racing requests with one key meet
-- on the primary key, so only one message goes out and the PBX rings once. Kept two days
-- (`idempotency::KEPT_REQUEST_DAYS`; the worker forgets older ones).
CREATE TABLE request_keys (
    user_id     uuid NOT NULL,         -- UserId who sent it: a key is never another user's
    request_key text NOT NULL,         -- the client's Idempotency-Key
    fingerprint text NOT NULL,         -- SHA-256 (hex) of what the request named
    answer      text NOT NULL,         -- the first answer, as the use case encoded it (JSON)
    made_at     timestamptz NOT NULL,  -- when: the worker forgets keys older than two days
    PRIMARY KEY (user_id, request_key)
);
CREATE INDEX request_keys_made_at ON request_keys (made_at);
