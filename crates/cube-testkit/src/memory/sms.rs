//! SMS flows sent and the texts customers send back: each kept in record order, with the
//! lookups the inbound SMS needs (the latest flow to a number, a provider's message id, a
//! flow already answered).

use super::{MemoryUnit, earliest, latest};
use async_trait::async_trait;
use cube_domain::ids::{
    AssignmentId, DataOwnerId, EnrollmentId, OutboxMessageId, SaleConfirmationId, SmsReplyId,
};
use cube_domain::ports::OutboxPayload;
use cube_domain::ports::{RecordKind, SmsReplyRepository, SmsReplyWrites, StoreError, UniqueRule};
use cube_domain::sale_confirmation::{ConfirmationStatus, SaleConfirmation};
use cube_domain::sms::{SentSmsFlow, SmsReply};
use cube_domain::values::PhoneNumber;
use std::collections::BTreeSet;
use std::ops::Bound;
use time::OffsetDateTime;

#[async_trait]
impl SmsReplyRepository for MemoryUnit {
    async fn sms_flows_to(
        &mut self,
        to: &PhoneNumber,
        limit: u32,
    ) -> Result<Vec<SentSmsFlow>, StoreError> {
        let number = to.as_str().to_owned();
        let from = (number.clone(), earliest(), 0);
        let until = (number, latest(), u64::MAX);
        let limit = usize::try_from(limit).unwrap_or(usize::MAX);
        Ok(self
            .data
            .sms_flows_to
            .range(from..=until)
            .rev()
            .take(limit)
            .filter_map(|(_, _, record)| self.data.sms_flows.get(record))
            .cloned()
            .collect())
    }

    async fn sms_reply_by_provider_id(
        &mut self,
        provider_id: &str,
    ) -> Result<Option<SmsReply>, StoreError> {
        Ok(self
            .data
            .sms_reply_providers
            .get(provider_id)
            .and_then(|record| self.data.sms_replies.get(record))
            .cloned())
    }

    async fn sms_flow_answered(&mut self, flow: OutboxMessageId) -> Result<bool, StoreError> {
        Ok(self.data.sms_answered.contains(&flow))
    }

    async fn sms_replies_after(
        &mut self,
        assignment: Option<AssignmentId>,
        after: Option<SmsReplyId>,
        limit: u32,
    ) -> Result<Vec<SmsReply>, StoreError> {
        let from = match after {
            None => Bound::Unbounded,
            Some(id) => match self.data.sms_reply_ids.get(&id) {
                Some(record) => Bound::Excluded(*record),
                None => return Ok(Vec::new()),
            },
        };
        let limit = usize::try_from(limit).unwrap_or(usize::MAX);
        Ok(self
            .data
            .sms_replies
            .range((from, Bound::Unbounded))
            .map(|(_, reply)| reply)
            .filter(|reply| assignment.is_none() || reply.assignment() == assignment)
            .take(limit)
            .cloned()
            .collect())
    }

    async fn sms_flows_after(
        &mut self,
        after: Option<OutboxMessageId>,
        limit: u32,
    ) -> Result<Vec<SentSmsFlow>, StoreError> {
        let from = match after {
            None => Bound::Unbounded,
            Some(id) => match self.data.sms_flow_ids.get(&id) {
                Some(record) => Bound::Excluded(*record),
                None => return Ok(Vec::new()),
            },
        };
        let limit = usize::try_from(limit).unwrap_or(usize::MAX);
        Ok(self
            .data
            .sms_flows
            .range((from, Bound::Unbounded))
            .take(limit)
            .map(|(_, flow)| flow.clone())
            .collect())
    }

    async fn sms_flows_of(
        &mut self,
        enrollments: &[EnrollmentId],
    ) -> Result<Vec<SentSmsFlow>, StoreError> {
        Ok(self
            .data
            .sms_flows
            .values()
            .filter(|flow| enrollments.contains(&flow.enrollment))
            .cloned()
            .collect())
    }

    async fn sms_replies_of(
        &mut self,
        enrollments: &[EnrollmentId],
    ) -> Result<Vec<SmsReply>, StoreError> {
        Ok(self
            .data
            .sms_replies
            .values()
            .filter(|reply| reply.enrollment().is_some_and(|e| enrollments.contains(&e)))
            .cloned()
            .collect())
    }

    async fn data_owners_that_contacted(
        &mut self,
        phone: &PhoneNumber,
        at: OffsetDateTime,
    ) -> Result<Vec<DataOwnerId>, StoreError> {
        let texted = self.data.outbox_log.values().filter(|m| {
            m.created_at <= at && matches!(&m.payload, OutboxPayload::Sms(sms) if sms.to == *phone)
        });
        let called = self
            .data
            .calls
            .values()
            .filter(|c| c.started_at <= at && c.to.as_ref() == Some(phone));
        let assignments: BTreeSet<AssignmentId> = texted
            .map(|m| m.assignment)
            .chain(called.map(|c| c.assignment))
            .collect();
        let owners: BTreeSet<DataOwnerId> = assignments
            .iter()
            .filter_map(|a| self.data.assignments.get(a))
            .map(|a| a.data_owner())
            .collect();
        Ok(owners.into_iter().collect())
    }

    async fn unmatched_sms_from(
        &mut self,
        owner: DataOwnerId,
        phones: &[PhoneNumber],
    ) -> Result<Vec<SmsReply>, StoreError> {
        Ok(self
            .data
            .sms_replies
            .values()
            .filter(|reply| {
                reply.is_unmatched()
                    && phones.contains(&reply.inbound.from)
                    && self.data.sms_reply_owners.contains(&(reply.id, owner))
            })
            .cloned()
            .collect())
    }

    async fn sms_reply_owners(
        &mut self,
        reply: SmsReplyId,
    ) -> Result<Vec<DataOwnerId>, StoreError> {
        Ok(self
            .data
            .sms_reply_owners
            .range((reply, DataOwnerId::from_uuid(uuid::Uuid::nil()))..)
            .take_while(|(claimed, _)| *claimed == reply)
            .map(|(_, owner)| *owner)
            .collect())
    }

    async fn sale_confirmation(
        &mut self,
        id: SaleConfirmationId,
    ) -> Result<Option<SaleConfirmation>, StoreError> {
        Ok(self
            .data
            .sale_confirmation_ids
            .get(&id)
            .and_then(|record| self.data.sale_confirmations.get(record))
            .cloned())
    }

    async fn sale_confirmation_by_token(
        &mut self,
        token_hash: &str,
    ) -> Result<Option<SaleConfirmation>, StoreError> {
        Ok(self
            .data
            .sale_confirmations
            .values()
            .find(|c| c.token_hash.as_deref() == Some(token_hash))
            .cloned())
    }

    async fn sale_confirmations_to(
        &mut self,
        to: &PhoneNumber,
        limit: u32,
    ) -> Result<Vec<SaleConfirmation>, StoreError> {
        let mut pending: Vec<(&u64, &SaleConfirmation)> = self
            .data
            .sale_confirmations
            .iter()
            .filter(|(_, c)| c.to.as_ref() == Some(to))
            .collect();
        pending.sort_by_key(|(record, c)| std::cmp::Reverse((c.sent_at, **record)));
        let limit = usize::try_from(limit).unwrap_or(usize::MAX);
        Ok(pending
            .into_iter()
            .take(limit)
            .map(|(_, c)| c.clone())
            .collect())
    }

    async fn due_sale_confirmations(
        &mut self,
        now: OffsetDateTime,
        limit: u32,
    ) -> Result<Vec<SaleConfirmation>, StoreError> {
        let mut due: Vec<(&u64, &SaleConfirmation)> = self
            .data
            .sale_confirmations
            .iter()
            .filter(|(_, c)| c.is_due(now))
            .collect();
        due.sort_by_key(|(record, c)| (c.deadline, **record));
        let limit = usize::try_from(limit).unwrap_or(usize::MAX);
        Ok(due
            .into_iter()
            .take(limit)
            .map(|(_, c)| c.clone())
            .collect())
    }

    async fn sale_confirmations_after(
        &mut self,
        assignment: Option<AssignmentId>,
        after: Option<SaleConfirmationId>,
        limit: u32,
    ) -> Result<Vec<SaleConfirmation>, StoreError> {
        let from = match after {
            None => Bound::Unbounded,
            Some(id) => match self.data.sale_confirmation_ids.get(&id) {
                Some(record) => Bound::Excluded(*record),
                None => return Ok(Vec::new()),
            },
        };
        let limit = usize::try_from(limit).unwrap_or(usize::MAX);
        Ok(self
            .data
            .sale_confirmations
            .range((from, Bound::Unbounded))
            .map(|(_, c)| c)
            .filter(|c| assignment.is_none_or(|a| c.assignment == a))
            .take(limit)
            .cloned()
            .collect())
    }

    async fn sale_confirmations_sold_between(
        &mut self,
        assignments: &[AssignmentId],
        from: OffsetDateTime,
        to: OffsetDateTime,
    ) -> Result<Vec<SaleConfirmation>, StoreError> {
        Ok(self
            .data
            .sale_confirmations
            .values()
            .filter(|c| assignments.contains(&c.assignment) && c.sold_at >= from && c.sold_at < to)
            .cloned()
            .collect())
    }
}

#[async_trait]
impl SmsReplyWrites for MemoryUnit {
    async fn record_sms_flow(&mut self, flow: &SentSmsFlow) -> Result<(), StoreError> {
        if self.data.sms_flow_ids.contains_key(&flow.message) {
            return Err(StoreError::Duplicate(UniqueRule::Id(RecordKind::SmsFlow)));
        }
        let record = self.bump(|d| &mut d.sms_flow_counter);
        self.put(|d| &mut d.sms_flows, record, flow.clone());
        self.put(|d| &mut d.sms_flow_ids, flow.message, record);
        self.put(
            |d| &mut d.sms_flows_to,
            (flow.to.as_str().to_owned(), flow.sent_at, record),
            (),
        );
        Ok(())
    }

    async fn save_sms_reply(&mut self, reply: &SmsReply) -> Result<(), StoreError> {
        if self
            .data
            .sms_reply_providers
            .contains_key(&reply.inbound.provider_id)
        {
            return Err(StoreError::Duplicate(UniqueRule::SmsProviderId));
        }
        if self.data.sms_reply_ids.contains_key(&reply.id) {
            return Err(StoreError::Duplicate(UniqueRule::Id(RecordKind::SmsReply)));
        }
        let record = self.bump(|d| &mut d.sms_reply_counter);
        self.put(|d| &mut d.sms_replies, record, reply.clone());
        self.put(|d| &mut d.sms_reply_ids, reply.id, record);
        self.put(
            |d| &mut d.sms_reply_providers,
            reply.inbound.provider_id.clone(),
            record,
        );
        if let (true, Some(flow)) = (reply.fate.acted(), &reply.flow) {
            self.put(|d| &mut d.sms_answered, flow.message, ());
        }
        Ok(())
    }

    async fn erase_sms_of(&mut self, enrollments: &[EnrollmentId]) -> Result<(), StoreError> {
        let flows: Vec<(u64, SentSmsFlow)> = self
            .data
            .sms_flows
            .iter()
            .filter(|(_, flow)| enrollments.contains(&flow.enrollment))
            .map(|(record, flow)| (*record, flow.clone()))
            .collect();
        for (record, flow) in flows {
            self.take(|d| &mut d.sms_flows, record);
            self.take(|d| &mut d.sms_flow_ids, flow.message);
            self.take(
                |d| &mut d.sms_flows_to,
                (flow.to.as_str().to_owned(), flow.sent_at, record),
            );
            self.take(|d| &mut d.sms_answered, flow.message);
        }
        let replies: Vec<(u64, SmsReply)> = self
            .data
            .sms_replies
            .iter()
            .filter(|(_, reply)| reply.enrollment().is_some_and(|e| enrollments.contains(&e)))
            .map(|(record, reply)| (*record, reply.clone()))
            .collect();
        for (record, reply) in replies {
            self.take(|d| &mut d.sms_replies, record);
            self.take(|d| &mut d.sms_reply_ids, reply.id);
            self.take(|d| &mut d.sms_reply_providers, reply.inbound.provider_id);
        }
        let confirmations: Vec<(u64, SaleConfirmation)> = self
            .data
            .sale_confirmations
            .iter()
            .filter(|(_, c)| c.to.is_some() && enrollments.contains(&c.enrollment))
            .map(|(record, c)| (*record, c.clone()))
            .collect();
        for (record, confirmation) in confirmations {
            let erased = SaleConfirmation {
                to: None,
                ..confirmation
            };
            self.put(|d| &mut d.sale_confirmations, record, erased);
        }
        Ok(())
    }

    async fn claim_unmatched_sms(
        &mut self,
        reply: SmsReplyId,
        owners: &[DataOwnerId],
    ) -> Result<(), StoreError> {
        for owner in owners {
            self.put(|d| &mut d.sms_reply_owners, (reply, *owner), ());
        }
        Ok(())
    }

    async fn erase_unmatched_sms_from(
        &mut self,
        owner: DataOwnerId,
        phones: &[PhoneNumber],
    ) -> Result<u64, StoreError> {
        let claimed: Vec<SmsReplyId> = self
            .data
            .sms_replies
            .values()
            .filter(|reply| {
                reply.is_unmatched()
                    && phones.contains(&reply.inbound.from)
                    && self.data.sms_reply_owners.contains(&(reply.id, owner))
            })
            .map(|reply| reply.id)
            .collect();
        for reply in &claimed {
            self.take(|d| &mut d.sms_reply_owners, (*reply, owner));
        }
        let unclaimed: BTreeSet<SmsReplyId> = claimed
            .iter()
            .copied()
            .filter(|reply| !self.claimed(*reply))
            .collect();
        self.forget_sms_where(|reply| unclaimed.contains(&reply.id));
        Ok(claimed.len() as u64)
    }

    async fn forget_unowned_sms(
        &mut self,
        received_before: OffsetDateTime,
    ) -> Result<u64, StoreError> {
        let unowned: BTreeSet<SmsReplyId> = self
            .data
            .sms_replies
            .values()
            .filter(|reply| {
                reply.is_unmatched()
                    && reply.received_at < received_before
                    && !self.claimed(reply.id)
            })
            .map(|reply| reply.id)
            .collect();
        Ok(self.forget_sms_where(|reply| unowned.contains(&reply.id)))
    }

    async fn record_sale_confirmation(
        &mut self,
        confirmation: &SaleConfirmation,
    ) -> Result<(), StoreError> {
        if self
            .data
            .sale_confirmation_ids
            .contains_key(&confirmation.id)
        {
            return Err(StoreError::Duplicate(UniqueRule::Id(
                RecordKind::SaleConfirmation,
            )));
        }
        let record = self.bump(|d| &mut d.sale_confirmation_counter);
        self.put(|d| &mut d.sale_confirmations, record, confirmation.clone());
        self.put(|d| &mut d.sale_confirmation_ids, confirmation.id, record);
        Ok(())
    }

    async fn decide_sale_confirmation(
        &mut self,
        id: SaleConfirmationId,
        status: ConfirmationStatus,
        at: OffsetDateTime,
    ) -> Result<bool, StoreError> {
        let Some(&record) = self.data.sale_confirmation_ids.get(&id) else {
            return Ok(false);
        };
        let Some(current) = self.data.sale_confirmations.get(&record) else {
            return Ok(false);
        };
        if current.status != ConfirmationStatus::Pending || status == ConfirmationStatus::Pending {
            return Ok(false);
        }
        let decided = SaleConfirmation {
            status,
            decided_at: Some(at),
            ..current.clone()
        };
        self.put(|d| &mut d.sale_confirmations, record, decided);
        Ok(true)
    }
}

impl MemoryUnit {
    /// Whether some data owner claims the received SMS.
    fn claimed(&self, reply: SmsReplyId) -> bool {
        self.data
            .sms_reply_owners
            .range((reply, DataOwnerId::from_uuid(uuid::Uuid::nil()))..)
            .next()
            .is_some_and(|(claimed, _)| *claimed == reply)
    }

    /// Deletes the received SMS `forget` picks; how many.
    fn forget_sms_where(&mut self, forget: impl Fn(&SmsReply) -> bool) -> u64 {
        let gone: Vec<(u64, SmsReply)> = self
            .data
            .sms_replies
            .iter()
            .filter(|(_, reply)| forget(reply))
            .map(|(record, reply)| (*record, reply.clone()))
            .collect();
        for (record, reply) in &gone {
            self.take(|d| &mut d.sms_replies, *record);
            self.take(|d| &mut d.sms_reply_ids, reply.id);
            self.take(
                |d| &mut d.sms_reply_providers,
                reply.inbound.provider_id.clone(),
            );
        }
        gone.len() as u64
    }
}
