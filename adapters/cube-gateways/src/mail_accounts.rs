//! Outgoing mail accounts per assignment (seed 000 item 8): an assignment names the account
//! its e-mail leaves through (`communication.mail_account`), and the server holds each
//! account's SMTP URL — with its password — in its own environment:
//! `CUBE_SMTP_ACCOUNT_<NAME>=smtps://user:password@host:465`. So no mail password is ever
//! stored in the database, returned by the API, copied with a setup or written to a log
//! (an [`SmtpSettings`] prints without it).
//!
//! [`MailAccounts`] is the e-mail gateway the outbox sends through: a message naming an
//! account goes to that account's mail server; one naming none goes to the server's default
//! gateway (`--smtp-url`, the e-mail webhook or the log). A message naming an account this
//! server does not have (a setup copied from another server, an account removed since) is the
//! gateway misconfigured — kept and retried once the operator adds it, never sent through
//! another account's server under the wrong name.

use crate::smtp::{SmtpEmailGateway, SmtpSettings, SmtpSetupError};
use async_trait::async_trait;
use cube_domain::assignment::setup::MailAccount;
use cube_domain::ports::{EmailGateway, EmailMessage, GatewayError};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

/// The prefix of the environment variables that configure named mail accounts.
pub const ACCOUNT_VARIABLE_PREFIX: &str = "CUBE_SMTP_ACCOUNT_";

/// Why the mail accounts in the environment cannot be used. Never carries a URL (it may
/// hold a password): only the variable's name and what is wrong.
#[derive(Debug, thiserror::Error)]
#[error("{variable}: {why}")]
pub struct MailAccountSetupError {
    variable: String,
    why: String,
}

/// Reads the named mail accounts from environment variables `CUBE_SMTP_ACCOUNT_<NAME>`
/// (`vars` is the environment, e.g. `std::env::vars_os()` made into strings; other
/// variables are ignored). An empty value is not an account. Two variables naming the same
/// account (`…_KUNDE` and `…_kunde`) are refused, as is a name or URL that does not parse.
pub fn accounts_from_environment(
    vars: impl IntoIterator<Item = (String, String)>,
) -> Result<BTreeMap<MailAccount, SmtpSettings>, MailAccountSetupError> {
    let mut accounts = BTreeMap::new();
    for (variable, value) in vars {
        let Some(name) = variable.strip_prefix(ACCOUNT_VARIABLE_PREFIX) else {
            continue;
        };
        if value.trim().is_empty() {
            continue;
        }
        let refuse = |why: String| MailAccountSetupError {
            variable: variable.clone(),
            why,
        };
        let account = MailAccount::parse(name).map_err(|e| refuse(e.to_string()))?;
        let settings =
            SmtpSettings::parse(&value).map_err(|e: SmtpSetupError| refuse(e.to_string()))?;
        if accounts.insert(account.clone(), settings).is_some() {
            return Err(refuse(format!(
                "the mail account '{account}' is set by two variables: keep one"
            )));
        }
    }
    Ok(accounts)
}

/// The e-mail gateway that sends each message through its assignment's mail account.
pub struct MailAccounts {
    default: Arc<dyn EmailGateway>,
    accounts: BTreeMap<MailAccount, Arc<dyn EmailGateway>>,
}

impl std::fmt::Debug for MailAccounts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MailAccounts")
            .field("accounts", &self.accounts.keys().collect::<Vec<_>>())
            .finish_non_exhaustive()
    }
}

impl MailAccounts {
    /// Messages naming no account go to `default`; each configured account gets its own
    /// SMTP gateway (its own connection pool), with the gateways' `timeout`.
    pub fn new(
        default: Arc<dyn EmailGateway>,
        accounts: &BTreeMap<MailAccount, SmtpSettings>,
        timeout: Duration,
    ) -> Result<Self, SmtpSetupError> {
        let mut gateways: BTreeMap<MailAccount, Arc<dyn EmailGateway>> = BTreeMap::new();
        for (account, settings) in accounts {
            gateways.insert(
                account.clone(),
                Arc::new(SmtpEmailGateway::new(settings, timeout)?),
            );
        }
        Ok(Self::with_gateways(default, gateways))
    }

    /// The same routing over gateways already built (tests give recording ones).
    pub fn with_gateways(
        default: Arc<dyn EmailGateway>,
        accounts: BTreeMap<MailAccount, Arc<dyn EmailGateway>>,
    ) -> Self {
        Self { default, accounts }
    }

    /// The accounts' names.
    pub fn names(&self) -> impl Iterator<Item = &MailAccount> {
        self.accounts.keys()
    }
}

#[async_trait]
impl EmailGateway for MailAccounts {
    async fn send(&self, key: &str, message: &EmailMessage) -> Result<String, GatewayError> {
        let gateway = match &message.account {
            None => &self.default,
            Some(account) => self.accounts.get(account).ok_or_else(|| {
                GatewayError::Misconfigured(format!(
                    "no mail account '{account}' is configured on this server: set {ACCOUNT_VARIABLE_PREFIX}{}",
                    account.as_str().to_ascii_uppercase()
                ))
            })?,
        };
        gateway.send(key, message).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn accounts_are_read_from_their_variables_only() {
        let accounts = accounts_from_environment(vars(&[
            (
                "CUBE_SMTP_ACCOUNT_KUNDE_A",
                "smtps://kari:hemmelig@mail.a.example.no",
            ),
            ("CUBE_SMTP_ACCOUNT_LOKAL", "smtp://127.0.0.1:2525?tls=none"),
            ("CUBE_SMTP_ACCOUNT_TOM", "  "),
            ("CUBE_SMTP_URL", "smtp://127.0.0.1:25?tls=none"),
            ("PATH", "/usr/bin"),
        ]))
        .expect("accounts");
        let names: Vec<&str> = accounts.keys().map(MailAccount::as_str).collect();
        assert_eq!(names, ["kunde_a", "lokal"]);
        let a = &accounts[&MailAccount::parse("kunde_a").expect("name")];
        assert_eq!(a.to_string(), "kari@mail.a.example.no:465 (implicit TLS)");
    }

    #[test]
    fn a_bad_account_names_its_variable_and_never_its_password() {
        let bad_url = accounts_from_environment(vars(&[(
            "CUBE_SMTP_ACCOUNT_KUNDE",
            "smtp://kari:hemmelig@mail.example.no?tls=maybe",
        )]))
        .expect_err("refused");
        let said = bad_url.to_string();
        assert!(said.starts_with("CUBE_SMTP_ACCOUNT_KUNDE: "), "{said}");
        assert!(!said.contains("hemmelig"), "{said}");

        let bad_name = accounts_from_environment(vars(&[(
            "CUBE_SMTP_ACCOUNT_KUNDE-A",
            "smtp://127.0.0.1:2525?tls=none",
        )]))
        .expect_err("refused");
        assert!(
            bad_name.to_string().contains("mail account 'KUNDE-A'"),
            "{bad_name}"
        );

        let twice = accounts_from_environment(vars(&[
            ("CUBE_SMTP_ACCOUNT_KUNDE", "smtp://127.0.0.1:2525?tls=none"),
            ("CUBE_SMTP_ACCOUNT_kunde", "smtp://127.0.0.1:2526?tls=none"),
        ]))
        .expect_err("refused");
        assert!(
            twice.to_string().contains("set by two variables"),
            "{twice}"
        );
    }
}
