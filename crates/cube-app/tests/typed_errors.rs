//! Issue 12, "Typed errors", through the use cases: each refusal that is the use cases' own
//! comes back as its typed variant (so a caller can match the rule, not parse a message),
//! keeps the words that say what to fix, and keeps its kind (`Invalid`, a 422 over HTTP).

mod common;

use common::{Harness, command, follow_up_at};
use cube_app::reports::Window;
use cube_app::{AccountError, AppError, ErrorKind, ReportError, TimeTrackingError, WorkError};
use cube_domain::my_work::TakeRefused;
use cube_testkit::fixtures::SalesFlow;
use time::Duration;

/// Asserts the error is `expected`, of kind `Invalid`, and says `words`.
fn refused(error: AppError, expected: AppError, words: &str) {
    assert_eq!(error, expected);
    assert_eq!(error.kind(), ErrorKind::Invalid, "{error}");
    assert!(error.to_string().contains(words), "{error}");
}

#[tokio::test]
async fn account_refusals_name_the_rule() {
    let h = Harness::new(0).await;
    let admin = h.world.admin.id;
    let seller = h.world.seller(0);

    h.cube
        .set_initial_password(admin, "$argon2id$first")
        .await
        .expect("the first password");
    refused(
        h.cube
            .set_initial_password(admin, "$argon2id$second")
            .await
            .expect_err("a second first password"),
        AccountError::PasswordAlreadySet.into(),
        "has a password already",
    );

    refused(
        h.cube
            .set_user_active(admin, admin, false)
            .await
            .expect_err("deactivating oneself"),
        AccountError::DeactivateSelf.into(),
        "cannot deactivate yourself",
    );

    refused(
        h.cube
            .issue_api_token(admin, admin, "ab", Some(Duration::ZERO))
            .await
            .expect_err("a token that never lives"),
        AccountError::TokenLifetimeNotPositive.into(),
        "more than zero",
    );
    refused(
        h.cube
            .issue_api_token(admin, admin, "ab", Some(Duration::MAX))
            .await
            .expect_err("a token past the end of time"),
        AccountError::TokenLifetimeTooLong.into(),
        "too long",
    );

    let deactivated = h
        .cube
        .set_user_active(admin, seller, false)
        .await
        .expect("deactivate the seller");
    refused(
        h.cube
            .issue_api_token(admin, seller, "cd", None)
            .await
            .expect_err("a token for a deactivated user"),
        AccountError::UserDeactivated {
            name: deactivated.name.to_string(),
        }
        .into(),
        "reactivate them",
    );
}

#[tokio::test]
async fn time_tracking_refusals_name_the_rule() {
    let h = Harness::new(0).await;
    let seller = h.world.seller(0);
    refused(
        h.cube.stop_time(seller).await.expect_err("no clock"),
        TimeTrackingError::NoClockRunning.into(),
        "no clock is running",
    );
    let now = h.now();
    refused(
        h.cube
            .add_time(
                seller,
                seller,
                h.world.assignment.id(),
                now - Duration::hours(1),
                now + Duration::hours(1),
            )
            .await
            .expect_err("hours in the future"),
        TimeTrackingError::InTheFuture.into(),
        "for the future",
    );
}

#[tokio::test]
async fn an_empty_report_window_is_refused() {
    let h = Harness::new(0).await;
    let now = h.now();
    refused(
        Window::new(now, now).expect_err("an empty window"),
        ReportError::EmptyWindow.into(),
        "must end after it starts",
    );
}

#[tokio::test]
async fn work_refusals_name_the_rule() {
    let h = Harness::new(2).await;
    let seller = h.world.seller(0);
    let item = h
        .cube
        .next_customer(seller, h.world.assignment.id())
        .await
        .expect("next")
        .expect("a customer");
    // A lead, then CallBackLater from that progress state: a personal follow-up.
    h.cube
        .register_outcome(
            seller,
            item.enrollment.id(),
            command(SalesFlow::O_LEAD),
            None,
        )
        .await
        .expect("lead");
    h.cube
        .take_customer(seller, item.enrollment.id())
        .await
        .expect("take from My Work");
    let mine = h
        .cube
        .register_outcome(
            seller,
            item.enrollment.id(),
            follow_up_at(
                command(SalesFlow::O_CALL_BACK_LATER),
                h.now() + Duration::hours(1),
            ),
            None,
        )
        .await
        .expect("a personal follow-up");
    assert_eq!(
        mine.enrollment.follow_up().and_then(|f| f.owner),
        Some(seller)
    );
    refused(
        h.cube
            .take_customer(h.world.seller(1), mine.enrollment.id())
            .await
            .expect_err("another seller's personal follow-up"),
        TakeRefused::AnothersPersonalFollowUp.into(),
        "another seller's personal follow-up",
    );

    refused(
        h.cube
            .external_state_change(h.world.admin.id, item.customer.id(), "Nowhere")
            .await
            .expect_err("no such state"),
        WorkError::NoStateNamed {
            state: "Nowhere".into(),
        }
        .into(),
        "state named 'Nowhere'",
    );
}
