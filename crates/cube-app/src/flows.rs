//! Published flows, read once per process. A published version never changes (a change is
//! a new version), so once read it can serve every later request: a registration, a read of
//! the assignment, a report need the flow, and reading it from the store each time was one
//! round trip of every seller's cycle (issue 19). The cache holds at most [`MAX_FLOWS`]
//! versions; past that it starts over (a call centre has a handful of live flows).

use crate::{AppError, AppResult};
use cube_domain::assignment::Assignment;
use cube_domain::flow::{FlowVersion, PublishedFlow};
use cube_domain::ports::ReadUnit;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

/// The most flow versions kept.
pub const MAX_FLOWS: usize = 256;

/// The published flows read so far. Cheap to clone (one shared cache).
#[derive(Debug, Clone, Default)]
pub struct Flows {
    read: Arc<Mutex<HashMap<FlowVersion, Arc<PublishedFlow>>>>,
}

impl Flows {
    /// The published version, from the cache or else from `uow` (then kept).
    pub async fn published(
        &self,
        uow: &mut dyn ReadUnit,
        version: FlowVersion,
    ) -> AppResult<Option<Arc<PublishedFlow>>> {
        if let Some(flow) = self.lock().get(&version) {
            return Ok(Some(flow.clone()));
        }
        let Some(flow) = uow.published_flow(version).await? else {
            return Ok(None);
        };
        let flow = Arc::new(flow);
        let mut read = self.lock();
        if read.len() >= MAX_FLOWS {
            read.clear();
        }
        read.insert(version, flow.clone());
        Ok(Some(flow))
    }

    /// How many versions are kept.
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    /// Whether none is kept.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<FlowVersion, Arc<PublishedFlow>>> {
        // Every write is one insert or a clear: a poisoned map is still whole.
        self.read.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// The published flow an assignment uses.
pub(crate) async fn flow_of(
    flows: &Flows,
    uow: &mut dyn ReadUnit,
    assignment: &Assignment,
) -> AppResult<Arc<PublishedFlow>> {
    flows
        .published(uow, assignment.flow())
        .await?
        .ok_or(AppError::NotFound("flow"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use cube_domain::ids::FlowId;
    use cube_domain::ports::Store;
    use cube_testkit::fixtures::{T0, World};
    use cube_testkit::{FixedClock, MemoryStore, SequentialIds};

    #[tokio::test]
    async fn a_published_version_is_read_from_the_store_once() {
        let store = MemoryStore::new();
        let world = World::build(&store, &FixedClock::new(T0), &SequentialIds::new(), 0)
            .await
            .expect("the world");
        let flows = Flows::default();
        let version = world.assignment.flow();
        let mut uow = store.begin_read().await.expect("a unit");
        let first = flows
            .published(uow.as_mut(), version)
            .await
            .expect("read")
            .expect("published");
        assert_eq!(*first, world.sales_flow);
        let again = flows
            .published(uow.as_mut(), version)
            .await
            .expect("read")
            .expect("published");
        assert!(
            Arc::ptr_eq(&first, &again),
            "the second read is the kept one"
        );
        assert_eq!(flows.len(), 1);

        let missing = FlowVersion {
            flow: FlowId::from_uuid(uuid::Uuid::from_u128(0xdead)),
            version: 1,
        };
        assert_eq!(
            flows.published(uow.as_mut(), missing).await.expect("read"),
            None
        );
        assert_eq!(flows.len(), 1, "a missing version is not kept");
    }
}
