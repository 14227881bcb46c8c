//! The OAuth 2.0 requests to Entra ID's v2.0 endpoints, through the `oauth2` crate over our
//! reqwest client (rustls, no redirects).

use std::future::Future;
use std::time::Duration;

use std::fmt;

use oauth2::basic::{BasicClient, BasicTokenResponse};
use oauth2::{
    AuthType, ClientId, ClientSecret, DeviceAuthorizationUrl, ErrorResponseType, HttpRequest, HttpResponse,
    RefreshToken, RequestTokenError, Scope, StandardDeviceAuthorizationResponse, StandardErrorResponse, TokenResponse,
    TokenUrl,
};

use crate::{Profile, Secret, SignInError, Token};

/// The assertion type of a client assertion (certificate or federated token).
const JWT_BEARER: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// What a person is asked to do to finish a device-code sign-in.
#[derive(Debug, Clone)]
pub struct DeviceCodePrompt {
    pub verification_uri: String,
    pub user_code: String,
    pub expires_in: Duration,
}

/// An HTTP client for identity endpoints: no redirects (a token request never follows one).
pub(crate) fn http_client() -> Result<reqwest::Client, SignInError> {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(30))
        .connect_timeout(Duration::from_secs(10))
        .build()
        .map_err(|e| SignInError::Config(format!("could not set up HTTPS: {e}")))
}

/// Sends one `oauth2` request with reqwest.
pub(crate) fn send(
    client: &reqwest::Client,
    request: HttpRequest,
) -> impl Future<Output = Result<HttpResponse, reqwest::Error>> {
    let client = client.clone();
    async move {
        let (parts, body) = request.into_parts();
        let response =
            client.request(parts.method, parts.uri.to_string()).headers(parts.headers).body(body).send().await?;
        let mut answer = http::Response::builder().status(response.status());
        for (name, value) in response.headers() {
            answer = answer.header(name, value);
        }
        let bytes = response.bytes().await?;
        Ok(answer.body(bytes.to_vec()).unwrap_or_default())
    }
}

fn token_url(profile: &Profile) -> Result<TokenUrl, SignInError> {
    Ok(TokenUrl::from_url(profile.token_url()?))
}

/// Client credentials: with a secret, or with an assertion (a signed certificate assertion or
/// a federated token).
pub(crate) async fn client_credentials(
    http: &reqwest::Client,
    profile: &Profile,
    secret: Option<&Secret>,
    assertion: Option<&Secret>,
) -> Result<Token, SignInError> {
    let mut client = BasicClient::new(ClientId::new(profile.client_id.clone()))
        .set_token_uri(token_url(profile)?)
        .set_auth_type(AuthType::RequestBody);
    if let Some(secret) = secret {
        client = client.set_client_secret(ClientSecret::new(secret.expose().to_string()));
    }
    let mut request = client.exchange_client_credentials().add_scope(Scope::new(profile.scope()));
    if let Some(assertion) = assertion {
        request = request
            .add_extra_param("client_assertion_type", JWT_BEARER)
            .add_extra_param("client_assertion", assertion.expose().to_string());
    }
    let response = request.request_async(&|r| send(http, r)).await.map_err(|e| refused(profile, e))?;
    Ok(token(&response))
}

/// A new access token from a refresh token.
pub(crate) async fn refresh(
    http: &reqwest::Client,
    profile: &Profile,
    refresh_token: &Secret,
) -> Result<Token, SignInError> {
    let client = BasicClient::new(ClientId::new(profile.client_id.clone()))
        .set_token_uri(token_url(profile)?)
        .set_auth_type(AuthType::RequestBody);
    let refresh_token = RefreshToken::new(refresh_token.expose().to_string());
    let response = client
        .exchange_refresh_token(&refresh_token)
        .add_scope(Scope::new(profile.scope()))
        .add_scope(Scope::new("offline_access".into()))
        .request_async(&|r| send(http, r))
        .await
        .map_err(|e| refused(profile, e))?;
    let mut token = token(&response);
    // Entra may answer without a new refresh token; the old one then stays valid.
    token.refresh_token = token.refresh_token.or_else(|| Some(Secret::new(refresh_token.secret().clone())));
    Ok(token)
}

/// The device authorization grant (RFC 8628): shows the prompt, then polls until the person
/// has signed in, declined, or the code expired.
pub(crate) async fn device_code(
    http: &reqwest::Client,
    profile: &Profile,
    show: &dyn Fn(&DeviceCodePrompt),
) -> Result<Token, SignInError> {
    let device_url = DeviceAuthorizationUrl::from_url(profile.device_code_url()?);
    let client = BasicClient::new(ClientId::new(profile.client_id.clone()))
        .set_token_uri(token_url(profile)?)
        .set_device_authorization_url(device_url)
        .set_auth_type(AuthType::RequestBody);
    let details: StandardDeviceAuthorizationResponse = client
        .exchange_device_code()
        .add_scope(Scope::new(profile.scope()))
        .add_scope(Scope::new("offline_access".into()))
        .request_async(&|r| send(http, r))
        .await
        .map_err(|e| refused(profile, e))?;
    show(&DeviceCodePrompt {
        verification_uri: details.verification_uri().to_string(),
        user_code: details.user_code().secret().clone(),
        expires_in: details.expires_in(),
    });
    let response = client
        .exchange_device_access_token(&details)
        .request_async(&|r| send(http, r), tokio::time::sleep, Some(details.expires_in()))
        .await
        .map_err(|e| refused(profile, e))?;
    Ok(token(&response))
}

pub(crate) fn token(response: &BasicTokenResponse) -> Token {
    Token::new(
        Secret::new(response.access_token().secret().clone()),
        response.expires_in().unwrap_or(Duration::from_secs(3600)),
        response.refresh_token().map(|t| Secret::new(t.secret().clone())),
    )
}

/// Turns a failed token request into one line: what the identity provider said, never the
/// request or the raw answer (either could hold a secret).
pub(crate) fn refused<T>(
    profile: &Profile,
    e: RequestTokenError<reqwest::Error, StandardErrorResponse<T>>,
) -> SignInError
where
    T: ErrorResponseType + fmt::Display + 'static,
{
    match e {
        RequestTokenError::ServerResponse(answer) => {
            let description = answer.error_description().map(|d| first_line(d)).unwrap_or_default();
            let line = format!("{} refused the sign-in: {} {description}", profile.authority, answer.error());
            SignInError::NotSignedIn(line.trim_end().to_string())
        }
        RequestTokenError::Request(e) => {
            SignInError::Unreachable(format!("could not reach {}: {}", profile.authority, without_url(&e)))
        }
        RequestTokenError::Parse(e, _) => SignInError::NotSignedIn(format!(
            "{} did not answer with a token (at {}): is --authority an Entra ID sign-in host?",
            profile.authority,
            e.path()
        )),
        RequestTokenError::Other(message) => {
            SignInError::NotSignedIn(format!("the sign-in failed: {}", first_line(&message)))
        }
    }
}

/// Entra's descriptions carry trace and correlation ids on later lines; the first says why.
fn first_line(text: &str) -> &str {
    text.lines().next().unwrap_or_default().trim()
}

/// A reqwest error's cause, without repeating the URL it was sending to.
pub(crate) fn without_url(e: &reqwest::Error) -> String {
    let mut text = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        text = s.to_string();
        source = s.source();
    }
    text
}
