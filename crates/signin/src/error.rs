/// Why a sign-in or a token could not be had. Messages never contain a token or a secret.
#[derive(Debug, thiserror::Error)]
pub enum SignInError {
    /// No usable sign-in: never connected, expired, or refused by the identity provider.
    #[error("{0}")]
    NotSignedIn(String),
    /// The sign-in settings cannot work (a missing tenant, an unreadable certificate, …).
    #[error("{0}")]
    Config(String),
    /// The identity provider or identity endpoint could not be reached.
    #[error("{0}")]
    Unreachable(String),
    /// The OS credential store failed.
    #[error("{0}")]
    Store(String),
}
