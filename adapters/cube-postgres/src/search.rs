//! Finding customers (`CustomerRepository::customers` with a `CustomerFilter`): the columns
//! a search reads beside the customer's JSON — `dataset` and `search_text`, written by every
//! path that writes a customer (save, import) — the `LIKE` pattern a searched word becomes,
//! and the fill of `search_text` for customers stored before migration 0004 added it.
//!
//! Words are folded in Rust (`cube_domain::customer::fold_case`) and matched as literal
//! substrings: `%`, `_` and `\` in a word are escaped, so `LIKE` tests containment and
//! nothing else, exactly like `SearchWords::found_in`. The trigram index of migration 0004
//! (where pg_trgm is available) answers those patterns.

use crate::codec::all_json;
use crate::error::store_error;
use cube_domain::customer::Customer;
use cube_domain::data_owner::Dataset;
use cube_domain::ports::StoreError;
use sqlx::PgPool;
use uuid::Uuid;

/// The `dataset` column's text: the dataset as serialised in the customer's `data` (so the
/// migration could fill it from there).
pub(crate) fn dataset_text(dataset: Dataset) -> &'static str {
    match dataset {
        Dataset::B2b => "B2b",
        Dataset::B2c => "B2c",
    }
}

/// A dataset as [`dataset_text`] stores it.
pub(crate) fn parse_dataset(text: &str) -> Result<Dataset, cube_domain::ports::StoreError> {
    match text {
        "B2b" => Ok(Dataset::B2b),
        "B2c" => Ok(Dataset::B2c),
        other => Err(cube_domain::ports::StoreError::Corrupt(format!(
            "a customer's dataset '{other}'"
        ))),
    }
}

/// `word` as a `LIKE … ESCAPE '\'` pattern matching any text that contains it.
pub(crate) fn contains_pattern(word: &str) -> String {
    let mut pattern = String::with_capacity(word.len() + 2);
    pattern.push('%');
    for c in word.chars() {
        if matches!(c, '%' | '_' | '\\') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push('%');
    pattern
}

/// How many customers `fill_search_text` reads and writes at a time.
const FILL_BATCH: i64 = 1000;

/// Fills `search_text` of customers stored before it existed, a batch per transaction,
/// until none is left; customers saved since have theirs. Idempotent: two processes filling
/// at once write the same texts. Returns how many were filled.
pub(crate) async fn fill_search_text(pool: &PgPool) -> Result<u64, StoreError> {
    let mut filled = 0;
    loop {
        let mut tx = pool.begin().await.map_err(store_error)?;
        let rows = sqlx::query("SELECT data FROM customers WHERE search_text IS NULL LIMIT $1")
            .bind(FILL_BATCH)
            .fetch_all(&mut *tx)
            .await
            .map_err(store_error)?;
        let customers: Vec<Customer> = all_json(&rows, "data")?;
        if customers.is_empty() {
            return Ok(filled);
        }
        let ids: Vec<Uuid> = customers.iter().map(|c| c.id().as_uuid()).collect();
        let texts: Vec<String> = customers.iter().map(Customer::search_text).collect();
        let done = sqlx::query(
            "UPDATE customers c SET search_text = f.text
             FROM unnest($1::uuid[], $2::text[]) AS f (id, text)
             WHERE c.id = f.id",
        )
        .bind(&ids)
        .bind(&texts)
        .execute(&mut *tx)
        .await
        .map_err(store_error)?;
        tx.commit().await.map_err(store_error)?;
        filled += done.rows_affected();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pattern_takes_wildcards_and_the_escape_literally() {
        assert_eq!(contains_pattern("solberg"), "%solberg%");
        assert_eq!(contains_pattern("100%"), "%100\\%%");
        assert_eq!(contains_pattern("_a\\b"), "%\\_a\\\\b%");
        assert_eq!(contains_pattern("ødegård"), "%ødegård%");
    }
}
