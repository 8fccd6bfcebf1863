//! The outbox worker: every `interval` it asks `Cube::deliver_outbox` to send what the use
//! cases enqueued (SMS started by outcomes, e-mail), through the gateways the server was
//! given, and logs what could not be sent. It stops when the server shuts down; a round in
//! progress finishes first (a message is marked delivered right after it is sent).

use cube_app::Cube;
use cube_domain::ports::{EmailGateway, SmsGateway};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;

/// Messages per round.
const BATCH: u32 = 100;

/// Runs delivery rounds until `stop` turns true.
pub async fn run(
    cube: Cube,
    sms: Arc<dyn SmsGateway>,
    email: Arc<dyn EmailGateway>,
    interval: Duration,
    mut stop: watch::Receiver<bool>,
) {
    loop {
        // Deliver until a round finds less than a full batch, then wait.
        loop {
            match cube
                .deliver_outbox(sms.as_ref(), email.as_ref(), BATCH)
                .await
            {
                Ok(report) => {
                    for (id, reason) in &report.rejected {
                        tracing::warn!(message = %id, %reason, "outbox message refused by the provider");
                    }
                    for (id, reason) in &report.retry {
                        tracing::info!(message = %id, %reason, "outbox message left for the next round");
                    }
                    let handled = report.delivered + report.rejected.len();
                    if handled < BATCH as usize || !report.retry.is_empty() {
                        break;
                    }
                }
                Err(error) => {
                    tracing::error!(%error, "outbox round failed");
                    break;
                }
            }
            if *stop.borrow() {
                return;
            }
        }
        tokio::select! {
            () = tokio::time::sleep(interval) => {}
            changed = stop.changed() => {
                if changed.is_err() || *stop.borrow() {
                    return;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cube_domain::ids::OutboxMessageId;
    use cube_domain::ports::{OutboxMessage, OutboxPayload, SmsMessage, Store};
    use cube_domain::values::PhoneNumber;
    use cube_testkit::fixtures::{T0, World};
    use cube_testkit::{FixedClock, MemoryStore, RecordingEmail, RecordingSms, SequentialIds};

    #[tokio::test]
    async fn the_worker_delivers_what_is_enqueued_and_stops_when_told() {
        let store: Arc<dyn Store> = Arc::new(MemoryStore::new());
        let clock = Arc::new(FixedClock::new(T0));
        let ids = Arc::new(SequentialIds::new());
        let world = World::build(store.as_ref(), clock.as_ref(), ids.as_ref(), 1)
            .await
            .expect("world");
        let cube = Cube::new(store.clone(), clock, ids);
        let sms = Arc::new(RecordingSms::new());
        let (stop_tx, stop_rx) = watch::channel(false);
        let worker = tokio::spawn(run(
            cube,
            sms.clone(),
            Arc::new(RecordingEmail::new()),
            Duration::from_millis(10),
            stop_rx,
        ));
        let mut uow = store.begin().await.expect("begin");
        uow.enqueue(&OutboxMessage {
            id: OutboxMessageId::from_uuid(uuid::Uuid::from_u128(0x0B0C)),
            assignment: world.assignment.id(),
            enrollment: None,
            payload: OutboxPayload::Sms(SmsMessage {
                from: "Acme".into(),
                to: PhoneNumber::parse("+4791234567").expect("valid"),
                body: "Hei".into(),
            }),
            created_at: T0,
        })
        .await
        .expect("enqueue");
        uow.commit().await.expect("commit");
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while sms.sent().is_empty() {
            assert!(
                std::time::Instant::now() < deadline,
                "the worker delivered nothing"
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        stop_tx.send(true).expect("the worker listens");
        tokio::time::timeout(Duration::from_secs(5), worker)
            .await
            .expect("the worker stops when told")
            .expect("the worker did not panic");
        let mut uow = store.begin().await.expect("begin");
        assert!(uow.pending_messages(10).await.expect("pending").is_empty());
        assert_eq!(sms.sent().len(), 1);
    }
}
