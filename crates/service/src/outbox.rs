//! The mail outbox's worker: delivers the notifications a committed change wrote, over SMTP
//! (lettre, rustls), at least once. A row is marked delivered only after the SMTP server
//! accepted its message; a failed attempt is counted and retried with exponential backoff.
//! The worker wakes when a change commits mail, and polls besides, so rows left by a crash or
//! a restart are delivered too. A change that rolled back wrote no row, so sends nothing.

use std::sync::Arc;
use std::time::Duration;

use lettre::message::{Mailbox, header::ContentType};
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use tokio::sync::Notify;

use crate::store::admin_rules::backoff;
use crate::store::{AdminStore, PendingMail};

/// How often the worker looks for due rows when nothing woke it.
const POLL: Duration = Duration::from_secs(1);
/// Rows delivered per round.
const BATCH: u32 = 50;

/// Where and as whom mail is sent.
#[derive(Clone)]
pub struct MailSettings {
    /// `smtp://host:port` (STARTTLS when the server offers it) or `smtps://host:port` (TLS).
    pub url: String,
    pub from: Mailbox,
    /// From the environment; never logged.
    pub credentials: Option<(String, String)>,
}

impl std::fmt::Debug for MailSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MailSettings")
            .field("url", &self.url)
            .field("from", &self.from.to_string())
            .finish_non_exhaustive()
    }
}

/// Why mail settings are refused.
#[derive(Debug, thiserror::Error)]
pub enum MailError {
    #[error("--smtp {url}: {reason} (use smtp://host:port, or smtps://host:port for TLS from the start)")]
    Url { url: String, reason: String },
    #[error("--smtp-from {0}: not a mail address")]
    From(String),
}

/// An SMTP client for `settings`.
pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

impl Mailer {
    pub fn new(settings: &MailSettings) -> Result<Self, MailError> {
        let refused = |reason: String| MailError::Url { url: settings.url.clone(), reason };
        let (scheme, rest) = settings.url.split_once("://").ok_or_else(|| refused("no scheme".into()))?;
        let (host, port) = match rest.trim_end_matches('/').rsplit_once(':') {
            Some((host, port)) => {
                (host, Some(port.parse::<u16>().map_err(|_| refused(format!("'{port}' is not a port")))?))
            }
            None => (rest.trim_end_matches('/'), None),
        };
        let host = host.trim_start_matches('[').trim_end_matches(']');
        if host.is_empty() {
            return Err(refused("no host".into()));
        }
        let mut builder = match scheme {
            "smtp" => AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(host)
                .map_err(|e| refused(e.to_string()))?
                .tls(opportunistic(host).map_err(refused)?)
                .port(port.unwrap_or(25)),
            "smtps" => AsyncSmtpTransport::<Tokio1Executor>::relay(host)
                .map_err(|e| refused(e.to_string()))?
                .port(port.unwrap_or(465)),
            other => return Err(refused(format!("'{other}' is not smtp or smtps"))),
        };
        if let Some((user, password)) = &settings.credentials {
            builder = builder.credentials(Credentials::new(user.clone(), password.clone()));
        }
        builder = builder.timeout(Some(Duration::from_secs(20)));
        Ok(Self { transport: builder.build(), from: settings.from.clone() })
    }

    async fn send(&self, mail: &PendingMail) -> Result<(), String> {
        let to: Mailbox = mail.recipient.parse().map_err(|e| format!("the recipient is not a mail address: {e}"))?;
        let message = Message::builder()
            .from(self.from.clone())
            .to(to)
            // The notification's id: a mail delivered twice (at least once) is told apart.
            .message_id(Some(format!("<{}@commerce-policy>", mail.id)))
            .subject(mail.subject.clone())
            .header(ContentType::TEXT_PLAIN)
            .body(mail.body.clone())
            .map_err(|e| e.to_string())?;
        self.transport.send(message).await.map(|_| ()).map_err(|e| e.to_string())
    }
}

/// STARTTLS where the server offers it, plain otherwise (a relay on loopback often offers none).
fn opportunistic(host: &str) -> Result<lettre::transport::smtp::client::Tls, String> {
    use lettre::transport::smtp::client::{Tls, TlsParameters};
    TlsParameters::new(host.to_string()).map(Tls::Opportunistic).map_err(|e| e.to_string())
}

/// Delivers due notifications for ever: call it in a task of its own.
pub async fn deliver(store: Arc<dyn AdminStore>, mailer: Mailer, wake: Arc<Notify>) {
    loop {
        let delivered_all = deliver_due(store.as_ref(), &mailer).await;
        let wait = match store.next_mail_due().await {
            Ok(Some(due)) if delivered_all => due.min(POLL),
            _ => POLL,
        };
        tokio::select! {
            () = wake.notified() => {},
            () = tokio::time::sleep(wait) => {},
        }
    }
}

/// One round: every due row, oldest first. False when the store could not be read.
async fn deliver_due(store: &dyn AdminStore, mailer: &Mailer) -> bool {
    let due = match store.due_mail(BATCH).await {
        Ok(due) => due,
        Err(e) => {
            tracing::warn!(error = %e, "could not read the outbox");
            return false;
        }
    };
    for mail in due {
        let outcome = match mailer.send(&mail).await {
            Ok(()) => {
                tracing::info!(notification = %mail.id, recipient = %mail.recipient, "mail delivered");
                store.mail_delivered(&mail.id).await
            }
            Err(reason) => {
                let retry_in = backoff(mail.attempts + 1);
                // Logged once recorded, so the line says the outbox knows.
                let recorded = store.mail_failed(&mail, retry_in).await;
                tracing::warn!(notification = %mail.id, attempts = mail.attempts + 1, retry_in = %humantime::format_duration(retry_in), error = %reason, "mail not delivered, will retry");
                recorded
            }
        };
        if let Err(e) = outcome {
            tracing::warn!(notification = %mail.id, error = %e, "could not record a delivery attempt");
        }
    }
    true
}
