-- Erasure of a person (issue 16; GDPR art. 17): a person who asked not to be called stays
-- barred after their data is erased. Each of their phone numbers is kept only as a salted
-- hash on the data owner's do-not-contact list; an import or a new customer with a listed
-- number is put on the do-not-call list.
CREATE TABLE do_not_contact (
    data_owner_id TEXT NOT NULL,    -- DataOwnerId: whose list
    phone_hash    TEXT NOT NULL,    -- hex SHA-256 of the salt, a zero byte and the E.164 number
    salt          TEXT NOT NULL,    -- the list's salt (hex), the same on every entry of the owner
    listed_at     INTEGER NOT NULL, -- unix ns: when it was listed
    PRIMARY KEY (data_owner_id, phone_hash)
);
