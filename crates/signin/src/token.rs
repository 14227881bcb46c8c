//! Secrets and tokens that cannot be printed by accident.

use std::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine;
use serde::{Deserialize, Serialize};

/// A secret string (a client secret, a password, a token): formats as `[redacted]`.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret, trimming the line ending a file or a pipe adds.
    pub fn new(value: impl Into<String>) -> Self {
        let value: String = value.into();
        Self(value.trim_end_matches(['\r', '\n']).to_string())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }

    pub fn is_empty(&self) -> bool {
        self.0.trim().is_empty()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

/// An access token with its expiry, and the refresh token that came with it.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Token {
    pub access_token: Secret,
    /// Seconds since the Unix epoch.
    pub expires_at: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<Secret>,
}

/// Tokens are renewed this long before they expire, so a long command does not outlive one.
pub const RENEW_BEFORE: Duration = Duration::from_secs(5 * 60);

impl Token {
    pub fn new(access_token: Secret, lifetime: Duration, refresh_token: Option<Secret>) -> Self {
        Self { access_token, expires_at: now() + lifetime.as_secs(), refresh_token }
    }

    /// A token obtained elsewhere: its expiry is read from its `exp` claim when it has one.
    pub fn from_access_token(access_token: Secret) -> Self {
        let exp = claims(access_token.expose()).get("exp").and_then(|v| v.as_u64());
        let expires_at = exp.unwrap_or_else(|| now() + 3600);
        Self { access_token, expires_at, refresh_token: None }
    }

    /// Still good for at least [`RENEW_BEFORE`], or for half its life if it was issued for
    /// less than that (test providers and short-lived federated tokens).
    pub fn is_fresh(&self) -> bool {
        let left = self.expires_at.saturating_sub(now());
        if left > RENEW_BEFORE.as_secs() {
            return true;
        }
        let lifetime = self.lifetime_hint();
        left > 0 && lifetime <= RENEW_BEFORE.as_secs() && left * 2 > lifetime
    }

    /// The token's own lifetime from its `iat` and `exp` claims, when it is a JWT.
    fn lifetime_hint(&self) -> u64 {
        let claims = claims(self.access_token.expose());
        match (claims.get("iat").and_then(|v| v.as_u64()), claims.get("exp").and_then(|v| v.as_u64())) {
            (Some(iat), Some(exp)) if exp > iat => exp - iat,
            _ => u64::MAX,
        }
    }

    /// Who the token says it is for, read without verification: for display only.
    pub fn identity(&self) -> TokenIdentity {
        TokenIdentity::read(self.access_token.expose())
    }
}

/// The parts of an Entra access token a person recognises.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TokenIdentity {
    pub tenant_id: Option<String>,
    /// The user principal name, or the application id of an app-only token.
    pub account: Option<String>,
}

impl TokenIdentity {
    fn read(token: &str) -> Self {
        let claims = claims(token);
        let text = |name: &str| claims.get(name).and_then(|v| v.as_str()).map(str::to_string);
        let account = text("upn")
            .or_else(|| text("preferred_username"))
            .or_else(|| text("appid").or_else(|| text("azp")).map(|app| format!("application {app}")));
        Self { tenant_id: text("tid"), account }
    }
}

/// The payload of a JWT, or an empty object for anything else.
fn claims(token: &str) -> serde_json::Map<String, serde_json::Value> {
    token
        .split('.')
        .nth(1)
        .and_then(|payload| base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(payload.trim_end_matches('=')).ok())
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .unwrap_or_default()
}

pub(crate) fn now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn jwt(payload: serde_json::Value) -> String {
        let b64 = |v: &[u8]| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v);
        format!("{}.{}.sig", b64(br#"{"alg":"none"}"#), b64(payload.to_string().as_bytes()))
    }

    #[test]
    fn secrets_and_tokens_never_format() {
        let token = Token::new(Secret::new("eyJ-very-secret\n"), Duration::from_secs(3600), Some(Secret::new("rt")));
        let shown = format!("{token:?}");
        assert!(!shown.contains("very-secret") && !shown.contains("\"rt\""), "{shown}");
        assert_eq!(token.access_token.expose(), "eyJ-very-secret");
    }

    #[test]
    fn freshness_leaves_a_margin() {
        assert!(Token::new(Secret::new("a"), Duration::from_secs(3600), None).is_fresh());
        assert!(!Token::new(Secret::new("a"), Duration::from_secs(120), None).is_fresh());
        assert!(!Token::new(Secret::new("a"), Duration::ZERO, None).is_fresh());
        // A token issued for a minute is fresh for its first half.
        let short = jwt(serde_json::json!({ "iat": now(), "exp": now() + 60 }));
        assert!(Token::new(Secret::new(short), Duration::from_secs(60), None).is_fresh());
    }

    #[test]
    fn identity_names_the_user_or_the_app() {
        let user = jwt(serde_json::json!({ "tid": "t1", "upn": "admin@contoso.com", "appid": "x" }));
        assert_eq!(TokenIdentity::read(&user).account.as_deref(), Some("admin@contoso.com"));
        let app = jwt(serde_json::json!({ "tid": "t1", "appid": "1234" }));
        assert_eq!(TokenIdentity::read(&app).account.as_deref(), Some("application 1234"));
        assert_eq!(TokenIdentity::read("not a jwt"), TokenIdentity::default());
    }
}
