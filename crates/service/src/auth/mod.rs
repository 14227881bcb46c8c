//! Sign-in for the v1.0 routes: bearer JWTs from an OpenID provider (Entra ID or any issuer
//! with a JWKS), checked for signature, expiry, issuer and audience, and permissions read
//! from Entra's claims: app roles (`roles`) and directory roles (`wids`).
//!
//! The token is never logged or echoed: refusals say what is wrong, not what was sent.

mod claims;
mod keys;
mod refusals;

use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use axum::extract::{Request, State};
use axum::http::HeaderMap;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use jsonwebtoken::{Algorithm, Validation};

use claims::Claims;
pub(crate) use claims::{Access, Grants, Profile};
pub use claims::{READER_DIRECTORY_ROLES, ROLE_READ, ROLE_READ_WRITE, WRITER_DIRECTORY_ROLES};
pub use keys::KeySource;
use keys::{Key, KeySet, parse_jwks};
pub(crate) use refusals::Denied;
use refusals::{bearer_token, describe};

use crate::store::Actor;

/// How often the key set may be fetched again for a token signed by an unknown key.
const REFETCH_INTERVAL: Duration = Duration::from_secs(10);
/// …and while no key set has loaded at all (the JWKS URL was down).
const RETRY_INTERVAL: Duration = Duration::from_secs(1);
/// How many verified tokens are remembered: clients send the same token for an hour, and
/// checking a signature costs more than answering most requests.
const VERIFIED_CAPACITY: usize = 4096;

/// What `serve --auth jwt` is told.
#[derive(Debug, Clone)]
pub struct AuthSettings {
    /// The exact `iss` of accepted tokens.
    pub issuer: String,
    /// Accepted `aud` values; a token needs one of them.
    pub audiences: Vec<String>,
    pub keys: KeySource,
    /// Clock skew tolerated on `exp` and `nbf`.
    pub leeway: Duration,
}

#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    #[error("could not read the key set {source_name}: {reason}")]
    Read { source_name: String, reason: String },
    #[error("the key set {0} is not a JSON Web Key Set (a JSON object with a \"keys\" array)")]
    NotJwks(String),
    #[error("the key set {0} has no RS256 or ES256 signing key")]
    NoKeys(String),
    #[error("an issuer (--issuer) and at least one audience (--audience) are needed")]
    Incomplete,
}

/// Checks bearer tokens; shared by every request.
pub struct Authenticator {
    settings: AuthSettings,
    keys: RwLock<Arc<KeySet>>,
    /// When the key set was last fetched; the lock also keeps fetches one at a time.
    last_fetch: tokio::sync::Mutex<Option<Instant>>,
    /// Tokens whose signature and claims were checked, until they expire (cleared when the
    /// key set changes, so a key the issuer withdrew stops working at once).
    verified: Mutex<HashMap<Box<str>, Verified>>,
    http: reqwest::Client,
}

/// What a checked token grants, and until when.
#[derive(Clone)]
pub(crate) struct Verified {
    pub(crate) grants: Grants,
    pub(crate) actor: Actor,
    pub(crate) profile: Profile,
    expires: u64,
}

impl std::fmt::Debug for Authenticator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Authenticator").field("settings", &self.settings).finish_non_exhaustive()
    }
}

impl Authenticator {
    /// An authenticator with no keys yet: call [`Authenticator::load_keys`] to fetch them
    /// (requests fetch them too, when missing).
    pub fn new(settings: AuthSettings) -> Result<Self, AuthError> {
        if settings.issuer.is_empty() || settings.audiences.is_empty() {
            return Err(AuthError::Incomplete);
        }
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .build()
            .map_err(|e| AuthError::Read { source_name: settings.keys.to_string(), reason: e.to_string() })?;
        Ok(Self {
            settings,
            keys: RwLock::new(Arc::default()),
            last_fetch: tokio::sync::Mutex::new(None),
            verified: Mutex::default(),
            http,
        })
    }

    pub fn settings(&self) -> &AuthSettings {
        &self.settings
    }

    /// Fetches the key set now; the number of usable keys.
    pub async fn load_keys(&self) -> Result<usize, AuthError> {
        let mut last = self.last_fetch.lock().await;
        self.fetch(&mut last).await
    }

    async fn fetch(&self, last: &mut Option<Instant>) -> Result<usize, AuthError> {
        *last = Some(Instant::now());
        let text = self.settings.keys.read(&self.http).await?;
        let set = parse_jwks(&text, &self.settings.keys)?;
        let count = set.len();
        *self.keys.write().unwrap_or_else(|p| p.into_inner()) = Arc::new(set);
        self.verified.lock().unwrap_or_else(|p| p.into_inner()).clear();
        tracing::info!(keys = count, source = %self.settings.keys, "signing keys loaded");
        Ok(count)
    }

    fn current_keys(&self) -> Arc<KeySet> {
        self.keys.read().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// The key for a token, fetching the key set again (rate-limited) when it is unknown:
    /// the issuer may have rotated its keys.
    async fn key_for(&self, kid: Option<&str>, alg: Algorithm) -> Result<Arc<Key>, Denied> {
        if let Some(key) = self.current_keys().find(kid, alg) {
            return Ok(key);
        }
        {
            let mut last = self.last_fetch.lock().await;
            let interval = if self.current_keys().is_empty() { RETRY_INTERVAL } else { REFETCH_INTERVAL };
            if last.is_none_or(|at| at.elapsed() >= interval)
                && let Err(e) = self.fetch(&mut last).await
            {
                tracing::warn!(error = %e, "signing keys not loaded");
            }
        }
        let keys = self.current_keys();
        match keys.find(kid, alg) {
            Some(key) => Ok(key),
            None if keys.is_empty() => Err(Denied::KeysUnavailable(self.settings.keys.to_string())),
            None => Err(Denied::Invalid("the token is not signed by a key of the issuer's key set".into())),
        }
    }

    /// Checks the request's bearer token and that it grants `access`; who the caller is.
    pub(crate) async fn authorize(&self, headers: &HeaderMap, access: Access) -> Result<Actor, Denied> {
        let verified = self.authenticate(headers).await?;
        verified.grants.allow(access)?;
        Ok(verified.actor)
    }

    /// Checks the request's bearer token; what it grants and who the caller is.
    pub(crate) async fn authenticate(&self, headers: &HeaderMap) -> Result<Verified, Denied> {
        let token = bearer_token(headers)?;
        match self.remembered(token) {
            Some(verified) => Ok(verified),
            None => self.verify(token).await,
        }
    }

    /// A token checked before and not expired since.
    fn remembered(&self, token: &str) -> Option<Verified> {
        let verified = self.verified.lock().unwrap_or_else(|p| p.into_inner()).get(token).cloned()?;
        (now() <= verified.expires.saturating_add(self.settings.leeway.as_secs())).then_some(verified)
    }

    /// Checks a token's signature and claims, and remembers the result.
    async fn verify(&self, token: &str) -> Result<Verified, Denied> {
        let header = jsonwebtoken::decode_header(token)
            .map_err(|_| Denied::Invalid("the token is not a well-formed JWT".into()))?;
        // RFC 7515 §4.1.11: extensions listed in `crit` must be understood, and this service
        // understands none.
        if header.crit.is_some() {
            return Err(Denied::Invalid(
                "the token's header lists critical extensions (crit) this service does not support".into(),
            ));
        }
        if !matches!(header.alg, Algorithm::RS256 | Algorithm::ES256) {
            return Err(Denied::Invalid("the token is not signed with RS256 or ES256".into()));
        }
        let key = self.key_for(header.kid.as_deref(), header.alg).await?;
        let claims = jsonwebtoken::decode::<Claims>(token, &key.key, &self.validation(key.alg))
            .map_err(|e| Denied::Invalid(describe(e.kind(), &self.settings)))?
            .claims;
        let (grants, profile, expires) = (claims.grants(), claims.profile(), claims.exp);
        let verified = Verified { grants, profile, expires, actor: claims.actor() };
        let mut remembered = self.verified.lock().unwrap_or_else(|p| p.into_inner());
        if remembered.len() >= VERIFIED_CAPACITY {
            remembered.retain(|_, v| v.expires > now());
            if remembered.len() >= VERIFIED_CAPACITY {
                remembered.clear();
            }
        }
        remembered.insert(token.into(), verified.clone());
        Ok(verified)
    }

    fn validation(&self, alg: Algorithm) -> Validation {
        let mut validation = Validation::new(alg);
        validation.set_issuer(&[&self.settings.issuer]);
        validation.set_audience(&self.settings.audiences);
        validation.set_required_spec_claims(&["exp", "iss", "aud"]);
        validation.validate_nbf = true;
        validation.leeway = self.settings.leeway.as_secs();
        validation
    }
}

fn now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0)
}

/// The layer on every v1.0 route: refuses a request without a token that grants what its
/// method needs, and hands the caller to the handlers as an [`Actor`] extension.
pub(crate) async fn require_token(
    State(auth): State<Arc<Authenticator>>,
    mut request: Request,
    next: Next,
) -> Response {
    let access = Access::of(request.method());
    match auth.authorize(request.headers(), access).await {
        Ok(actor) => {
            tracing::debug!(actor = %actor.name, "signed in");
            request.extensions_mut().insert(actor);
            next.run(request).await
        }
        Err(denied) => denied.into_response(),
    }
}

/// The layer on the administration routes: refuses a request without a valid token only.
/// What the caller may do there depends on who they are (an admin, a reader, a user acting on
/// their own purchases), which the handlers decide from the [`Verified`] extension.
pub(crate) async fn require_sign_in(
    State(auth): State<Arc<Authenticator>>,
    mut request: Request,
    next: Next,
) -> Response {
    match auth.authenticate(request.headers()).await {
        Ok(verified) => {
            tracing::debug!(actor = %verified.actor.name, "signed in");
            request.extensions_mut().insert(verified.actor.clone());
            request.extensions_mut().insert(verified);
            next.run(request).await
        }
        Err(denied) => denied.into_response(),
    }
}
