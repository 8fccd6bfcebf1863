//! The one place where SQLite and sqlx errors become the domain's `StoreError`: a unique
//! rule becomes `Duplicate` with the port's `UniqueRule` (found from the table and columns
//! SQLite reports), a row that cannot be read back becomes `Corrupt`, everything else (busy,
//! I/O, pool) becomes `Unavailable`. Repositories never inspect a `sqlx::Error` themselves.

use cube_domain::ports::{RecordKind, StoreError, UniqueRule};
use sqlx::error::ErrorKind;

/// The unique rule of the port each unique rule of the schema keeps. SQLite names a violated
/// rule by its columns ("UNIQUE constraint failed: users.email"), or by its index when the
/// index is on an expression, so those words are the key.
const DUPLICATES: &[(&str, UniqueRule)] = &[
    ("users.email", UniqueRule::UserEmail),
    ("index 'users_email_login_key'", UniqueRule::UserEmail),
    (
        "index 'users_organisation_login_key'",
        UniqueRule::UserEmail,
    ),
    (
        "products.data_owner_id, products.code",
        UniqueRule::ProductCode,
    ),
    (
        "enrollments.assignment_id, enrollments.customer_id",
        UniqueRule::CustomerInAssignment,
    ),
    // `outcome_events_request_key` (0007); the 0001 rule is kept but no longer written.
    (
        "outcome_events.assignment_id, outcome_events.user_id, outcome_events.request_key",
        UniqueRule::IdempotencyKey,
    ),
    (
        "outcome_events.assignment_id, outcome_events.idempotency_key",
        UniqueRule::IdempotencyKey,
    ),
    (
        "published_flows.flow_id, published_flows.version",
        UniqueRule::PublishedFlowVersion,
    ),
    ("access_tokens.token_hash", UniqueRule::AccessTokenHash),
    (
        "outcome_events.id",
        UniqueRule::Id(RecordKind::OutcomeEvent),
    ),
    ("enrollments.id", UniqueRule::Id(RecordKind::Enrollment)),
    ("meetings.id", UniqueRule::Id(RecordKind::Meeting)),
    ("outbox.id", UniqueRule::Id(RecordKind::OutboxMessage)),
    ("privacy_log.id", UniqueRule::Id(RecordKind::PrivacyRequest)),
    (
        "customer_imports.id",
        UniqueRule::Id(RecordKind::CustomerImport),
    ),
    ("sms_flows.message_id", UniqueRule::Id(RecordKind::SmsFlow)),
    ("sms_replies.id", UniqueRule::Id(RecordKind::SmsReply)),
    ("sms_replies.provider_id", UniqueRule::SmsProviderId),
    (
        "sale_confirmations.id",
        UniqueRule::Id(RecordKind::SaleConfirmation),
    ),
    ("calls.provider_id", UniqueRule::CallProviderId),
    (
        "request_keys.user_id, request_keys.request_key",
        UniqueRule::RequestKey,
    ),
    ("customers.id", UniqueRule::Id(RecordKind::Customer)),
];

/// Converts a sqlx error into the domain's storage error.
pub(crate) fn store_error(error: sqlx::Error) -> StoreError {
    match error {
        sqlx::Error::Database(db) => {
            let message = db.message().to_owned();
            match db.kind() {
                ErrorKind::UniqueViolation => StoreError::Duplicate(unique_rule(&message)),
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

/// The port's rule for a violated unique rule of the schema; `Other` (SQLite's words) when it
/// is not in the table.
fn unique_rule(message: &str) -> UniqueRule {
    let columns = message
        .split_once(": ")
        .map_or(message, |(_, columns)| columns);
    DUPLICATES
        .iter()
        .find(|(rule, _)| *rule == columns)
        .map_or_else(
            || UniqueRule::Other(columns.to_owned()),
            |(_, rule)| rule.clone(),
        )
}

/// A JSON document that could not be written or read back.
pub(crate) fn json_error(what: &str, error: &serde_json::Error) -> StoreError {
    StoreError::Corrupt(format!("{what}: {error}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unique_rules_are_the_ports_rules() {
        let rule = |columns: &str| unique_rule(&format!("UNIQUE constraint failed: {columns}"));
        assert_eq!(rule("users.email"), UniqueRule::UserEmail);
        assert_eq!(
            rule("index 'users_organisation_login_key'"),
            UniqueRule::UserEmail
        );
        assert_eq!(
            rule("products.data_owner_id, products.code"),
            UniqueRule::ProductCode
        );
        assert_eq!(
            rule(
                "outcome_events.assignment_id, outcome_events.user_id, outcome_events.request_key"
            ),
            UniqueRule::IdempotencyKey
        );
        assert_eq!(
            rule("outcome_events.id"),
            UniqueRule::Id(RecordKind::OutcomeEvent)
        );
        assert_eq!(
            rule("access_tokens.token_hash"),
            UniqueRule::AccessTokenHash
        );
        assert_eq!(rule("other.thing"), UniqueRule::Other("other.thing".into()));
        // The words the user reads stay those of before the rules were typed.
        assert_eq!(
            StoreError::Duplicate(rule("users.email")).to_string(),
            "a user with this e-mail address already exists"
        );
    }
}
