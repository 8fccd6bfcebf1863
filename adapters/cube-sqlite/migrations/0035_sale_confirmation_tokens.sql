-- Written confirmation of a phone sale by e-mail (issue 17): the offer's two links (accept,
-- refuse) lead to the server's public answer page with a token of 32 random bytes. Only its
-- SHA-256 (hex) is kept, here and in the document, so a leaked database answers no offer;
-- the page looks the confirmation up by it (`sale_confirmation_by_token`). NULL for an offer
-- by SMS (answered by a text) and for every confirmation stored before.
ALTER TABLE sale_confirmations ADD COLUMN token_hash TEXT;
CREATE UNIQUE INDEX sale_confirmations_token ON sale_confirmations (token_hash)
    WHERE token_hash IS NOT NULL;
