//! Where the issuer's signing keys come from (a JWKS URL or file) and how a key set is read:
//! only the keys this service can verify with are kept.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;

use jsonwebtoken::jwk::{AlgorithmParameters, EllipticCurve, Jwk, KeyAlgorithm, PublicKeyUse};
use jsonwebtoken::{Algorithm, DecodingKey};

use super::AuthError;

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

impl KeySource {
    pub(super) async fn read(&self, http: &reqwest::Client) -> Result<String, AuthError> {
        let failed = |reason: String| AuthError::Read { source_name: self.to_string(), reason };
        match self {
            // A small file, read at start and on rare refetches: not worth a blocking task.
            Self::File(path) => std::fs::read_to_string(path).map_err(|e| failed(e.to_string())),
            Self::Url(url) => {
                let response = http.get(url).send().await.map_err(|e| failed(e.to_string()))?;
                let response = response.error_for_status().map_err(|e| failed(e.to_string()))?;
                response.text().await.map_err(|e| failed(e.to_string()))
            }
        }
    }
}

/// One verification key.
pub(super) struct Key {
    pub(super) key: DecodingKey,
    pub(super) alg: Algorithm,
}

#[derive(Default)]
pub(super) struct KeySet {
    by_kid: HashMap<String, Arc<Key>>,
    /// Keys without a `kid`, for tokens that name none.
    unnamed: Vec<Arc<Key>>,
}

impl KeySet {
    pub(super) fn is_empty(&self) -> bool {
        self.by_kid.is_empty() && self.unnamed.is_empty()
    }

    pub(super) fn len(&self) -> usize {
        self.by_kid.len() + self.unnamed.len()
    }

    /// The key a token with this header is checked with: by `kid`, or the one key of its
    /// algorithm when the token names none.
    pub(super) fn find(&self, kid: Option<&str>, alg: Algorithm) -> Option<Arc<Key>> {
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

/// Reads a JWKS document, keeping the keys this service can check (RS256, ES256).
pub(super) fn parse_jwks(text: &str, source: &KeySource) -> Result<KeySet, AuthError> {
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

#[cfg(test)]
mod tests {
    use super::*;

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
