//! How domain values become column values and back, where the mapping is not just sqlx's:
//! enums (state categories, outcome classes, token kinds) as lower-case text (matching the
//! `CHECK` constraints of the schema), unsigned integers as `bigint`, money as integer minor
//! units with their scale, and typed reads from rows whose failures are
//! `StoreError::Corrupt`.

use crate::error::{corrupt, store_error};
use cube_domain::flow::StateCategory;
use cube_domain::outcome::OutcomeClass;
use cube_domain::ports::{StoreError, TokenKind};
use rust_decimal::Decimal;
use serde::de::DeserializeOwned;
use sqlx::postgres::{PgRow, Postgres};
use sqlx::types::Json;
use sqlx::{Decode, Row, Type};

/// A state category as stored.
pub(crate) fn category_text(category: StateCategory) -> &'static str {
    category.as_str()
}

/// A stored state category.
pub(crate) fn parse_category(text: &str) -> Result<StateCategory, StoreError> {
    Ok(match text {
        "available" => StateCategory::Available,
        "open" => StateCategory::Open,
        "yes" => StateCategory::Yes,
        "no" => StateCategory::No,
        "excluded" => StateCategory::Excluded,
        other => return Err(corrupt("state category", other)),
    })
}

/// An outcome class as stored.
pub(crate) fn class_text(class: OutcomeClass) -> &'static str {
    match class {
        OutcomeClass::Progress => "progress",
        OutcomeClass::NoAnswer => "no_answer",
        OutcomeClass::CallBackLater => "call_back_later",
        OutcomeClass::External => "external",
    }
}

/// A stored outcome class.
pub(crate) fn parse_class(text: &str) -> Result<OutcomeClass, StoreError> {
    Ok(match text {
        "progress" => OutcomeClass::Progress,
        "no_answer" => OutcomeClass::NoAnswer,
        "call_back_later" => OutcomeClass::CallBackLater,
        "external" => OutcomeClass::External,
        other => return Err(corrupt("outcome class", other)),
    })
}

/// A token kind as stored.
pub(crate) fn token_kind_text(kind: TokenKind) -> &'static str {
    match kind {
        TokenKind::Session => "session",
        TokenKind::Api => "api",
        TokenKind::ExternalTrigger => "external_trigger",
    }
}

/// A stored token kind.
pub(crate) fn parse_token_kind(text: &str) -> Result<TokenKind, StoreError> {
    Ok(match text {
        "session" => TokenKind::Session,
        "api" => TokenKind::Api,
        "external_trigger" => TokenKind::ExternalTrigger,
        other => return Err(corrupt("token kind", other)),
    })
}

/// A `u64` for a `bigint` column. Values above `i64::MAX` cannot be stored; the domain never
/// makes them (import sequences and counts), so one is refused as data the store cannot keep.
pub(crate) fn to_bigint(value: u64, what: &str) -> Result<i64, StoreError> {
    i64::try_from(value).map_err(|_| {
        StoreError::Unrepresentable(format!("{what}: {value} is larger than {}", i64::MAX))
    })
}

/// A `bigint` column read as `u64` (never negative: the schema checks it).
pub(crate) fn from_bigint(value: i64, what: &str) -> Result<u64, StoreError> {
    u64::try_from(value).map_err(|_| corrupt(what, format!("{value} is negative")))
}

/// A `bigint` column read as `u32`.
pub(crate) fn u32_from_bigint(value: i64, what: &str) -> Result<u32, StoreError> {
    u32::try_from(value).map_err(|_| corrupt(what, format!("{value} does not fit in a u32")))
}

/// Money as integer minor units and a scale: `value = minor / 10^scale`. The scale is the
/// price's own number of decimal places once trailing zeros are dropped (1 for 199.50,
/// 0 for 200), so every `Decimal` whose digits fit in 18 is stored exactly.
pub(crate) fn to_minor_units(price: Decimal) -> Result<(i64, i16), StoreError> {
    let normalized = price.normalize();
    let minor = i64::try_from(normalized.mantissa()).map_err(|_| {
        StoreError::Unrepresentable(format!(
            "unit price {price} has more significant digits than the store keeps (18)"
        ))
    })?;
    let scale = i16::try_from(normalized.scale()).map_err(|_| {
        StoreError::Unrepresentable(format!("unit price {price} has too many decimals"))
    })?;
    Ok((minor, scale))
}

/// The inverse of [`to_minor_units`] for a sum of minor units at one scale (an integer
/// `numeric` from SQL): `sum / 10^scale`, exactly.
pub(crate) fn from_minor_units(sum: Decimal, scale: i16) -> Result<Decimal, StoreError> {
    let scale = u32::try_from(scale).map_err(|_| corrupt("price scale", scale))?;
    let mut value = sum;
    value
        .set_scale(sum.scale().saturating_add(scale))
        .map_err(|e| corrupt("product value", e))?;
    Ok(value)
}

/// Reads a column.
pub(crate) fn get<'r, T>(row: &'r PgRow, column: &str) -> Result<T, StoreError>
where
    T: Decode<'r, Postgres> + Type<Postgres>,
{
    row.try_get(column).map_err(store_error)
}

/// Reads a `jsonb` column into a domain type (serde), e.g. a whole aggregate.
pub(crate) fn get_json<T: DeserializeOwned>(row: &PgRow, column: &str) -> Result<T, StoreError> {
    let Json(value) = row.try_get::<Json<T>, _>(column).map_err(store_error)?;
    Ok(value)
}

/// Reads every row's `jsonb` column.
pub(crate) fn all_json<T: DeserializeOwned>(
    rows: &[PgRow],
    column: &str,
) -> Result<Vec<T>, StoreError> {
    rows.iter().map(|row| get_json(row, column)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal::dec;

    #[test]
    fn enums_round_trip_through_text() {
        for category in [
            StateCategory::Available,
            StateCategory::Open,
            StateCategory::Yes,
            StateCategory::No,
            StateCategory::Excluded,
        ] {
            assert_eq!(parse_category(category_text(category)), Ok(category));
        }
        for class in [
            OutcomeClass::Progress,
            OutcomeClass::NoAnswer,
            OutcomeClass::CallBackLater,
            OutcomeClass::External,
        ] {
            assert_eq!(parse_class(class_text(class)), Ok(class));
        }
        assert!(parse_category("maybe").is_err());
        for kind in [TokenKind::Session, TokenKind::Api] {
            assert_eq!(parse_token_kind(token_kind_text(kind)), Ok(kind));
        }
        assert!(parse_token_kind("cookie").is_err());
    }

    #[test]
    fn money_is_minor_units_at_the_prices_own_scale() {
        assert_eq!(to_minor_units(dec!(199.50)), Ok((1995, 1)));
        assert_eq!(to_minor_units(dec!(200)), Ok((200, 0)));
        assert_eq!(to_minor_units(dec!(0.0001)), Ok((1, 4)));
        assert_eq!(from_minor_units(dec!(1995), 1), Ok(dec!(199.5)));
        assert_eq!(from_minor_units(dec!(3), 4), Ok(dec!(0.0003)));
        assert!(to_minor_units(Decimal::MAX).is_err());
    }

    #[test]
    fn unsigned_values_outside_bigint_are_refused() {
        assert_eq!(to_bigint(7, "sequence"), Ok(7));
        assert!(to_bigint(u64::MAX, "sequence").is_err());
        assert!(from_bigint(-1, "sequence").is_err());
        assert!(u32_from_bigint(i64::from(u32::MAX) + 1, "attempts").is_err());
    }
}
