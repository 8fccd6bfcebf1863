//! The SMTP gateway against a real SMTP conversation on loopback: a small server in the test
//! that speaks enough SMTP (EHLO, AUTH PLAIN, MAIL, RCPT, DATA, QUIT) to take a message,
//! keep what it received, or answer as told (a refused recipient, a full mailbox, a refused
//! login). What arrives is read back as a mail reader would: headers, the RFC 2047 subject,
//! the base64 parts.

use cube_domain::ports::{EmailGateway, EmailMessage, GatewayError};
use cube_domain::values::Email;
use cube_gateways::smtp::{SmtpEmailGateway, SmtpSettings};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use cube_gateways::testing::{
    SmtpScript as Script, mail_part as part, mail_subject as subject_of, smtp_server,
};

/// Starts the stand-in; its port and what it received.
async fn server(script: Script) -> (u16, Arc<Mutex<Vec<String>>>) {
    smtp_server(script).await
}

fn message() -> EmailMessage {
    EmailMessage {
        from: Email::parse("salg@kraft.example.no").expect("from"),
        to: Email::parse("kari@kunde.example.no").expect("to"),
        subject: "Bekreftelse på kjøp – Strøm Fastpris".to_owned(),
        html: "<h1>Takk, Kari!</h1><p>Du har kjøpt <b>Strøm Fastpris</b> til 499,00 kr. Blåbærsyltetøy følger med.</p>"
            .to_owned(),
        account: None,
    }
}

fn gateway(url: &str) -> SmtpEmailGateway {
    let settings = SmtpSettings::parse(url).expect("url");
    SmtpEmailGateway::new(&settings, Duration::from_secs(5)).expect("gateway")
}

#[tokio::test]
async fn a_message_arrives_whole_with_norwegian_letters_and_its_key_as_message_id() {
    let (port, received) = server(Script::Accept).await;
    let sent = gateway(&format!("smtp://127.0.0.1:{port}?tls=none"))
        .send("01a24a5b-0000-7000-8000-000000000001", &message())
        .await
        .expect("sent");
    assert_eq!(
        sent,
        "<01a24a5b-0000-7000-8000-000000000001@kraft.example.no>"
    );
    let raw = received.lock().expect("lock").pop().expect("a message");
    assert!(raw.contains("From: salg@kraft.example.no"), "{raw}");
    assert!(raw.contains("To: kari@kunde.example.no"), "{raw}");
    assert!(raw.contains(&format!("Message-ID: {sent}")), "{raw}");
    assert!(raw.contains("multipart/alternative"), "{raw}");
    assert_eq!(subject_of(&raw), "Bekreftelse på kjøp – Strøm Fastpris");
    let text = part(&raw, "text/plain");
    assert!(
        text.contains("Takk, Kari!\n\nDu har kjøpt Strøm Fastpris til 499,00 kr. Blåbærsyltetøy"),
        "{text}"
    );
    let html = part(&raw, "text/html");
    assert!(html.contains("<b>Strøm Fastpris</b>"), "{html}");
}

#[tokio::test]
async fn a_login_is_sent_and_a_refused_one_means_the_gateway_is_misconfigured() {
    // A login without TLS is refused when the URL is read, so the test server's refusal is
    // reached through a URL with a user and no password.
    let (port, _) = server(Script::RefuseLogin).await;
    let refused = gateway(&format!("smtp://cube@127.0.0.1:{port}?tls=none"))
        .send("k", &message())
        .await;
    assert!(
        matches!(refused, Err(GatewayError::Misconfigured(_))),
        "{refused:?}"
    );
    let (port, received) = server(Script::Accept).await;
    gateway(&format!("smtp://cube@127.0.0.1:{port}?tls=none"))
        .send("k", &message())
        .await
        .expect("sent after the login");
    assert_eq!(received.lock().expect("lock").len(), 1);
}

#[tokio::test]
async fn a_refused_recipient_is_for_good_and_a_busy_one_is_tried_again() {
    let (port, _) = server(Script::RefuseRecipient).await;
    let refused = gateway(&format!("smtp://127.0.0.1:{port}?tls=none"))
        .send("k", &message())
        .await;
    assert!(
        matches!(refused, Err(GatewayError::Rejected(_))),
        "{refused:?}"
    );
    let (port, _) = server(Script::MailboxBusy).await;
    let busy = gateway(&format!("smtp://127.0.0.1:{port}?tls=none"))
        .send("k", &message())
        .await;
    assert!(
        matches!(busy, Err(GatewayError::Unavailable(_))),
        "{busy:?}"
    );
    assert!(busy.expect_err("busy").is_retryable());
}

#[tokio::test]
async fn a_server_that_is_not_there_is_tried_again_later() {
    let port = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port();
    // Nothing listens on the port any more.
    let gone = gateway(&format!("smtp://127.0.0.1:{port}?tls=none"))
        .send("k", &message())
        .await;
    assert!(
        matches!(gone, Err(GatewayError::Unavailable(_))),
        "{gone:?}"
    );
}

#[tokio::test]
async fn each_message_leaves_through_its_assignments_mail_account() {
    use cube_domain::assignment::setup::MailAccount;
    use cube_gateways::MailAccounts;
    use std::collections::BTreeMap;

    let (default_port, at_default) = server(Script::Accept).await;
    let (account_port, at_account) = server(Script::Accept).await;
    let kunde = MailAccount::parse("KUNDE_A").expect("name");
    let accounts = BTreeMap::from([(
        kunde.clone(),
        SmtpSettings::parse(&format!("smtp://127.0.0.1:{account_port}?tls=none")).expect("url"),
    )]);
    let default: Arc<dyn EmailGateway> = Arc::new(gateway(&format!(
        "smtp://127.0.0.1:{default_port}?tls=none"
    )));
    let mail = MailAccounts::new(default, &accounts, Duration::from_secs(5)).expect("accounts");

    let mut through_account = message();
    through_account.account = Some(kunde);
    through_account.subject = "Gjennom kontoen".to_owned();
    mail.send("key-1", &through_account).await.expect("sent");
    mail.send("key-2", &message()).await.expect("sent");

    let at_account = at_account.lock().expect("lock").clone();
    let at_default = at_default.lock().expect("lock").clone();
    assert_eq!(at_account.len(), 1, "one message through the account");
    assert_eq!(subject_of(&at_account[0]), "Gjennom kontoen");
    assert_eq!(at_default.len(), 1, "one message through the default");
    assert_eq!(
        subject_of(&at_default[0]),
        "Bekreftelse på kjøp – Strøm Fastpris"
    );

    // An account this server does not have: kept for the operator, sent nowhere.
    let mut unknown = message();
    unknown.account = Some(MailAccount::parse("annen").expect("name"));
    let refused = mail.send("key-3", &unknown).await.expect_err("refused");
    assert!(
        matches!(&refused, GatewayError::Misconfigured(why) if why.contains("CUBE_SMTP_ACCOUNT_ANNEN")),
        "{refused:?}"
    );
    assert_eq!(at_default.len(), 1);
}
