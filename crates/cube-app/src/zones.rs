//! Each organisation's time zone, as "today" needs it (issue 14): My Work's day, the
//! reports' default window and the visibility dates are the organisation's local day. A
//! zone changes rarely (an admin sets it once), and reading the organisation on every
//! request would cost every seller's call a round trip, so a process keeps each zone for
//! [`ZONE_TTL`]: a change made through this process is seen at once, one made through another
//! process within that time.

use crate::AppResult;
use cube_domain::ids::OrganisationId;
use cube_domain::ports::ReadUnit;
use cube_domain::time_zone::TimeZone;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

/// How long a process trusts a zone it read.
pub const ZONE_TTL: Duration = Duration::from_secs(60);

/// The zones read so far, with when. Cheap to clone (one shared cache).
#[derive(Debug, Clone, Default)]
pub struct Zones {
    read: Arc<Mutex<HashMap<OrganisationId, (TimeZone, Instant)>>>,
}

impl Zones {
    /// The organisation's zone, from the cache while fresh, else from `uow` (an organisation
    /// that cannot be found has the default zone: it has no days to get wrong).
    pub async fn of(
        &self,
        uow: &mut dyn ReadUnit,
        organisation: OrganisationId,
    ) -> AppResult<TimeZone> {
        if let Some(zone) = self.fresh(organisation) {
            return Ok(zone);
        }
        let zone = uow
            .organisation(organisation)
            .await?
            .map(|o| o.time_zone)
            .unwrap_or_default();
        self.remember(organisation, zone.clone());
        Ok(zone)
    }

    /// The organisation's zone if read less than [`ZONE_TTL`] ago.
    pub fn fresh(&self, organisation: OrganisationId) -> Option<TimeZone> {
        self.lock()
            .get(&organisation)
            .filter(|(_, at)| at.elapsed() < ZONE_TTL)
            .map(|(zone, _)| zone.clone())
    }

    /// Keeps `zone` as the organisation's (after this process changed it).
    pub fn remember(&self, organisation: OrganisationId, zone: TimeZone) {
        self.lock().insert(organisation, (zone, Instant::now()));
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<OrganisationId, (TimeZone, Instant)>> {
        // Every write is one insert: a poisoned map is still whole.
        self.read.lock().unwrap_or_else(PoisonError::into_inner)
    }
}
