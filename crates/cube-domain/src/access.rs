//! Users, roles and the access policy as a pure function. Decision (DOMAIN.md): Admin does
//! everything in the organisation; Manager sets up and reports on given data owners; Seller
//! works the assignments visible to them; Client reads reports and exports of its
//! assignments. Nobody ever reaches another organisation's data: such a resource answers
//! `NotFound`, exactly as if it did not exist.

use crate::assignment::Assignment;
use crate::ids::{ClientId, DataOwnerId, OrganisationId, UserId};
use crate::time_zone::TimeZone;
use crate::values::{Email, Name, PhoneNumber};
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
    /// Where its days begin and end ("today" for My Work, reports, visibility dates).
    /// Documents stored before it existed read as [`TimeZone::DEFAULT`] (Europe/Oslo).
    #[serde(default)]
    pub time_zone: TimeZone,
    /// The numbers it may show as caller id on outgoing calls (its switchboard, its
    /// sellers' phones), in the order given, no repeats. A call shows only one of these
    /// (`call::caller_id_for`). Documents stored before it existed have none.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub caller_ids: Vec<PhoneNumber>,
}

/// A user's role, with the scope it needs: a manager's data owners, a client user's
/// client. Admins and sellers have neither, so a seller linked to a client or a client user
/// without one cannot be built.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Role {
    /// Everything in the organisation.
    Admin,
    /// Setup and reports of the given data owners.
    Manager {
        /// The data owners they manage (a new manager needs at least one).
        data_owners: BTreeSet<DataOwnerId>,
    },
    /// Works the assignments visible to them.
    Seller,
    /// Read-only reports and exports of the assignments of their client.
    Client {
        /// The client they represent.
        client: ClientId,
    },
}

/// A role without its scope: the name stored and asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum RoleKind {
    /// [`Role::Admin`].
    Admin,
    /// [`Role::Manager`].
    Manager,
    /// [`Role::Seller`].
    Seller,
    /// [`Role::Client`].
    Client,
}

impl std::fmt::Display for RoleKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            RoleKind::Admin => "an admin",
            RoleKind::Manager => "a manager",
            RoleKind::Seller => "a seller",
            RoleKind::Client => "a client user",
        })
    }
}

/// Why a role and its scope do not go together.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum RoleScopeError {
    /// A client user without a client.
    #[error("a client user needs the client it represents")]
    ClientWithoutClient,
    /// A manager without data owners.
    #[error("a manager needs at least one data owner to manage")]
    ManagerWithoutDataOwners,
    /// Data owners given to a role other than manager.
    #[error("only managers have data owners; {0} has none")]
    DataOwnersOutsideManager(RoleKind),
    /// A client given to a role other than client user.
    #[error("only client users represent a client; {0} does not")]
    ClientOutsideClientUser(RoleKind),
}

impl Role {
    /// The role of `kind` with the scope given, when they go together: a manager with at
    /// least one data owner and no client, a client user with a client and no data owners,
    /// an admin or seller with neither.
    pub fn scoped(
        kind: RoleKind,
        data_owners: BTreeSet<DataOwnerId>,
        client: Option<ClientId>,
    ) -> Result<Self, RoleScopeError> {
        if kind != RoleKind::Manager && !data_owners.is_empty() {
            return Err(RoleScopeError::DataOwnersOutsideManager(kind));
        }
        if kind != RoleKind::Client && client.is_some() {
            return Err(RoleScopeError::ClientOutsideClientUser(kind));
        }
        match kind {
            RoleKind::Admin => Ok(Role::Admin),
            RoleKind::Seller => Ok(Role::Seller),
            RoleKind::Manager if data_owners.is_empty() => {
                Err(RoleScopeError::ManagerWithoutDataOwners)
            }
            RoleKind::Manager => Ok(Role::Manager { data_owners }),
            RoleKind::Client => client
                .map(|client| Role::Client { client })
                .ok_or(RoleScopeError::ClientWithoutClient),
        }
    }

    /// The role without its scope.
    pub fn kind(&self) -> RoleKind {
        match self {
            Role::Admin => RoleKind::Admin,
            Role::Manager { .. } => RoleKind::Manager,
            Role::Seller => RoleKind::Seller,
            Role::Client { .. } => RoleKind::Client,
        }
    }

    /// A manager's data owners; `None` for the other roles.
    pub fn data_owners(&self) -> Option<&BTreeSet<DataOwnerId>> {
        match self {
            Role::Manager { data_owners } => Some(data_owners),
            _ => None,
        }
    }

    /// A client user's client; `None` for the other roles.
    pub fn client(&self) -> Option<ClientId> {
        match self {
            Role::Client { client } => Some(*client),
            _ => None,
        }
    }
}

/// A user. Stored as [`UserRecord`]'s JSON, the shape users have always been stored in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "UserRecord", into = "UserRecord")]
pub struct User {
    /// The id.
    pub id: UserId,
    /// The organisation.
    pub organisation: OrganisationId,
    /// The name.
    pub name: Name,
    /// The login e-mail.
    pub email: Email,
    /// The role, with its scope.
    pub role: Role,
    /// Deactivated users can do nothing.
    pub active: bool,
    /// The user's phone (E.164): what click-to-call rings first, and the caller id of an
    /// assignment that shows each seller's own number. Optional.
    pub phone: Option<PhoneNumber>,
}

/// A user as stored: the role's name beside a data owner list and an optional client, as
/// before the role carried its scope. Only [`User`]'s serde goes through it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserRecord {
    /// The id.
    pub id: UserId,
    /// The organisation.
    pub organisation: OrganisationId,
    /// The name.
    pub name: Name,
    /// The login e-mail.
    pub email: Email,
    /// The role's name.
    pub role: RoleKind,
    /// A manager's data owners; empty for the other roles.
    pub data_owners: BTreeSet<DataOwnerId>,
    /// A client user's client; `null` for the other roles.
    pub client: Option<ClientId>,
    /// Deactivated users can do nothing.
    pub active: bool,
    /// The user's phone; left out when none (users stored before it existed have none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<PhoneNumber>,
}

/// Why a stored user could not be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
#[error("stored user {user} is unreadable: {reason}")]
pub struct UnreadableUser {
    /// The user.
    pub user: UserId,
    /// What is wrong with its role.
    pub reason: RoleScopeError,
}

impl TryFrom<UserRecord> for User {
    type Error = UnreadableUser;

    /// Reads a stored user. A client user without a client is refused (it could never be
    /// created). Data owners or a client stored beside a role that has no use for them
    /// (users added before the role carried its scope could have them) are dropped: the
    /// access policy never read them, so the user keeps exactly the access they had. A
    /// manager stored without data owners reads as one who manages none.
    fn try_from(record: UserRecord) -> Result<Self, Self::Error> {
        let role = match record.role {
            RoleKind::Admin => Role::Admin,
            RoleKind::Seller => Role::Seller,
            RoleKind::Manager => Role::Manager {
                data_owners: record.data_owners,
            },
            RoleKind::Client => Role::Client {
                client: record.client.ok_or(UnreadableUser {
                    user: record.id,
                    reason: RoleScopeError::ClientWithoutClient,
                })?,
            },
        };
        Ok(User {
            phone: record.phone,
            id: record.id,
            organisation: record.organisation,
            name: record.name,
            email: record.email,
            role,
            active: record.active,
        })
    }
}

impl From<User> for UserRecord {
    fn from(user: User) -> Self {
        let kind = user.role.kind();
        let (data_owners, client) = match user.role {
            Role::Manager { data_owners } => (data_owners, None),
            Role::Client { client } => (BTreeSet::new(), Some(client)),
            Role::Admin | Role::Seller => (BTreeSet::new(), None),
        };
        UserRecord {
            id: user.id,
            organisation: user.organisation,
            name: user.name,
            email: user.email,
            role: kind,
            data_owners,
            client,
            active: user.active,
            phone: user.phone,
        }
    }
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
    let allowed = match (&user.role, permission) {
        (Role::Admin, _) => true,
        (Role::Manager { .. }, Permission::ManageOrganisation) => false,
        (Role::Manager { data_owners }, Permission::ManageDataOwner(_, owner)) => {
            data_owners.contains(&owner)
        }
        (
            Role::Manager { data_owners },
            Permission::ManageAssignment(a)
            | Permission::WorkAssignment(a)
            | Permission::ViewReport(a, _),
        ) => data_owners.contains(&a.data_owner()),
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
        // Another client's assignment (or one for no client) does not exist for a client.
        (
            Role::Client { client },
            Permission::ManageAssignment(a)
            | Permission::WorkAssignment(a)
            | Permission::ViewReport(a, _),
        ) if a.client() != Some(*client) => {
            return Err(AccessError::NotFound);
        }
        (Role::Client { .. }, Permission::ViewReport(_, kind)) => kind.open_to_clients(),
        (Role::Client { .. }, _) => false,
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
        Role::Admin | Role::Manager { .. } => Permission::ManageAssignment(assignment),
        Role::Seller => Permission::WorkAssignment(assignment),
        Role::Client { .. } => Permission::ViewReport(assignment, ReportKind::Performance),
    };
    authorize(user, probe, today).is_ok()
}
