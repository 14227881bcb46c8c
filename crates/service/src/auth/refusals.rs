//! Why a request is refused and how the refusal reads: RFC 6750 bearer challenges with a
//! reason the caller can act on, never anything taken from the token itself.

use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::AuthSettings;
use crate::ApiError;

const REALM: &str = "commerce-policy";

pub(super) const NO_ACCESS: &str = "this token grants no access to the policies: an app needs the app role \
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

/// The bearer token of `Authorization: Bearer <token>`.
pub(super) fn bearer_token(headers: &HeaderMap) -> Result<&str, Denied> {
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return Err(Denied::Missing);
    };
    let value = value.to_str().map_err(|_| Denied::Invalid("the Authorization header is not text".into()))?;
    match value.split_once(' ') {
        Some((scheme, token)) if scheme.eq_ignore_ascii_case("bearer") && !token.trim().is_empty() => Ok(token.trim()),
        _ => Err(Denied::Invalid("the Authorization header is not `Bearer <token>`".into())),
    }
}

/// A refusal's reason, without anything taken from the token.
pub(super) fn describe(kind: &jsonwebtoken::errors::ErrorKind, settings: &AuthSettings) -> String {
    use jsonwebtoken::errors::ErrorKind as K;
    match kind {
        K::ExpiredSignature => "the token has expired: sign in again".into(),
        K::ImmatureSignature => "the token is not valid yet (nbf)".into(),
        K::InvalidAudience => {
            format!("the token is for another audience: this service accepts {}", settings.audiences.join(", "))
        }
        K::InvalidIssuer => {
            format!("the token is from another issuer: this service accepts {}", settings.issuer)
        }
        K::InvalidSignature => "the token's signature does not verify".into(),
        K::InvalidAlgorithm => "the token's algorithm does not match its signing key".into(),
        K::MissingRequiredClaim(claim) => format!("the token has no {claim} claim"),
        K::InvalidClaimFormat(claim) => format!("the token's {claim} claim is malformed"),
        _ => "the token is not a well-formed JWT".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bearer_tokens_are_read_from_the_authorization_header() {
        let mut headers = HeaderMap::new();
        assert!(matches!(bearer_token(&headers), Err(Denied::Missing)));
        headers.insert(header::AUTHORIZATION, HeaderValue::from_static("Basic abc"));
        assert!(matches!(bearer_token(&headers), Err(Denied::Invalid(_))));
        headers.insert(header::AUTHORIZATION, HeaderValue::from_static("bearer abc.def.ghi"));
        assert_eq!(bearer_token(&headers).ok(), Some("abc.def.ghi"));
    }
}
