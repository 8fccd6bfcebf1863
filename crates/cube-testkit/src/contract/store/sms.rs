//! SMS flows sent and the texts customers send back (`SmsReplyRepository`): what the
//! inbound SMS relies on to match a text to its flow, take a text posted twice once, and
//! act on one answer only; and sales' written confirmations (angrerettloven § 10): found by
//! number and deadline, decided once, listed, counted in a report window, kept without the
//! number after an erasure.

use super::duplicate;
use crate::contract::{SharedStore, at};
use cube_domain::ids::{
    AssignmentId, EnrollmentId, OutboxMessageId, OutcomeEventId, OutcomeId, SmsReplyId, StateId,
};
use cube_domain::ports::{RecordKind, UniqueRule};
use cube_domain::sms::{InboundSms, ReplyFate, SentSmsFlow, SmsReply};
use cube_domain::values::PhoneNumber;
use time::OffsetDateTime;
use uuid::Uuid;

fn phone(raw: &str) -> PhoneNumber {
    PhoneNumber::parse(raw).expect("valid number")
}

fn flow(n: u128, assignment: u128, to: &str, sent_at: OffsetDateTime) -> SentSmsFlow {
    SentSmsFlow {
        message: OutboxMessageId::from_uuid(Uuid::from_u128(0x5000 + n)),
        assignment: AssignmentId::from_uuid(Uuid::from_u128(0x6000 + assignment)),
        enrollment: EnrollmentId::from_uuid(Uuid::from_u128(0x7000 + n)),
        event: OutcomeEventId::from_uuid(Uuid::from_u128(0x8000 + n)),
        outcome: OutcomeId::from_uuid(Uuid::from_u128(0x9000)),
        state: StateId::from_uuid(Uuid::from_u128(0xa000)),
        to: phone(to),
        sender: format!("Sender{assignment}"),
        sent_at,
    }
}

fn reply(n: u128, provider_id: &str, flow: Option<&SentSmsFlow>, fate: ReplyFate) -> SmsReply {
    SmsReply {
        id: SmsReplyId::from_uuid(Uuid::from_u128(0xb000 + n)),
        inbound: InboundSms::new(
            provider_id,
            flow.map_or_else(|| phone("+4790000000"), |f| f.to.clone()),
            "Ja, gjerne – æøå 👍",
        )
        .expect("valid text"),
        received_at: at(100 + i64::try_from(n).expect("small")),
        flow: flow.cloned(),
        confirmation: None,
        fate,
    }
}

/// The flows sent to a number are found latest first by their time (not the order recorded); flows
/// are listed whole in the order recorded, a page at a time; a flow's message recorded twice
/// is `Duplicate(Id(SmsFlow))`; a dropped unit records nothing.
pub async fn sms_flows_are_found_by_number_and_listed_in_order(store: SharedStore) {
    let later = flow(1, 1, "+4791111111", at(30));
    let earlier = flow(2, 1, "+4791111111", at(10));
    let other = flow(3, 2, "+4792222222", at(20));
    let mut uow = store.begin().await.expect("begin");
    for f in [&later, &earlier, &other] {
        uow.record_sms_flow(f).await.expect("record");
    }
    uow.commit().await.expect("commit");

    let mut uow = store.begin().await.expect("begin");
    assert_eq!(
        uow.sms_flows_to(&phone("+4791111111"), 10)
            .await
            .expect("read"),
        vec![later.clone(), earlier.clone()],
        "sms_flows_to MUST give the flows sent to the number, whole, the latest first"
    );
    assert_eq!(
        uow.sms_flows_to(&phone("+4791111111"), 1)
            .await
            .expect("read"),
        vec![later.clone()],
        "at most `limit`"
    );
    assert_eq!(
        uow.sms_flows_to(&phone("+4792222222"), 10)
            .await
            .expect("read"),
        vec![other.clone()]
    );
    assert_eq!(
        uow.sms_flows_to(&phone("+4793333333"), 10)
            .await
            .expect("read"),
        Vec::new(),
        "a number no flow went to MUST have none"
    );
    assert_eq!(
        uow.sms_flows_after(None, 10).await.expect("page"),
        vec![later.clone(), earlier.clone(), other.clone()],
        "sms_flows_after MUST list every flow in the order recorded"
    );
    assert_eq!(
        uow.sms_flows_after(Some(later.message), 1)
            .await
            .expect("page"),
        vec![earlier.clone()]
    );
    assert_eq!(
        uow.sms_flows_after(Some(OutboxMessageId::from_uuid(Uuid::from_u128(1))), 10)
            .await
            .expect("page"),
        Vec::new(),
        "an unknown `after` MUST give no rows"
    );
    duplicate(
        uow.record_sms_flow(&flow(1, 9, "+4794444444", at(40)))
            .await,
        UniqueRule::Id(RecordKind::SmsFlow),
        "a flow whose message has one already",
    );
    drop(uow);

    let mut uow = store.begin().await.expect("begin");
    uow.record_sms_flow(&flow(4, 1, "+4791111111", at(50)))
        .await
        .expect("record");
    drop(uow);
    let mut uow = store.begin().await.expect("begin");
    assert_eq!(
        uow.sms_flows_to(&phone("+4791111111"), 10)
            .await
            .expect("read"),
        vec![later, earlier],
        "a flow recorded in a dropped unit MUST not be found"
    );
    assert_eq!(uow.sms_flows_after(None, 10).await.expect("page").len(), 3);
}

/// Received texts are kept whole once per provider message id (`Duplicate(SmsProviderId)`
/// for the second, the first kept as it was; `Duplicate(Id(SmsReply))` for an id taken),
/// found by that id, listed in the order kept — all, or those matched to one assignment's
/// flows — and a flow counts as answered only once a text registered its outcome.
pub async fn sms_replies_are_kept_once_and_listed_per_assignment(store: SharedStore) {
    let first = flow(1, 1, "+4791111111", at(10));
    let second = flow(2, 2, "+4792222222", at(10));
    let registered = reply(
        1,
        "SM-1",
        Some(&first),
        ReplyFate::Registered {
            outcome: first.outcome,
            event: OutcomeEventId::from_uuid(Uuid::from_u128(0xc001)),
        },
    );
    let unknown_number = reply(2, "SM-2", None, ReplyFate::UnknownNumber);
    let unknown_keyword = reply(3, "SM-3", Some(&second), ReplyFate::UnknownKeyword);
    let late = reply(4, "SM-4", Some(&first), ReplyFate::AlreadyAnswered);
    let mut uow = store.begin().await.expect("begin");
    for r in [&registered, &unknown_number, &unknown_keyword, &late] {
        uow.save_sms_reply(r).await.expect("save");
    }
    uow.commit().await.expect("commit");

    let mut uow = store.begin().await.expect("begin");
    assert_eq!(
        uow.sms_reply_by_provider_id("SM-3").await.expect("read"),
        Some(unknown_keyword.clone()),
        "a text MUST be found whole by its provider message id"
    );
    assert_eq!(
        uow.sms_reply_by_provider_id("SM-9").await.expect("read"),
        None
    );
    assert!(
        uow.sms_flow_answered(first.message).await.expect("read"),
        "a flow a text registered the outcome of MUST be answered"
    );
    assert!(
        !uow.sms_flow_answered(second.message).await.expect("read"),
        "a flow whose texts did not act MUST not be answered"
    );
    assert_eq!(
        uow.sms_replies_after(None, None, 10).await.expect("page"),
        vec![
            registered.clone(),
            unknown_number.clone(),
            unknown_keyword.clone(),
            late.clone()
        ],
        "sms_replies_after MUST list every text in the order kept"
    );
    assert_eq!(
        uow.sms_replies_after(Some(first.assignment), None, 10)
            .await
            .expect("page"),
        vec![registered.clone(), late.clone()],
        "with an assignment, only the texts matched to its flows"
    );
    assert_eq!(
        uow.sms_replies_after(None, Some(unknown_number.id), 1)
            .await
            .expect("page"),
        vec![unknown_keyword.clone()]
    );
    assert_eq!(
        uow.sms_replies_after(None, Some(SmsReplyId::from_uuid(Uuid::from_u128(1))), 10)
            .await
            .expect("page"),
        Vec::new(),
        "an unknown `after` MUST give no rows"
    );

    let posted_twice = SmsReply {
        id: SmsReplyId::from_uuid(Uuid::from_u128(0xbfff)),
        fate: ReplyFate::UnknownKeyword,
        ..registered.clone()
    };
    duplicate(
        uow.save_sms_reply(&posted_twice).await,
        UniqueRule::SmsProviderId,
        "a text whose provider message id is kept",
    );
    drop(uow);
    let mut uow = store.begin().await.expect("begin");
    let id_taken = SmsReply {
        inbound: InboundSms::new("SM-new", first.to.clone(), "ja").expect("valid"),
        ..registered.clone()
    };
    duplicate(
        uow.save_sms_reply(&id_taken).await,
        UniqueRule::Id(RecordKind::SmsReply),
        "a text whose id is taken",
    );
    drop(uow);
    let mut uow = store.begin().await.expect("begin");
    assert_eq!(
        uow.sms_reply_by_provider_id("SM-1").await.expect("read"),
        Some(registered),
        "a refused text MUST leave the first one as it was"
    );
    assert_eq!(
        uow.sms_replies_after(None, None, 10)
            .await
            .expect("page")
            .len(),
        4
    );
}

fn confirmation(
    n: u128,
    assignment: u128,
    to: Option<&str>,
    sent_at: OffsetDateTime,
) -> cube_domain::sale_confirmation::SaleConfirmation {
    use cube_domain::sale_confirmation::{ConfirmationStatus, SaleConfirmation};
    SaleConfirmation {
        id: cube_domain::ids::SaleConfirmationId::from_uuid(Uuid::from_u128(0xd000 + n)),
        assignment: AssignmentId::from_uuid(Uuid::from_u128(0x6000 + assignment)),
        event: OutcomeEventId::from_uuid(Uuid::from_u128(0xe000 + n)),
        sold_at: sent_at,
        enrollment: EnrollmentId::from_uuid(Uuid::from_u128(0x7000 + n)),
        customer: cube_domain::ids::CustomerId::from_uuid(Uuid::from_u128(0xf000 + n)),
        state: StateId::from_uuid(Uuid::from_u128(0xa000)),
        lines: vec![cube_domain::outcome::ProductLine {
            product: cube_domain::ids::ProductId::from_uuid(Uuid::from_u128(0x1)),
            quantity: 2,
            unit_price: rust_decimal::Decimal::new(49_900, 2),
            currency: cube_domain::product::Currency::parse("NOK").expect("valid"),
        }],
        message: OutboxMessageId::from_uuid(Uuid::from_u128(0x5100 + n)),
        channel: cube_domain::sale_confirmation::ConfirmationChannel::Sms,
        token_hash: None,
        terms_url: None,
        to: to.map(phone),
        sender: format!("Sender{assignment}"),
        sent_at,
        deadline: sent_at + time::Duration::hours(48),
        accept: vec!["JA".into()],
        refuse: vec!["NEI".into()],
        on_refusal: OutcomeId::from_uuid(Uuid::from_u128(0x9001)),
        on_no_reply: OutcomeId::from_uuid(Uuid::from_u128(0x9002)),
        status: if to.is_some() {
            ConfirmationStatus::Pending
        } else {
            ConfirmationStatus::Failed
        },
        decided_at: None,
    }
}

/// Sale confirmations: found by number (latest first, whatever their status) and by
/// deadline (pending ones only), decided once by the conditional update, listed per
/// assignment a page at a time, read by the sale's time for a report window, an id recorded
/// twice refused, and an erasure forgets only the number.
pub async fn sale_confirmations_are_found_decided_once_and_listed(store: SharedStore) {
    use cube_domain::sale_confirmation::ConfirmationStatus;
    let early = confirmation(1, 1, Some("+4791111111"), at(0));
    let late = confirmation(2, 1, Some("+4791111111"), at(60));
    let other = confirmation(3, 2, Some("+4792222222"), at(30));
    let failed = confirmation(4, 1, None, at(90));
    let mut uow = store.begin().await.expect("begin");
    for c in [&late, &early, &other, &failed] {
        uow.record_sale_confirmation(c).await.expect("record");
    }
    uow.commit().await.expect("commit");

    let mut uow = store.begin().await.expect("begin");
    assert_eq!(
        uow.sale_confirmations_to(&phone("+4791111111"), 10)
            .await
            .expect("read"),
        vec![late.clone(), early.clone()],
        "sale_confirmations_to MUST give the number's confirmations, the latest sent first"
    );
    assert_eq!(
        uow.sale_confirmations_to(&phone("+4791111111"), 1)
            .await
            .expect("read"),
        vec![late.clone()]
    );
    assert_eq!(
        uow.sale_confirmation(early.id).await.expect("read"),
        Some(early.clone())
    );
    assert_eq!(
        uow.due_sale_confirmations(early.deadline, 10)
            .await
            .expect("read"),
        Vec::new(),
        "a confirmation is not due at its deadline's instant"
    );
    let after_all = late.deadline + time::Duration::minutes(1);
    assert_eq!(
        uow.due_sale_confirmations(after_all, 10)
            .await
            .expect("read"),
        vec![early.clone(), other.clone(), late.clone()],
        "due_sale_confirmations MUST give the pending ones past their deadline, by deadline \
         (never a failed one)"
    );

    // Decided once: the second decision changes nothing.
    let decided_at = at(70);
    assert!(
        uow.decide_sale_confirmation(early.id, ConfirmationStatus::Confirmed, decided_at)
            .await
            .expect("decide")
    );
    assert!(
        !uow.decide_sale_confirmation(early.id, ConfirmationStatus::Expired, at(80))
            .await
            .expect("decide"),
        "deciding a confirmation no longer pending MUST change nothing and say so"
    );
    assert!(
        !uow.decide_sale_confirmation(failed.id, ConfirmationStatus::Confirmed, at(80))
            .await
            .expect("decide"),
        "a failed confirmation is not pending"
    );
    assert!(
        !uow.decide_sale_confirmation(
            cube_domain::ids::SaleConfirmationId::from_uuid(Uuid::from_u128(9)),
            ConfirmationStatus::Refused,
            at(80)
        )
        .await
        .expect("decide"),
        "an unknown confirmation is not decided"
    );
    uow.commit().await.expect("commit");

    let mut uow = store.begin().await.expect("begin");
    let confirmed = cube_domain::sale_confirmation::SaleConfirmation {
        status: ConfirmationStatus::Confirmed,
        decided_at: Some(decided_at),
        ..early.clone()
    };
    assert_eq!(
        uow.sale_confirmation(early.id).await.expect("read"),
        Some(confirmed.clone()),
        "a decided confirmation MUST read back with its status and time"
    );
    assert_eq!(
        uow.due_sale_confirmations(after_all, 10)
            .await
            .expect("read"),
        vec![other.clone(), late.clone()],
        "a decided confirmation is never due"
    );
    assert_eq!(
        uow.sale_confirmations_to(&phone("+4791111111"), 10)
            .await
            .expect("read"),
        vec![late.clone(), confirmed.clone()]
    );
    assert_eq!(
        uow.sale_confirmations_after(None, None, 10)
            .await
            .expect("page"),
        vec![
            late.clone(),
            confirmed.clone(),
            other.clone(),
            failed.clone()
        ],
        "sale_confirmations_after MUST list every confirmation in the order recorded"
    );
    assert_eq!(
        uow.sale_confirmations_after(Some(early.assignment), Some(late.id), 1)
            .await
            .expect("page"),
        vec![confirmed.clone()],
        "with an assignment, only its confirmations, after `after`"
    );
    assert_eq!(
        uow.sale_confirmations_after(
            None,
            Some(cube_domain::ids::SaleConfirmationId::from_uuid(
                Uuid::from_u128(9)
            )),
            10
        )
        .await
        .expect("page"),
        Vec::new(),
        "an unknown `after` MUST give no rows"
    );
    assert_eq!(
        uow.sale_confirmations_sold_between(&[early.assignment], at(0), at(90))
            .await
            .expect("window"),
        vec![late.clone(), confirmed.clone()],
        "the window is half open on the sale's time, and per assignment"
    );
    assert_eq!(
        uow.sale_confirmations_sold_between(&[early.assignment, other.assignment], at(1), at(91))
            .await
            .expect("window"),
        vec![late.clone(), other.clone(), failed.clone()]
    );
    duplicate(
        uow.record_sale_confirmation(&early).await,
        UniqueRule::Id(RecordKind::SaleConfirmation),
        "a sale confirmation whose id is taken",
    );
    drop(uow);

    // An erasure forgets the number, keeps the rest (the reports count it).
    let mut uow = store.begin().await.expect("begin");
    uow.erase_sms_of(&[late.enrollment]).await.expect("erase");
    uow.commit().await.expect("commit");
    let mut uow = store.begin().await.expect("begin");
    let erased = cube_domain::sale_confirmation::SaleConfirmation {
        to: None,
        ..late.clone()
    };
    assert_eq!(
        uow.sale_confirmation(late.id).await.expect("read"),
        Some(erased)
    );
    assert_eq!(
        uow.sale_confirmations_to(&phone("+4791111111"), 10)
            .await
            .expect("read"),
        vec![confirmed],
        "an erased number MUST no longer find the confirmation"
    );
}

/// A sale confirmation by e-mail is found by its answer token's hash (migration 0035),
/// whatever its status, and an erasure keeps it findable (the token is no personal data);
/// an SMS one has no token and no other hash finds anything.
pub async fn sale_confirmations_are_found_by_their_token_hash(store: SharedStore) {
    use cube_domain::sale_confirmation::{ConfirmationChannel, ConfirmationStatus};
    let by_sms = confirmation(11, 1, Some("+4793333333"), at(0));
    let by_email = cube_domain::sale_confirmation::SaleConfirmation {
        channel: ConfirmationChannel::Email,
        token_hash: Some("ab".repeat(32)),
        terms_url: Some("https://acme.example.no/vilkar".into()),
        to: None,
        status: ConfirmationStatus::Pending,
        sender: "salg@acme.example.no".into(),
        ..confirmation(12, 1, None, at(10))
    };
    let mut uow = store.begin().await.expect("begin");
    for c in [&by_sms, &by_email] {
        uow.record_sale_confirmation(c).await.expect("record");
    }
    uow.commit().await.expect("commit");
    let mut uow = store.begin().await.expect("begin");
    assert_eq!(
        uow.sale_confirmation_by_token(&"ab".repeat(32))
            .await
            .expect("read"),
        Some(by_email.clone()),
        "sale_confirmation_by_token MUST find the confirmation with the hash, channel and all"
    );
    assert_eq!(
        uow.sale_confirmation_by_token(&"cd".repeat(32))
            .await
            .expect("read"),
        None
    );
    assert!(
        uow.decide_sale_confirmation(by_email.id, ConfirmationStatus::Confirmed, at(20))
            .await
            .expect("decide")
    );
    uow.erase_sms_of(&[by_email.enrollment])
        .await
        .expect("erase");
    uow.commit().await.expect("commit");
    let mut uow = store.begin().await.expect("begin");
    let found = uow
        .sale_confirmation_by_token(&"ab".repeat(32))
        .await
        .expect("read")
        .expect("still found");
    assert_eq!(found.status, ConfirmationStatus::Confirmed);
    assert_eq!(found.decided_at, Some(at(20)));
    assert_eq!(found.channel, ConfirmationChannel::Email);
}
