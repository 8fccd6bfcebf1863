//! SMS flows sent and the texts customers send back (migration 0025): each whole as `jsonb`
//! beside the columns its lookups need — the number a flow went to, a text's provider
//! message id (unique: a text posted twice is kept once), the matched flow and whether the
//! text registered its outcome, and (migration 0039) its sender's number and time of receipt,
//! for the texts no flow matched, with the data owners' claims on them beside
//! (`sms_reply_owners`). Sale confirmations (migration 0033) likewise: the document
//! beside the number, status and times their lookups need.

use crate::PgUnitOfWork;
use crate::codec::{all_json, from_bigint, get, get_json};
use async_trait::async_trait;
use cube_domain::ids::{
    AssignmentId, DataOwnerId, EnrollmentId, OutboxMessageId, SaleConfirmationId, SmsReplyId,
};
use cube_domain::ports::{RecordKind, SmsReplyRepository, SmsReplyWrites, StoreError, UniqueRule};
use cube_domain::sale_confirmation::{ConfirmationStatus, SaleConfirmation};
use cube_domain::sms::{SentSmsFlow, SmsReply};
use cube_domain::values::PhoneNumber;
use sqlx::types::Json;
use time::OffsetDateTime;
use uuid::Uuid;

#[async_trait]
impl SmsReplyRepository for PgUnitOfWork {
    async fn sms_flows_to(
        &mut self,
        to: &PhoneNumber,
        limit: u32,
    ) -> Result<Vec<SentSmsFlow>, StoreError> {
        let query = sqlx::query(
            "SELECT flow FROM sms_flows WHERE to_phone = $1
             ORDER BY sent_at DESC, seq DESC LIMIT $2",
        )
        .bind(to.as_str().to_owned())
        .bind(i64::from(limit));
        all_json(&self.fetch_all(query).await?, "flow")
    }

    async fn sms_reply_by_provider_id(
        &mut self,
        provider_id: &str,
    ) -> Result<Option<SmsReply>, StoreError> {
        let query = sqlx::query("SELECT reply FROM sms_replies WHERE provider_id = $1")
            .bind(provider_id.to_owned());
        self.fetch_optional(query)
            .await?
            .map(|row| get_json(&row, "reply"))
            .transpose()
    }

    async fn sms_flow_answered(&mut self, flow: OutboxMessageId) -> Result<bool, StoreError> {
        let query = sqlx::query(
            "SELECT 1 AS answered FROM sms_replies WHERE flow_message_id = $1 AND acted LIMIT 1",
        )
        .bind(flow.as_uuid());
        Ok(self.fetch_optional(query).await?.is_some())
    }

    async fn sms_replies_after(
        &mut self,
        assignment: Option<AssignmentId>,
        after: Option<SmsReplyId>,
        limit: u32,
    ) -> Result<Vec<SmsReply>, StoreError> {
        // Without `after` from the first; with an unknown one, none (NULL subquery).
        let query = sqlx::query(
            "SELECT reply FROM sms_replies WHERE seq >
                 CASE WHEN $1::uuid IS NULL THEN -1
                 ELSE (SELECT seq FROM sms_replies WHERE id = $1) END
               AND ($2::uuid IS NULL OR assignment_id = $2)
             ORDER BY seq LIMIT $3",
        )
        .bind(after.map(|id| id.as_uuid()))
        .bind(assignment.map(|a| a.as_uuid()))
        .bind(i64::from(limit));
        all_json(&self.fetch_all(query).await?, "reply")
    }

    async fn sms_flows_after(
        &mut self,
        after: Option<OutboxMessageId>,
        limit: u32,
    ) -> Result<Vec<SentSmsFlow>, StoreError> {
        let query = sqlx::query(
            "SELECT flow FROM sms_flows WHERE seq >
                 CASE WHEN $1::uuid IS NULL THEN -1
                 ELSE (SELECT seq FROM sms_flows WHERE message_id = $1) END
             ORDER BY seq LIMIT $2",
        )
        .bind(after.map(|id| id.as_uuid()))
        .bind(i64::from(limit));
        all_json(&self.fetch_all(query).await?, "flow")
    }

    async fn sms_flows_of(
        &mut self,
        enrollments: &[EnrollmentId],
    ) -> Result<Vec<SentSmsFlow>, StoreError> {
        // `sms_flows_enrollment` (migration 0027) is on this very expression.
        let query = sqlx::query(
            "SELECT flow FROM sms_flows WHERE flow ->> 'enrollment' = ANY($1::text[])
             ORDER BY seq",
        )
        .bind(id_texts(enrollments));
        all_json(&self.fetch_all(query).await?, "flow")
    }

    async fn sms_replies_of(
        &mut self,
        enrollments: &[EnrollmentId],
    ) -> Result<Vec<SmsReply>, StoreError> {
        // `sms_replies_enrollment` (migration 0027) is on the first expression; texts
        // answering a sale confirmation are few.
        let query = sqlx::query(
            "SELECT reply FROM sms_replies WHERE reply -> 'flow' ->> 'enrollment' = ANY($1::text[])
                OR reply -> 'confirmation' ->> 'enrollment' = ANY($1::text[])
             ORDER BY seq",
        )
        .bind(id_texts(enrollments));
        all_json(&self.fetch_all(query).await?, "reply")
    }

    async fn data_owners_that_contacted(
        &mut self,
        phone: &PhoneNumber,
        at: OffsetDateTime,
    ) -> Result<Vec<DataOwnerId>, StoreError> {
        // `outbox_sms_to` and `calls_to` (migration 0039).
        let query = sqlx::query(
            "SELECT a.data_owner_id FROM outbox o JOIN assignments a ON a.id = o.assignment_id
               WHERE o.message -> 'payload' -> 'Sms' ->> 'to' = $1 AND o.created_at <= $2
             UNION
             SELECT a.data_owner_id FROM calls c JOIN assignments a ON a.id = c.assignment_id
               WHERE c.data ->> 'to' = $1 AND c.started_at <= $2",
        )
        .bind(phone.as_str().to_owned())
        .bind(at);
        let rows = self.fetch_all(query).await?;
        rows.iter()
            .map(|row| get::<Uuid>(row, "data_owner_id").map(DataOwnerId::from_uuid))
            .collect()
    }

    async fn unmatched_sms_from(
        &mut self,
        owner: DataOwnerId,
        phones: &[PhoneNumber],
    ) -> Result<Vec<SmsReply>, StoreError> {
        // `sms_replies_unmatched_from` (migration 0039), each claim by its key.
        let query = sqlx::query(
            "SELECT r.reply FROM sms_replies r
               JOIN sms_reply_owners o ON o.reply_id = r.id AND o.data_owner_id = $1
             WHERE r.assignment_id IS NULL AND r.from_phone = ANY($2::text[])
             ORDER BY r.seq",
        )
        .bind(owner.as_uuid())
        .bind(phone_texts(phones));
        all_json(&self.fetch_all(query).await?, "reply")
    }

    async fn sms_reply_owners(
        &mut self,
        reply: SmsReplyId,
    ) -> Result<Vec<DataOwnerId>, StoreError> {
        let query = sqlx::query(
            "SELECT data_owner_id FROM sms_reply_owners WHERE reply_id = $1 ORDER BY data_owner_id",
        )
        .bind(reply.as_uuid());
        let rows = self.fetch_all(query).await?;
        rows.iter()
            .map(|row| get::<Uuid>(row, "data_owner_id").map(DataOwnerId::from_uuid))
            .collect()
    }

    async fn sale_confirmation(
        &mut self,
        id: SaleConfirmationId,
    ) -> Result<Option<SaleConfirmation>, StoreError> {
        let query = sqlx::query("SELECT confirmation FROM sale_confirmations WHERE id = $1")
            .bind(id.as_uuid());
        self.fetch_optional(query)
            .await?
            .map(|row| get_json(&row, "confirmation"))
            .transpose()
    }

    async fn sale_confirmation_by_token(
        &mut self,
        token_hash: &str,
    ) -> Result<Option<SaleConfirmation>, StoreError> {
        let query =
            sqlx::query("SELECT confirmation FROM sale_confirmations WHERE token_hash = $1")
                .bind(token_hash.to_owned());
        self.fetch_optional(query)
            .await?
            .map(|row| get_json(&row, "confirmation"))
            .transpose()
    }

    async fn sale_confirmations_to(
        &mut self,
        to: &PhoneNumber,
        limit: u32,
    ) -> Result<Vec<SaleConfirmation>, StoreError> {
        let query = sqlx::query(
            "SELECT confirmation FROM sale_confirmations
             WHERE to_phone = $1
             ORDER BY sent_at DESC, seq DESC LIMIT $2",
        )
        .bind(to.as_str().to_owned())
        .bind(i64::from(limit));
        all_json(&self.fetch_all(query).await?, "confirmation")
    }

    async fn due_sale_confirmations(
        &mut self,
        now: OffsetDateTime,
        limit: u32,
    ) -> Result<Vec<SaleConfirmation>, StoreError> {
        let query = sqlx::query(
            "SELECT confirmation FROM sale_confirmations
             WHERE status = 'pending' AND deadline < $1 ORDER BY deadline, seq LIMIT $2",
        )
        .bind(now)
        .bind(i64::from(limit));
        all_json(&self.fetch_all(query).await?, "confirmation")
    }

    async fn sale_confirmations_after(
        &mut self,
        assignment: Option<AssignmentId>,
        after: Option<SaleConfirmationId>,
        limit: u32,
    ) -> Result<Vec<SaleConfirmation>, StoreError> {
        let query = sqlx::query(
            "SELECT confirmation FROM sale_confirmations WHERE seq >
                 CASE WHEN $1::uuid IS NULL THEN -1
                 ELSE (SELECT seq FROM sale_confirmations WHERE id = $1) END
               AND ($2::uuid IS NULL OR assignment_id = $2)
             ORDER BY seq LIMIT $3",
        )
        .bind(after.map(|id| id.as_uuid()))
        .bind(assignment.map(|a| a.as_uuid()))
        .bind(i64::from(limit));
        all_json(&self.fetch_all(query).await?, "confirmation")
    }

    async fn sale_confirmations_sold_between(
        &mut self,
        assignments: &[AssignmentId],
        from: OffsetDateTime,
        to: OffsetDateTime,
    ) -> Result<Vec<SaleConfirmation>, StoreError> {
        let ids: Vec<uuid::Uuid> = assignments.iter().map(AssignmentId::as_uuid).collect();
        let query = sqlx::query(
            "SELECT confirmation FROM sale_confirmations
             WHERE assignment_id = ANY($1) AND sold_at >= $2 AND sold_at < $3 ORDER BY seq",
        )
        .bind(ids)
        .bind(from)
        .bind(to);
        all_json(&self.fetch_all(query).await?, "confirmation")
    }
}

#[async_trait]
impl SmsReplyWrites for PgUnitOfWork {
    async fn record_sms_flow(&mut self, flow: &SentSmsFlow) -> Result<(), StoreError> {
        // `ON CONFLICT DO NOTHING`: a duplicate is answered without failing the transaction.
        let query = sqlx::query(
            "INSERT INTO sms_flows (message_id, to_phone, sent_at, flow) VALUES ($1, $2, $3, $4)
             ON CONFLICT DO NOTHING",
        )
        .bind(flow.message.as_uuid())
        .bind(flow.to.as_str().to_owned())
        .bind(flow.sent_at)
        .bind(Json(flow));
        if self.execute(query).await? == 0 {
            return Err(StoreError::Duplicate(UniqueRule::Id(RecordKind::SmsFlow)));
        }
        Ok(())
    }

    async fn save_sms_reply(&mut self, reply: &SmsReply) -> Result<(), StoreError> {
        let query = sqlx::query(
            "INSERT INTO sms_replies
                 (id, provider_id, assignment_id, flow_message_id, acted, from_phone,
                  received_at, reply)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
             ON CONFLICT DO NOTHING",
        )
        .bind(reply.id.as_uuid())
        .bind(reply.inbound.provider_id.clone())
        .bind(reply.assignment().map(|a| a.as_uuid()))
        .bind(reply.flow.as_ref().map(|f| f.message.as_uuid()))
        .bind(reply.fate.acted())
        .bind(reply.inbound.from.as_str().to_owned())
        .bind(reply.received_at)
        .bind(Json(reply));
        if self.execute(query).await? > 0 {
            return Ok(());
        }
        // Which rule refused it: the provider's id (posted twice) or ours (a retried insert).
        let query = sqlx::query("SELECT 1 AS taken FROM sms_replies WHERE provider_id = $1")
            .bind(reply.inbound.provider_id.clone());
        Err(StoreError::Duplicate(
            if self.fetch_optional(query).await?.is_some() {
                UniqueRule::SmsProviderId
            } else {
                UniqueRule::Id(RecordKind::SmsReply)
            },
        ))
    }

    async fn erase_sms_of(&mut self, enrollments: &[EnrollmentId]) -> Result<(), StoreError> {
        let query = sqlx::query(
            "DELETE FROM sms_replies WHERE reply -> 'flow' ->> 'enrollment' = ANY($1::text[])
                OR reply -> 'confirmation' ->> 'enrollment' = ANY($1::text[])",
        )
        .bind(id_texts(enrollments));
        self.execute(query).await?;
        // The confirmations stay (the reports count them), without the number.
        let ids: Vec<uuid::Uuid> = enrollments.iter().map(EnrollmentId::as_uuid).collect();
        let query = sqlx::query(
            "UPDATE sale_confirmations
             SET to_phone = NULL, confirmation = jsonb_set(confirmation, '{to}', 'null'::jsonb)
             WHERE to_phone IS NOT NULL AND enrollment_id = ANY($1)",
        )
        .bind(ids);
        self.execute(query).await?;
        let query =
            sqlx::query("DELETE FROM sms_flows WHERE flow ->> 'enrollment' = ANY($1::text[])")
                .bind(id_texts(enrollments));
        self.execute(query).await.map(drop)
    }

    async fn claim_unmatched_sms(
        &mut self,
        reply: SmsReplyId,
        owners: &[DataOwnerId],
    ) -> Result<(), StoreError> {
        let query = sqlx::query(
            "INSERT INTO sms_reply_owners (reply_id, data_owner_id)
             SELECT $1, owner FROM unnest($2::uuid[]) AS owner
             ON CONFLICT DO NOTHING",
        )
        .bind(reply.as_uuid())
        .bind(owners.iter().map(|o| o.as_uuid()).collect::<Vec<Uuid>>());
        self.execute(query).await.map(drop)
    }

    async fn erase_unmatched_sms_from(
        &mut self,
        owner: DataOwnerId,
        phones: &[PhoneNumber],
    ) -> Result<u64, StoreError> {
        // The data owner's claims on the texts from the numbers go; then the texts their
        // last claim left (the CTE's deletions are not seen by the outer statement's
        // snapshot, so the remaining claims are counted apart from the dropped ones).
        let query = sqlx::query(
            "WITH dropped AS (
                 DELETE FROM sms_reply_owners o USING sms_replies r
                 WHERE o.data_owner_id = $1 AND o.reply_id = r.id
                   AND r.assignment_id IS NULL AND r.from_phone = ANY($2::text[])
                 RETURNING o.reply_id
             ), gone AS (
                 DELETE FROM sms_replies r USING dropped d
                 WHERE r.id = d.reply_id
                   AND NOT EXISTS (SELECT 1 FROM sms_reply_owners k
                                   WHERE k.reply_id = r.id AND k.data_owner_id <> $1)
             )
             SELECT count(*) AS dropped FROM dropped",
        )
        .bind(owner.as_uuid())
        .bind(phone_texts(phones));
        let row = self.fetch_one(query).await?;
        let dropped: i64 = get(&row, "dropped")?;
        from_bigint(dropped, "claims dropped")
    }

    async fn forget_unowned_sms(
        &mut self,
        received_before: OffsetDateTime,
    ) -> Result<u64, StoreError> {
        // The texts through `sms_replies_unmatched_received`, each one's claims by the
        // primary key of `sms_reply_owners` (migration 0039).
        let query = sqlx::query(
            "DELETE FROM sms_replies r
             WHERE r.assignment_id IS NULL AND r.received_at < $1
               AND NOT EXISTS (SELECT 1 FROM sms_reply_owners o WHERE o.reply_id = r.id)",
        )
        .bind(received_before);
        self.execute(query).await
    }

    async fn record_sale_confirmation(
        &mut self,
        confirmation: &SaleConfirmation,
    ) -> Result<(), StoreError> {
        // `ON CONFLICT DO NOTHING`: a duplicate is answered without failing the transaction.
        let query = sqlx::query(
            "INSERT INTO sale_confirmations (id, assignment_id, enrollment_id, to_phone, status,
                 sold_at, sent_at, deadline, confirmation, token_hash)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
             ON CONFLICT DO NOTHING",
        )
        .bind(confirmation.id.as_uuid())
        .bind(confirmation.assignment.as_uuid())
        .bind(confirmation.enrollment.as_uuid())
        .bind(confirmation.to.as_ref().map(|to| to.as_str().to_owned()))
        .bind(confirmation.status.as_str())
        .bind(confirmation.sold_at)
        .bind(confirmation.sent_at)
        .bind(confirmation.deadline)
        .bind(Json(confirmation))
        .bind(confirmation.token_hash.clone());
        if self.execute(query).await? == 0 {
            return Err(StoreError::Duplicate(UniqueRule::Id(
                RecordKind::SaleConfirmation,
            )));
        }
        Ok(())
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
        // One conditional statement: a second process deciding at once waits on the row
        // lock, then finds it no longer pending and changes nothing.
        let query = sqlx::query(
            "UPDATE sale_confirmations
             SET status = $1,
                 confirmation = jsonb_set(jsonb_set(confirmation, '{status}', to_jsonb($1::text)),
                                          '{decided_at}', $2)
             WHERE id = $3 AND status = 'pending'",
        )
        .bind(status.as_str())
        .bind(Json(at))
        .bind(id.as_uuid());
        Ok(self.execute(query).await? == 1)
    }
}

/// Enrollment ids as the text their documents hold them in.
fn id_texts(enrollments: &[EnrollmentId]) -> Vec<String> {
    enrollments
        .iter()
        .map(|e| e.as_uuid().to_string())
        .collect()
}

/// The numbers as the text array the statements compare with.
fn phone_texts(phones: &[PhoneNumber]) -> Vec<String> {
    phones.iter().map(|p| p.as_str().to_owned()).collect()
}
