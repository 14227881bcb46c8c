//! The loopback redirect of the browser sign-in (RFC 8252 §7.3): a listener on 127.0.0.1 on
//! a fresh port takes the one redirect that carries the authorization code, checks its
//! `state`, answers the browser with a short page, and closes.

use std::time::Duration;

use axum::Router;
use axum::extract::{Query, State};
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse};
use axum::routing::get;
use serde::Deserialize;
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;

use crate::SignInError;

/// How long the browser gets to read its page once the redirect has arrived.
const GRACE: Duration = Duration::from_secs(2);

/// What the identity provider put on the redirect (RFC 6749 §4.1.2).
#[derive(Debug, Default, Deserialize)]
struct Redirect {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
    error_description: Option<String>,
}

/// What the redirect meant, judged where it arrived so the browser's page can say it.
type Outcome = Result<String, SignInError>;

#[derive(Clone)]
struct Waiting {
    state: String,
    arrived: mpsc::Sender<Outcome>,
}

/// A listening loopback redirect; closed when dropped.
pub(crate) struct Loopback {
    port: u16,
    arrived: mpsc::Receiver<Outcome>,
    stop: Option<oneshot::Sender<()>>,
    server: JoinHandle<()>,
}

impl Loopback {
    /// Listens on a fresh port of 127.0.0.1 for the redirect that carries `state`.
    pub(crate) async fn listen(state: &str) -> Result<Self, SignInError> {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0))
            .await
            .map_err(|e| SignInError::Config(format!("could not listen on 127.0.0.1 for the browser's answer: {e}")))?;
        let port = listener.local_addr().map_err(|e| SignInError::Config(e.to_string()))?.port();
        let (tx, arrived) = mpsc::channel(1);
        let (stop, stopped) = oneshot::channel::<()>();
        let app = Router::new().route("/", get(answer)).with_state(Waiting { state: state.to_string(), arrived: tx });
        let server = tokio::spawn(async move {
            let _ = axum::serve(listener, app)
                .with_graceful_shutdown(async {
                    let _ = stopped.await;
                })
                .await;
        });
        Ok(Self { port, arrived, stop: Some(stop), server })
    }

    /// The redirect URI to register and to send: `http://localhost:PORT` (Entra matches
    /// `http://localhost` whatever the port). Should another process answer for `localhost`
    /// on this port (on `::1`), the code it got is useless without the PKCE verifier.
    pub(crate) fn redirect_uri(&self) -> String {
        format!("http://localhost:{}", self.port)
    }

    /// Waits up to `timeout` for the redirect; the authorization code, or why there is none.
    /// The listener is closed either way.
    pub(crate) async fn code(mut self, timeout: Duration) -> Result<String, SignInError> {
        let outcome = tokio::time::timeout(timeout, self.arrived.recv()).await;
        self.close().await;
        match outcome {
            Ok(Some(outcome)) => outcome,
            Ok(None) => Err(SignInError::Config("the listener for the browser's answer stopped".into())),
            Err(_) => Err(SignInError::NotSignedIn(format!(
                "no sign-in came back from the browser within {}: run `commerce-policy connect --browser` again (--browser-timeout gives more time)",
                minutes_or_seconds(timeout)
            ))),
        }
    }

    /// Stops listening, giving the browser a moment to read the page it was sent.
    async fn close(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        let _ = tokio::time::timeout(GRACE, &mut self.server).await;
        self.server.abort();
    }
}

impl Drop for Loopback {
    fn drop(&mut self) {
        self.server.abort();
    }
}

/// Judges the redirect, hands the outcome to the waiting sign-in, and tells the person.
async fn answer(State(waiting): State<Waiting>, Query(redirect): Query<Redirect>) -> impl IntoResponse {
    let verdict = judge(&waiting.state, redirect);
    let (status, page) = match &verdict {
        Verdict::Code(_) => {
            (StatusCode::OK, "Signed in to commerce-policy. You can close this window and return to the terminal.")
        }
        Verdict::WrongState => (
            StatusCode::BAD_REQUEST,
            "This answer does not belong to the sign-in commerce-policy started: nothing was signed in. You can close this window.",
        ),
        Verdict::Failed(_) => {
            (StatusCode::OK, "The sign-in did not complete: the terminal says why. You can close this window.")
        }
    };
    // Only the first answer counts; a later one finds the sign-in gone.
    let _ = waiting.arrived.try_send(verdict.into());
    let headers = [(header::CACHE_CONTROL, "no-store"), (header::CONNECTION, "close")];
    (status, headers, Html(format!("<!doctype html><title>commerce-policy</title><p>{page}</p>\n")))
}

/// What one redirect meant.
enum Verdict {
    Code(String),
    /// Not the answer to this sign-in (RFC 6749 §10.12): another page, or a forgery.
    WrongState,
    /// The provider or the person said no, in one line.
    Failed(String),
}

impl From<Verdict> for Outcome {
    fn from(verdict: Verdict) -> Self {
        match verdict {
            Verdict::Code(code) => Ok(code),
            Verdict::WrongState => Err(SignInError::NotSignedIn(
                "the browser's answer did not come from the sign-in this command started (its state does not match): nothing was signed in; run `commerce-policy connect --browser` again".into(),
            )),
            Verdict::Failed(line) => Err(SignInError::NotSignedIn(line)),
        }
    }
}

fn judge(expected_state: &str, redirect: Redirect) -> Verdict {
    if redirect.state.as_deref() != Some(expected_state) {
        return Verdict::WrongState;
    }
    if let Some(error) = redirect.error {
        let description = redirect.error_description.as_deref().map(printable).unwrap_or_default();
        let why = match description.as_str() {
            "" => printable(&error),
            _ => format!("{}: {description}", printable(&error)),
        };
        return Verdict::Failed(match error.as_str() {
            "access_denied" => format!("the sign-in was declined in the browser ({why})"),
            _ => format!("the sign-in failed in the browser ({why})"),
        });
    }
    match redirect.code.filter(|c| !c.is_empty()) {
        Some(code) => Verdict::Code(code),
        None => Verdict::Failed("the browser's answer carried no authorization code: nothing was signed in".into()),
    }
}

/// Text from the redirect is anyone's: its first line, without control characters, short.
fn printable(text: &str) -> String {
    text.lines().next().unwrap_or_default().chars().filter(|c| !c.is_control()).take(200).collect()
}

fn minutes_or_seconds(duration: Duration) -> String {
    match duration.as_secs() {
        s if s >= 60 && s % 60 == 0 => format!("{} minute{}", s / 60, if s == 60 { "" } else { "s" }),
        s => format!("{s} second{}", if s == 1 { "" } else { "s" }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn visit(loopback: &Loopback, query: &str) -> reqwest::StatusCode {
        let url = format!("http://127.0.0.1:{}/{query}", loopback.port);
        reqwest::get(url).await.expect("the loopback answers").status()
    }

    #[tokio::test]
    async fn the_matching_redirect_gives_the_code_and_closes_the_listener() {
        let loopback = Loopback::listen("s1").await.unwrap();
        let port = loopback.port;
        assert!(loopback.redirect_uri().starts_with("http://localhost:"));
        assert_eq!(visit(&loopback, "?code=c1&state=s1").await, reqwest::StatusCode::OK);
        assert_eq!(loopback.code(Duration::from_secs(5)).await.unwrap(), "c1");
        assert!(tokio::net::TcpStream::connect(("127.0.0.1", port)).await.is_err(), "the listener is closed");
    }

    #[tokio::test]
    async fn a_wrong_or_missing_state_is_refused() {
        for query in ["?code=c1&state=made-up", "?code=c1", ""] {
            let loopback = Loopback::listen("s1").await.unwrap();
            assert_eq!(visit(&loopback, query).await, reqwest::StatusCode::BAD_REQUEST);
            let e = loopback.code(Duration::from_secs(5)).await.unwrap_err().to_string();
            assert!(e.contains("state does not match"), "{query}: {e}");
        }
    }

    #[tokio::test]
    async fn a_declined_sign_in_says_so_in_one_line() {
        let loopback = Loopback::listen("s1").await.unwrap();
        visit(&loopback, "?error=access_denied&error_description=End-User%20aborted%0A%1Bx&state=s1").await;
        let e = loopback.code(Duration::from_secs(5)).await.unwrap_err();
        assert!(matches!(e, SignInError::NotSignedIn(_)));
        assert_eq!(e.to_string(), "the sign-in was declined in the browser (access_denied: End-User aborted)");
    }

    #[tokio::test]
    async fn other_paths_are_not_the_redirect() {
        let loopback = Loopback::listen("s1").await.unwrap();
        assert_eq!(visit(&loopback, "favicon.ico").await, reqwest::StatusCode::NOT_FOUND);
        let e = loopback.code(Duration::from_millis(200)).await.unwrap_err().to_string();
        assert!(e.contains("within 0 seconds") && e.contains("--browser-timeout"), "{e}");
    }

    #[test]
    fn durations_read_as_people_write_them() {
        assert_eq!(minutes_or_seconds(Duration::from_secs(300)), "5 minutes");
        assert_eq!(minutes_or_seconds(Duration::from_secs(60)), "1 minute");
        assert_eq!(minutes_or_seconds(Duration::from_secs(90)), "90 seconds");
    }
}
