//! Contract cases for card requests kept under an `Idempotency-Key` (migration 0036): read
//! back whole by (user, key) and never another user's, a second keep under one key refused as
//! `Duplicate(RequestKey)` — also when two units race, one commits — undone with their unit,
//! and forgotten one by one or by age.

use crate::contract::{SharedStore, setup};
use crate::fixtures::T0;
use cube_domain::idempotency::{KeptRequest, RequestFingerprint, RequestKey};
use cube_domain::ids::UserId;
use cube_domain::ports::{StoreError, UniqueRule};
use time::Duration;
use uuid::Uuid;

fn kept(user: u128, key: &str, answer: &str, at: time::OffsetDateTime) -> KeptRequest {
    KeptRequest {
        user: UserId::from_uuid(Uuid::from_u128(0x4B_0000 + user)),
        key: RequestKey::parse(key).expect("key"),
        fingerprint: RequestFingerprint::of_parts("sms", &[answer]),
        answer: format!("{{\"answer\":\"{answer}\"}}"),
        at,
    }
}

/// A kept request is read back whole by its user and key, and only by them; the same key
/// kept again by its user is refused with `Duplicate(RequestKey)` (another user's same key is
/// theirs); a dropped unit keeps nothing; `forget_requests_before` forgets the older ones
/// only and counts them.
pub async fn request_keys_are_kept_once_per_user_and_key(store: SharedStore) {
    let _ = setup(store.as_ref(), 0).await;
    let first = kept(1, "klikk-1", "første", T0);
    let others = kept(2, "klikk-1", "annen bruker", T0 + Duration::hours(1));
    let mut uow = store.begin().await.expect("begin");
    uow.keep_request(&first).await.expect("keep");
    uow.keep_request(&others)
        .await
        .expect("another user's same key MUST be kept apart");
    uow.commit().await.expect("commit");

    let mut read = store.begin_read().await.expect("read");
    assert_eq!(
        read.kept_request(first.user, &first.key)
            .await
            .expect("read"),
        Some(first.clone()),
        "a kept request MUST read back whole"
    );
    assert_eq!(
        read.kept_request(first.user, &RequestKey::parse("klikk-2").expect("key"))
            .await
            .expect("read"),
        None
    );
    drop(read);

    let mut uow = store.begin().await.expect("begin");
    let again = kept(1, "klikk-1", "andre", T0 + Duration::minutes(1));
    assert_eq!(
        uow.keep_request(&again).await,
        Err(StoreError::Duplicate(UniqueRule::RequestKey)),
        "a user's key kept twice MUST be Duplicate(RequestKey)"
    );
    drop(uow);

    let mut uow = store.begin().await.expect("begin");
    uow.keep_request(&kept(1, "angret", "rullet tilbake", T0))
        .await
        .expect("keep");
    drop(uow);
    let mut read = store.begin_read().await.expect("read");
    assert_eq!(
        read.kept_request(first.user, &RequestKey::parse("angret").expect("key"))
            .await
            .expect("read"),
        None,
        "a dropped unit MUST keep nothing"
    );
    drop(read);

    // One request forgotten by its key: a retry with the key is a new request.
    let mut uow = store.begin().await.expect("begin");
    let failed = kept(3, "feilet", "ringte ikke", T0);
    uow.keep_request(&failed).await.expect("keep");
    uow.forget_request(failed.user, &failed.key)
        .await
        .expect("forget one");
    uow.forget_request(failed.user, &RequestKey::parse("aldri").expect("key"))
        .await
        .expect("forgetting none is no error");
    uow.keep_request(&failed)
        .await
        .expect("a forgotten key MUST be free again");
    uow.forget_request(failed.user, &failed.key)
        .await
        .expect("forget one");
    uow.commit().await.expect("commit");

    let mut uow = store.begin().await.expect("begin");
    assert_eq!(
        uow.forget_requests_before(T0 + Duration::minutes(30))
            .await
            .expect("forget"),
        1,
        "only the requests made before the instant are forgotten"
    );
    uow.commit().await.expect("commit");
    let mut read = store.begin_read().await.expect("read");
    assert_eq!(
        read.kept_request(first.user, &first.key)
            .await
            .expect("read"),
        None
    );
    assert_eq!(
        read.kept_request(others.user, &others.key)
            .await
            .expect("read"),
        Some(others)
    );
}

/// Units racing to keep one user's key: exactly one commits it, every other is refused with
/// `Duplicate(RequestKey)` (at the keep or at its commit), and the kept answer is the winner's.
pub async fn racing_units_keep_a_request_key_once(store: SharedStore) {
    let _ = setup(store.as_ref(), 0).await;
    let mut racers = Vec::new();
    for n in 0..8 {
        let store = store.clone();
        racers.push(tokio::spawn(async move {
            let request = kept(7, "dobbeltklikk", &format!("forsøk {n}"), T0);
            let mut uow = store.begin().await.expect("begin");
            match uow.keep_request(&request).await {
                Ok(()) => {}
                Err(error) => return Err(error),
            }
            // Time for the others to reach their keep while this unit is open.
            tokio::task::yield_now().await;
            uow.commit().await.map(|()| request.answer)
        }));
    }
    let mut won = Vec::new();
    for racer in racers {
        match racer.await.expect("no panic") {
            Ok(answer) => won.push(answer),
            Err(error) => assert_eq!(
                error,
                StoreError::Duplicate(UniqueRule::RequestKey),
                "a racing keep MUST be refused as Duplicate(RequestKey)"
            ),
        }
    }
    assert_eq!(won.len(), 1, "exactly one racing unit MUST keep the key");
    let mut read = store.begin_read().await.expect("read");
    let user = UserId::from_uuid(Uuid::from_u128(0x4B_0007));
    let kept_now = read
        .kept_request(user, &RequestKey::parse("dobbeltklikk").expect("key"))
        .await
        .expect("read")
        .expect("kept");
    assert_eq!(kept_now.answer, won[0]);
}
