//! SMS flows sent and the texts customers send back: each kept in record order, with the
//! lookups the inbound SMS needs (the latest flow to a number, a provider's message id, a
//! flow already answered).

use super::{MemoryUnit, earliest, latest};
use async_trait::async_trait;
use cube_domain::ids::{AssignmentId, EnrollmentId, OutboxMessageId, SmsReplyId};
use cube_domain::ports::{RecordKind, SmsReplyRepository, SmsReplyWrites, StoreError, UniqueRule};
use cube_domain::sms::{SentSmsFlow, SmsReply};
use cube_domain::values::PhoneNumber;
use std::ops::Bound;

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
            .filter(|reply| {
                assignment.is_none()
                    || reply.flow.as_ref().map(|flow| flow.assignment) == assignment
            })
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
            .filter(|reply| {
                reply
                    .flow
                    .as_ref()
                    .is_some_and(|flow| enrollments.contains(&flow.enrollment))
            })
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
            .filter(|(_, reply)| {
                reply
                    .flow
                    .as_ref()
                    .is_some_and(|flow| enrollments.contains(&flow.enrollment))
            })
            .map(|(record, reply)| (*record, reply.clone()))
            .collect();
        for (record, reply) in replies {
            self.take(|d| &mut d.sms_replies, record);
            self.take(|d| &mut d.sms_reply_ids, reply.id);
            self.take(|d| &mut d.sms_reply_providers, reply.inbound.provider_id);
        }
        Ok(())
    }
}
