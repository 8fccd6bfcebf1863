//! The contract of an [`SmsGateway`], for any adapter: what the outbox worker relies on when
//! it hands a gateway a message (`cube_domain::ports::gateways`). Each case takes a fresh
//! [`SmsUnderTest`] — the gateway and a view of what reached its provider — and panics with a
//! message naming the broken rule.
//!
//! An adapter runs the suite with one line in a test file (or an example):
//!
//! ```text
//! cube_testkit::sms_gateway_contract_tests!(|| async { Box::new(MyHarness::new()) as Box<dyn SmsUnderTest> });
//! ```
//!
//! The rules:
//! - a message reaches the provider whole (sender, recipient, text with any letters, line
//!   breaks and emoji), with its key, and `send` answers a provider id that is not empty;
//! - every message gets a provider id of its own;
//! - a second `send` with the same key (a retry after a lost answer) is not delivered again
//!   and answers the first id;
//! - messages sent at once all arrive.

use async_trait::async_trait;
use cube_domain::ports::{SmsGateway, SmsMessage};
use cube_domain::values::PhoneNumber;
use std::collections::HashSet;
use std::sync::Arc;

/// An SMS gateway under test, and what reached its provider.
#[async_trait]
pub trait SmsUnderTest: Send + Sync {
    /// The gateway the cases send through.
    fn gateway(&self) -> &dyn SmsGateway;

    /// Every message the provider received, with the key it came with, in arrival order.
    async fn received(&self) -> Vec<(String, SmsMessage)>;
}

/// What every SMS contract case takes: a fresh gateway with nothing received yet.
pub type SmsHarness = Arc<dyn SmsUnderTest>;

fn message(n: u32, body: &str) -> SmsMessage {
    SmsMessage {
        from: "Cube".to_owned(),
        to: PhoneNumber::parse(&format!("+479{n:07}")).expect("a Norwegian mobile number"),
        body: body.to_owned(),
    }
}

/// A message reaches the provider whole, with its key, and `send` answers a provider id.
pub async fn a_message_reaches_the_provider_whole(harness: SmsHarness) {
    let sent = message(
        1,
        "Hei Åse! Takk for praten 😊\nVi ringer deg i morgen kl. 10:00 – «Strøm Fastpris».",
    );
    let id = harness
        .gateway()
        .send("message-1", &sent)
        .await
        .expect("a gateway that works sends the message");
    assert!(!id.trim().is_empty(), "send MUST answer the provider's id");
    assert_eq!(
        harness.received().await,
        vec![("message-1".to_owned(), sent)],
        "the provider MUST receive the message exactly as sent, with its key"
    );
}

/// Every message gets a provider id of its own, and arrives in sending order.
pub async fn every_message_gets_its_own_provider_id(harness: SmsHarness) {
    let mut ids = HashSet::new();
    let mut sent = Vec::new();
    for n in 1..=3 {
        let key = format!("message-{n}");
        let message = message(n, &format!("Melding nummer {n}"));
        let id = harness.gateway().send(&key, &message).await.expect("send");
        assert!(
            ids.insert(id),
            "each message MUST get a provider id of its own"
        );
        sent.push((key, message));
    }
    assert_eq!(harness.received().await, sent);
}

/// A retry with the same key (the answer to the first was lost) is not delivered twice, and
/// answers the first id.
pub async fn a_retry_with_the_same_key_is_delivered_once(harness: SmsHarness) {
    let sent = message(2, "Bekreftelse på avtalen din");
    let first = harness
        .gateway()
        .send("message-7", &sent)
        .await
        .expect("send");
    let again = harness
        .gateway()
        .send("message-7", &sent)
        .await
        .expect("a retry of a delivered message succeeds");
    assert_eq!(first, again, "a retry MUST answer the first provider id");
    assert_eq!(
        harness.received().await,
        vec![("message-7".to_owned(), sent)],
        "a retry with the same key MUST NOT be delivered a second time"
    );
}

/// Messages sent at once all arrive, each once.
pub async fn messages_sent_at_once_all_arrive(harness: SmsHarness) {
    let mut tasks = Vec::new();
    for n in 0..16 {
        let harness = Arc::clone(&harness);
        tasks.push(tokio::spawn(async move {
            harness
                .gateway()
                .send(
                    &format!("message-{n}"),
                    &message(n, &format!("Samtidig {n}")),
                )
                .await
        }));
    }
    for task in tasks {
        task.await.expect("the task").expect("send");
    }
    let received = harness.received().await;
    let keys: HashSet<String> = received.iter().map(|(key, _)| key.clone()).collect();
    assert_eq!(received.len(), 16, "every message MUST arrive exactly once");
    assert_eq!(keys.len(), 16, "every message MUST arrive exactly once");
}

/// Expands to one named test per SMS gateway contract case for the harness the factory
/// makes: `$factory` is callable with no arguments and returns a future of an
/// `Arc<dyn SmsUnderTest>` (fresh each call). Tests are named `sms_contract::<case>`.
#[macro_export]
macro_rules! sms_gateway_contract_tests {
    ($factory:expr $(,)?) => {
        $crate::__sms_contract_cases! {
            $factory;
            a_message_reaches_the_provider_whole,
            every_message_gets_its_own_provider_id,
            a_retry_with_the_same_key_is_delivered_once,
            messages_sent_at_once_all_arrive,
        }
    };
}

/// The expansion of [`sms_gateway_contract_tests!`]; not for direct use.
#[doc(hidden)]
#[macro_export]
macro_rules! __sms_contract_cases {
    ($factory:expr; $($case:ident),* $(,)?) => {
        mod sms_contract {
            #[allow(unused_imports)]
            use super::*;
            $(
                #[test]
                fn $case() {
                    $crate::contract::run(async {
                        let harness: $crate::contract::sms::SmsHarness = ($factory)().await;
                        $crate::contract::sms::$case(harness).await;
                    });
                }
            )*
        }
    };
}
