-- A login e-mail is unique within its organisation, not across organisations: an address may
-- log in to several organisations (a consultant working for two call centres), and creating
-- a user no longer tells one organisation's admin that an address is taken by another
-- organisation (which revealed the other organisation's users).
ALTER TABLE users DROP CONSTRAINT users_email_key;
DROP INDEX users_email_login_key;
-- The rule, whatever the case of the address's letters (`Email::login_key`).
CREATE UNIQUE INDEX users_organisation_login_key ON users (organisation_id, lower(email COLLATE "C"));
-- Logins look an address up across organisations.
CREATE INDEX users_by_login_key ON users (lower(email COLLATE "C"));
