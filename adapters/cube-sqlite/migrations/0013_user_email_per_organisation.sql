-- A login e-mail is unique within its organisation, not across organisations: an address may
-- log in to several organisations (a consultant working for two call centres), and creating
-- a user no longer tells one organisation's admin that an address is taken by another
-- organisation (which revealed the other organisation's users).
--
-- SQLite cannot drop the column's UNIQUE constraint from 0001, so the table is rebuilt
-- (no other table refers to `users`).
CREATE TABLE users_rebuilt (
    id              TEXT PRIMARY KEY NOT NULL, -- UserId
    organisation_id TEXT NOT NULL,             -- OrganisationId: `users` lists by it
    name            TEXT NOT NULL,             -- Name: `users` orders by it (byte order)
    email           TEXT NOT NULL,             -- Email as parsed: the login, unique per organisation
    doc             TEXT NOT NULL              -- access::User
);
INSERT INTO users_rebuilt (id, organisation_id, name, email, doc)
    SELECT id, organisation_id, name, email, doc FROM users;
DROP TABLE users;
ALTER TABLE users_rebuilt RENAME TO users;
CREATE INDEX users_by_organisation ON users (organisation_id, name);
-- The rule, whatever the case of the address's letters (`Email::login_key`).
CREATE UNIQUE INDEX users_organisation_login_key ON users (organisation_id, lower(email));
-- Logins look an address up across organisations.
CREATE INDEX users_by_login_key ON users (lower(email));
