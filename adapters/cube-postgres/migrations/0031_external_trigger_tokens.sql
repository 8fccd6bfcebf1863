-- Tokens scoped to one operation (issue 17: "give the external trigger an API token scoped
-- to that one operation"). A web shop or a CRM that pushes a customer's external state change
-- (seed 003) gets a token of kind `external_trigger`: it opens that change and nothing else,
-- so a leaked shop credential cannot read the customer register or register outcomes.
ALTER TABLE access_tokens DROP CONSTRAINT access_tokens_kind_check;
ALTER TABLE access_tokens ADD CONSTRAINT access_tokens_kind_check
    CHECK (kind IN ('session', 'api', 'external_trigger'));
