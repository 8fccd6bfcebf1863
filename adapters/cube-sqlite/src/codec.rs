//! How domain values become SQLite values and back, in one place so every table encodes a
//! time, an id or an enum the same way (see the crate doc for why these encodings):
//! - times: INTEGER unix nanoseconds, UTC;
//! - ids: hyphenated lower-case UUID text;
//! - enums: their Rust variant names;
//! - money: exact `Decimal` text;
//! - aggregates: serde_json text.
//!
//! Reading back never panics: anything that does not decode is `StoreError::Corrupt`.

use crate::error::{json_error, store_error};
use cube_domain::flow::StateCategory;
use cube_domain::outcome::OutcomeClass;
use cube_domain::ports::{StoreError, TokenKind};
use rust_decimal::Decimal;
use serde::Serialize;
use serde::de::DeserializeOwned;
use sqlx::Row;
use sqlx::sqlite::SqliteRow;
use std::str::FromStr;
use time::OffsetDateTime;
use uuid::Uuid;

/// A time as stored: unix nanoseconds. Times outside 1677-09-21..2262-04-11 do not fit an
/// i64 and are refused (no sales campaign runs then).
pub(crate) fn time_ns(time: OffsetDateTime) -> Result<i64, StoreError> {
    i64::try_from(time.unix_timestamp_nanos()).map_err(|_| {
        StoreError::Corrupt(format!(
            "time {time} is outside the years 1677 to 2262 that the SQLite store keeps"
        ))
    })
}

/// An optional time as stored.
pub(crate) fn opt_time_ns(time: Option<OffsetDateTime>) -> Result<Option<i64>, StoreError> {
    time.map(time_ns).transpose()
}

/// A query bound as stored: a bound outside what can be stored is clamped, which keeps its
/// meaning ("since the beginning", "until the end").
pub(crate) fn bound_ns(time: OffsetDateTime) -> i64 {
    let ns = time.unix_timestamp_nanos();
    i64::try_from(ns).unwrap_or(if ns < 0 { i64::MIN } else { i64::MAX })
}

/// A stored time, in UTC.
pub(crate) fn time_from_ns(ns: i64) -> Result<OffsetDateTime, StoreError> {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(ns))
        .map_err(|e| StoreError::Corrupt(format!("stored time {ns}: {e}")))
}

/// An id as stored.
pub(crate) fn id_text(uuid: Uuid) -> String {
    uuid.hyphenated().to_string()
}

/// An optional id as stored.
pub(crate) fn opt_id_text(uuid: Option<Uuid>) -> Option<String> {
    uuid.map(id_text)
}

/// A list of ids as a JSON array, for `IN (SELECT value FROM json_each(?))`: one statement
/// text whatever the list's length, so the statement cache keeps working.
pub(crate) fn id_list(ids: impl IntoIterator<Item = Uuid>) -> String {
    let texts: Vec<String> = ids.into_iter().map(id_text).collect();
    // Serializing a list of strings cannot fail; an empty list is the fallback anyway.
    serde_json::to_string(&texts).unwrap_or_else(|_| "[]".to_owned())
}

/// A stored id.
pub(crate) fn parse_id<T: From<Uuid>>(text: &str) -> Result<T, StoreError> {
    Uuid::parse_str(text)
        .map(T::from)
        .map_err(|e| StoreError::Corrupt(format!("stored id '{text}': {e}")))
}

/// A state category as stored.
pub(crate) fn category_text(category: StateCategory) -> &'static str {
    match category {
        StateCategory::Available => "Available",
        StateCategory::Open => "Open",
        StateCategory::Yes => "Yes",
        StateCategory::No => "No",
        StateCategory::Excluded => "Excluded",
    }
}

/// A stored state category.
pub(crate) fn parse_category(text: &str) -> Result<StateCategory, StoreError> {
    Ok(match text {
        "Available" => StateCategory::Available,
        "Open" => StateCategory::Open,
        "Yes" => StateCategory::Yes,
        "No" => StateCategory::No,
        "Excluded" => StateCategory::Excluded,
        other => return Err(StoreError::Corrupt(format!("state category '{other}'"))),
    })
}

/// An outcome class as stored.
pub(crate) fn class_text(class: OutcomeClass) -> &'static str {
    match class {
        OutcomeClass::Progress => "Progress",
        OutcomeClass::NoAnswer => "NoAnswer",
        OutcomeClass::CallBackLater => "CallBackLater",
        OutcomeClass::External => "External",
    }
}

/// A stored outcome class.
pub(crate) fn parse_class(text: &str) -> Result<OutcomeClass, StoreError> {
    Ok(match text {
        "Progress" => OutcomeClass::Progress,
        "NoAnswer" => OutcomeClass::NoAnswer,
        "CallBackLater" => OutcomeClass::CallBackLater,
        "External" => OutcomeClass::External,
        other => return Err(StoreError::Corrupt(format!("outcome class '{other}'"))),
    })
}

/// A token kind as stored.
pub(crate) fn token_kind_text(kind: TokenKind) -> &'static str {
    match kind {
        TokenKind::Session => "Session",
        TokenKind::Api => "Api",
        TokenKind::ExternalTrigger => "ExternalTrigger",
    }
}

/// A stored token kind.
pub(crate) fn parse_token_kind(text: &str) -> Result<TokenKind, StoreError> {
    Ok(match text {
        "Session" => TokenKind::Session,
        "Api" => TokenKind::Api,
        "ExternalTrigger" => TokenKind::ExternalTrigger,
        other => return Err(StoreError::Corrupt(format!("token kind '{other}'"))),
    })
}

/// A stored decimal (money), exact.
pub(crate) fn parse_decimal(text: &str) -> Result<Decimal, StoreError> {
    Decimal::from_str(text).map_err(|e| StoreError::Corrupt(format!("stored amount '{text}': {e}")))
}

/// An aggregate as a JSON document.
pub(crate) fn to_doc<T: Serialize>(what: &str, value: &T) -> Result<String, StoreError> {
    serde_json::to_string(value).map_err(|e| json_error(what, &e))
}

/// An aggregate read back from its JSON document (validated where the type validates).
pub(crate) fn from_doc<T: DeserializeOwned>(what: &str, doc: &str) -> Result<T, StoreError> {
    serde_json::from_str(doc).map_err(|e| json_error(what, &e))
}

/// A column of a row; a missing or mistyped column is `Corrupt`.
pub(crate) fn col<'r, T>(row: &'r SqliteRow, name: &str) -> Result<T, StoreError>
where
    T: sqlx::Decode<'r, sqlx::Sqlite> + sqlx::Type<sqlx::Sqlite>,
{
    row.try_get(name).map_err(store_error)
}

/// The `doc` column of a row, decoded.
pub(crate) fn doc_of<T: DeserializeOwned>(row: &SqliteRow, what: &str) -> Result<T, StoreError> {
    let doc: String = col(row, "doc")?;
    from_doc(what, &doc)
}

/// A count or sum read back as `u64` (SQLite integers are i64; a negative one is `Corrupt`).
pub(crate) fn count(row: &SqliteRow, name: &str) -> Result<u64, StoreError> {
    let n: i64 = col(row, name)?;
    u64::try_from(n).map_err(|_| StoreError::Corrupt(format!("{name} is negative: {n}")))
}

/// A `u64` to store as an SQLite integer.
pub(crate) fn to_i64(what: &str, n: u64) -> Result<i64, StoreError> {
    i64::try_from(n)
        .map_err(|_| StoreError::Unrepresentable(format!("{what} {n} is larger than {}", i64::MAX)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn times_round_trip_to_the_nanosecond_and_bounds_clamp() {
        let t = datetime!(2026-11-28 12:34:56.123456789 UTC);
        assert_eq!(time_ns(t).and_then(time_from_ns), Ok(t));
        let offset = datetime!(2026-11-28 13:34:56.123456789 +01:00);
        assert_eq!(time_ns(offset), time_ns(t));
        assert_eq!(bound_ns(datetime!(-9999-01-01 0:00 UTC)), i64::MIN);
        assert_eq!(bound_ns(datetime!(9999-01-01 0:00 UTC)), i64::MAX);
        assert!(time_ns(datetime!(9999-01-01 0:00 UTC)).is_err());
    }

    #[test]
    fn token_kinds_round_trip_through_text() {
        for kind in [TokenKind::Session, TokenKind::Api] {
            assert_eq!(parse_token_kind(token_kind_text(kind)), Ok(kind));
        }
        assert!(parse_token_kind("Cookie").is_err());
    }

    #[test]
    fn id_text_sorts_like_uuids() {
        let a = Uuid::from_u128(0x0f);
        let b = Uuid::from_u128(0xa0);
        assert!(a < b);
        assert!(id_text(a) < id_text(b));
    }
}
