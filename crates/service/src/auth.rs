//! Sign-in for the v1.0 routes: bearer JWTs from an OpenID provider (Entra ID or any issuer
//! with a JWKS), checked for signature, expiry, issuer and audience, and permissions read
//! from Entra's claims: app roles (`roles`) and directory roles (`wids`).
//!
//! The token is never logged or echoed: refusals say what is wrong, not what was sent.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use jsonwebtoken::jwk::{AlgorithmParameters, EllipticCurve, Jwk, KeyAlgorithm, PublicKeyUse};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde::Deserialize;

use crate::ApiError;
use crate::store::Actor;

/// App role that lets an application read the policies.
pub const ROLE_READ: &str = "Policy.Read.AllowSelfServicePurchase";
/// App role that lets an application read and change the policies.
pub const ROLE_READ_WRITE: &str = "Policy.ReadWrite.AllowSelfServicePurchase";
/// Entra directory role template ids (`wids`) that may change the policies.
pub const WRITER_DIRECTORY_ROLES: [&str; 2] = [
    "62e90394-69f5-4237-9190-012177145e10", // Global Administrator
    "b0f54661-2d74-4c50-afa3-1ec803f12efe", // Billing Administrator
];
/// Entra directory role template ids (`wids`) that may read the policies.
pub const READER_DIRECTORY_ROLES: [&str; 1] = ["f2ef992c-3afb-46b9-b7cf-a126ee74c451"]; // Global Reader

/// How often the key set may be fetched again for a token signed by an unknown key.
const REFETCH_INTERVAL: Duration = Duration::from_secs(10);
/// …and while no key set has loaded at all (the JWKS URL was down).
const RETRY_INTERVAL: Duration = Duration::from_secs(1);
const REALM: &str = "commerce-policy";
/// How many verified tokens are remembered: clients send the same token for an hour, and
/// checking a signature costs more than answering most requests.
const VERIFIED_CAPACITY: usize = 4096;

/// Where the signing keys come from.
#[derive(Debug, Clone)]
pub enum KeySource {
    Url(String),
    File(PathBuf),
}

impl std::fmt::Display for KeySource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Url(url) => f.write_str(url),
            Self::File(path) => write!(f, "{}", path.display()),
        }
    }
}

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

/// One verification key.
struct Key {
    key: DecodingKey,
    alg: Algorithm,
}

#[derive(Default)]
struct KeySet {
    by_kid: HashMap<String, Arc<Key>>,
    /// Keys without a `kid`, for tokens that name none.
    unnamed: Vec<Arc<Key>>,
}

impl KeySet {
    fn is_empty(&self) -> bool {
        self.by_kid.is_empty() && self.unnamed.is_empty()
    }

    /// The key a token with this header is checked with: by `kid`, or the one key of its
    /// algorithm when the token names none.
    fn find(&self, kid: Option<&str>, alg: Algorithm) -> Option<Arc<Key>> {
        let key = match kid {
            Some(kid) => self.by_kid.get(kid).cloned(),
            None => {
                let mut all = self.by_kid.values().chain(&self.unnamed).filter(|k| k.alg == alg);
                match (all.next(), all.next()) {
                    (Some(only), None) => Some(only.clone()),
                    _ => None,
                }
            }
        };
        key.filter(|k| k.alg == alg)
    }
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
struct Verified {
    grants: Grants,
    actor: Actor,
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
        let text = self.read_source().await?;
        let set = parse_jwks(&text, &self.settings.keys)?;
        let count = set.by_kid.len() + set.unnamed.len();
        *self.keys.write().unwrap_or_else(|p| p.into_inner()) = Arc::new(set);
        self.verified.lock().unwrap_or_else(|p| p.into_inner()).clear();
        tracing::info!(keys = count, source = %self.settings.keys, "signing keys loaded");
        Ok(count)
    }

    async fn read_source(&self) -> Result<String, AuthError> {
        let source = &self.settings.keys;
        let failed = |reason: String| AuthError::Read { source_name: source.to_string(), reason };
        match source {
            // A small file, read at start and on rare refetches: not worth a blocking task.
            KeySource::File(path) => std::fs::read_to_string(path).map_err(|e| failed(e.to_string())),
            KeySource::Url(url) => {
                let response = self.http.get(url).send().await.map_err(|e| failed(e.to_string()))?;
                let response = response.error_for_status().map_err(|e| failed(e.to_string()))?;
                response.text().await.map_err(|e| failed(e.to_string()))
            }
        }
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
        let token = bearer_token(headers)?;
        let verified = match self.remembered(token) {
            Some(verified) => verified,
            None => self.verify(token).await?,
        };
        verified.grants.allow(access)?;
        Ok(verified.actor)
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
        if !matches!(header.alg, Algorithm::RS256 | Algorithm::ES256) {
            return Err(Denied::Invalid("the token is not signed with RS256 or ES256".into()));
        }
        let key = self.key_for(header.kid.as_deref(), header.alg).await?;
        let claims = jsonwebtoken::decode::<Claims>(token, &key.key, &self.validation(key.alg))
            .map_err(|e| Denied::Invalid(self.describe(e.kind())))?
            .claims;
        let verified = Verified { grants: claims.grants(), expires: claims.exp, actor: claims.actor() };
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

    /// A refusal's reason, without anything taken from the token.
    fn describe(&self, kind: &jsonwebtoken::errors::ErrorKind) -> String {
        use jsonwebtoken::errors::ErrorKind as K;
        match kind {
            K::ExpiredSignature => "the token has expired: sign in again".into(),
            K::ImmatureSignature => "the token is not valid yet (nbf)".into(),
            K::InvalidAudience => {
                format!(
                    "the token is for another audience: this service accepts {}",
                    self.settings.audiences.join(", ")
                )
            }
            K::InvalidIssuer => {
                format!("the token is from another issuer: this service accepts {}", self.settings.issuer)
            }
            K::InvalidSignature => "the token's signature does not verify".into(),
            K::InvalidAlgorithm => "the token's algorithm does not match its signing key".into(),
            K::MissingRequiredClaim(claim) => format!("the token has no {claim} claim"),
            K::InvalidClaimFormat(claim) => format!("the token's {claim} claim is malformed"),
            _ => "the token is not a well-formed JWT".into(),
        }
    }
}

fn now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0)
}

/// The bearer token of `Authorization: Bearer <token>`.
fn bearer_token(headers: &HeaderMap) -> Result<&str, Denied> {
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return Err(Denied::Missing);
    };
    let value = value.to_str().map_err(|_| Denied::Invalid("the Authorization header is not text".into()))?;
    match value.split_once(' ') {
        Some((scheme, token)) if scheme.eq_ignore_ascii_case("bearer") && !token.trim().is_empty() => Ok(token.trim()),
        _ => Err(Denied::Invalid("the Authorization header is not `Bearer <token>`".into())),
    }
}

/// Reads a JWKS document, keeping the keys this service can check (RS256, ES256).
fn parse_jwks(text: &str, source: &KeySource) -> Result<KeySet, AuthError> {
    let doc: serde_json::Value = serde_json::from_str(text).map_err(|_| AuthError::NotJwks(source.to_string()))?;
    let keys = doc.get("keys").and_then(|k| k.as_array()).ok_or_else(|| AuthError::NotJwks(source.to_string()))?;
    let mut set = KeySet::default();
    // A key this service cannot use (encryption, other algorithms) is skipped, not fatal.
    for jwk in keys.iter().filter_map(|k| serde_json::from_value::<Jwk>(k.clone()).ok()) {
        let Some(key) = verification_key(&jwk) else { continue };
        match jwk.common.key_id {
            Some(kid) => {
                set.by_kid.insert(kid, Arc::new(key));
            }
            None => set.unnamed.push(Arc::new(key)),
        }
    }
    if set.is_empty() {
        return Err(AuthError::NoKeys(source.to_string()));
    }
    Ok(set)
}

fn verification_key(jwk: &Jwk) -> Option<Key> {
    if matches!(jwk.common.public_key_use, Some(PublicKeyUse::Encryption)) {
        return None;
    }
    let alg = match (&jwk.algorithm, jwk.common.key_algorithm) {
        (AlgorithmParameters::RSA(_), None | Some(KeyAlgorithm::RS256)) => Algorithm::RS256,
        (AlgorithmParameters::EllipticCurve(ec), None | Some(KeyAlgorithm::ES256))
            if ec.curve == EllipticCurve::P256 =>
        {
            Algorithm::ES256
        }
        _ => return None,
    };
    DecodingKey::from_jwk(jwk).ok().map(|key| Key { key, alg })
}

/// The claims read from a verified token (Entra's names).
#[derive(Debug, Deserialize)]
struct Claims {
    exp: u64,
    oid: Option<String>,
    sub: Option<String>,
    appid: Option<String>,
    azp: Option<String>,
    upn: Option<String>,
    preferred_username: Option<String>,
    #[serde(default)]
    roles: Vec<String>,
    #[serde(default)]
    wids: Vec<String>,
}

impl Claims {
    fn grants(&self) -> Grants {
        let has_role = |role: &str| self.roles.iter().any(|r| r == role);
        let has_wid = |ids: &[&str]| self.wids.iter().any(|w| ids.contains(&w.as_str()));
        let write = has_role(ROLE_READ_WRITE) || has_wid(&WRITER_DIRECTORY_ROLES);
        let read = write || has_role(ROLE_READ) || has_wid(&READER_DIRECTORY_ROLES);
        Grants { read, write }
    }

    fn actor(self) -> Actor {
        let upn = self.upn.or(self.preferred_username);
        let app_id = self.appid.or(self.azp);
        let object_id = self.oid.or(self.sub);
        let name = upn.clone().or_else(|| app_id.clone()).or_else(|| object_id.clone()).unwrap_or_default();
        Actor { name, object_id, app_id, upn }
    }
}

/// What a request needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Access {
    Read,
    Write,
}

impl Access {
    /// Reading methods need read; everything else changes something.
    fn of(method: &Method) -> Self {
        if matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS) { Self::Read } else { Self::Write }
    }
}

#[derive(Debug, Clone, Copy)]
struct Grants {
    read: bool,
    write: bool,
}

impl Grants {
    fn allow(&self, access: Access) -> Result<(), Denied> {
        match access {
            Access::Write if !self.write => Err(Denied::Forbidden(if self.read {
                "changing policies needs the app role Policy.ReadWrite.AllowSelfServicePurchase, or a user who is \
                 Global Administrator or Billing Administrator: this token only grants reading"
            } else {
                NO_ACCESS
            })),
            Access::Read if !self.read => Err(Denied::Forbidden(NO_ACCESS)),
            _ => Ok(()),
        }
    }
}

const NO_ACCESS: &str = "this token grants no access to the policies: an app needs the app role \
     Policy.Read.AllowSelfServicePurchase (read) or Policy.ReadWrite.AllowSelfServicePurchase (change); a user needs \
     Global Reader (read), Billing Administrator or Global Administrator (change)";

/// Why a request is refused.
#[derive(Debug)]
pub(crate) enum Denied {
    Missing,
    Invalid(String),
    Forbidden(&'static str),
    /// No key set has loaded yet: the JWKS URL is down (a 503, clients retry).
    KeysUnavailable(String),
}

impl IntoResponse for Denied {
    fn into_response(self) -> Response {
        let (error, challenge) = match self {
            Self::Missing => (
                ApiError::new(
                    StatusCode::UNAUTHORIZED,
                    "Unauthorized",
                    "sign-in required: send `Authorization: Bearer <token>`",
                ),
                // RFC 6750 §3.1: no error code when the request carried no token.
                format!("Bearer realm=\"{REALM}\""),
            ),
            Self::Invalid(reason) => {
                let challenge =
                    format!("Bearer realm=\"{REALM}\", error=\"invalid_token\", error_description=\"{reason}\"");
                (ApiError::new(StatusCode::UNAUTHORIZED, "InvalidToken", reason), challenge)
            }
            Self::Forbidden(reason) => (
                ApiError::new(StatusCode::FORBIDDEN, "Forbidden", reason),
                format!("Bearer realm=\"{REALM}\", error=\"insufficient_scope\", error_description=\"{reason}\""),
            ),
            Self::KeysUnavailable(source) => {
                let message = format!(
                    "the service cannot check tokens yet: its signing keys ({source}) have not loaded; retry later"
                );
                let mut response =
                    ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "ServiceUnavailable", message).into_response();
                response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(5));
                return response;
            }
        };
        tracing::info!(reason = %error.message, status = error.status.as_u16(), "request refused");
        let mut response = error.into_response();
        // The reasons are ours (no token text, no quotes); a header that still fails is left out.
        if let Ok(value) = HeaderValue::from_str(&challenge) {
            response.headers_mut().insert(header::WWW_AUTHENTICATE, value);
        }
        response
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    fn claims(roles: &[&str], wids: &[&str]) -> Claims {
        Claims {
            exp: u64::MAX,
            oid: Some("o".into()),
            sub: None,
            appid: Some("app".into()),
            azp: None,
            upn: None,
            preferred_username: None,
            roles: roles.iter().map(|r| r.to_string()).collect(),
            wids: wids.iter().map(|r| r.to_string()).collect(),
        }
    }

    #[test]
    fn roles_and_directory_roles_grant_as_entra_does() {
        let reader = claims(&[ROLE_READ], &[]).grants();
        assert!(reader.allow(Access::Read).is_ok() && reader.allow(Access::Write).is_err());
        let writer = claims(&[ROLE_READ_WRITE], &[]).grants();
        assert!(writer.allow(Access::Write).is_ok() && writer.allow(Access::Read).is_ok());
        let billing = claims(&[], &[WRITER_DIRECTORY_ROLES[1]]).grants();
        assert!(billing.allow(Access::Write).is_ok());
        let global_reader = claims(&[], &READER_DIRECTORY_ROLES).grants();
        assert!(global_reader.allow(Access::Read).is_ok() && global_reader.allow(Access::Write).is_err());
        let nobody = claims(&["Other.Role"], &["00000000-0000-0000-0000-000000000000"]).grants();
        assert!(nobody.allow(Access::Read).is_err());
    }

    #[test]
    fn the_actor_is_the_user_else_the_app() {
        let mut user = claims(&[], &[]);
        user.preferred_username = Some("admin@contoso.test".into());
        assert_eq!(user.actor().name, "admin@contoso.test");
        let app = claims(&[], &[]).actor();
        assert_eq!((app.name.as_str(), app.app_id.as_deref(), app.upn), ("app", Some("app"), None));
    }

    #[test]
    fn bearer_tokens_are_read_from_the_authorization_header() {
        let mut headers = HeaderMap::new();
        assert!(matches!(bearer_token(&headers), Err(Denied::Missing)));
        headers.insert(header::AUTHORIZATION, HeaderValue::from_static("Basic abc"));
        assert!(matches!(bearer_token(&headers), Err(Denied::Invalid(_))));
        headers.insert(header::AUTHORIZATION, HeaderValue::from_static("bearer abc.def.ghi"));
        assert_eq!(bearer_token(&headers).ok(), Some("abc.def.ghi"));
    }

    #[test]
    fn key_sets_keep_usable_signing_keys_only() {
        let source = KeySource::File("keys.json".into());
        let jwks = r#"{"keys":[
            {"kty":"RSA","kid":"a","n":"sXchDaQebHnPiGvyDOAT4saGEUetSyo9MKLOoWFsueri23bOdgWp4Dy1WlUzewbgBHod5pcM9H95GQRV3JDXboIRROSBigeC5yjU1hGzHHyXss8UDprecbAYxknTcQkhslANGRUZmdTOQ5qTRsLAt6BTYuyvVRdhS8exSZEy_c4gs_7svlJJQ4H9_NxsiIoLwAEk7-Q3UXERGYw_75IDrGA84-lA_-Ct4eTlXHBIY2EaV7t7LjJaynVJCpkv4LKjTTAumiGUIuQhrNhZLuF_RJLqHpM2kgWFLU7-VTdL1VbC2tejvcI2BlMkEpk1BzBZI0KQB0GaDWFLN-aEAw3vRw","e":"AQAB"},
            {"kty":"RSA","kid":"enc","use":"enc","n":"sXch","e":"AQAB"},
            {"kty":"oct","kid":"h","k":"c2VjcmV0"}
        ]}"#;
        let set = parse_jwks(jwks, &source).unwrap();
        assert_eq!(set.by_kid.len(), 1);
        assert!(set.find(Some("a"), Algorithm::RS256).is_some());
        assert!(set.find(Some("a"), Algorithm::ES256).is_none());
        assert!(set.find(None, Algorithm::RS256).is_some(), "the one RS256 key serves tokens without kid");
        assert!(matches!(parse_jwks(r#"{"keys":[]}"#, &source), Err(AuthError::NoKeys(_))));
        assert!(matches!(parse_jwks("[]", &source), Err(AuthError::NotJwks(_))));
    }
}
