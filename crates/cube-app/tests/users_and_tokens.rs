//! Users and API tokens through the use cases: an admin adds a user with a first password in
//! one unit of work (a failure leaves neither), and issues API tokens for other users of the
//! organisation (integrations); nobody else issues tokens for anyone but themselves, and
//! another organisation's user is not found.

mod common;
mod faulty;

use common::Harness;
use cube_app::organisation::NewUser;
use cube_app::{AppError, Cube, ErrorKind};
use cube_domain::access::RoleKind;
use cube_domain::ids::UserId;
use cube_domain::ports::{Store, TokenKind};
use cube_testkit::fixtures::World;
use cube_testkit::{FixedClock, MemoryStore, SequentialIds};
use faulty::FaultyStore;
use std::collections::BTreeSet;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use time::Duration;

/// A token hash as the HTTP adapter makes them (hex SHA-256).
fn hash(n: u64) -> String {
    format!("{n:064x}")
}

fn new_user(email: &str) -> NewUser {
    NewUser {
        phone: None,
        name: "Ivar Integrasjon".into(),
        email: email.into(),
        role: RoleKind::Seller,
        data_owners: BTreeSet::new(),
        client: None,
    }
}

/// The admin of a second organisation.
async fn stranger(h: &Harness) -> UserId {
    let admin = NewUser {
        role: RoleKind::Admin,
        ..new_user("admin@other.example.no")
    };
    let (_, stranger) = h
        .cube
        .create_organisation("Other AS", admin)
        .await
        .expect("a second organisation");
    stranger.id
}

// ---- creating a user with a password ----

#[tokio::test]
async fn a_user_created_with_a_password_can_log_in_at_once() {
    let h = Harness::new(0).await;
    let admin = h.world.admin.id;
    let user = h
        .cube
        .create_user_with_password(admin, new_user("ivar@acme.example.no"), "$argon2id$hash")
        .await
        .expect("created");
    let (found, stored) = common::sole_login(&h.cube, "ivar@acme.example.no")
        .await
        .expect("read")
        .expect("the user has a password");
    assert_eq!(found, user);
    assert_eq!(stored, "$argon2id$hash");

    // Without one, the user exists but cannot log in yet.
    h.cube
        .create_user(admin, new_user("per@acme.example.no"))
        .await
        .expect("created");
    assert_eq!(
        common::sole_login(&h.cube, "per@acme.example.no").await,
        Ok(None)
    );
}

#[tokio::test]
async fn a_refused_user_with_a_password_leaves_nothing() {
    let h = Harness::new(0).await;
    let admin = h.world.admin.id;
    let before = h.cube.users(admin).await.expect("users").len();
    let taken = h.world.sellers[0].email.to_string();
    let cases = [
        (
            h.world.seller(0),
            new_user("a@acme.example.no"),
            "x",
            ErrorKind::Forbidden,
        ),
        (admin, new_user("not an e-mail"), "x", ErrorKind::Invalid),
        (
            admin,
            NewUser {
                role: RoleKind::Manager,
                ..new_user("b@acme.example.no")
            },
            "x",
            ErrorKind::Invalid,
        ),
        (
            admin,
            new_user("c@acme.example.no"),
            "  ",
            ErrorKind::Invalid,
        ),
        // A seller represents no client: the scope must fit the role.
        (
            admin,
            NewUser {
                client: Some(h.world.client),
                ..new_user("d@acme.example.no")
            },
            "x",
            ErrorKind::Invalid,
        ),
        (admin, new_user(&taken), "x", ErrorKind::Conflict),
    ];
    for (actor, new, password_hash, kind) in cases {
        let email = new.email.clone();
        let refused = h
            .cube
            .create_user_with_password(actor, new, password_hash)
            .await
            .expect_err("refused");
        assert_eq!(refused.kind(), kind, "{email}: {refused}");
    }
    assert_eq!(h.cube.users(admin).await.expect("users").len(), before);
}

/// An address is unique within an organisation, not across them: another organisation's
/// admin creates a user with an address taken elsewhere without learning that it is (no
/// conflict), and a login with that address finds both users, or the one of the named
/// organisation.
#[tokio::test]
async fn an_address_may_log_in_to_several_organisations() {
    let h = Harness::new(0).await;
    let seller = h.world.sellers[0].clone();
    h.cube
        .set_initial_password(seller.id, "$argon2id$ours")
        .await
        .expect("password");
    let stranger = stranger(&h).await;
    let shouted = seller.email.as_str().to_uppercase();
    let theirs = h
        .cube
        .create_user_with_password(stranger, new_user(&shouted), "$argon2id$theirs")
        .await
        .expect("another organisation's address is no conflict");
    assert_ne!(theirs.organisation, seller.organisation);

    let again = h
        .cube
        .create_user_with_password(stranger, new_user(seller.email.as_str()), "x")
        .await
        .expect_err("twice in one organisation");
    assert_eq!(again.kind(), ErrorKind::Conflict);

    let both = h
        .cube
        .login_credentials(seller.email.as_str(), None)
        .await
        .expect("read");
    let mut expected = vec![
        (seller.organisation, seller.id, "$argon2id$ours"),
        (theirs.organisation, theirs.id, "$argon2id$theirs"),
    ];
    expected.sort();
    let found: Vec<_> = both
        .iter()
        .map(|c| (c.user.organisation, c.user.id, c.password_hash.as_str()))
        .collect();
    assert_eq!(found, expected, "both logins, by organisation id");
    let theirs_named = both
        .iter()
        .find(|c| c.user.id == theirs.id)
        .expect("theirs");
    assert_eq!(theirs_named.organisation_name, "Other AS");

    let named = h
        .cube
        .login_credentials(&shouted, Some(theirs.organisation))
        .await
        .expect("read");
    assert_eq!(
        named.iter().map(|c| c.user.id).collect::<Vec<_>>(),
        vec![theirs.id],
        "the named organisation's login only"
    );
}

/// The storage fails while the password is being stored, after the user row was written:
/// the unit of work is dropped, so the user is not there either, and the e-mail is free.
#[tokio::test]
async fn a_failure_storing_the_password_leaves_no_user() {
    let memory = MemoryStore::new();
    let faulty = Arc::new(FaultyStore::over(memory.shared()));
    let clock = Arc::new(FixedClock::new(cube_testkit::fixtures::T0));
    let ids = Arc::new(SequentialIds::new());
    let world = World::build(&memory, clock.as_ref(), ids.as_ref(), 0)
        .await
        .expect("the world");
    let store: Arc<dyn Store> = faulty.clone();
    let cube = Cube::new(store, clock, ids);
    let admin = world.admin.id;
    let before = cube.users(admin).await.expect("users");

    faulty.fail_passwords.store(true, Ordering::SeqCst);
    let failed = cube
        .create_user_with_password(admin, new_user("ivar@acme.example.no"), "$argon2id$hash")
        .await
        .expect_err("the password table is down");
    assert_eq!(failed.kind(), ErrorKind::Unavailable);
    assert_eq!(cube.users(admin).await.expect("users"), before, "no user");
    assert_eq!(
        common::sole_login(&cube, "ivar@acme.example.no").await,
        Ok(None)
    );

    faulty.fail_passwords.store(false, Ordering::SeqCst);
    let user = cube
        .create_user_with_password(admin, new_user("ivar@acme.example.no"), "$argon2id$hash")
        .await
        .expect("the e-mail is free again");
    assert_eq!(
        cube.users(admin).await.expect("users").len(),
        before.len() + 1
    );
    assert_eq!(
        common::sole_login(&cube, "ivar@acme.example.no")
            .await
            .expect("read")
            .map(|(u, _)| u.id),
        Some(user.id)
    );
}

// ---- API tokens for other users ----

#[tokio::test]
async fn an_admin_issues_an_api_token_for_another_user_of_the_organisation() {
    let h = Harness::new(0).await;
    let admin = h.world.admin.id;
    let integration = h
        .cube
        .create_user(admin, new_user("crm@acme.example.no"))
        .await
        .expect("the integration's user");
    let token = h
        .cube
        .issue_api_token(admin, integration.id, &hash(1), None)
        .await
        .expect("issued");
    assert_eq!(token.user, integration.id);
    assert_eq!(token.kind, TokenKind::Api);
    assert_eq!(token.expires_at, None);
    let (user, _) = h.cube.authenticate(&hash(1)).await.expect("it works");
    assert_eq!(user.id, integration.id);

    // With a lifetime; and for oneself, as anyone.
    let token = h
        .cube
        .issue_api_token(admin, integration.id, &hash(2), Some(Duration::days(30)))
        .await
        .expect("issued");
    assert_eq!(token.expires_at, Some(h.now() + Duration::days(30)));
    let others = [
        h.world.seller(0),
        h.world.manager.id,
        h.world.client_user.id,
    ];
    for (n, anyone) in (10..).zip(others) {
        let own = h
            .cube
            .issue_api_token(anyone, anyone, &hash(n), None)
            .await
            .expect("one's own");
        assert_eq!(own.user, anyone);
    }

    // The admin revokes what they issued; the user's token stops working.
    h.cube.revoke_token(admin, &hash(1)).await.expect("revoked");
    assert_eq!(
        h.cube.authenticate(&hash(1)).await.map(|_| ()),
        Err(AppError::Unauthenticated)
    );
}

/// Issue 17: the external trigger's token opens external state changes and nothing else,
/// and is issued on the same terms as any API token (oneself, or another user as an admin).
#[tokio::test]
async fn a_token_scoped_to_the_external_trigger_authenticates_for_that_alone() {
    let h = Harness::new(0).await;
    let admin = h.world.admin.id;
    let shop = h
        .cube
        .create_user(admin, new_user("shop@acme.example.no"))
        .await
        .expect("the shop's user");
    let token = h
        .cube
        .issue_external_trigger_token(admin, shop.id, &hash(1), None)
        .await
        .expect("issued");
    assert_eq!(token.kind, TokenKind::ExternalTrigger);
    assert_eq!(token.user, shop.id);
    assert_eq!(
        h.cube.authenticate(&hash(1)).await.map(|_| ()),
        Err(AppError::TokenScope),
        "it opens no ordinary request"
    );
    assert_eq!(AppError::TokenScope.kind(), ErrorKind::Forbidden);
    let (user, _) = h
        .cube
        .authenticate_external_trigger(&hash(1))
        .await
        .expect("it opens the trigger");
    assert_eq!(user.id, shop.id);

    // Any working token opens the trigger; an unknown or revoked one does not.
    h.cube
        .issue_api_token(admin, admin, &hash(2), None)
        .await
        .expect("issued");
    assert!(h.cube.authenticate_external_trigger(&hash(2)).await.is_ok());
    assert_eq!(
        h.cube
            .authenticate_external_trigger(&hash(3))
            .await
            .map(|_| ()),
        Err(AppError::Unauthenticated)
    );
    h.cube.revoke_token(admin, &hash(1)).await.expect("revoked");
    assert_eq!(
        h.cube
            .authenticate_external_trigger(&hash(1))
            .await
            .map(|_| ()),
        Err(AppError::Unauthenticated)
    );

    // Another user's scoped token is an admin's to issue, as any API token.
    assert_eq!(
        h.cube
            .issue_external_trigger_token(h.world.manager.id, shop.id, &hash(4), None)
            .await
            .map(|_| ()),
        Err(AppError::Forbidden)
    );
}

#[tokio::test]
async fn only_admins_issue_tokens_for_others_and_only_in_their_organisation() {
    let h = Harness::new(0).await;
    let admin = h.world.admin.id;
    let seller = h.world.seller(0);
    for actor in [
        h.world.manager.id,
        h.world.seller(1),
        h.world.client_user.id,
    ] {
        assert_eq!(
            h.cube
                .issue_api_token(actor, seller, &hash(1), None)
                .await
                .map(|_| ()),
            Err(AppError::Forbidden)
        );
    }
    let stranger = stranger(&h).await;
    assert_eq!(
        h.cube
            .issue_api_token(stranger, seller, &hash(2), None)
            .await
            .map(|_| ()),
        Err(AppError::NotFound("user"))
    );
    assert_eq!(
        h.cube
            .issue_api_token(admin, stranger, &hash(3), None)
            .await
            .map(|_| ()),
        Err(AppError::NotFound("user"))
    );
    assert_eq!(
        h.cube
            .issue_api_token(seller, stranger, &hash(4), None)
            .await
            .map(|_| ()),
        Err(AppError::NotFound("user")),
        "another organisation's user is not found, whoever asks"
    );
    let unknown = UserId::from_uuid(uuid::Uuid::from_u128(0xfeed));
    assert_eq!(
        h.cube
            .issue_api_token(admin, unknown, &hash(5), None)
            .await
            .map(|_| ()),
        Err(AppError::NotFound("user"))
    );

    // A deactivated user gets no token; bad lifetimes are refused.
    h.cube
        .set_user_active(admin, seller, false)
        .await
        .expect("deactivated");
    let refused = h
        .cube
        .issue_api_token(admin, seller, &hash(6), None)
        .await
        .expect_err("deactivated");
    assert_eq!(refused.kind(), ErrorKind::Invalid);
    assert!(refused.to_string().contains("deactivated"), "{refused}");
    for ttl in [Duration::ZERO, Duration::days(-1), Duration::MAX] {
        let refused = h
            .cube
            .issue_api_token(admin, admin, &hash(7), Some(ttl))
            .await
            .expect_err("a bad lifetime");
        assert_eq!(refused.kind(), ErrorKind::Invalid, "{ttl}: {refused}");
        assert!(refused.to_string().contains("lifetime"), "{refused}");
    }
    // Nothing was issued by the refusals.
    for n in 1..=7 {
        assert_eq!(
            h.cube.authenticate(&hash(n)).await.map(|_| ()),
            Err(AppError::Unauthenticated),
            "token {n}"
        );
    }
}
