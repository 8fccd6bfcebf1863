//! Reading what is set up, for those who set it up: a data owner's products and calendars, a
//! flow's draft and its published versions, an assignment's whole setup. Each read has the
//! access rule of the write it serves (admins, and managers of the data owner), so a screen
//! can fetch a thing, edit it and send it back; another organisation's id is "not found"
//! exactly like an unknown one.

use super::{managed_flow, managed_owner};
use crate::{Acting, AppResult, Cube, Need, acting};
use cube_domain::assignment::setup::AssignmentSetup;
use cube_domain::flow::{FlowDraft, FlowVersion, PublishedFlow};
use cube_domain::ids::{AssignmentId, DataOwnerId, FlowId};
use cube_domain::meeting::Calendar;
use cube_domain::product::Product;

impl Cube {
    /// The data owner's product catalogue, by name; products no longer sold are included
    /// (they can be resumed).
    pub async fn products(
        &self,
        who: impl Into<Acting<'_>>,
        owner_id: DataOwnerId,
    ) -> AppResult<Vec<Product>> {
        let mut uow = self.begin_read().await?;
        let user = acting(uow.as_mut(), who.into()).await?;
        let owner = managed_owner(uow.as_mut(), &user, owner_id, self.now().date()).await?;
        Ok(uow.products(owner.id()).await?)
    }

    /// The data owner's calendars, by name (ties by id).
    pub async fn calendars(
        &self,
        who: impl Into<Acting<'_>>,
        owner_id: DataOwnerId,
    ) -> AppResult<Vec<Calendar>> {
        let mut uow = self.begin_read().await?;
        let user = acting(uow.as_mut(), who.into()).await?;
        let owner = managed_owner(uow.as_mut(), &user, owner_id, self.now().date()).await?;
        let mut calendars = uow.calendars(owner.id()).await?;
        calendars.sort_by(|a, b| a.name.cmp(&b.name).then(a.id.cmp(&b.id)));
        Ok(calendars)
    }

    /// The flow's draft as the next edit starts from it: the stored draft, or, for a flow
    /// without one, its next version made from the newest published version (nothing is
    /// stored until the draft is saved). The same draft `check_flow_draft` checks.
    pub async fn flow_draft(
        &self,
        who: impl Into<Acting<'_>>,
        flow_id: FlowId,
    ) -> AppResult<FlowDraft> {
        let mut uow = self.begin_read().await?;
        let user = acting(uow.as_mut(), who.into()).await?;
        self.editable_draft(uow.as_mut(), &user, flow_id).await
    }

    /// The data owner's flow drafts (new flows not yet published, and next versions being
    /// edited), by name.
    pub async fn flow_drafts(
        &self,
        who: impl Into<Acting<'_>>,
        owner_id: DataOwnerId,
    ) -> AppResult<Vec<FlowDraft>> {
        let mut uow = self.begin_read().await?;
        let user = acting(uow.as_mut(), who.into()).await?;
        let owner = managed_owner(uow.as_mut(), &user, owner_id, self.now().date()).await?;
        let mut drafts = uow.flow_drafts(owner.id()).await?;
        drafts.sort_by(|a, b| a.name.cmp(&b.name).then(a.id.cmp(&b.id)));
        Ok(drafts)
    }

    /// One published (frozen) version of a flow of a data owner the user may set up.
    pub async fn published_flow(
        &self,
        who: impl Into<Acting<'_>>,
        version: FlowVersion,
    ) -> AppResult<PublishedFlow> {
        let mut uow = self.begin_read().await?;
        let user = acting(uow.as_mut(), who.into()).await?;
        managed_flow(uow.as_mut(), &user, version, self.now().date()).await
    }

    /// The assignment's whole setup, for those who may change it (sellers and clients use
    /// `assignment_overview`), so it can be read, edited and sent back to
    /// `update_assignment_setup`.
    pub async fn assignment_setup(
        &self,
        who: impl Into<Acting<'_>>,
        id: AssignmentId,
    ) -> AppResult<AssignmentSetup> {
        let mut uow = self.begin_read().await?;
        let user = acting(uow.as_mut(), who.into()).await?;
        let assignment = self
            .assignment_for(uow.as_mut(), &user, id, Need::Manage, self.now())
            .await?;
        Ok(assignment.setup().clone())
    }
}
