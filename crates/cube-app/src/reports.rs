//! Reports (being written).
use crate::AppResult;
use cube_domain::assignment::Assignment;
use cube_domain::assignment::setup::LimitMetric;
use cube_domain::ports::UnitOfWork;
use time::OffsetDateTime;

pub(crate) async fn reached_hard_stop(
    _uow: &mut dyn UnitOfWork,
    _assignment: &Assignment,
    _now: OffsetDateTime,
) -> AppResult<Option<LimitMetric>> {
    Ok(None)
}
