//! The access policy: roles, visibility, clients and organisations.

mod common;

use common::*;
use cube_domain::access::{
    AccessError, Figures, Permission, ReportKind, Role, RoleKind, RoleScopeError, User, authorize,
    can_see, performance_figures,
};
use cube_domain::assignment::Assignment;
use cube_domain::assignment::setup::Visibility;
use cube_domain::ids::{ClientId, DataOwnerId, UserId};
use cube_domain::values::Email;
use std::collections::BTreeSet;
use time::Date;
use time::macros::date;

const TODAY: Date = date!(2026 - 11 - 28);
const CLIENT: ClientId = ClientId::from_uuid(uuid::Uuid::from_u128(71));
const OTHER_CLIENT: ClientId = ClientId::from_uuid(uuid::Uuid::from_u128(72));

const ALL_REPORTS: [ReportKind; 6] = [
    ReportKind::Performance,
    ReportKind::Outcomes,
    ReportKind::Sales,
    ReportKind::Meetings,
    ReportKind::ActivityLimits,
    ReportKind::Customers,
];

fn user(n: u128, role: Role) -> User {
    User {
        phone: None,
        id: id(n),
        organisation: ORG,
        name: name("Kari Nordmann"),
        email: Email::parse("kari@example.no").expect("valid e-mail"),
        role,
        active: true,
    }
}

fn seller() -> User {
    User {
        id: SELLER,
        ..user(0, Role::Seller)
    }
}

fn manager_of(owners: &[DataOwnerId]) -> User {
    User {
        id: MANAGER,
        ..user(
            0,
            Role::Manager {
                data_owners: owners.iter().copied().collect(),
            },
        )
    }
}

fn client_user(client: ClientId) -> User {
    user(80, Role::Client { client })
}

fn assignment() -> Assignment {
    World::sales().assignment
}

fn visible(visibility: Visibility) -> Assignment {
    World::sales()
        .with_setup(|setup| setup.visibility = visibility)
        .assignment
}

fn for_client(client: ClientId) -> Assignment {
    let mut assignment = assignment();
    assignment.set_client(Some(client));
    assignment
}

fn of_other_organisation() -> Assignment {
    let flow = sales::flow();
    Assignment::new(id(29), OTHER_ORG, DATA_OWNER, name("Theirs"), &flow).expect("same owner")
}

fn every_permission(assignment: &Assignment) -> Vec<Permission<'_>> {
    let mut permissions = vec![
        Permission::ManageAssignment(assignment),
        Permission::WorkAssignment(assignment),
    ];
    permissions.extend(ALL_REPORTS.map(|kind| Permission::ViewReport(assignment, kind)));
    permissions
}

// --- sellers ---------------------------------------------------------------------------

#[test]
fn a_seller_reads_only_their_own_performance_figures_of_assignments_they_work() {
    let figures = performance_figures(&seller(), &assignment(), TODAY);
    assert_eq!(figures, Some(Figures::Own(SELLER)));
    let own = Figures::Own(SELLER);
    assert!(own.include(Some(SELLER)));
    assert!(!own.include(Some(OTHER_SELLER)));
    assert!(!own.include(None));
    let others_only = visible(Visibility {
        users: Some([OTHER_SELLER].into()),
        ..Visibility::default()
    });
    assert_eq!(performance_figures(&seller(), &others_only, TODAY), None);
    let manager = manager_of(&[assignment().data_owner()]);
    assert_eq!(
        performance_figures(&manager, &assignment(), TODAY),
        Some(Figures::Everyone)
    );
    assert_eq!(
        performance_figures(&seller(), &of_other_organisation(), TODAY),
        None
    );
}

#[test]
fn a_seller_works_an_assignment_visible_to_everyone() {
    assert_eq!(
        authorize(&seller(), Permission::WorkAssignment(&assignment()), TODAY),
        Ok(())
    );
}

#[test]
fn a_seller_never_works_an_assignment_not_listing_them() {
    let others_only = visible(Visibility {
        users: Some([OTHER_SELLER].into()),
        ..Visibility::default()
    });
    assert_eq!(
        authorize(&seller(), Permission::WorkAssignment(&others_only), TODAY),
        Err(AccessError::NotFound),
        "an assignment a seller cannot see is as good as absent"
    );
    assert!(!can_see(&seller(), &others_only, TODAY));
    let listed = visible(Visibility {
        users: Some([SELLER, OTHER_SELLER].into()),
        ..Visibility::default()
    });
    assert!(can_see(&seller(), &listed, TODAY));
}

#[test]
fn a_seller_never_works_an_assignment_outside_its_date_window() {
    let window = visible(Visibility {
        users: None,
        from: Some(date!(2026 - 12 - 01)),
        to: Some(date!(2026 - 12 - 31)),
    });
    for day in [date!(2026 - 11 - 30), date!(2027 - 01 - 01)] {
        assert_eq!(
            authorize(&seller(), Permission::WorkAssignment(&window), day),
            Err(AccessError::NotFound),
            "{day}"
        );
    }
    for day in [date!(2026 - 12 - 01), date!(2026 - 12 - 31)] {
        assert_eq!(
            authorize(&seller(), Permission::WorkAssignment(&window), day),
            Ok(()),
            "{day}: the window is inclusive"
        );
    }
}

#[test]
fn a_seller_learns_nothing_about_an_assignment_they_cannot_see() {
    let hidden = visible(Visibility {
        users: Some(BTreeSet::new()),
        ..Visibility::default()
    });
    assert_eq!(
        authorize(&seller(), Permission::ManageAssignment(&hidden), TODAY),
        Err(AccessError::NotFound)
    );
    assert_eq!(
        authorize(
            &seller(),
            Permission::ViewReport(&hidden, ReportKind::Performance),
            TODAY
        ),
        Err(AccessError::NotFound)
    );
}

#[test]
fn a_seller_neither_manages_nor_reads_reports() {
    let assignment = assignment();
    assert_eq!(
        authorize(&seller(), Permission::ManageAssignment(&assignment), TODAY),
        Err(AccessError::Forbidden)
    );
    for kind in ALL_REPORTS {
        assert_eq!(
            authorize(&seller(), Permission::ViewReport(&assignment, kind), TODAY),
            Err(AccessError::Forbidden)
        );
    }
    assert_eq!(
        authorize(
            &seller(),
            Permission::ManageDataOwner(ORG, DATA_OWNER),
            TODAY
        ),
        Err(AccessError::Forbidden)
    );
    assert_eq!(
        authorize(&seller(), Permission::ManageOrganisation, TODAY),
        Err(AccessError::Forbidden)
    );
}

// --- clients ---------------------------------------------------------------------------

#[test]
fn a_client_reads_the_four_client_reports_of_its_own_assignments() {
    let ours = for_client(CLIENT);
    let client = client_user(CLIENT);
    for kind in ALL_REPORTS {
        let expected = match kind {
            ReportKind::Performance
            | ReportKind::Sales
            | ReportKind::Outcomes
            | ReportKind::Customers => Ok(()),
            ReportKind::Meetings | ReportKind::ActivityLimits => Err(AccessError::Forbidden),
        };
        assert_eq!(
            authorize(&client, Permission::ViewReport(&ours, kind), TODAY),
            expected,
            "{kind:?}"
        );
    }
    assert!(can_see(&client, &ours, TODAY));
}

#[test]
fn a_client_sees_nothing_of_another_clients_assignment() {
    let client = client_user(CLIENT);
    for assignment in [for_client(OTHER_CLIENT), assignment()] {
        for permission in every_permission(&assignment) {
            assert_eq!(
                authorize(&client, permission, TODAY),
                Err(AccessError::NotFound),
                "{permission:?}"
            );
        }
        assert!(!can_see(&client, &assignment, TODAY));
    }
}

#[test]
fn a_client_never_manages_or_works_its_assignments() {
    let ours = for_client(CLIENT);
    let client = client_user(CLIENT);
    for permission in [
        Permission::ManageAssignment(&ours),
        Permission::WorkAssignment(&ours),
        Permission::ManageDataOwner(ORG, DATA_OWNER),
        Permission::ManageOrganisation,
    ] {
        assert_eq!(
            authorize(&client, permission, TODAY),
            Err(AccessError::Forbidden),
            "{permission:?}"
        );
    }
}

// --- managers and admins ---------------------------------------------------------------

#[test]
fn a_manager_is_limited_to_their_data_owners() {
    let assignment = assignment();
    let ours = manager_of(&[DATA_OWNER]);
    let theirs = manager_of(&[OTHER_DATA_OWNER]);
    for permission in every_permission(&assignment) {
        assert_eq!(
            authorize(&ours, permission, TODAY),
            Ok(()),
            "{permission:?}"
        );
        assert_eq!(
            authorize(&theirs, permission, TODAY),
            Err(AccessError::Forbidden),
            "{permission:?}"
        );
    }
    assert_eq!(
        authorize(&ours, Permission::ManageDataOwner(ORG, DATA_OWNER), TODAY),
        Ok(())
    );
    assert_eq!(
        authorize(
            &ours,
            Permission::ManageDataOwner(ORG, OTHER_DATA_OWNER),
            TODAY
        ),
        Err(AccessError::Forbidden)
    );
    assert_eq!(
        authorize(&ours, Permission::ManageOrganisation, TODAY),
        Err(AccessError::Forbidden)
    );
    assert!(can_see(&ours, &assignment, TODAY));
    assert!(!can_see(&theirs, &assignment, TODAY));
}

#[test]
fn an_admin_does_everything_in_the_organisation() {
    let admin = user(90, Role::Admin);
    let hidden = visible(Visibility {
        users: Some(BTreeSet::new()),
        ..Visibility::default()
    });
    for permission in every_permission(&hidden) {
        assert_eq!(
            authorize(&admin, permission, TODAY),
            Ok(()),
            "{permission:?}"
        );
    }
    assert_eq!(
        authorize(&admin, Permission::ManageOrganisation, TODAY),
        Ok(())
    );
}

// --- organisations and deactivation ----------------------------------------------------

#[test]
fn another_organisations_user_always_gets_not_found() {
    let theirs = of_other_organisation();
    let users = [
        user(90, Role::Admin),
        manager_of(&[DATA_OWNER]),
        seller(),
        client_user(CLIENT),
    ];
    let mut theirs_for_client = of_other_organisation();
    theirs_for_client.set_client(Some(CLIENT));
    for user in &users {
        for assignment in [&theirs, &theirs_for_client] {
            for permission in every_permission(assignment) {
                assert_eq!(
                    authorize(user, permission, TODAY),
                    Err(AccessError::NotFound),
                    "{:?} {permission:?}",
                    user.role
                );
            }
            assert!(!can_see(user, assignment, TODAY));
        }
        assert_eq!(
            authorize(
                user,
                Permission::ManageDataOwner(OTHER_ORG, DATA_OWNER),
                TODAY
            ),
            Err(AccessError::NotFound)
        );
    }
}

#[test]
fn an_inactive_user_is_forbidden_everything() {
    let assignment = for_client(CLIENT);
    let users = [
        user(90, Role::Admin),
        manager_of(&[DATA_OWNER]),
        seller(),
        client_user(CLIENT),
    ];
    for mut user in users {
        user.active = false;
        for permission in every_permission(&assignment) {
            assert_eq!(
                authorize(&user, permission, TODAY),
                Err(AccessError::Forbidden),
                "{:?} {permission:?}",
                user.role
            );
        }
        assert_eq!(
            authorize(&user, Permission::ManageOrganisation, TODAY),
            Err(AccessError::Forbidden)
        );
        assert!(!can_see(&user, &assignment, TODAY));
    }
}

#[test]
fn an_inactive_user_of_another_organisation_still_gets_not_found() {
    let mut seller = seller();
    seller.active = false;
    assert_eq!(
        authorize(
            &seller,
            Permission::WorkAssignment(&of_other_organisation()),
            TODAY
        ),
        Err(AccessError::NotFound)
    );
}

#[test]
fn only_the_four_client_reports_are_open_to_clients() {
    let open: Vec<ReportKind> = ALL_REPORTS
        .into_iter()
        .filter(|k| k.open_to_clients())
        .collect();
    assert_eq!(
        open,
        vec![
            ReportKind::Performance,
            ReportKind::Outcomes,
            ReportKind::Sales,
            ReportKind::Customers
        ]
    );
}

#[test]
fn user_ids_in_visibility_are_per_user() {
    let only_me = visible(Visibility {
        users: Some([SELLER].into()),
        ..Visibility::default()
    });
    let other = User {
        id: id::<UserId>(99),
        ..seller()
    };
    assert!(can_see(&seller(), &only_me, TODAY));
    assert!(!can_see(&other, &only_me, TODAY));
}

// --- roles and their scope; the stored shape --------------------------------------------

/// A manager as users have always been stored (sqlite and postgres `users.doc`): the role's
/// name beside a data owner list and an optional client.
const STORED_MANAGER: &str = r#"{"id":"00000000-0000-0000-0000-000000000021","organisation":"00000000-0000-0000-0000-000000000001","name":"Mona Manager","email":"kari@example.no","role":"Manager","data_owners":["00000000-0000-0000-0000-000000000029","00000000-0000-0000-0000-00000000002a"],"client":null,"active":true}"#;
/// A client user, stored.
const STORED_CLIENT: &str = r#"{"id":"00000000-0000-0000-0000-000000000050","organisation":"00000000-0000-0000-0000-000000000001","name":"Kari Nordmann","email":"kari@example.no","role":"Client","data_owners":[],"client":"00000000-0000-0000-0000-000000000047","active":true}"#;
/// A deactivated seller, stored.
const STORED_SELLER: &str = r#"{"id":"00000000-0000-0000-0000-00000000001f","organisation":"00000000-0000-0000-0000-000000000001","name":"Kari Nordmann","email":"kari@example.no","role":"Seller","data_owners":[],"client":null,"active":false}"#;

fn data_owner(n: u128) -> DataOwnerId {
    DataOwnerId::from_uuid(uuid::Uuid::from_u128(n))
}

#[test]
fn users_read_and_write_the_stored_shape_unchanged() {
    let manager = User {
        name: name("Mona Manager"),
        ..manager_of(&[data_owner(41), data_owner(42)])
    };
    let inactive_seller = User {
        active: false,
        ..seller()
    };
    for (stored, expected) in [
        (STORED_MANAGER, manager),
        (STORED_CLIENT, client_user(CLIENT)),
        (STORED_SELLER, inactive_seller),
    ] {
        let read: User = serde_json::from_str(stored).expect("a stored user reads back");
        assert_eq!(read, expected);
        assert_eq!(serde_json::to_string(&read).expect("serializes"), stored);
    }
}

#[test]
fn a_stored_client_user_without_a_client_is_refused_clearly() {
    let stored = STORED_CLIENT.replace(r#""00000000-0000-0000-0000-000000000047""#, "null");
    let error = serde_json::from_str::<User>(&stored).expect_err("no client");
    let message = error.to_string();
    assert!(
        message.contains("00000000-0000-0000-0000-000000000050")
            && message.contains("a client user needs the client it represents"),
        "{message}"
    );
}

#[test]
fn a_scope_stored_beside_a_role_without_one_is_dropped_on_reading() {
    // Users added before the role carried its scope could have them; access never read them.
    let stored = STORED_SELLER
        .replace(
            r#""data_owners":[]"#,
            r#""data_owners":["00000000-0000-0000-0000-000000000029"]"#,
        )
        .replace(
            r#""client":null"#,
            r#""client":"00000000-0000-0000-0000-000000000047""#,
        );
    let read: User = serde_json::from_str(&stored).expect("reads");
    assert_eq!(read.role, Role::Seller);
    assert_eq!(
        serde_json::to_string(&read).expect("serializes"),
        STORED_SELLER
    );
}

#[test]
fn a_role_is_built_only_with_the_scope_it_needs() {
    let owners = BTreeSet::from([DATA_OWNER]);
    assert_eq!(
        Role::scoped(RoleKind::Manager, owners.clone(), None),
        Ok(Role::Manager {
            data_owners: owners.clone()
        })
    );
    assert_eq!(
        Role::scoped(RoleKind::Client, BTreeSet::new(), Some(CLIENT)),
        Ok(Role::Client { client: CLIENT })
    );
    assert_eq!(
        Role::scoped(RoleKind::Seller, BTreeSet::new(), None),
        Ok(Role::Seller)
    );
    assert_eq!(
        Role::scoped(RoleKind::Admin, BTreeSet::new(), None),
        Ok(Role::Admin)
    );
    assert_eq!(
        Role::scoped(RoleKind::Manager, BTreeSet::new(), None),
        Err(RoleScopeError::ManagerWithoutDataOwners)
    );
    assert_eq!(
        Role::scoped(RoleKind::Client, BTreeSet::new(), None),
        Err(RoleScopeError::ClientWithoutClient)
    );
    assert_eq!(
        Role::scoped(RoleKind::Admin, owners.clone(), None),
        Err(RoleScopeError::DataOwnersOutsideManager(RoleKind::Admin))
    );
    assert_eq!(
        Role::scoped(RoleKind::Manager, owners, Some(CLIENT)),
        Err(RoleScopeError::ClientOutsideClientUser(RoleKind::Manager))
    );
    assert_eq!(
        Role::scoped(RoleKind::Seller, BTreeSet::new(), Some(CLIENT))
            .expect_err("a seller has no client")
            .to_string(),
        "only client users represent a client; a seller does not"
    );
    let manager = manager_of(&[DATA_OWNER]);
    assert_eq!(manager.role.kind(), RoleKind::Manager);
    assert_eq!(
        manager.role.data_owners(),
        Some(&BTreeSet::from([DATA_OWNER]))
    );
    assert_eq!(manager.role.client(), None);
    assert_eq!(client_user(CLIENT).role.client(), Some(CLIENT));
    assert_eq!(client_user(CLIENT).role.data_owners(), None);
}
