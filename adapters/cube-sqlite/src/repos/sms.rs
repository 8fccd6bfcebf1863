//! SMS flows sent and the texts customers send back (migration 0025): each as a JSON
//! document with the columns its lookups need — the number a flow went to, a text's
//! provider message id (unique: a text posted twice is kept once), the matched flow and
//! whether the text registered its outcome, and (migration 0039) its sender's number and time
//! of receipt, for the texts no flow matched, with the data owners' claims on them beside
//! (`sms_reply_owners`). Sale confirmations (migration 0033) likewise: the
//! document with the number, status and times their lookups need.

use super::{execute, fetch_doc, fetch_docs};
use crate::codec::{bound_ns, id_list, id_text, opt_id_text, parse_id, time_ns, to_doc};
use crate::error::store_error;
use crate::unit::SqliteUnit;
use async_trait::async_trait;
use cube_domain::ids::{
    AssignmentId, DataOwnerId, EnrollmentId, OutboxMessageId, SaleConfirmationId, SmsReplyId,
};
use cube_domain::ports::{SmsReplyRepository, SmsReplyWrites, StoreError};
use cube_domain::sale_confirmation::{ConfirmationStatus, SaleConfirmation};
use cube_domain::sms::{SentSmsFlow, SmsReply};
use cube_domain::values::PhoneNumber;
use time::OffsetDateTime;

#[async_trait]
impl SmsReplyRepository for SqliteUnit {
    async fn sms_flows_to(
        &mut self,
        to: &PhoneNumber,
        limit: u32,
    ) -> Result<Vec<SentSmsFlow>, StoreError> {
        let query = sqlx::query(
            "SELECT doc FROM sms_flows WHERE to_phone = ? ORDER BY sent_at DESC, seq DESC LIMIT ?",
        )
        .bind(to.as_str().to_owned())
        .bind(i64::from(limit));
        fetch_docs(self.conn(), query, "SMS flow").await
    }

    async fn sms_reply_by_provider_id(
        &mut self,
        provider_id: &str,
    ) -> Result<Option<SmsReply>, StoreError> {
        let query = sqlx::query("SELECT doc FROM sms_replies WHERE provider_id = ?")
            .bind(provider_id.to_owned());
        fetch_doc(self.conn(), query, "received SMS").await
    }

    async fn sms_flow_answered(&mut self, flow: OutboxMessageId) -> Result<bool, StoreError> {
        let row = sqlx::query(
            "SELECT 1 FROM sms_replies WHERE flow_message_id = ? AND acted = 1 LIMIT 1",
        )
        .bind(id_text(flow.as_uuid()))
        .fetch_optional(self.conn())
        .await
        .map_err(store_error)?;
        Ok(row.is_some())
    }

    async fn sms_replies_after(
        &mut self,
        assignment: Option<AssignmentId>,
        after: Option<SmsReplyId>,
        limit: u32,
    ) -> Result<Vec<SmsReply>, StoreError> {
        // Without `after` from the first; with an unknown one, none (the subquery is NULL).
        let query = sqlx::query(
            "SELECT doc FROM sms_replies WHERE seq > \
               CASE WHEN ?1 IS NULL THEN -1 ELSE (SELECT seq FROM sms_replies WHERE id = ?1) END \
             AND (?2 IS NULL OR assignment_id = ?2) ORDER BY seq LIMIT ?3",
        )
        .bind(after.map(|id| id_text(id.as_uuid())))
        .bind(opt_id_text(assignment.map(|a| a.as_uuid())))
        .bind(i64::from(limit));
        fetch_docs(self.conn(), query, "received SMS").await
    }

    async fn sms_flows_after(
        &mut self,
        after: Option<OutboxMessageId>,
        limit: u32,
    ) -> Result<Vec<SentSmsFlow>, StoreError> {
        let query = sqlx::query(
            "SELECT doc FROM sms_flows WHERE seq > \
               CASE WHEN ?1 IS NULL THEN -1 \
               ELSE (SELECT seq FROM sms_flows WHERE message_id = ?1) END \
             ORDER BY seq LIMIT ?2",
        )
        .bind(after.map(|id| id_text(id.as_uuid())))
        .bind(i64::from(limit));
        fetch_docs(self.conn(), query, "SMS flow").await
    }

    async fn sms_flows_of(
        &mut self,
        enrollments: &[EnrollmentId],
    ) -> Result<Vec<SentSmsFlow>, StoreError> {
        // `sms_flows_by_enrollment` (migration 0027) is on this very expression.
        let query = sqlx::query(
            "SELECT doc FROM sms_flows WHERE json_extract(doc, '$.enrollment') IN \
               (SELECT value FROM json_each(?)) ORDER BY seq",
        )
        .bind(id_list(enrollments.iter().map(EnrollmentId::as_uuid)));
        fetch_docs(self.conn(), query, "SMS flow").await
    }

    async fn sms_replies_of(
        &mut self,
        enrollments: &[EnrollmentId],
    ) -> Result<Vec<SmsReply>, StoreError> {
        // `sms_replies_by_enrollment` (migration 0027) is on the first expression; texts
        // answering a sale confirmation are few (a scan of those with one).
        let query = sqlx::query(
            "SELECT doc FROM sms_replies WHERE json_extract(doc, '$.flow.enrollment') IN \
               (SELECT value FROM json_each(?1)) \
             OR json_extract(doc, '$.confirmation.enrollment') IN \
               (SELECT value FROM json_each(?1)) ORDER BY seq",
        )
        .bind(id_list(enrollments.iter().map(EnrollmentId::as_uuid)));
        fetch_docs(self.conn(), query, "received SMS").await
    }

    async fn data_owners_that_contacted(
        &mut self,
        phone: &PhoneNumber,
        at: OffsetDateTime,
    ) -> Result<Vec<DataOwnerId>, StoreError> {
        // `outbox_sms_to` and `calls_to` (migration 0039).
        let owners: Vec<(String,)> = sqlx::query_as(
            "SELECT a.data_owner_id FROM outbox o JOIN assignments a ON a.id = o.assignment_id \
               WHERE json_extract(o.doc, '$.payload.Sms.to') = ?1 AND o.created_at <= ?2 \
             UNION \
             SELECT a.data_owner_id FROM calls c JOIN assignments a ON a.id = c.assignment_id \
               WHERE json_extract(c.doc, '$.to') = ?1 AND c.started_at <= ?2",
        )
        .bind(phone.as_str().to_owned())
        .bind(bound_ns(at))
        .fetch_all(self.conn())
        .await
        .map_err(store_error)?;
        owners.iter().map(|(id,)| parse_id(id)).collect()
    }

    async fn unmatched_sms_from(
        &mut self,
        owner: DataOwnerId,
        phones: &[PhoneNumber],
    ) -> Result<Vec<SmsReply>, StoreError> {
        // `sms_replies_unmatched_from` (migration 0039), each claim by its key.
        let query = sqlx::query(
            "SELECT r.doc FROM sms_replies r JOIN sms_reply_owners o \
               ON o.reply_id = r.id AND o.data_owner_id = ? \
             WHERE r.assignment_id IS NULL AND r.from_phone IN (SELECT value FROM json_each(?)) \
             ORDER BY r.seq",
        )
        .bind(id_text(owner.as_uuid()))
        .bind(phone_list(phones)?);
        fetch_docs(self.conn(), query, "received SMS").await
    }

    async fn sms_reply_owners(
        &mut self,
        reply: SmsReplyId,
    ) -> Result<Vec<DataOwnerId>, StoreError> {
        let owners: Vec<(String,)> = sqlx::query_as(
            "SELECT data_owner_id FROM sms_reply_owners WHERE reply_id = ? ORDER BY data_owner_id",
        )
        .bind(id_text(reply.as_uuid()))
        .fetch_all(self.conn())
        .await
        .map_err(store_error)?;
        owners.iter().map(|(id,)| parse_id(id)).collect()
    }

    async fn sale_confirmation(
        &mut self,
        id: SaleConfirmationId,
    ) -> Result<Option<SaleConfirmation>, StoreError> {
        let query = sqlx::query("SELECT doc FROM sale_confirmations WHERE id = ?")
            .bind(id_text(id.as_uuid()));
        fetch_doc(self.conn(), query, "sale confirmation").await
    }

    async fn sale_confirmation_by_token(
        &mut self,
        token_hash: &str,
    ) -> Result<Option<SaleConfirmation>, StoreError> {
        let query = sqlx::query("SELECT doc FROM sale_confirmations WHERE token_hash = ?")
            .bind(token_hash.to_owned());
        fetch_doc(self.conn(), query, "sale confirmation").await
    }

    async fn sale_confirmations_to(
        &mut self,
        to: &PhoneNumber,
        limit: u32,
    ) -> Result<Vec<SaleConfirmation>, StoreError> {
        let query = sqlx::query(
            "SELECT doc FROM sale_confirmations WHERE to_phone = ? \
             ORDER BY sent_at DESC, seq DESC LIMIT ?",
        )
        .bind(to.as_str().to_owned())
        .bind(i64::from(limit));
        fetch_docs(self.conn(), query, "sale confirmation").await
    }

    async fn due_sale_confirmations(
        &mut self,
        now: OffsetDateTime,
        limit: u32,
    ) -> Result<Vec<SaleConfirmation>, StoreError> {
        let query = sqlx::query(
            "SELECT doc FROM sale_confirmations WHERE status = 'pending' AND deadline < ? \
             ORDER BY deadline, seq LIMIT ?",
        )
        .bind(bound_ns(now))
        .bind(i64::from(limit));
        fetch_docs(self.conn(), query, "sale confirmation").await
    }

    async fn sale_confirmations_after(
        &mut self,
        assignment: Option<AssignmentId>,
        after: Option<SaleConfirmationId>,
        limit: u32,
    ) -> Result<Vec<SaleConfirmation>, StoreError> {
        let query = sqlx::query(
            "SELECT doc FROM sale_confirmations WHERE seq > \
               CASE WHEN ?1 IS NULL THEN -1 \
               ELSE (SELECT seq FROM sale_confirmations WHERE id = ?1) END \
             AND (?2 IS NULL OR assignment_id = ?2) ORDER BY seq LIMIT ?3",
        )
        .bind(after.map(|id| id_text(id.as_uuid())))
        .bind(opt_id_text(assignment.map(|a| a.as_uuid())))
        .bind(i64::from(limit));
        fetch_docs(self.conn(), query, "sale confirmation").await
    }

    async fn sale_confirmations_sold_between(
        &mut self,
        assignments: &[AssignmentId],
        from: OffsetDateTime,
        to: OffsetDateTime,
    ) -> Result<Vec<SaleConfirmation>, StoreError> {
        let query = sqlx::query(
            "SELECT doc FROM sale_confirmations WHERE assignment_id IN \
               (SELECT value FROM json_each(?)) AND sold_at >= ? AND sold_at < ? ORDER BY seq",
        )
        .bind(id_list(assignments.iter().map(AssignmentId::as_uuid)))
        .bind(bound_ns(from))
        .bind(bound_ns(to));
        fetch_docs(self.conn(), query, "sale confirmation").await
    }
}

#[async_trait]
impl SmsReplyWrites for SqliteUnit {
    async fn record_sms_flow(&mut self, flow: &SentSmsFlow) -> Result<(), StoreError> {
        let query = sqlx::query(
            "INSERT INTO sms_flows (message_id, to_phone, sent_at, doc) VALUES (?, ?, ?, ?)",
        )
        .bind(id_text(flow.message.as_uuid()))
        .bind(flow.to.as_str().to_owned())
        .bind(time_ns(flow.sent_at)?)
        .bind(to_doc("SMS flow", flow)?);
        execute(self.conn(), query).await.map(drop)
    }

    async fn save_sms_reply(&mut self, reply: &SmsReply) -> Result<(), StoreError> {
        let query = sqlx::query(
            "INSERT INTO sms_replies \
             (id, provider_id, assignment_id, flow_message_id, acted, from_phone, received_at, doc) \
             VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(id_text(reply.id.as_uuid()))
        .bind(reply.inbound.provider_id.clone())
        .bind(opt_id_text(reply.assignment().map(|a| a.as_uuid())))
        .bind(opt_id_text(
            reply.flow.as_ref().map(|f| f.message.as_uuid()),
        ))
        .bind(i64::from(reply.fate.acted()))
        .bind(reply.inbound.from.as_str().to_owned())
        .bind(time_ns(reply.received_at)?)
        .bind(to_doc("received SMS", reply)?);
        execute(self.conn(), query).await.map(drop)
    }

    async fn erase_sms_of(&mut self, enrollments: &[EnrollmentId]) -> Result<(), StoreError> {
        let ids = id_list(enrollments.iter().map(EnrollmentId::as_uuid));
        let query = sqlx::query(
            "DELETE FROM sms_replies WHERE json_extract(doc, '$.flow.enrollment') IN \
               (SELECT value FROM json_each(?1)) \
             OR json_extract(doc, '$.confirmation.enrollment') IN \
               (SELECT value FROM json_each(?1))",
        )
        .bind(ids.clone());
        execute(self.conn(), query).await?;
        // The confirmations stay (the reports count them), without the number.
        let query = sqlx::query(
            "UPDATE sale_confirmations SET to_phone = NULL, doc = json_set(doc, '$.to', NULL) \
             WHERE to_phone IS NOT NULL AND enrollment_id IN (SELECT value FROM json_each(?))",
        )
        .bind(ids.clone());
        execute(self.conn(), query).await?;
        let query = sqlx::query(
            "DELETE FROM sms_flows WHERE json_extract(doc, '$.enrollment') IN \
               (SELECT value FROM json_each(?))",
        )
        .bind(ids);
        execute(self.conn(), query).await.map(drop)
    }

    async fn claim_unmatched_sms(
        &mut self,
        reply: SmsReplyId,
        owners: &[DataOwnerId],
    ) -> Result<(), StoreError> {
        for owner in owners {
            let query = sqlx::query(
                "INSERT OR IGNORE INTO sms_reply_owners (reply_id, data_owner_id) VALUES (?, ?)",
            )
            .bind(id_text(reply.as_uuid()))
            .bind(id_text(owner.as_uuid()));
            execute(self.conn(), query).await?;
        }
        Ok(())
    }

    async fn erase_unmatched_sms_from(
        &mut self,
        owner: DataOwnerId,
        phones: &[PhoneNumber],
    ) -> Result<u64, StoreError> {
        let owner = id_text(owner.as_uuid());
        let claimed: Vec<(String,)> = sqlx::query_as(
            "SELECT r.id FROM sms_replies r JOIN sms_reply_owners o \
               ON o.reply_id = r.id AND o.data_owner_id = ? \
             WHERE r.assignment_id IS NULL AND r.from_phone IN (SELECT value FROM json_each(?))",
        )
        .bind(owner.clone())
        .bind(phone_list(phones)?)
        .fetch_all(self.conn())
        .await
        .map_err(store_error)?;
        let ids = serde_json::to_string(&claimed.iter().map(|(id,)| id).collect::<Vec<_>>())
            .map_err(|e| StoreError::Unrepresentable(format!("text ids: {e}")))?;
        let query = sqlx::query(
            "DELETE FROM sms_reply_owners WHERE data_owner_id = ? \
               AND reply_id IN (SELECT value FROM json_each(?))",
        )
        .bind(owner)
        .bind(ids.clone());
        let dropped = execute(self.conn(), query).await?;
        // The texts their last claim left.
        let query = sqlx::query(
            "DELETE FROM sms_replies WHERE id IN (SELECT value FROM json_each(?)) \
               AND NOT EXISTS (SELECT 1 FROM sms_reply_owners o WHERE o.reply_id = sms_replies.id)",
        )
        .bind(ids);
        execute(self.conn(), query).await?;
        Ok(dropped)
    }

    async fn forget_unowned_sms(
        &mut self,
        received_before: OffsetDateTime,
    ) -> Result<u64, StoreError> {
        // The texts through `sms_replies_unmatched_received`, each one's claims by the
        // primary key of `sms_reply_owners` (migration 0039).
        let query = sqlx::query(
            "DELETE FROM sms_replies WHERE assignment_id IS NULL AND received_at < ? \
               AND NOT EXISTS (SELECT 1 FROM sms_reply_owners o WHERE o.reply_id = sms_replies.id)",
        )
        .bind(bound_ns(received_before));
        execute(self.conn(), query).await
    }

    async fn record_sale_confirmation(
        &mut self,
        confirmation: &SaleConfirmation,
    ) -> Result<(), StoreError> {
        let query = sqlx::query(
            "INSERT INTO sale_confirmations (id, assignment_id, enrollment_id, to_phone, status, \
               sold_at, sent_at, deadline, doc, token_hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(id_text(confirmation.id.as_uuid()))
        .bind(id_text(confirmation.assignment.as_uuid()))
        .bind(id_text(confirmation.enrollment.as_uuid()))
        .bind(confirmation.to.as_ref().map(|to| to.as_str().to_owned()))
        .bind(confirmation.status.as_str())
        .bind(time_ns(confirmation.sold_at)?)
        .bind(time_ns(confirmation.sent_at)?)
        .bind(time_ns(confirmation.deadline)?)
        .bind(to_doc("sale confirmation", confirmation)?)
        .bind(confirmation.token_hash.clone());
        execute(self.conn(), query).await.map(drop)
    }

    async fn decide_sale_confirmation(
        &mut self,
        id: SaleConfirmationId,
        status: ConfirmationStatus,
        at: OffsetDateTime,
    ) -> Result<bool, StoreError> {
        if status == ConfirmationStatus::Pending {
            return Ok(false);
        }
        let Some(current) = self.sale_confirmation(id).await? else {
            return Ok(false);
        };
        let decided = SaleConfirmation {
            status,
            decided_at: Some(at),
            ..current
        };
        // Conditional on still pending: whoever decided first wins.
        let query = sqlx::query(
            "UPDATE sale_confirmations SET status = ?, doc = ? WHERE id = ? AND status = 'pending'",
        )
        .bind(status.as_str())
        .bind(to_doc("sale confirmation", &decided)?)
        .bind(id_text(id.as_uuid()));
        Ok(execute(self.conn(), query).await? == 1)
    }
}

/// The numbers as the JSON list `json_each` reads.
fn phone_list(phones: &[PhoneNumber]) -> Result<String, StoreError> {
    let texts: Vec<&str> = phones.iter().map(PhoneNumber::as_str).collect();
    serde_json::to_string(&texts).map_err(|e| StoreError::Unrepresentable(format!("phones: {e}")))
}
