//! The outbox worker: a background task that, every `interval`, asks
//! `Cube::deliver_outbox` to send what the use cases enqueued (SMS started by outcomes,
//! e-mail, organisations' webhooks) through the server's gateways, and logs what could not be sent.
//!
//! - The gateways are the ones the configuration names ([`GatewayConfig`]): SMS to the log,
//!   a JSON webhook or a Twilio-style provider, paced to `--sms-rate`; e-mail to a mail
//!   server, a webhook or the log (the development default: nothing leaves the machine).
//! - A round that finds a full batch is followed by the next one at once; otherwise the
//!   worker sleeps `interval`. A failed round (the store is down) is logged and tried again
//!   after the interval.
//! - Refused and given-up messages are logged one by one at `warn` (they are kept as failed
//!   in the outbox, not tried again); deferred messages are summed up in one `warn` line a
//!   round, each at `debug`.
//! - Before each series of rounds it expires sales' written confirmations past their
//!   deadline (`Cube::expire_sale_confirmations`), which enqueues what the no-reply outcome
//!   sends in the same round.
//! - Every [`FORGET_KEYS_EVERY`] it forgets the card requests kept under their
//!   `Idempotency-Key` longer than two days (`Cube::forget_old_request_keys`), and the texts
//!   that answered no SMS flow and that no data owner claims, once 30 days old
//!   (`Cube::forget_unowned_texts`).
//! - [`Worker::stop`] signals the task and lets the round in progress finish for up to a
//!   grace period, then aborts it. Aborting is safe: delivery is at least once, so a message
//!   sent but not yet marked is sent again after the restart.

use cube_app::Cube;
use cube_app::outbox::DeliveryReport;
use cube_domain::assignment::setup::MailAccount;
use cube_domain::ports::{EmailGateway, SmsGateway, WebhookGateway};
use cube_gateways::{
    HttpSettings, LogEmailGateway, LogSmsGateway, MailAccounts, Paced, SendRate,
    SignedWebhookGateway, TwilioSettings, TwilioSmsGateway, WebhookEmailGateway, WebhookSetupError,
    WebhookSmsGateway, WebhookUrl,
};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// Messages per round.
const BATCH: u32 = 100;

/// How long a stopping server waits for the round in progress: one slow send (the
/// gateways' `timeout`), and a margin.
pub fn shutdown_grace(timeout: Duration) -> Duration {
    timeout.saturating_add(Duration::from_secs(5))
}

/// Which SMS provider the outbox sends through (`--sms-provider`).
#[derive(Debug, Clone)]
pub enum SmsProvider {
    /// The log (development: nothing leaves the machine).
    Log,
    /// JSON POSTs to this URL (`cube_gateways::webhook`).
    Webhook(WebhookUrl),
    /// A Twilio-style Messages API (`cube_gateways::twilio`).
    Twilio(TwilioSettings),
}

/// The outgoing-message configuration the gateways are built from.
#[derive(Debug, Clone)]
pub struct GatewayConfig {
    /// The SMS provider.
    pub sms: SmsProvider,
    /// The SMS provider's send rate, if limited.
    pub sms_rate: Option<SendRate>,
    /// E-mail as JSON POSTs to this URL, if given (and no mail server).
    pub email_webhook: Option<WebhookUrl>,
    /// E-mail through this mail server, if given.
    pub smtp: Option<cube_gateways::SmtpSettings>,
    /// The named outgoing mail accounts assignments may send through
    /// (`CUBE_SMTP_ACCOUNT_<NAME>`, `cube_gateways::mail_accounts`).
    pub mail_accounts: BTreeMap<MailAccount, cube_gateways::SmtpSettings>,
    /// The HTTP gateways' client: timeout and trusted roots. Organisations' own webhooks
    /// use the timeout with the system's roots (their endpoints are on the public
    /// internet, not the operator's private CA).
    pub http: HttpSettings,
}

impl Default for GatewayConfig {
    /// The development default: SMS and e-mail to the log.
    fn default() -> Self {
        Self {
            sms: SmsProvider::Log,
            sms_rate: None,
            email_webhook: None,
            smtp: None,
            mail_accounts: BTreeMap::new(),
            http: HttpSettings::default(),
        }
    }
}

/// The gateways the outbox is delivered through.
#[derive(Clone)]
pub struct Gateways {
    sms: Arc<dyn SmsGateway>,
    email: Arc<dyn EmailGateway>,
    /// Organisations' own webhooks, always on: an organisation without endpoints has none.
    webhooks: Arc<dyn WebhookGateway>,
}

impl std::fmt::Debug for Gateways {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Gateways").finish_non_exhaustive()
    }
}

impl Gateways {
    /// The SMS gateway the configuration names, paced to its rate.
    fn sms(config: &GatewayConfig) -> Result<Arc<dyn SmsGateway>, WebhookSetupError> {
        let sms: Arc<dyn SmsGateway> = match &config.sms {
            SmsProvider::Log => {
                tracing::info!("SMS are written to the log (--sms-provider log)");
                return Ok(Arc::new(LogSmsGateway::new()));
            }
            SmsProvider::Webhook(url) => {
                tracing::info!(%url, "SMS are posted to a webhook");
                Arc::new(WebhookSmsGateway::new(url.clone(), &config.http)?)
            }
            SmsProvider::Twilio(settings) => {
                tracing::info!(account = %settings, "SMS are sent through a Twilio-style Messages API");
                Arc::new(TwilioSmsGateway::new(settings.clone(), &config.http)?)
            }
        };
        Ok(match config.sms_rate {
            Some(rate) => {
                tracing::info!(%rate, "SMS are paced to the provider's send rate");
                Arc::new(Paced::new(sms, rate))
            }
            None => sms,
        })
    }

    /// The gateways for the configuration: the SMS provider it names; e-mail through the
    /// mail server when one is configured, else the e-mail webhook, else the log.
    pub fn for_config(config: &GatewayConfig) -> Result<Self, crate::ServerError> {
        let sms = Self::sms(config)?;
        let email: Arc<dyn EmailGateway> = match (&config.smtp, &config.email_webhook) {
            (Some(settings), _) => {
                tracing::info!(server = %settings, "e-mails are sent through the mail server");
                Arc::new(cube_gateways::SmtpEmailGateway::new(
                    settings,
                    config.http.timeout(),
                )?)
            }
            (None, Some(url)) => {
                tracing::info!(%url, "e-mails are posted to a webhook");
                Arc::new(WebhookEmailGateway::new(url.clone(), &config.http)?)
            }
            (None, None) => {
                tracing::info!("e-mails are written to the log (no --email-webhook)");
                Arc::new(LogEmailGateway::new())
            }
        };
        for (account, settings) in &config.mail_accounts {
            tracing::info!(%account, server = %settings, "the mail account's e-mails are sent through its mail server");
        }
        let email: Arc<dyn EmailGateway> = Arc::new(MailAccounts::new(
            email,
            &config.mail_accounts,
            config.http.timeout(),
        )?);
        let webhooks: Arc<dyn WebhookGateway> = Arc::new(SignedWebhookGateway::new(
            &HttpSettings::new(config.http.timeout()),
        )?);
        Ok(Self {
            sms,
            email,
            webhooks,
        })
    }
}

/// The running worker.
#[derive(Debug)]
pub struct Worker {
    stop: watch::Sender<bool>,
    task: JoinHandle<()>,
}

/// Starts the worker: a first round now, then one every `interval`.
pub fn spawn(cube: Cube, gateways: Gateways, interval: Duration) -> Worker {
    let (stop, stopped) = watch::channel(false);
    let task = tokio::spawn(run(cube, gateways, interval, stopped));
    Worker { stop, task }
}

impl Worker {
    /// Tells the worker to stop and waits for it: the round in progress may finish within
    /// `grace`, after which it is aborted (see the module doc).
    pub async fn stop(self, grace: Duration) {
        // An error means the task has ended already; waiting below still reports how.
        let _ = self.stop.send(true);
        let mut task = self.task;
        match tokio::time::timeout(grace, &mut task).await {
            Ok(Ok(())) => tracing::info!("the outbox worker stopped"),
            Ok(Err(error)) => tracing::error!(%error, "the outbox worker failed"),
            Err(_) => {
                task.abort();
                tracing::warn!(
                    grace_secs = grace.as_secs(),
                    "the outbox round did not finish in time and was abandoned; messages sent but not yet marked will be sent again"
                );
            }
        }
    }
}

/// One expiry sweep of sales' written confirmations (angrerettloven § 10): pending ones
/// past their deadline are expired and their no-reply outcome registered
/// (`Cube::expire_sale_confirmations`; safe beside another server's worker).
async fn sweep_sale_confirmations(cube: &Cube) {
    match cube.expire_sale_confirmations().await {
        Ok(round) if round.expired > 0 => tracing::info!(
            expired = round.expired,
            moved_on = round.registered,
            "sale confirmations expired without an answer"
        ),
        Ok(_) => {}
        Err(error) => {
            tracing::error!(%error, "the sale confirmation sweep failed; trying again later");
        }
    }
}

/// How often the worker forgets old `Idempotency-Key`s of card requests: they are kept two
/// days, so a few minutes late costs nothing, and a store is not written every round.
pub const FORGET_KEYS_EVERY: Duration = Duration::from_secs(600);

/// Forgets the card requests kept longer than two days.
async fn forget_old_request_keys(cube: &Cube) {
    match cube.forget_old_request_keys().await {
        Ok(0) => {}
        Ok(forgotten) => tracing::debug!(forgotten, "old Idempotency-Keys forgotten"),
        Err(error) => {
            tracing::error!(%error, "forgetting old Idempotency-Keys failed; trying again later");
        }
    }
}

/// Deletes the texts that answered no SMS flow and that no data owner claims (none had
/// contacted the number before they came), once they are
/// `cube_domain::sms::UNMATCHED_TEXT_DAYS` days old. The count only is logged: the texts are
/// personal data.
async fn forget_unowned_texts(cube: &Cube) {
    match cube.forget_unowned_texts().await {
        Ok(0) => {}
        Ok(forgotten) => {
            tracing::info!(forgotten, "texts no data owner claims deleted")
        }
        Err(error) => {
            tracing::error!(%error, "deleting old unowned texts failed; trying again later");
        }
    }
}

/// Delivery rounds until `stop` turns true; each rest starts with an expiry sweep of sales'
/// written confirmations (and, now and then, forgets old request keys and unowned texts).
async fn run(cube: Cube, gateways: Gateways, interval: Duration, mut stop: watch::Receiver<bool>) {
    let mut keys_forgotten: Option<tokio::time::Instant> = None;
    loop {
        sweep_sale_confirmations(&cube).await;
        if keys_forgotten.is_none_or(|at| at.elapsed() >= FORGET_KEYS_EVERY) {
            forget_old_request_keys(&cube).await;
            forget_unowned_texts(&cube).await;
            keys_forgotten = Some(tokio::time::Instant::now());
        }
        // Rounds back to back while they come back full, then a rest.
        loop {
            if *stop.borrow() {
                return;
            }
            match cube
                .deliver_outbox(
                    gateways.sms.as_ref(),
                    gateways.email.as_ref(),
                    gateways.webhooks.as_ref(),
                    BATCH,
                )
                .await
            {
                Ok(report) => {
                    log_round(&report);
                    let handled = report.delivered + report.rejected.len() + report.given_up.len();
                    if handled < BATCH as usize
                        || !report.retry.is_empty()
                        || report.blocked.is_some()
                    {
                        break;
                    }
                }
                Err(error) => {
                    tracing::error!(%error, "the outbox round failed; trying again later");
                    break;
                }
            }
        }
        tokio::select! {
            () = tokio::time::sleep(interval) => {}
            changed = stop.changed() => {
                // An error: the sender is gone, so nobody can ask any more; stop as well.
                if changed.is_err() || *stop.borrow() {
                    return;
                }
            }
        }
    }
}

fn log_round(report: &DeliveryReport) {
    if let Some(reason) = &report.blocked {
        tracing::error!(%reason, "a gateway is misconfigured; outbox messages wait until it is fixed");
    }
    if report.delivered > 0 {
        tracing::debug!(delivered = report.delivered, "outbox messages delivered");
    }
    for (id, reason) in &report.rejected {
        tracing::warn!(message = %id, %reason, "outbox message refused by the provider; kept as failed, not sent");
    }
    for (id, reason) in &report.given_up {
        tracing::warn!(message = %id, %reason, "outbox message given up on; kept as failed, not sent");
    }
    for (id, reason, attempts) in &report.retry {
        tracing::debug!(message = %id, %reason, attempts, "outbox message deferred");
    }
    if let Some((_, reason, _)) = report.retry.first() {
        tracing::warn!(
            deferred = report.retry.len(),
            first_reason = %reason,
            "outbox messages could not be sent; each is tried again after its back-off"
        );
    }
}

#[cfg(test)]
mod twilio_tests;
#[cfg(test)]
mod webhook_tests;

#[cfg(test)]
mod tests {
    use super::*;
    use async_trait::async_trait;
    use cube_domain::assignment::setup::{SmsFlow, SmsSender};
    use cube_domain::outcome::RegisterOutcome;
    use cube_domain::ports::{GatewayError, SmsMessage, Store};
    use cube_testkit::fixtures::{SalesFlow, T0, World};
    use cube_testkit::{FixedClock, MemoryStore, RecordingEmail, RecordingSms, SequentialIds};

    /// A cube over the in-memory store with the testkit's world, whose sales assignment
    /// sends an SMS with "No sale".
    pub(super) async fn cube_with_an_sms_flow() -> (Cube, World, Arc<dyn Store>, Arc<FixedClock>) {
        let store: Arc<dyn Store> = Arc::new(MemoryStore::new());
        let clock = Arc::new(FixedClock::new(T0));
        let ids = Arc::new(SequentialIds::new());
        let world = World::build(store.as_ref(), clock.as_ref(), ids.as_ref(), 2)
            .await
            .expect("the world builds");
        let cube = Cube::new(store.clone(), clock.clone(), ids);
        let mut setup = world.assignment.setup().clone();
        setup.communication.sms_sender = Some(SmsSender::Text("AcmeEnergi".into()));
        setup.sms_flows.insert(
            SalesFlow::O_NO_SALE,
            SmsFlow {
                template: "Takk for praten, {{ name }}!".into(),
                reply_window: time::Duration::hours(48),
                replies: Vec::new(),
            },
        );
        cube.update_assignment_setup(world.manager.id, world.assignment.id(), setup, None)
            .await
            .expect("the SMS flow is set up");
        (cube, world, store, clock)
    }

    /// A seller takes the next customer and registers "No sale", which queues the SMS.
    pub(super) async fn register_no_sale(cube: &Cube, world: &World) {
        let seller = world.seller(0);
        let item = cube
            .next_customer(seller, world.assignment.id())
            .await
            .expect("next")
            .expect("a customer");
        cube.register_outcome(
            seller,
            item.enrollment.id(),
            RegisterOutcome::new(SalesFlow::O_NO_SALE),
            None,
        )
        .await
        .expect("registered");
    }

    /// `sms` for SMS, a recording gateway for e-mail.
    fn recording(sms: Arc<dyn SmsGateway>) -> Gateways {
        Gateways {
            sms,
            email: Arc::new(RecordingEmail::new()),
            webhooks: Arc::new(cube_testkit::RecordingWebhooks::new()),
        }
    }

    pub(super) async fn pending(store: &dyn Store) -> usize {
        let mut uow = store.begin().await.expect("begin");
        uow.pending_messages(100).await.expect("pending").len()
    }

    /// Waits (in real time, the worker runs on its own) until `done`, or fails after 10 s.
    async fn eventually(what: &str, done: impl Fn() -> bool) {
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while !done() {
            assert!(std::time::Instant::now() < deadline, "never: {what}");
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }

    #[tokio::test]
    async fn an_sms_queued_by_a_registration_is_delivered_and_marked() {
        let (cube, world, store, _clock) = cube_with_an_sms_flow().await;
        let sms = Arc::new(RecordingSms::new());
        let gateways = recording(sms.clone());
        let worker = spawn(cube.clone(), gateways, Duration::from_millis(20));

        register_no_sale(&cube, &world).await;
        eventually("the SMS is sent", || !sms.sent().is_empty()).await;
        worker.stop(Duration::from_secs(5)).await;

        let sent = sms.sent();
        assert_eq!(sent.len(), 1, "sent once: {sent:?}");
        assert_eq!(sent[0].from, "AcmeEnergi");
        assert_eq!(sent[0].body, "Takk for praten, Customer 00000!");
        assert_eq!(
            Some(&sent[0].to),
            world.customers[0].details().phones.first()
        );
        assert_eq!(pending(store.as_ref()).await, 0, "marked delivered");
    }

    #[tokio::test]
    async fn a_provider_that_is_down_gets_the_message_in_a_later_round() {
        let (cube, world, store, clock) = cube_with_an_sms_flow().await;
        register_no_sale(&cube, &world).await;
        let sms = Arc::new(RecordingSms::new());
        sms.fail_next(2, GatewayError::Unavailable("down".into()));
        let gateways = recording(sms.clone());
        let worker = spawn(cube, gateways, Duration::from_millis(10));

        // Each failure defers the message (30 s, then 60 s by the cube's clock): move the
        // clock on while waiting so the back-off passes.
        eventually("the SMS is sent", || {
            clock.advance(time::Duration::seconds(20));
            !sms.sent().is_empty()
        })
        .await;
        worker.stop(Duration::from_secs(5)).await;

        assert_eq!(sms.attempts(), 3, "two failed rounds, then the send");
        assert_eq!(sms.sent().len(), 1);
        assert_eq!(pending(store.as_ref()).await, 0);
    }

    #[tokio::test]
    async fn a_resting_worker_stops_at_once() {
        let (cube, _world, _store, _clock) = cube_with_an_sms_flow().await;
        let gateways = recording(Arc::new(RecordingSms::new()));
        let worker = spawn(cube, gateways, Duration::from_secs(3600));
        tokio::time::sleep(Duration::from_millis(20)).await;
        let stopping = tokio::time::timeout(
            Duration::from_secs(5),
            worker.stop(Duration::from_secs(3600)),
        );
        stopping
            .await
            .expect("stops without waiting for the interval");
    }

    /// A provider that never answers.
    #[derive(Debug)]
    struct Silent;

    #[async_trait]
    impl SmsGateway for Silent {
        async fn send(&self, _: &str, _: &SmsMessage) -> Result<String, GatewayError> {
            std::future::pending().await
        }
    }

    #[tokio::test]
    async fn a_round_stuck_on_a_provider_is_abandoned_after_the_grace() {
        let (cube, world, store, _clock) = cube_with_an_sms_flow().await;
        register_no_sale(&cube, &world).await;
        let gateways = recording(Arc::new(Silent));
        let worker = spawn(cube, gateways, Duration::from_millis(10));
        tokio::time::sleep(Duration::from_millis(50)).await;
        tokio::time::timeout(
            Duration::from_secs(5),
            worker.stop(Duration::from_millis(100)),
        )
        .await
        .expect("the grace bounds the stop");
        assert_eq!(
            pending(store.as_ref()).await,
            1,
            "still there for the next start"
        );
    }

    #[test]
    fn without_urls_the_log_gateways_deliver() {
        assert!(Gateways::for_config(&GatewayConfig::default()).is_ok());
        let url = WebhookUrl::parse("http://127.0.0.1:9/sms").expect("valid");
        let config = GatewayConfig {
            sms: SmsProvider::Webhook(url.clone()),
            email_webhook: Some(url),
            ..GatewayConfig::default()
        };
        assert!(Gateways::for_config(&config).is_ok());
    }

    #[tokio::test]
    async fn a_mail_server_takes_the_place_of_the_email_log() {
        let smtp =
            cube_gateways::SmtpSettings::parse("smtp://127.0.0.1:2525?tls=none").expect("valid");
        let config = GatewayConfig {
            smtp: Some(smtp),
            ..GatewayConfig::default()
        };
        assert!(Gateways::for_config(&config).is_ok());
    }
}
