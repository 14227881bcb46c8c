//! How a failure leaves the binary: one line on stderr (what failed, why, what to do, the
//! correlation id) and the exit code DESIGN.md gives it, shared with the PowerShell module.

use commerce_changes::{ChangeResult, Failure, Status};
use commerce_client::{ClientError, ErrorKind};
use commerce_signin::SignInError;

/// The exit codes of the binary and the module.
pub mod exit {
    pub const OK: u8 = 0;
    pub const OTHER: u8 = 1;
    pub const USAGE: u8 = 2;
    pub const NOT_SIGNED_IN: u8 = 3;
    pub const FORBIDDEN: u8 = 4;
    pub const NOT_FOUND: u8 = 5;
    pub const CONFLICT: u8 = 6;
    pub const UNAVAILABLE: u8 = 7;
    pub const DRIFT: u8 = 8;
    /// Interrupted by Ctrl-C (SIGINT), as shells report 128 + 2.
    pub const INTERRUPTED: u8 = 130;
}

/// A failed command.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// A request failed; `doing` says what the command was doing.
    #[error("{doing} failed: {source}{}", hint(source))]
    Request { doing: String, source: ClientError },
    /// The command line or an input was not usable.
    #[error("{0}")]
    Usage(String),
    /// Some items of a batch failed; each has its own result, the first is quoted.
    #[error("{failed} of {total} failed; the first: {first}")]
    Partial { failed: usize, total: usize, first: String, code: u8 },
    /// `plan --detailed-exitcode` found differences.
    #[error(
        "{0} target(s) (products or offer types) differ from the baseline: run `commerce-policy apply` to make them match"
    )]
    Drift(usize),
    /// Ctrl-C stopped a batch; its results so far were printed.
    #[error("{}", interrupted(*changed, *not_attempted, *total))]
    Interrupted { changed: usize, not_attempted: usize, total: usize },
    /// Signing in failed, or no sign-in is usable.
    #[error("{0}")]
    Auth(#[from] SignInError),
    #[error("{0}")]
    Other(String),
    /// A failure with what the person must know besides (where the next command goes).
    #[error("{error}; {note}")]
    Noted { error: Box<CliError>, note: String },
}

impl CliError {
    pub fn request(doing: impl Into<String>) -> impl FnOnce(ClientError) -> Self {
        let doing = doing.into();
        move |source| Self::Request { doing, source }
    }

    /// A batch's outcome: interrupted if Ctrl-C stopped it, fine if no change failed;
    /// otherwise how many failed, the first failure, and one exit code for them all.
    pub fn from_batch(results: &[ChangeResult], interrupted: bool) -> Result<(), Self> {
        if interrupted {
            let count = |status| results.iter().filter(|r| r.status == status).count();
            return Err(Self::Interrupted {
                changed: count(Status::Updated),
                not_attempted: count(Status::NotAttempted),
                total: results.len(),
            });
        }
        Self::from_results(results)
    }

    /// A batch's outcome: fine if no change failed; otherwise how many failed, the first
    /// failure, and one exit code for them all.
    pub fn from_results(results: &[ChangeResult]) -> Result<(), Self> {
        let failures: Vec<(&ChangeResult, &Failure)> =
            results.iter().filter_map(|r| r.failure.as_ref().map(|f| (r, f))).collect();
        let Some((first, failure)) = failures.first() else { return Ok(()) };
        Err(Self::Partial {
            failed: failures.len(),
            total: results.len(),
            first: format!("{}: {}", first.target.id(), failure.message),
            code: batch_exit_code(failures.iter().map(|(_, f)| kind_exit_code(f.kind))),
        })
    }

    pub fn exit_code(&self) -> u8 {
        match self {
            Self::Request { source, .. } => kind_exit_code(source.kind()),
            Self::Usage(_) => exit::USAGE,
            Self::Partial { code, .. } => *code,
            Self::Drift(_) => exit::DRIFT,
            Self::Interrupted { .. } => exit::INTERRUPTED,
            Self::Auth(e) => match e {
                SignInError::NotSignedIn(_) => exit::NOT_SIGNED_IN,
                SignInError::Config(_) => exit::USAGE,
                SignInError::Unreachable(_) => exit::UNAVAILABLE,
                SignInError::Store(_) => exit::OTHER,
            },
            Self::Other(_) => exit::OTHER,
            Self::Noted { error, .. } => error.exit_code(),
        }
    }
}

fn interrupted(changed: usize, not_attempted: usize, total: usize) -> String {
    if total == 0 {
        return "interrupted before any change was sent: nothing was changed".into();
    }
    format!("interrupted: {changed} of {total} changed, {not_attempted} not attempted (Status NotAttempted)")
}

/// The exit code of a request failure of this kind.
pub fn kind_exit_code(kind: ErrorKind) -> u8 {
    match kind {
        ErrorKind::BadRequest => exit::USAGE,
        ErrorKind::Unauthorized => exit::NOT_SIGNED_IN,
        ErrorKind::Forbidden => exit::FORBIDDEN,
        ErrorKind::NotFound => exit::NOT_FOUND,
        ErrorKind::Conflict => exit::CONFLICT,
        ErrorKind::Unavailable => exit::UNAVAILABLE,
        ErrorKind::Other => exit::OTHER,
    }
}

/// What to do about this failure. A 404 says what was missing (a policy, a product, an
/// offer type, or the API path itself, when `--endpoint` is not a service's root), and a
/// 429 after every retry says the service is throttling: each hint points at its cause.
pub fn hint(error: &ClientError) -> &'static str {
    if let ClientError::Status { status, message, .. } = error {
        match *status {
            404 => return not_found_hint(message),
            429 => {
                return " — the service is throttling requests: wait a few minutes, or allow longer with --retry-timeout";
            }
            _ => {}
        }
    }
    match error.kind() {
        ErrorKind::Unauthorized => {
            " — run `commerce-policy connect`, or pass a fresh token in COMMERCE_POLICY_ACCESS_TOKEN"
        }
        ErrorKind::Forbidden => {
            " — use an account with the Global or Billing Administrator role, or an app granted Policy.ReadWrite.AllowSelfServicePurchase"
        }
        ErrorKind::NotFound => not_found_hint(""),
        ErrorKind::Conflict => " — someone changed it since it was read: read it again and retry",
        ErrorKind::Unavailable => " — check --endpoint and the network, then try again later",
        ErrorKind::BadRequest | ErrorKind::Other => "",
    }
}

/// What a 404's message says was missing: the service names it (`policy X was not found`,
/// `product X …`, `offer type X …`, `no such route …`); anything else gets the general hint.
fn not_found_hint(message: &str) -> &'static str {
    let message = message.trim_start();
    if message.starts_with("no such route") {
        " — the endpoint has no such API path: --endpoint must be the service's root URL (like https://licensing.m365.microsoft.com), without a path"
    } else if message.starts_with("policy ") {
        " — `commerce-policy policies list` shows the policy ids the service knows"
    } else if message.starts_with("offer type ") {
        " — `commerce-policy product-policies list --scope OfferType` shows the offer types the service knows"
    } else if message.starts_with("product ") {
        " — `commerce-policy product-policies list` shows the product ids the service knows"
    } else {
        " — check the id: `commerce-policy policies list` and `commerce-policy product-policies list` show what the service knows"
    }
}

/// The one exit code for a batch whose items failed with these codes: theirs if they all
/// agree, 1 otherwise.
pub fn batch_exit_code(codes: impl IntoIterator<Item = u8>) -> u8 {
    let mut codes = codes.into_iter();
    let Some(first) = codes.next() else { return exit::OK };
    if codes.all(|c| c == first) { first } else { exit::OTHER }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batch_code_is_the_shared_one_or_one() {
        assert_eq!(batch_exit_code([]), exit::OK);
        assert_eq!(batch_exit_code([exit::NOT_FOUND, exit::NOT_FOUND]), exit::NOT_FOUND);
        assert_eq!(batch_exit_code([exit::NOT_FOUND, exit::USAGE]), exit::OTHER);
    }

    #[test]
    fn request_error_is_one_line_with_hint_and_correlation_id() {
        let source = ClientError::Status {
            status: 404,
            code: Some("NotFound".into()),
            message: "product CFQ7TTC0AAAA was not found".into(),
            correlation_id: "abc".into(),
            attempts: 1,
        };
        let e = CliError::Request { doing: "reading CFQ7TTC0AAAA".into(), source };
        let line = e.to_string();
        assert!(!line.contains('\n'));
        assert!(line.starts_with("reading CFQ7TTC0AAAA failed: 404 Not Found: product CFQ7TTC0AAAA was not found"));
        assert!(line.contains("(correlation id abc)"));
        assert!(line.contains("product-policies list"));
        assert_eq!(e.exit_code(), exit::NOT_FOUND);
    }
}
