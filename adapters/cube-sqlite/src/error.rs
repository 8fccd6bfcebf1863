//! The one place where SQLite and sqlx errors become the domain's `StoreError`: a unique
//! rule becomes `Duplicate` (named in words, from the table and columns SQLite reports), a
//! row that cannot be read back becomes `Corrupt`, everything else (busy, I/O, pool) becomes
//! `Unavailable`. Repositories never inspect a `sqlx::Error` themselves.

use cube_domain::ports::StoreError;
use sqlx::error::ErrorKind;

/// What the user should read for each unique rule of the schema. SQLite names a violated
/// rule by its columns ("UNIQUE constraint failed: users.email"), so the columns are the key.
const DUPLICATES: &[(&str, &str)] = &[
    ("users.email", "a user with this e-mail address"),
    (
        "index 'users_email_login_key'",
        "a user with this e-mail address",
    ),
    (
        "index 'users_organisation_login_key'",
        "a user with this e-mail address",
    ),
    (
        "products.data_owner_id, products.code",
        "a product with this code",
    ),
    (
        "enrollments.assignment_id, enrollments.customer_id",
        "this customer's enrollment in the assignment",
    ),
    (
        "outcome_events.assignment_id, outcome_events.idempotency_key",
        "an outcome event with this idempotency key",
    ),
    (
        "published_flows.flow_id, published_flows.version",
        "this published flow version",
    ),
    ("outcome_events.id", "an outcome event with this id"),
    ("enrollments.id", "an enrollment with this id"),
    ("meetings.id", "a meeting with this id"),
    ("outbox.id", "an outbox message with this id"),
    ("customers.id", "a customer with this id"),
    ("access_tokens.token_hash", "an access token with this hash"),
];

/// Converts a sqlx error into the domain's storage error.
pub(crate) fn store_error(error: sqlx::Error) -> StoreError {
    match error {
        sqlx::Error::Database(db) => {
            let message = db.message().to_owned();
            match db.kind() {
                ErrorKind::UniqueViolation => StoreError::Duplicate(duplicate_name(&message)),
                // The schema's other rules (NOT NULL, CHECK, foreign keys of child rows) hold
                // for every value the domain can make: breaking one means the row or the
                // code is wrong, not that the caller should retry.
                ErrorKind::NotNullViolation
                | ErrorKind::CheckViolation
                | ErrorKind::ForeignKeyViolation => StoreError::Corrupt(message),
                _ => StoreError::Unavailable(message),
            }
        }
        sqlx::Error::ColumnDecode { .. }
        | sqlx::Error::Decode(_)
        | sqlx::Error::ColumnNotFound(_)
        | sqlx::Error::ColumnIndexOutOfBounds { .. }
        | sqlx::Error::TypeNotFound { .. } => StoreError::Corrupt(error.to_string()),
        other => StoreError::Unavailable(other.to_string()),
    }
}

/// The words for a violated unique rule; the rule itself when it is not in the table.
fn duplicate_name(message: &str) -> String {
    let columns = message
        .split_once(": ")
        .map_or(message, |(_, columns)| columns);
    DUPLICATES
        .iter()
        .find(|(rule, _)| *rule == columns)
        .map_or_else(|| columns.to_owned(), |(_, name)| (*name).to_owned())
}

/// A JSON document that could not be written or read back.
pub(crate) fn json_error(what: &str, error: &serde_json::Error) -> StoreError {
    StoreError::Corrupt(format!("{what}: {error}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unique_rules_are_named_in_words() {
        assert_eq!(
            duplicate_name("UNIQUE constraint failed: users.email"),
            "a user with this e-mail address"
        );
        assert_eq!(
            duplicate_name("UNIQUE constraint failed: index 'users_email_login_key'"),
            "a user with this e-mail address"
        );
        assert_eq!(
            duplicate_name("UNIQUE constraint failed: products.data_owner_id, products.code"),
            "a product with this code"
        );
        assert_eq!(
            duplicate_name("UNIQUE constraint failed: access_tokens.token_hash"),
            "an access token with this hash"
        );
        assert_eq!(
            duplicate_name("UNIQUE constraint failed: other.thing"),
            "other.thing"
        );
    }
}
