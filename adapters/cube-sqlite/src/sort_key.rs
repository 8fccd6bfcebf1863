//! Order-preserving bytes for CRM field values, so a `Field` priority rule can be an
//! `ORDER BY` in SQL and still give exactly the order of `FieldValue`'s `Ord` (which
//! `cube_domain::queue` uses): SQLite compares BLOBs with `memcmp`, shorter first on a tie,
//! which is also how Rust orders `[u8]`; so `key(a).cmp(&key(b)) == a.cmp(&b)` for all values
//! (property-tested below), mixed types included.
//!
//! Why not the JSON value with `json_extract`: decimals are JSON strings there (numeric order
//! would need a lossy cast to REAL), and values of different types would not sort by variant
//! as `Ord` does.
//!
//! Layout: one tag byte (the variant's position, as derived `Ord` compares variants first),
//! then
//! - text and choice: the UTF-8 bytes (`String`'s `Ord` is byte order);
//! - number: the i64 big-endian with the sign bit flipped;
//! - decimal: a sign class (negative 1, zero 2, positive 3); for a non-zero value the decimal
//!   exponent (position of the first significant digit) as one byte, then the significant
//!   digits without trailing zeros, one byte each; negatives have both inverted and end in
//!   0xFF so that a longer digit string sorts first;
//! - date: the Julian day, i32 big-endian with the sign bit flipped;
//! - boolean: 0 or 1.
//!
//! The bytes are stored (`customer_fields.sort_key`), so this layout is part of the schema:
//! changing it needs a migration step that re-saves every customer.

use cube_domain::fields::FieldValue;
use rust_decimal::Decimal;

/// The sort key of a field value.
pub(crate) fn sort_key(value: &FieldValue) -> Vec<u8> {
    match value {
        FieldValue::Text(text) => tagged(0, text.as_bytes()),
        FieldValue::Number(n) => tagged(1, &flip_i64(*n)),
        FieldValue::Decimal(d) => tagged(2, &decimal_key(*d)),
        FieldValue::Date(date) => tagged(3, &flip_i32(date.to_julian_day())),
        FieldValue::Boolean(b) => vec![4, u8::from(*b)],
        FieldValue::Choice(text) => tagged(5, text.as_bytes()),
    }
}

fn tagged(tag: u8, payload: &[u8]) -> Vec<u8> {
    let mut key = Vec::with_capacity(payload.len() + 1);
    key.push(tag);
    key.extend_from_slice(payload);
    key
}

fn flip_i64(n: i64) -> [u8; 8] {
    (n.cast_unsigned() ^ (1 << 63)).to_be_bytes()
}

fn flip_i32(n: i32) -> [u8; 4] {
    (n.cast_unsigned() ^ (1 << 31)).to_be_bytes()
}

fn decimal_key(d: Decimal) -> Vec<u8> {
    let mantissa = d.mantissa();
    if mantissa == 0 {
        return vec![2];
    }
    let mut digits: Vec<u8> = mantissa
        .unsigned_abs()
        .to_string()
        .bytes()
        .map(|b| b - b'0')
        .collect();
    // value = 0.d1d2d3… × 10^exponent; a Decimal has at most 29 digits and scale 28, so the
    // exponent lies in -27..=29 and `+ 128` fits a byte.
    let exponent = i64::try_from(digits.len()).unwrap_or(i64::MAX) - i64::from(d.scale());
    let exponent = u8::try_from(exponent.clamp(-128, 127) + 128).unwrap_or(u8::MAX);
    while digits.last() == Some(&0) {
        digits.pop();
    }
    if mantissa > 0 {
        let mut key = vec![3, exponent];
        key.extend(digits);
        key
    } else {
        let mut key = vec![1, u8::MAX - exponent];
        key.extend(digits.into_iter().map(|digit| 9 - digit));
        key.push(u8::MAX);
        key
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::cmp::Ordering;
    use time::Date;

    fn any_decimal() -> impl Strategy<Value = Decimal> {
        prop_oneof![
            (any::<i64>(), 0u32..=28).prop_map(|(m, s)| Decimal::new(m, s)),
            (-1000i64..1000, 0u32..4).prop_map(|(m, s)| Decimal::new(m, s)),
            (any::<i128>(), 0u32..=28).prop_filter_map("fits 96 bits", |(m, s)| {
                Decimal::try_from_i128_with_scale(m >> 30, s).ok()
            }),
        ]
    }

    fn any_value() -> impl Strategy<Value = FieldValue> {
        prop_oneof![
            ".{0,6}".prop_map(FieldValue::Text),
            "[ab]{0,3}".prop_map(FieldValue::Text),
            any::<i64>().prop_map(FieldValue::Number),
            (-3i64..3).prop_map(FieldValue::Number),
            any_decimal().prop_map(FieldValue::Decimal),
            (-1_000_000i32..1_000_000).prop_map(|d| {
                FieldValue::Date(Date::from_julian_day(2_400_000 + d).unwrap_or(Date::MIN))
            }),
            any::<bool>().prop_map(FieldValue::Boolean),
            "[ab]{0,3}".prop_map(FieldValue::Choice),
        ]
    }

    #[test]
    fn decimals_compare_by_value_not_by_scale() {
        let key = |m, s| sort_key(&FieldValue::Decimal(Decimal::new(m, s)));
        assert_eq!(key(10, 1), key(1000, 3));
        assert_eq!(key(0, 0), key(0, 5));
        let ordered = [
            key(-50, 0),
            key(-5, 0),
            key(-123, 3),
            key(-12, 2),
            key(0, 0),
            key(12, 2),
            key(123, 3),
            key(5, 0),
            key(100, 0),
            key(101, 0),
        ];
        assert!(ordered.windows(2).all(|w| w[0] < w[1]), "{ordered:?}");
    }

    proptest! {
        #[test]
        fn sort_keys_order_like_field_values(a in any_value(), b in any_value()) {
            let by_key = sort_key(&a).cmp(&sort_key(&b));
            prop_assert_eq!(by_key, a.cmp(&b), "{:?} vs {:?}", a, b);
        }

        #[test]
        fn equal_decimals_have_equal_keys(d in any_decimal(), extra in 0u32..10) {
            let rescaled = Decimal::try_from_i128_with_scale(
                d.mantissa().saturating_mul(10i128.pow(extra)),
                d.scale() + extra,
            );
            if let Ok(rescaled) = rescaled && rescaled == d {
                let (x, y) = (FieldValue::Decimal(d), FieldValue::Decimal(rescaled));
                prop_assert_eq!(sort_key(&x).cmp(&sort_key(&y)), Ordering::Equal);
            }
        }
    }
}
