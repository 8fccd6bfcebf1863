//! Authentication through the use cases, on the in-memory store: login credentials only for
//! active users with a password, the initial password set once, password changes by the
//! user or an admin (revoking the user's tokens), issuing and authenticating tokens (expiry,
//! deactivation) and revoking them, with the organisation boundary as "not found".

mod common;

use common::Harness;
use cube_app::{AppError, ErrorKind};
use cube_domain::ids::UserId;
use cube_domain::ports::TokenKind;
use time::Duration;

/// A token hash as the HTTP adapter makes them (hex SHA-256).
fn hash(n: u64) -> String {
    format!("{n:064x}")
}

/// The admin of a second organisation.
async fn stranger(h: &Harness) -> UserId {
    h.other_admin().await.id
}

/// A session of eight hours for `user`.
async fn session(h: &Harness, user: UserId, n: u64) -> String {
    h.cube
        .issue_token(user, &hash(n), TokenKind::Session, Some(Duration::hours(8)))
        .await
        .expect("a session for an active user");
    hash(n)
}

async fn authenticated(h: &Harness, token_hash: &str) -> Result<UserId, AppError> {
    h.cube
        .authenticate(token_hash)
        .await
        .map(|(user, _)| user.id)
}

#[tokio::test]
async fn login_credentials_are_only_for_active_users_with_a_password() {
    let h = Harness::new(0).await;
    let seller = &h.world.sellers[0];
    let email = seller.email.as_str();

    assert_eq!(
        common::sole_login(&h.cube, "nobody@example.no").await,
        Ok(None),
        "an unknown e-mail"
    );
    assert_eq!(
        common::sole_login(&h.cube, "not an e-mail").await,
        Ok(None),
        "a malformed e-mail is unknown too"
    );
    assert_eq!(
        common::sole_login(&h.cube, email).await,
        Ok(None),
        "a user without a password"
    );

    h.cube
        .set_initial_password(seller.id, "$argon2id$first")
        .await
        .expect("the first password");
    assert_eq!(
        common::sole_login(&h.cube, email).await,
        Ok(Some((seller.clone(), "$argon2id$first".to_owned())))
    );

    h.cube
        .set_user_active(h.world.admin.id, seller.id, false)
        .await
        .expect("deactivate");
    assert_eq!(
        common::sole_login(&h.cube, email).await,
        Ok(None),
        "a deactivated user cannot log in"
    );
}

#[tokio::test]
async fn the_initial_password_is_set_only_once() {
    let h = Harness::new(0).await;
    let admin = &h.world.admin;
    h.cube
        .set_initial_password(admin.id, "$argon2id$first")
        .await
        .expect("the first password");
    let again = h
        .cube
        .set_initial_password(admin.id, "$argon2id$second")
        .await
        .expect_err("a second initial password");
    assert_eq!(again.kind(), ErrorKind::Invalid);
    assert_eq!(
        common::sole_login(&h.cube, admin.email.as_str()).await,
        Ok(Some((admin.clone(), "$argon2id$first".to_owned()))),
        "the refused password changed nothing"
    );
    assert_eq!(
        h.cube
            .set_initial_password(UserId::from_uuid(uuid::Uuid::from_u128(0xDEAD)), "x")
            .await,
        Err(AppError::Unauthenticated),
        "an unknown user has no password to set"
    );
}

#[tokio::test]
async fn a_user_changes_their_own_password_and_their_tokens_are_revoked() {
    let h = Harness::new(0).await;
    let seller = &h.world.sellers[0];
    let other = h.world.seller(1);
    h.cube
        .set_initial_password(seller.id, "$argon2id$first")
        .await
        .expect("first");
    let mine = session(&h, seller.id, 1).await;
    let theirs = session(&h, other, 2).await;

    h.cube
        .set_password(seller.id, seller.id, "$argon2id$second")
        .await
        .expect("one's own password");
    assert_eq!(
        common::sole_login(&h.cube, seller.email.as_str()).await,
        Ok(Some((seller.clone(), "$argon2id$second".to_owned())))
    );
    assert_eq!(
        authenticated(&h, &mine).await,
        Err(AppError::Unauthenticated),
        "a changed password ends the user's sessions"
    );
    assert_eq!(
        authenticated(&h, &theirs).await,
        Ok(other),
        "other users' sessions go on"
    );
}

#[tokio::test]
async fn only_an_admin_of_the_organisation_sets_another_users_password() {
    let h = Harness::new(0).await;
    let seller = &h.world.sellers[0];
    h.cube
        .set_initial_password(seller.id, "$argon2id$first")
        .await
        .expect("first");
    let token = session(&h, seller.id, 1).await;

    for refused in [
        h.world.seller(1),
        h.world.manager.id,
        h.world.client_user.id,
    ] {
        assert_eq!(
            h.cube
                .set_password(refused, seller.id, "$argon2id$stolen")
                .await,
            Err(AppError::Forbidden),
            "only an admin sets another user's password"
        );
    }
    let stranger = stranger(&h).await;
    assert_eq!(
        h.cube
            .set_password(stranger, seller.id, "$argon2id$stolen")
            .await,
        Err(AppError::NotFound("user")),
        "another organisation's user is not found"
    );
    assert_eq!(
        common::sole_login(&h.cube, seller.email.as_str()).await,
        Ok(Some((seller.clone(), "$argon2id$first".to_owned()))),
        "the refusals changed nothing"
    );
    assert_eq!(authenticated(&h, &token).await, Ok(seller.id));

    h.cube
        .set_password(h.world.admin.id, seller.id, "$argon2id$reset")
        .await
        .expect("an admin resets it");
    assert_eq!(
        common::sole_login(&h.cube, seller.email.as_str()).await,
        Ok(Some((seller.clone(), "$argon2id$reset".to_owned())))
    );
    assert_eq!(
        authenticated(&h, &token).await,
        Err(AppError::Unauthenticated),
        "a reset password ends the user's sessions"
    );
}

#[tokio::test]
async fn issued_tokens_authenticate_until_they_expire() {
    let h = Harness::new(0).await;
    let seller = &h.world.sellers[0];
    let issued_at = h.now();
    let token = h
        .cube
        .issue_token(
            seller.id,
            &hash(1),
            TokenKind::Session,
            Some(Duration::hours(8)),
        )
        .await
        .expect("a session");
    assert_eq!(token.user, seller.id);
    assert_eq!(token.kind, TokenKind::Session);
    assert_eq!(token.created_at, issued_at);
    assert_eq!(token.expires_at, Some(issued_at + Duration::hours(8)));
    let api = h
        .cube
        .issue_token(seller.id, &hash(2), TokenKind::Api, None)
        .await
        .expect("an API token");
    assert_eq!(api.expires_at, None);

    assert_eq!(
        h.cube.authenticate(&hash(1)).await,
        Ok((seller.clone(), token.clone()))
    );
    assert_eq!(
        authenticated(&h, &hash(3)).await,
        Err(AppError::Unauthenticated),
        "an unknown token"
    );
    let taken = h
        .cube
        .issue_token(h.world.seller(1), &hash(1), TokenKind::Api, None)
        .await
        .expect_err("a hash that exists");
    assert_eq!(taken.kind(), ErrorKind::Conflict);

    h.clock.advance(Duration::hours(8) - Duration::seconds(1));
    assert_eq!(authenticated(&h, &hash(1)).await, Ok(seller.id));
    h.clock.advance(Duration::seconds(1));
    assert_eq!(
        authenticated(&h, &hash(1)).await,
        Err(AppError::Unauthenticated),
        "a session stops working when it expires"
    );
    h.clock.advance(Duration::days(365));
    assert_eq!(
        h.cube.authenticate(&hash(2)).await,
        Ok((seller.clone(), api)),
        "an API token works until revoked"
    );
}

#[tokio::test]
async fn a_deactivated_users_tokens_stop_working() {
    let h = Harness::new(0).await;
    let (first, second) = (&h.world.sellers[0], &h.world.sellers[1]);
    let deactivated = session(&h, first.id, 1).await;
    let kept = h
        .cube
        .issue_token(second.id, &hash(2), TokenKind::Api, None)
        .await
        .expect("an API token");

    h.cube
        .set_user_active(h.world.admin.id, first.id, false)
        .await
        .expect("deactivate");
    assert_eq!(
        authenticated(&h, &deactivated).await,
        Err(AppError::Unauthenticated)
    );
    assert_eq!(
        h.cube
            .issue_token(first.id, &hash(3), TokenKind::Session, None)
            .await,
        Err(AppError::Unauthenticated),
        "a deactivated user gets no token"
    );

    // A user marked inactive behind the use cases' back (tokens left in place) still cannot
    // authenticate: the user is checked on every request.
    let mut inactive = second.clone();
    inactive.active = false;
    let mut uow = h.store.begin().await.expect("begin");
    uow.save_user(&inactive).await.expect("save");
    uow.commit().await.expect("commit");
    let mut uow = h.store.begin().await.expect("begin");
    assert_eq!(uow.token(&kept.token_hash).await.expect("read"), Some(kept));
    drop(uow);
    assert_eq!(
        authenticated(&h, &hash(2)).await,
        Err(AppError::Unauthenticated)
    );
}

#[tokio::test]
async fn tokens_are_revoked_by_their_user_or_an_admin_of_the_organisation() {
    let h = Harness::new(0).await;
    let seller = h.world.seller(0);
    let admin = h.world.admin.id;
    let own = session(&h, seller, 1).await;
    let by_admin = session(&h, seller, 2).await;
    let admins = session(&h, admin, 3).await;

    h.cube
        .revoke_token(seller, &own)
        .await
        .expect("one's own token");
    assert_eq!(
        authenticated(&h, &own).await,
        Err(AppError::Unauthenticated),
        "a revoked token stops working"
    );
    assert_eq!(
        h.cube.revoke_token(seller, &own).await,
        Err(AppError::NotFound("token")),
        "a revoked token is gone"
    );

    for refused in [h.world.seller(1), h.world.manager.id] {
        assert_eq!(
            h.cube.revoke_token(refused, &by_admin).await,
            Err(AppError::Forbidden),
            "only an admin revokes another user's token"
        );
    }
    assert_eq!(
        h.cube.revoke_token(seller, &admins).await,
        Err(AppError::Forbidden)
    );
    let stranger = stranger(&h).await;
    assert_eq!(
        h.cube.revoke_token(stranger, &by_admin).await,
        Err(AppError::NotFound("token")),
        "another organisation's token is not found"
    );
    assert_eq!(authenticated(&h, &by_admin).await, Ok(seller));

    h.cube
        .revoke_token(admin, &by_admin)
        .await
        .expect("an admin revokes a user's token");
    assert_eq!(
        authenticated(&h, &by_admin).await,
        Err(AppError::Unauthenticated)
    );
    assert_eq!(
        h.cube.revoke_token(admin, &hash(99)).await,
        Err(AppError::NotFound("token")),
        "an unknown token"
    );
    assert_eq!(authenticated(&h, &admins).await, Ok(admin));
}
