//! Managed identity: a token from the App Service / Functions identity endpoint when its
//! variables are set, else from the Azure Instance Metadata Service of the VM.

use std::time::Duration;

use serde::Deserialize;

use crate::oauth::without_url;
use crate::tenant::url_with_segments;
use crate::token::now;
use crate::{Secret, SignInError, Token};

/// The instance metadata service; `COMMERCE_POLICY_IMDS_ENDPOINT` overrides it (tests).
const IMDS: &str = "http://169.254.169.254";

#[derive(Deserialize)]
struct Answer {
    access_token: Secret,
    /// Seconds since the epoch, as a string (App Service) or a number.
    #[serde(default)]
    expires_on: Option<serde_json::Value>,
    /// Seconds, as a string (IMDS) or a number.
    #[serde(default)]
    expires_in: Option<serde_json::Value>,
}

/// A token for `resource`; `client_id` picks a user-assigned identity.
pub(crate) async fn token(resource: &str, client_id: Option<&str>) -> Result<Token, SignInError> {
    let http = reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(3))
        .timeout(Duration::from_secs(30))
        .build()
        .map_err(|e| SignInError::Config(e.to_string()))?;
    let app_service = (std::env::var("IDENTITY_ENDPOINT"), std::env::var("IDENTITY_HEADER"));
    let (request, source) = match app_service {
        (Ok(endpoint), Ok(header)) => (
            http.get(&endpoint)
                .query(&[("api-version", "2019-08-01"), ("resource", resource)])
                .header("X-IDENTITY-HEADER", header),
            endpoint,
        ),
        _ => {
            let base = std::env::var("COMMERCE_POLICY_IMDS_ENDPOINT").unwrap_or_else(|_| IMDS.into());
            let what = "COMMERCE_POLICY_IMDS_ENDPOINT";
            let url = url_with_segments(what, &base, &["metadata", "identity", "oauth2", "token"])?;
            (
                http.get(url)
                    .query(&[("api-version", "2018-02-01"), ("resource", resource)])
                    .header("Metadata", "true"),
                base,
            )
        }
    };
    let request = match client_id {
        Some(id) => request.query(&[("client_id", id)]),
        None => request,
    };
    let response = request.send().await.map_err(|e| {
        SignInError::Unreachable(format!(
            "no managed identity endpoint answered at {source} ({}): run on an Azure resource with a managed identity",
            without_url(&e)
        ))
    })?;
    let status = response.status();
    if !status.is_success() {
        return Err(SignInError::NotSignedIn(format!(
            "the managed identity endpoint {source} refused: {status}: is an identity assigned to this resource{}?",
            if client_id.is_some() { " with that --client-id" } else { "" }
        )));
    }
    let answer: Answer = response.json().await.map_err(|_| {
        SignInError::NotSignedIn(format!("the managed identity endpoint {source} did not answer with a token"))
    })?;
    Ok(Token::new(answer.access_token, lifetime(answer.expires_on, answer.expires_in), None))
}

fn number(v: Option<serde_json::Value>) -> Option<u64> {
    match v? {
        serde_json::Value::Number(n) => n.as_u64(),
        serde_json::Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

fn lifetime(expires_on: Option<serde_json::Value>, expires_in: Option<serde_json::Value>) -> Duration {
    let seconds = number(expires_in).or_else(|| number(expires_on).map(|at| at.saturating_sub(now()))).unwrap_or(3600);
    Duration::from_secs(seconds)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lifetimes_come_as_strings_or_numbers() {
        assert_eq!(lifetime(None, Some("3599".into())), Duration::from_secs(3599));
        assert_eq!(lifetime(None, Some(60.into())), Duration::from_secs(60));
        let on = (now() + 100).to_string();
        assert!(lifetime(Some(on.into()), None) <= Duration::from_secs(100));
        assert_eq!(lifetime(None, None), Duration::from_secs(3600));
    }
}
