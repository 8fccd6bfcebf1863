//! An import's rows checked against the data owner's register before anything is written:
//! a row whose external id, organisation number or phone number belongs to another customer
//! than the one the row is, or that is a customer of the other dataset
//! (`cube_domain::import_match`), is rejected with the other rows a file's check rejects, so
//! an all-or-nothing import refuses the file before writing, and a preview lists the row.
//!
//! The store holds the writing to the same rule (`ImportRepository::import_batch` refuses
//! such a row), so a register changed between the check and the writing still never
//! re-keys a customer; the import's report then lists the row as rejected too.

use crate::customers::{IMPORT_CHUNK_ROWS, RejectedRow};
use crate::rejected_rows::RejectReason;
use crate::{AppResult, Cube};
use cube_domain::customer::Customer;
use cube_domain::ids::DataOwnerId;
use cube_domain::import_match::{MatchKeys, RowMatch};
use cube_domain::ports::OnMatch;

impl Cube {
    /// The rows of `rows` (each with its number in the file) that the data owner's register
    /// refuses as it is now, in row order: [`IMPORT_CHUNK_ROWS`] rows a read.
    pub(crate) async fn refused_by_register(
        &self,
        owner: DataOwnerId,
        on_match: OnMatch,
        match_by: MatchKeys,
        rows: &[(usize, &Customer)],
    ) -> AppResult<Vec<RejectedRow>> {
        let mut refused = Vec::new();
        if rows.is_empty() {
            return Ok(refused);
        }
        let mut unit = self.begin_read().await?;
        for chunk in rows.chunks(IMPORT_CHUNK_ROWS) {
            let customers: Vec<&Customer> = chunk.iter().map(|(_, c)| *c).collect();
            let keys = unit.import_row_keys(owner, &customers).await?;
            for ((row, customer), keys) in chunk.iter().zip(keys) {
                if let RowMatch::Refused(conflict) = keys.decide(customer, on_match, match_by) {
                    refused.push(RejectedRow {
                        row: *row,
                        reason: RejectReason::Register(Box::new(conflict)),
                    });
                }
            }
        }
        Ok(refused)
    }
}
