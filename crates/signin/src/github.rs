//! GitHub Actions' OIDC token, asked for afresh for every Entra token: it lives minutes, a
//! job may run longer, and a runner keeps no credential store.

use serde::Deserialize;

use crate::oauth::without_url;
use crate::{Secret, SignInError};

/// The audience Entra ID expects of a federated token.
const AUDIENCE: &str = "api://AzureADTokenExchange";

#[derive(Deserialize)]
struct Answer {
    value: Secret,
}

/// The job's ID token, from the endpoint the runner names (`permissions: id-token: write`).
pub(crate) async fn id_token(http: &reqwest::Client) -> Result<Secret, SignInError> {
    let (Ok(url), Ok(bearer)) =
        (std::env::var("ACTIONS_ID_TOKEN_REQUEST_URL"), std::env::var("ACTIONS_ID_TOKEN_REQUEST_TOKEN"))
    else {
        return Err(SignInError::Config(
            "--federated-github: ACTIONS_ID_TOKEN_REQUEST_URL is not set: run in GitHub Actions with `permissions: id-token: write`".into(),
        ));
    };
    let mut url = url::Url::parse(&url)
        .map_err(|e| SignInError::Config(format!("ACTIONS_ID_TOKEN_REQUEST_URL is not a URL: {e}")))?;
    url.query_pairs_mut().append_pair("audience", AUDIENCE);
    let response = http.get(url).bearer_auth(bearer).send().await.map_err(|e| {
        SignInError::Unreachable(format!("could not reach GitHub's token endpoint: {}", without_url(&e)))
    })?;
    if !response.status().is_success() {
        return Err(SignInError::NotSignedIn(format!(
            "GitHub refused an ID token: {}: does the job have `permissions: id-token: write`?",
            response.status()
        )));
    }
    let answer: Answer = response
        .json()
        .await
        .map_err(|_| SignInError::NotSignedIn("GitHub's token endpoint did not answer with a token".into()))?;
    Ok(answer.value)
}
