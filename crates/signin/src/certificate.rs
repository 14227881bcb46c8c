//! Client credentials with a certificate: the private key signs a short-lived client
//! assertion (RFC 7523) that names the certificate by its SHA-1 thumbprint (`x5t`), as Entra
//! ID expects. The certificate is a PEM file (certificate and private key) or a PFX file.

use std::path::Path;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde::Serialize;
use sha1::{Digest, Sha1};

use crate::token::now;
use crate::{Secret, SignInError};

/// A loaded certificate: the signing key and the thumbprint of the certificate.
pub(crate) struct Certificate {
    key: EncodingKey,
    /// base64url of the SHA-1 of the certificate's DER.
    x5t: String,
}

#[derive(Serialize)]
struct Claims<'a> {
    aud: &'a str,
    iss: &'a str,
    sub: &'a str,
    jti: String,
    nbf: u64,
    iat: u64,
    exp: u64,
}

impl Certificate {
    /// Reads a `.pfx`/`.p12` file (with `password`) or a PEM file holding the certificate
    /// and its private key.
    pub fn load(path: &Path, password: Option<&Secret>) -> Result<Self, SignInError> {
        let bytes = std::fs::read(path)
            .map_err(|e| SignInError::Config(format!("--certificate {}: could not read it: {e}", path.display())))?;
        let bad = |why: String| SignInError::Config(format!("--certificate {}: {why}", path.display()));
        let is_pfx = path.extension().is_some_and(|e| e.eq_ignore_ascii_case("pfx") || e.eq_ignore_ascii_case("p12"));
        let (cert_der, key_pem) =
            if is_pfx { from_pfx(&bytes, password).map_err(bad)? } else { from_pem(&bytes).map_err(bad)? };
        let key = EncodingKey::from_rsa_pem(key_pem.as_bytes())
            .map_err(|_| bad("the private key is not an RSA key (Entra ID certificates are RSA)".into()))?;
        Ok(Self { key, x5t: URL_SAFE_NO_PAD.encode(Sha1::digest(&cert_der)) })
    }

    /// A client assertion for `client_id` at `token_url`, valid for ten minutes.
    pub fn assertion(&self, client_id: &str, token_url: &str) -> Result<Secret, SignInError> {
        let mut header = Header::new(Algorithm::RS256);
        header.x5t = Some(self.x5t.clone());
        let issued = now();
        let claims = Claims {
            aud: token_url,
            iss: client_id,
            sub: client_id,
            jti: uuid::Uuid::new_v4().to_string(),
            nbf: issued,
            iat: issued,
            exp: issued + 600,
        };
        jsonwebtoken::encode(&header, &claims, &self.key)
            .map(Secret::new)
            .map_err(|e| SignInError::Config(format!("could not sign the client assertion: {e}")))
    }
}

/// The certificate's DER and the private key as PEM, from a PEM bundle.
fn from_pem(bytes: &[u8]) -> Result<(Vec<u8>, String), String> {
    let blocks = pem::parse_many(bytes).map_err(|e| format!("not a PEM file: {e}"))?;
    let cert = blocks.iter().find(|b| b.tag() == "CERTIFICATE").ok_or("it holds no CERTIFICATE block")?;
    let key = blocks
        .iter()
        .find(|b| b.tag() == "PRIVATE KEY" || b.tag() == "RSA PRIVATE KEY")
        .ok_or("it holds no unencrypted PRIVATE KEY block: put the certificate and its key in one PEM file")?;
    Ok((cert.contents().to_vec(), pem::encode(key)))
}

/// The first certificate and its private key from a PKCS#12 archive.
fn from_pfx(bytes: &[u8], password: Option<&Secret>) -> Result<(Vec<u8>, String), String> {
    let password = password.map(Secret::expose).unwrap_or_default();
    let store = p12_keystore::KeyStore::from_pkcs12(bytes, password, p12_keystore::Pkcs12ImportPolicy::Strict)
        .map_err(|_| {
            "not a PFX file, or the password is wrong: set COMMERCE_POLICY_CERTIFICATE_PASSWORD".to_string()
        })?;
    let (_, chain) = store.private_key_chain().ok_or("it holds no private key with a certificate")?;
    let cert = chain.certs().first().ok_or("it holds no certificate for its key")?;
    let key = pem::encode(&pem::Pem::new("PRIVATE KEY", chain.key().as_der()));
    Ok((cert.as_der().to_vec(), key))
}
