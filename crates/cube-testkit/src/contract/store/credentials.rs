//! Contract cases for credentials: password hashes (set, replace, read) and access tokens
//! (stored by hash; a second token with a hash that exists is `Duplicate`; revoked one at a
//! time or all of a user's at once). The store keeps expired tokens: whether a token still
//! works is the caller's check (`AccessToken::is_valid_at`).

use super::duplicate;
use crate::contract::{SharedStore, at, setup};
use cube_domain::ids::UserId;
use cube_domain::ports::{AccessToken, TokenKind, UniqueRule};
use time::OffsetDateTime;

/// A token hash as the HTTP adapter makes them: 64 lower-case hex digits (SHA-256).
fn hash(n: u64) -> String {
    format!("{n:064x}")
}

fn token(
    n: u64,
    user: UserId,
    kind: TokenKind,
    created_at: OffsetDateTime,
    expires_at: Option<OffsetDateTime>,
) -> AccessToken {
    AccessToken {
        token_hash: hash(n),
        user,
        kind,
        created_at,
        expires_at,
    }
}

/// A user's password hash is absent until set, read back as set, replaced by a second set,
/// and kept per user.
pub async fn password_hash_is_set_replaced_and_read(store: SharedStore) {
    let s = setup(store.as_ref(), 0).await;
    let (me, other) = (s.world.sellers[0].id, s.world.sellers[1].id);
    let first = "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$Zmlyc3Q";
    let second = "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$c2Vjb25k";

    let mut uow = store.begin().await.expect("begin");
    assert_eq!(uow.password_hash(me).await.expect("read"), None);
    uow.set_password_hash(me, first).await.expect("set");
    assert_eq!(
        uow.password_hash(me).await.expect("read"),
        Some(first.to_owned()),
        "a password hash MUST be readable in the unit that set it"
    );
    uow.commit().await.expect("commit");

    let mut uow = store.begin().await.expect("begin");
    assert_eq!(
        uow.password_hash(me).await.expect("read"),
        Some(first.to_owned())
    );
    uow.set_password_hash(me, second)
        .await
        .expect("setting again replaces");
    uow.commit().await.expect("commit");

    let mut uow = store.begin().await.expect("begin");
    assert_eq!(
        uow.password_hash(me).await.expect("read"),
        Some(second.to_owned()),
        "setting a password hash again MUST replace the old one"
    );
    assert_eq!(
        uow.password_hash(other).await.expect("read"),
        None,
        "a password hash belongs to one user"
    );
}

/// Tokens are read back whole by their hash (every kind, with and without an expiry); an
/// unknown hash is `None`; inserting a hash that exists MUST be `Duplicate(AccessTokenHash)` and leaves the
/// stored token as it was.
pub async fn tokens_round_trip_and_a_taken_hash_is_duplicate(store: SharedStore) {
    let s = setup(store.as_ref(), 0).await;
    let (me, other) = (s.world.sellers[0].id, s.world.sellers[1].id);
    let session = token(1, me, TokenKind::Session, at(0), Some(at(60)));
    let api = token(2, me, TokenKind::Api, at(5), None);
    let trigger = token(4, me, TokenKind::ExternalTrigger, at(6), Some(at(90)));

    let mut uow = store.begin().await.expect("begin");
    uow.insert_token(&session).await.expect("insert");
    uow.insert_token(&api).await.expect("insert");
    uow.insert_token(&trigger).await.expect("insert");
    assert_eq!(
        uow.token(&session.token_hash).await.expect("read"),
        Some(session.clone()),
        "a token MUST be readable in the unit that inserted it"
    );
    uow.commit().await.expect("commit");

    let mut uow = store.begin().await.expect("begin");
    assert_eq!(
        uow.token(&session.token_hash).await.expect("read"),
        Some(session.clone())
    );
    assert_eq!(
        uow.token(&api.token_hash).await.expect("read"),
        Some(api.clone())
    );
    assert_eq!(
        uow.token(&trigger.token_hash).await.expect("read"),
        Some(trigger),
        "a token scoped to the external trigger MUST keep its kind"
    );
    assert_eq!(uow.token(&hash(3)).await.expect("read"), None);
    let taken = token(1, other, TokenKind::Api, at(10), None);
    let result = uow.insert_token(&taken).await;
    duplicate(
        result,
        UniqueRule::AccessTokenHash,
        "a token hash that exists",
    );
    drop(uow);

    let mut uow = store.begin().await.expect("begin");
    assert_eq!(
        uow.token(&session.token_hash).await.expect("read"),
        Some(session),
        "a refused insert MUST leave the existing token as it was"
    );
}

/// `delete_token` removes one token and says whether it existed: `true`, then `false`.
pub async fn delete_token_says_whether_it_existed(store: SharedStore) {
    let s = setup(store.as_ref(), 0).await;
    let me = s.world.sellers[0].id;
    let gone = token(1, me, TokenKind::Session, at(0), Some(at(60)));
    let kept = token(2, me, TokenKind::Session, at(0), Some(at(60)));
    let mut uow = store.begin().await.expect("begin");
    uow.insert_token(&gone).await.expect("insert");
    uow.insert_token(&kept).await.expect("insert");
    uow.commit().await.expect("commit");

    let mut uow = store.begin().await.expect("begin");
    assert!(
        uow.delete_token(&gone.token_hash).await.expect("delete"),
        "deleting a stored token MUST return true"
    );
    assert_eq!(uow.token(&gone.token_hash).await.expect("read"), None);
    assert!(
        !uow.delete_token(&gone.token_hash).await.expect("delete"),
        "deleting it again MUST return false"
    );
    uow.commit().await.expect("commit");

    let mut uow = store.begin().await.expect("begin");
    assert_eq!(uow.token(&gone.token_hash).await.expect("read"), None);
    assert_eq!(
        uow.token(&kept.token_hash).await.expect("read"),
        Some(kept),
        "deleting one token MUST leave the others"
    );
    assert!(!uow.delete_token(&hash(99)).await.expect("delete"));
}

/// `delete_tokens_of` removes every token of the user, whatever its kind or expiry, returns
/// how many, and leaves other users' tokens.
pub async fn delete_tokens_of_counts_and_spares_other_users(store: SharedStore) {
    let s = setup(store.as_ref(), 0).await;
    let (me, other) = (s.world.sellers[0].id, s.world.sellers[1].id);
    let mine = [
        token(1, me, TokenKind::Session, at(0), Some(at(60))),
        token(2, me, TokenKind::Api, at(0), None),
        token(3, me, TokenKind::Session, at(-120), Some(at(-60))),
    ];
    let theirs = token(4, other, TokenKind::Session, at(0), Some(at(60)));
    let mut uow = store.begin().await.expect("begin");
    for t in mine.iter().chain([&theirs]) {
        uow.insert_token(t).await.expect("insert");
    }
    uow.commit().await.expect("commit");

    let mut uow = store.begin().await.expect("begin");
    assert_eq!(
        uow.delete_tokens_of(me).await.expect("delete"),
        3,
        "delete_tokens_of MUST count the tokens it removed"
    );
    uow.commit().await.expect("commit");

    let mut uow = store.begin().await.expect("begin");
    for t in &mine {
        assert_eq!(uow.token(&t.token_hash).await.expect("read"), None);
    }
    assert_eq!(
        uow.token(&theirs.token_hash).await.expect("read"),
        Some(theirs),
        "another user's tokens MUST be left"
    );
    assert_eq!(
        uow.delete_tokens_of(me).await.expect("delete"),
        0,
        "a user without tokens has none to remove"
    );
}

/// A dropped unit of work leaves no password and no token, and undoes a replaced password
/// and revoked tokens.
pub async fn dropped_unit_of_work_rolls_back_credentials(store: SharedStore) {
    let s = setup(store.as_ref(), 0).await;
    let (me, other) = (s.world.sellers[0].id, s.world.sellers[1].id);
    let kept = token(1, other, TokenKind::Api, at(0), None);
    let mut uow = store.begin().await.expect("begin");
    uow.set_password_hash(other, "old").await.expect("set");
    uow.insert_token(&kept).await.expect("insert");
    uow.commit().await.expect("commit");

    let fresh = token(2, me, TokenKind::Session, at(0), Some(at(60)));
    let mut uow = store.begin().await.expect("begin");
    uow.set_password_hash(me, "new").await.expect("set");
    uow.insert_token(&fresh).await.expect("insert");
    uow.set_password_hash(other, "replaced").await.expect("set");
    assert_eq!(uow.delete_tokens_of(other).await.expect("delete"), 1);
    drop(uow);

    let mut uow = store.begin().await.expect("begin");
    assert_eq!(
        uow.password_hash(me).await.expect("read"),
        None,
        "a password set in a dropped unit MUST NOT be stored"
    );
    assert_eq!(
        uow.token(&fresh.token_hash).await.expect("read"),
        None,
        "a token inserted in a dropped unit MUST NOT be stored"
    );
    assert_eq!(
        uow.password_hash(other).await.expect("read"),
        Some("old".to_owned())
    );
    assert_eq!(uow.token(&kept.token_hash).await.expect("read"), Some(kept));
    // The hash is free again: the dropped insert left nothing behind.
    uow.insert_token(&fresh).await.expect("insert again");
}

/// `token` returns an expired token too: the store does not judge validity.
pub async fn expired_tokens_are_still_returned(store: SharedStore) {
    let s = setup(store.as_ref(), 0).await;
    let me = s.world.sellers[0].id;
    let expired = token(1, me, TokenKind::Session, at(-120), Some(at(-60)));
    let mut uow = store.begin().await.expect("begin");
    uow.insert_token(&expired).await.expect("insert");
    uow.commit().await.expect("commit");

    let mut uow = store.begin().await.expect("begin");
    let read = uow.token(&expired.token_hash).await.expect("read");
    assert_eq!(
        read.as_ref(),
        Some(&expired),
        "an expired token MUST still be returned by `token`"
    );
    assert!(read.is_some_and(|t| !t.is_valid_at(at(0))));
}

/// `Store::token_holder` reads a token with its user as committed: the user as stored
/// (a deactivated one too: the caller checks), an expired token too, `None` for an unknown
/// hash, and nothing of a unit that was dropped. (Not called while a unit is open: a store
/// with one connection would wait for it.)
pub async fn token_holder_reads_the_committed_token_and_its_user(store: SharedStore) {
    let s = setup(store.as_ref(), 0).await;
    let (me, other) = (&s.world.sellers[0], &s.world.sellers[1]);
    let session = token(1, me.id, TokenKind::Session, at(0), Some(at(60)));
    let expired = token(2, other.id, TokenKind::Api, at(0), Some(at(1)));

    let mut uow = store.begin().await.expect("begin");
    uow.insert_token(&session).await.expect("insert");
    uow.insert_token(&expired).await.expect("insert");
    uow.commit().await.expect("commit");

    assert_eq!(
        store.token_holder(&session.token_hash).await.expect("read"),
        Some((session.clone(), me.clone())),
        "token_holder MUST return the token and the user it belongs to"
    );
    assert_eq!(
        store.token_holder(&expired.token_hash).await.expect("read"),
        Some((expired.clone(), other.clone())),
        "token_holder MUST return an expired token too: expiry is the caller's check"
    );
    assert_eq!(store.token_holder(&hash(3)).await.expect("read"), None);

    let mut deactivated = other.clone();
    deactivated.active = false;
    let mut uow = store.begin().await.expect("begin");
    uow.save_user(&deactivated).await.expect("save");
    uow.commit().await.expect("commit");
    assert_eq!(
        store.token_holder(&expired.token_hash).await.expect("read"),
        Some((expired, deactivated)),
        "token_holder MUST return the user as stored, deactivated or not"
    );

    let mut uow = store.begin().await.expect("begin");
    uow.insert_token(&token(4, me.id, TokenKind::Api, at(0), None))
        .await
        .expect("insert");
    drop(uow);
    assert_eq!(
        store.token_holder(&hash(4)).await.expect("read"),
        None,
        "a dropped unit's token MUST NOT be found"
    );
}
