//! Users, roles and the access policy as a pure function. Decision (DOMAIN.md): Admin does
//! everything in the organisation; Manager sets up and reports on given data owners; Seller
//! works the assignments visible to them; Client reads reports and exports of its
//! assignments. Nobody ever reaches another organisation's data: such a resource answers
//! `NotFound`, exactly as if it did not exist.

use crate::assignment::Assignment;
use crate::ids::{ClientId, DataOwnerId, OrganisationId, UserId};
use crate::values::{Email, Name};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use thiserror::Error;
use time::Date;

/// An organisation (tenant).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Organisation {
    /// The id.
    pub id: OrganisationId,
    /// The name.
    pub name: Name,
}

/// A user's role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Role {
    /// Everything in the organisation.
    Admin,
    /// Setup and reports of the data owners in `User::data_owners`.
    Manager,
    /// Works the assignments visible to them.
    Seller,
    /// Read-only reports and exports of the assignments of `User::client`.
    Client,
}

/// A user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    /// The id.
    pub id: UserId,
    /// The organisation.
    pub organisation: OrganisationId,
    /// The name.
    pub name: Name,
    /// The login e-mail.
    pub email: Email,
    /// The role.
    pub role: Role,
    /// For managers: the data owners they manage.
    pub data_owners: BTreeSet<DataOwnerId>,
    /// For client users: the client they represent.
    pub client: Option<ClientId>,
    /// Deactivated users can do nothing.
    pub active: bool,
}

/// A report a user may ask for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ReportKind {
    /// Activity and performance.
    Performance,
    /// Outcome counts and distribution.
    Outcomes,
    /// Open offers and sold products.
    Sales,
    /// Meetings.
    Meetings,
    /// Activity limits.
    ActivityLimits,
    /// Customer status, utilization, attempts, hit analysis.
    Customers,
}

impl ReportKind {
    /// The reports a client may read (seed 003: Performance, Sales, Call outcomes, Customers).
    pub fn open_to_clients(self) -> bool {
        matches!(
            self,
            ReportKind::Performance
                | ReportKind::Sales
                | ReportKind::Outcomes
                | ReportKind::Customers
        )
    }
}

/// What a user wants to do.
#[derive(Debug, Clone, Copy)]
pub enum Permission<'a> {
    /// Manage users and organisation-wide settings.
    ManageOrganisation,
    /// Set up a data owner: controller, fields, customers, products, flows, calendars.
    ManageDataOwner(OrganisationId, DataOwnerId),
    /// Set up an assignment, enroll customers, bulk actions.
    ManageAssignment(&'a Assignment),
    /// Work an assignment: next customer, register outcomes, own time entries.
    WorkAssignment(&'a Assignment),
    /// Read a report of an assignment (and export it).
    ViewReport(&'a Assignment, ReportKind),
}

/// Why access was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum AccessError {
    /// Another organisation's resource: answered as if it did not exist.
    #[error("not found")]
    NotFound,
    /// The user may see it but not do this.
    #[error("your role does not allow this")]
    Forbidden,
}

/// Decides whether `user` may do `permission` on `today`.
pub fn authorize(user: &User, permission: Permission<'_>, today: Date) -> Result<(), AccessError> {
    let organisation = match permission {
        Permission::ManageOrganisation => user.organisation,
        Permission::ManageDataOwner(organisation, _) => organisation,
        Permission::ManageAssignment(a)
        | Permission::WorkAssignment(a)
        | Permission::ViewReport(a, _) => a.organisation(),
    };
    if organisation != user.organisation {
        return Err(AccessError::NotFound);
    }
    if !user.active {
        return Err(AccessError::Forbidden);
    }
    let allowed = match (user.role, permission) {
        (Role::Admin, _) => true,
        (Role::Manager, Permission::ManageOrganisation) => false,
        (Role::Manager, Permission::ManageDataOwner(_, owner)) => user.data_owners.contains(&owner),
        (
            Role::Manager,
            Permission::ManageAssignment(a)
            | Permission::WorkAssignment(a)
            | Permission::ViewReport(a, _),
        ) => user.data_owners.contains(&a.data_owner()),
        // A seller who cannot see the assignment learns nothing about it.
        (
            Role::Seller,
            Permission::WorkAssignment(a)
            | Permission::ManageAssignment(a)
            | Permission::ViewReport(a, _),
        ) if !a.visible_to(user.id, today) => {
            return Err(AccessError::NotFound);
        }
        (Role::Seller, Permission::WorkAssignment(_)) => true,
        (Role::Seller, _) => false,
        (Role::Client, Permission::ViewReport(a, kind)) => {
            if user.client.is_none() || a.client() != user.client {
                return Err(AccessError::NotFound);
            }
            kind.open_to_clients()
        }
        (Role::Client, Permission::ManageAssignment(a) | Permission::WorkAssignment(a))
            if user.client.is_none() || a.client() != user.client =>
        {
            return Err(AccessError::NotFound);
        }
        (Role::Client, _) => false,
    };
    if allowed {
        Ok(())
    } else {
        Err(AccessError::Forbidden)
    }
}

/// Whose results of an assignment a user reads in the performance report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Figures {
    /// Every user's: whoever may read the assignment's Performance report.
    Everyone,
    /// Only this user's own: a seller working the assignment (DOMAIN.md's performance
    /// criteria are per user, so a seller follows their own achievement).
    Own(UserId),
}

impl Figures {
    /// Whether results registered by `registrar` (`None`: SMS replies, integrations) are
    /// in these figures.
    pub fn include(self, registrar: Option<UserId>) -> bool {
        match self {
            Figures::Everyone => true,
            Figures::Own(user) => registrar == Some(user),
        }
    }
}

/// Whose figures of `assignment` `user` reads in the performance report on `today`;
/// `None` when none at all.
pub fn performance_figures(user: &User, assignment: &Assignment, today: Date) -> Option<Figures> {
    if authorize(
        user,
        Permission::ViewReport(assignment, ReportKind::Performance),
        today,
    )
    .is_ok()
    {
        return Some(Figures::Everyone);
    }
    (user.role == Role::Seller
        && authorize(user, Permission::WorkAssignment(assignment), today).is_ok())
    .then_some(Figures::Own(user.id))
}

/// Whether `user` sees `assignment` in lists at all (the assignment list filters with this).
pub fn can_see(user: &User, assignment: &Assignment, today: Date) -> bool {
    let probe = match user.role {
        Role::Admin | Role::Manager => Permission::ManageAssignment(assignment),
        Role::Seller => Permission::WorkAssignment(assignment),
        Role::Client => Permission::ViewReport(assignment, ReportKind::Performance),
    };
    authorize(user, probe, today).is_ok()
}
