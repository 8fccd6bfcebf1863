//! Flows: one draft per flow and the frozen published versions, small tables, scanned.

use super::{MemoryUnit, sorted_by};
use async_trait::async_trait;
use cube_domain::flow::{FlowDraft, FlowVersion, PublishedFlow};
use cube_domain::ids::{DataOwnerId, FlowId};
use cube_domain::ports::FlowWrites;
use cube_domain::ports::UniqueRule;
use cube_domain::ports::{FlowRepository, StoreError};
use std::collections::BTreeMap;

#[async_trait]
impl FlowRepository for MemoryUnit {
    async fn flow_draft(&mut self, id: FlowId) -> Result<Option<FlowDraft>, StoreError> {
        Ok(self.data.flow_drafts.get(&id).cloned())
    }

    async fn published_flow(
        &mut self,
        version: FlowVersion,
    ) -> Result<Option<PublishedFlow>, StoreError> {
        Ok(self.data.published_flows.get(&version).cloned())
    }

    async fn latest_published_flow(
        &mut self,
        id: FlowId,
    ) -> Result<Option<PublishedFlow>, StoreError> {
        let from = FlowVersion {
            flow: id,
            version: 0,
        };
        let to = FlowVersion {
            flow: id,
            version: u32::MAX,
        };
        Ok(self
            .data
            .published_flows
            .range(from..=to)
            .next_back()
            .map(|(_, flow)| flow.clone()))
    }

    async fn published_flows(
        &mut self,
        owner: DataOwnerId,
    ) -> Result<Vec<PublishedFlow>, StoreError> {
        // Versions of one flow are adjacent and ascending, so the last one per id wins.
        let mut newest: BTreeMap<FlowId, &PublishedFlow> = BTreeMap::new();
        for flow in self.data.published_flows.values() {
            if flow.data_owner() == owner {
                newest.insert(flow.id(), flow);
            }
        }
        let flows = newest.into_values().cloned().collect();
        Ok(sorted_by(flows, |f: &PublishedFlow| {
            (f.name().clone(), f.id())
        }))
    }

    async fn flow_drafts(&mut self, owner: DataOwnerId) -> Result<Vec<FlowDraft>, StoreError> {
        let drafts = self
            .data
            .flow_drafts
            .values()
            .filter(|draft| draft.data_owner == owner)
            .cloned()
            .collect();
        Ok(sorted_by(drafts, |draft: &FlowDraft| draft.id))
    }
}

#[async_trait]
impl FlowWrites for MemoryUnit {
    async fn save_flow_draft(&mut self, draft: &FlowDraft) -> Result<(), StoreError> {
        self.put(|d| &mut d.flow_drafts, draft.id, draft.clone());
        Ok(())
    }
    async fn delete_flow_draft(&mut self, id: FlowId) -> Result<(), StoreError> {
        self.take(|d| &mut d.flow_drafts, id);
        Ok(())
    }
    async fn save_published_flow(&mut self, flow: &PublishedFlow) -> Result<(), StoreError> {
        if self.data.published_flows.contains_key(&flow.version()) {
            return Err(StoreError::Duplicate(UniqueRule::PublishedFlowVersion));
        }
        self.put(|d| &mut d.published_flows, flow.version(), flow.clone());
        Ok(())
    }
}
