//! The one place where database errors become the domain's `StoreError`: unique violations
//! by constraint name → `Duplicate` with the port's `UniqueRule`, lost races (serialization failures, deadlocks, lock
//! timeouts) → `Conflict`, everything that means "the database is not there or not well" →
//! `Unavailable`, and rows that cannot be read back → `Corrupt`.

use cube_domain::ports::{RecordKind, StoreError, UniqueRule};

/// SQLSTATE `unique_violation`.
const UNIQUE_VIOLATION: &str = "23505";

/// The port's unique rule each unique constraint of the schema keeps. A primary key of
/// another table is `Other` with the constraint's name, as is a constraint newer than this
/// code.
fn unique_rule(constraint: &str) -> UniqueRule {
    match constraint {
        "users_email_key" | "users_email_login_key" | "users_organisation_login_key" => {
            UniqueRule::UserEmail
        }
        "products_data_owner_id_code_key" => UniqueRule::ProductCode,
        "enrollments_assignment_id_customer_id_key" => UniqueRule::CustomerInAssignment,
        "outcome_events_idempotency_key" => UniqueRule::IdempotencyKey,
        "published_flows_pkey" => UniqueRule::PublishedFlowVersion,
        "access_tokens_pkey" => UniqueRule::AccessTokenHash,
        "customers_pkey" => UniqueRule::Id(RecordKind::Customer),
        "enrollments_pkey" => UniqueRule::Id(RecordKind::Enrollment),
        "meetings_pkey" => UniqueRule::Id(RecordKind::Meeting),
        "outcome_events_pkey" => UniqueRule::Id(RecordKind::OutcomeEvent),
        "outbox_pkey" => UniqueRule::Id(RecordKind::OutboxMessage),
        "privacy_log_pkey" => UniqueRule::Id(RecordKind::PrivacyRequest),
        "customer_imports_pkey" => UniqueRule::Id(RecordKind::CustomerImport),
        "sms_flows_pkey" => UniqueRule::Id(RecordKind::SmsFlow),
        "sms_replies_pkey" => UniqueRule::Id(RecordKind::SmsReply),
        "sms_replies_provider_id_key" => UniqueRule::SmsProviderId,
        "sale_confirmations_pkey" => UniqueRule::Id(RecordKind::SaleConfirmation),
        "calls_provider_id_key" => UniqueRule::CallProviderId,
        "request_keys_pkey" => UniqueRule::RequestKey,
        other => UniqueRule::Other(other.to_owned()),
    }
}

/// Converts a database error.
pub(crate) fn store_error(error: sqlx::Error) -> StoreError {
    match error {
        sqlx::Error::Database(db) => {
            let code = db.code().map(|c| c.into_owned()).unwrap_or_default();
            match code.as_str() {
                UNIQUE_VIOLATION => {
                    StoreError::Duplicate(unique_rule(db.constraint().unwrap_or("(unnamed)")))
                }
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
    fn constraints_are_the_ports_rules() {
        assert_eq!(unique_rule("users_email_key"), UniqueRule::UserEmail);
        assert_eq!(
            unique_rule("users_organisation_login_key"),
            UniqueRule::UserEmail
        );
        assert_eq!(
            unique_rule("meetings_pkey"),
            UniqueRule::Id(RecordKind::Meeting)
        );
        assert_eq!(
            unique_rule("access_tokens_pkey"),
            UniqueRule::AccessTokenHash
        );
        assert_eq!(
            unique_rule("outcome_events_idempotency_key"),
            UniqueRule::IdempotencyKey
        );
        assert_eq!(
            unique_rule("sales_rollups_key"),
            UniqueRule::Other("sales_rollups_key".into())
        );
        assert_eq!(
            StoreError::Duplicate(unique_rule("outcome_events_idempotency_key")).to_string(),
            "an outcome registered with this idempotency key in the assignment already exists"
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
