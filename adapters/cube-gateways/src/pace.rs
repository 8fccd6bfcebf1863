//! A provider's send rate: SMS providers limit how many messages an account may send a
//! second (and answer `429`, or queue and delay, above it), so a burst in the outbox — a
//! hundred outcomes registered in a minute, a worker catching up after an outage — is spread
//! out by the gateway instead of being refused by the provider.
//!
//! [`Paced`] wraps any SMS gateway and starts its sends at most [`SendRate`] a second: each
//! send takes the next free slot, one interval (`1 / rate`) after the previous one, and
//! waits for it. Slots are handed out under a lock, so sends started side by side (two
//! rounds of the worker, or a future concurrent one) are spread out too; within one server
//! process the rate holds, across several processes each has its own (configure each
//! process's share). A send that fails still used its slot: the provider saw the request.
//!
//! The waiting uses tokio's clock, so tests run it with paused time.

use async_trait::async_trait;
use cube_domain::ports::{GatewayError, SmsGateway, SmsMessage};
use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::time::Instant;

/// The fewest messages a second a rate may be: at 0.1 a second, the ten messages of one
/// outbox claim (`cube_app::outbox::CLAIM_CHUNK`) are sent in 100 s, well inside the claim's
/// five minutes.
pub const MIN_RATE: f64 = 0.1;
/// The most messages a second a rate may be.
pub const MAX_RATE: f64 = 1000.0;

/// Messages a second, in [`MIN_RATE`, `MAX_RATE`]. The only way in is [`SendRate::parse`]
/// or [`SendRate::per_second`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SendRate(f64);

/// Why a send rate cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "the send rate '{0}' is not a number of messages a second from 0.1 to 1000 (e.g. 1, 10 or 0.5)"
)]
pub struct SendRateError(String);

impl SendRate {
    /// A rate of `messages` a second.
    pub fn per_second(messages: f64) -> Result<Self, SendRateError> {
        if messages.is_finite() && (MIN_RATE..=MAX_RATE).contains(&messages) {
            Ok(Self(messages))
        } else {
            Err(SendRateError(messages.to_string()))
        }
    }

    /// Parses a number of messages a second (`"10"`, `"0.5"`).
    pub fn parse(raw: &str) -> Result<Self, SendRateError> {
        let messages: f64 = raw
            .trim()
            .parse()
            .map_err(|_| SendRateError(raw.to_owned()))?;
        Self::per_second(messages).map_err(|_| SendRateError(raw.to_owned()))
    }

    /// The time between two sends.
    pub fn interval(self) -> Duration {
        Duration::from_secs_f64(1.0 / self.0)
    }
}

impl fmt::Display for SendRate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/s", self.0)
    }
}

/// An SMS gateway whose sends start at most [`SendRate`] a second (see the module doc).
pub struct Paced {
    inner: Arc<dyn SmsGateway>,
    interval: Duration,
    /// When the next send may start; `None` before the first.
    next: Mutex<Option<Instant>>,
}

impl fmt::Debug for Paced {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Paced")
            .field("interval", &self.interval)
            .finish_non_exhaustive()
    }
}

impl Paced {
    /// `inner`, at most `rate` sends a second.
    pub fn new(inner: Arc<dyn SmsGateway>, rate: SendRate) -> Self {
        Self {
            inner,
            interval: rate.interval(),
            next: Mutex::new(None),
        }
    }

    /// Takes the next free slot and waits for it.
    async fn wait_turn(&self) {
        let slot = {
            // A std mutex: held for two assignments, never across an await. A poisoned lock
            // (a panic elsewhere while holding it) still holds a valid instant.
            let mut next = self
                .next
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            let now = Instant::now();
            let slot = next.map_or(now, |next| next.max(now));
            *next = Some(slot + self.interval);
            slot
        };
        tokio::time::sleep_until(slot).await;
    }
}

#[async_trait]
impl SmsGateway for Paced {
    async fn send(&self, key: &str, message: &SmsMessage) -> Result<String, GatewayError> {
        self.wait_turn().await;
        self.inner.send(key, message).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cube_domain::values::PhoneNumber;

    /// Records when each send started (tokio's clock).
    #[derive(Debug, Default)]
    struct Stamps(Mutex<Vec<Instant>>);

    #[async_trait]
    impl SmsGateway for Stamps {
        async fn send(&self, key: &str, _: &SmsMessage) -> Result<String, GatewayError> {
            self.0.lock().expect("lock").push(Instant::now());
            Ok(format!("id-{key}"))
        }
    }

    fn message() -> SmsMessage {
        SmsMessage {
            from: "Acme".into(),
            to: PhoneNumber::parse("+4791234567").expect("valid"),
            body: "Hei".into(),
        }
    }

    #[test]
    fn a_rate_is_a_number_of_messages_a_second_in_range() {
        assert_eq!(
            SendRate::parse("4").map(SendRate::interval),
            Ok(Duration::from_millis(250))
        );
        assert_eq!(
            SendRate::parse(" 0.5 ").map(SendRate::interval),
            Ok(Duration::from_secs(2))
        );
        for bad in ["0", "-1", "0.05", "1001", "NaN", "inf", "fast", ""] {
            let error = SendRate::parse(bad).expect_err(bad);
            assert!(error.to_string().contains("messages a second"), "{error}");
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_burst_is_spread_out_to_the_rate() {
        let stamps = Arc::new(Stamps::default());
        let paced = Arc::new(Paced::new(
            stamps.clone(),
            SendRate::parse("5").expect("rate"),
        ));
        let start = Instant::now();
        // Ten sends at once (side by side), then two more one after the other.
        let mut burst = tokio::task::JoinSet::new();
        for n in 0..10 {
            let paced = paced.clone();
            burst.spawn(async move { paced.send(&format!("m-{n}"), &message()).await });
        }
        while let Some(sent) = burst.join_next().await {
            assert!(sent.expect("joined").is_ok());
        }
        paced.send("m-10", &message()).await.expect("sent");
        paced.send("m-11", &message()).await.expect("sent");

        let mut stamps = stamps.0.lock().expect("lock").clone();
        stamps.sort();
        assert_eq!(stamps.len(), 12);
        assert_eq!(stamps[0], start, "the first send waits for nothing");
        for pair in stamps.windows(2) {
            assert!(
                pair[1] - pair[0] >= Duration::from_millis(200),
                "sends {:?} apart",
                pair[1] - pair[0]
            );
        }
        // Eleven intervals (tokio's timer rounds each wait up to the millisecond).
        let took = stamps[11] - start;
        assert!(
            took >= Duration::from_millis(2200) && took < Duration::from_millis(2220),
            "{took:?}"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_gateway_at_rest_sends_at_once() {
        let stamps = Arc::new(Stamps::default());
        let paced = Paced::new(stamps.clone(), SendRate::parse("1").expect("rate"));
        paced.send("m-1", &message()).await.expect("sent");
        tokio::time::sleep(Duration::from_secs(30)).await;
        let before = Instant::now();
        paced.send("m-2", &message()).await.expect("sent");
        assert_eq!(
            stamps.0.lock().expect("lock")[1],
            before,
            "no wait after a rest"
        );
    }
}
