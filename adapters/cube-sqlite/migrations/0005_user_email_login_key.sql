-- One login per e-mail address whatever the case of its letters (`Email::login_key`: the
-- address with its ASCII letters lower-cased, which is what SQLite's built-in `lower`
-- does): `Seller1@x.no` logs in as `seller1@x.no`, and a second user whose address differs
-- from another's only by case is a duplicate. Addresses stay stored as given.
--
-- Users stored before this rule may already clash; then creating the index fails, nothing
-- is changed, and `SqliteStore::migrate` names the clashing addresses: give each a
-- distinct address, then migrate again.
CREATE UNIQUE INDEX users_email_login_key ON users (lower(email)); -- lookups and the rule
