//! SMS flows sent and the texts customers send back (migration 0025): each as a JSON
//! document with the columns its lookups need — the number a flow went to, a text's
//! provider message id (unique: a text posted twice is kept once), the matched flow and
//! whether the text registered its outcome.

use super::{execute, fetch_doc, fetch_docs};
use crate::codec::{id_list, id_text, opt_id_text, time_ns, to_doc};
use crate::error::store_error;
use crate::unit::SqliteUnit;
use async_trait::async_trait;
use cube_domain::ids::{AssignmentId, EnrollmentId, OutboxMessageId, SmsReplyId};
use cube_domain::ports::{SmsReplyRepository, SmsReplyWrites, StoreError};
use cube_domain::sms::{SentSmsFlow, SmsReply};
use cube_domain::values::PhoneNumber;

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
        // `sms_replies_by_enrollment` (migration 0027) is on this very expression.
        let query = sqlx::query(
            "SELECT doc FROM sms_replies WHERE json_extract(doc, '$.flow.enrollment') IN \
               (SELECT value FROM json_each(?)) ORDER BY seq",
        )
        .bind(id_list(enrollments.iter().map(EnrollmentId::as_uuid)));
        fetch_docs(self.conn(), query, "received SMS").await
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
             (id, provider_id, assignment_id, flow_message_id, acted, doc) \
             VALUES (?, ?, ?, ?, ?, ?)",
        )
        .bind(id_text(reply.id.as_uuid()))
        .bind(reply.inbound.provider_id.clone())
        .bind(opt_id_text(
            reply.flow.as_ref().map(|f| f.assignment.as_uuid()),
        ))
        .bind(opt_id_text(
            reply.flow.as_ref().map(|f| f.message.as_uuid()),
        ))
        .bind(i64::from(reply.fate.acted()))
        .bind(to_doc("received SMS", reply)?);
        execute(self.conn(), query).await.map(drop)
    }

    async fn erase_sms_of(&mut self, enrollments: &[EnrollmentId]) -> Result<(), StoreError> {
        let ids = id_list(enrollments.iter().map(EnrollmentId::as_uuid));
        let query = sqlx::query(
            "DELETE FROM sms_replies WHERE json_extract(doc, '$.flow.enrollment') IN \
               (SELECT value FROM json_each(?))",
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
}
