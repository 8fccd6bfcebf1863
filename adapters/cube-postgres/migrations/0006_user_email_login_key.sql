-- One login per e-mail address whatever the case of its letters (`Email::login_key`: the
-- address with its ASCII letters lower-cased, which is what `lower` does under the "C"
-- collation): `Seller1@x.no` logs in as `seller1@x.no`, and a second user whose address
-- differs from another's only by case is a duplicate. Addresses stay stored as given.
--
-- Users stored before this rule may already clash; then the migration stops and names
-- them (nothing is changed): give each a distinct address, then migrate again.
DO $$
DECLARE
    clashes text;
BEGIN
    SELECT string_agg(emails, '; ') INTO clashes
    FROM (SELECT string_agg(email, ', ' ORDER BY email COLLATE "C") AS emails
          FROM users
          GROUP BY lower(email COLLATE "C")
          HAVING count(*) > 1) AS clash;
    IF clashes IS NOT NULL THEN
        RAISE EXCEPTION 'users whose login e-mails differ only by case: %; give each user a distinct address, then migrate again', clashes;
    END IF;
END $$;
CREATE UNIQUE INDEX users_email_login_key ON users (lower(email COLLATE "C")); -- lookups and the rule
