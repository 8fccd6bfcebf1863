//! The one place where database errors become the domain's `StoreError`: unique violations
//! by constraint name → `Duplicate`, lost races (serialization failures, deadlocks, lock
//! timeouts) → `Conflict`, everything that means "the database is not there or not well" →
//! `Unavailable`, and rows that cannot be read back → `Corrupt`.

use cube_domain::ports::StoreError;

/// SQLSTATE `unique_violation`.
const UNIQUE_VIOLATION: &str = "23505";

/// What `access_tokens_pkey` protects; also what `insert_token` says when `ON CONFLICT DO
/// NOTHING` skipped the row.
pub(crate) const ACCESS_TOKEN: &str = "an access token with this hash";

/// What a unique constraint protects, in words for `StoreError::Duplicate("… already
/// exists")`. Unknown constraints fall back to their name.
fn duplicate_of(constraint: &str) -> String {
    match constraint {
        "users_email_key" | "users_email_login_key" | "users_organisation_login_key" => {
            "a user with this e-mail".into()
        }
        "products_data_owner_id_code_key" => "a product with this code for the data owner".into(),
        "enrollments_assignment_id_customer_id_key" => {
            "an enrollment of this customer in the assignment".into()
        }
        "outcome_events_idempotency_key" => {
            "an outcome event with this idempotency key in the assignment".into()
        }
        "published_flows_pkey" => "this published flow version".into(),
        "access_tokens_pkey" => ACCESS_TOKEN.into(),
        other => match other.strip_suffix("_pkey") {
            Some(table) => format!("a row of {table} with this id"),
            None => format!("a row violating {other}"),
        },
    }
}

/// Converts a database error.
pub(crate) fn store_error(error: sqlx::Error) -> StoreError {
    match error {
        sqlx::Error::Database(db) => {
            let code = db.code().map(|c| c.into_owned()).unwrap_or_default();
            match code.as_str() {
                UNIQUE_VIOLATION => StoreError::Duplicate(duplicate_of(
                    db.constraint().unwrap_or("a unique constraint"),
                )),
                // serialization_failure, deadlock_detected, lock_not_available
                "40001" | "40P01" | "55P03" => StoreError::Conflict(db.message().to_owned()),
                // character_not_in_repertoire (a NUL in text), untranslatable_character: a
                // value given to the store that PostgreSQL cannot keep; the caller's to fix
                "22021" | "22P05" => StoreError::Unrepresentable(format!(
                    "text with a character PostgreSQL cannot store (such as NUL): {}",
                    db.message()
                )),
                // data exceptions while reading stored values (a cast of a hand-edited row)
                c if c.starts_with("22") => StoreError::Corrupt(db.message().to_owned()),
                _ => StoreError::Unavailable(format!("the database refused: {}", db.message())),
            }
        }
        sqlx::Error::ColumnDecode { index, source } => {
            StoreError::Corrupt(format!("column {index}: {source}"))
        }
        sqlx::Error::Decode(source) => StoreError::Corrupt(source.to_string()),
        sqlx::Error::ColumnNotFound(column) => StoreError::Corrupt(format!(
            "column {column} is missing: is the schema migrated?"
        )),
        sqlx::Error::ColumnIndexOutOfBounds { .. } | sqlx::Error::TypeNotFound { .. } => {
            StoreError::Corrupt(error.to_string())
        }
        sqlx::Error::PoolTimedOut => {
            StoreError::Unavailable("no database connection became free in time".into())
        }
        other => StoreError::Unavailable(other.to_string()),
    }
}

/// Whether the error happened on the server inside the transaction, which PostgreSQL then
/// refuses to continue (every later statement fails and `COMMIT` silently rolls back).
/// Decoding and encoding errors happen on the client and leave the transaction usable.
pub(crate) fn aborts_transaction(error: &sqlx::Error) -> bool {
    !matches!(
        error,
        sqlx::Error::ColumnDecode { .. }
            | sqlx::Error::Decode(_)
            | sqlx::Error::Encode(_)
            | sqlx::Error::ColumnNotFound(_)
            | sqlx::Error::ColumnIndexOutOfBounds { .. }
            | sqlx::Error::TypeNotFound { .. }
    )
}

/// A stored value that does not fit the domain.
pub(crate) fn corrupt(what: &str, detail: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(format!("{what}: {detail}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constraints_read_as_what_already_exists() {
        assert_eq!(duplicate_of("users_email_key"), "a user with this e-mail");
        assert_eq!(
            duplicate_of("meetings_pkey"),
            "a row of meetings with this id"
        );
        assert_eq!(
            duplicate_of("access_tokens_pkey"),
            "an access token with this hash"
        );
        assert_eq!(
            StoreError::Duplicate(duplicate_of("outcome_events_idempotency_key")).to_string(),
            "an outcome event with this idempotency key in the assignment already exists"
        );
    }

    #[test]
    fn pool_timeouts_are_unavailable_and_decoding_is_corrupt() {
        assert!(matches!(
            store_error(sqlx::Error::PoolTimedOut),
            StoreError::Unavailable(_)
        ));
        assert!(matches!(
            store_error(sqlx::Error::Decode("bad".into())),
            StoreError::Corrupt(_)
        ));
        assert!(!aborts_transaction(&sqlx::Error::Decode("bad".into())));
        assert!(aborts_transaction(&sqlx::Error::PoolTimedOut));
    }
}
