//! Sign-in in a browser, for tenants whose Conditional Access blocks device code: the OAuth
//! 2.0 authorization code flow of a native app (RFC 8252) with PKCE (RFC 7636, S256), the
//! code coming back to a loopback redirect on a fresh port.

use std::time::Duration;

use oauth2::basic::BasicClient;
use oauth2::{
    AuthType, AuthUrl, AuthorizationCode, ClientId, CsrfToken, PkceCodeChallenge, RedirectUrl, Scope, TokenUrl,
};

use crate::loopback::Loopback;
use crate::oauth::{refused, send, token};
use crate::{Profile, SignInError, Token};

/// How the browser sign-in reaches a person, and how long it waits for them.
#[derive(Clone, Copy)]
pub struct BrowserSignIn<'a> {
    /// Sends the person to the sign-in page (opens a browser, prints the URL), once the
    /// redirect is listening.
    pub open: &'a dyn Fn(&str),
    /// How long to wait for the browser to come back.
    pub timeout: Duration,
}

/// Signs a person in through the browser: the code from the loopback redirect, exchanged
/// with the PKCE verifier only this process knows.
pub(crate) async fn sign_in(
    http: &reqwest::Client,
    profile: &Profile,
    how: &BrowserSignIn<'_>,
) -> Result<Token, SignInError> {
    let state = CsrfToken::new_random();
    let loopback = Loopback::listen(state.secret()).await?;
    let redirect = RedirectUrl::new(loopback.redirect_uri()).map_err(|e| SignInError::Config(e.to_string()))?;
    let client = BasicClient::new(ClientId::new(profile.client_id.clone()))
        .set_auth_uri(AuthUrl::from_url(profile.authorize_url()?))
        .set_token_uri(TokenUrl::from_url(profile.token_url()?))
        .set_redirect_uri(redirect)
        .set_auth_type(AuthType::RequestBody);
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let (url, _) = client
        .authorize_url(|| state.clone())
        .add_scope(Scope::new(profile.scope()))
        .add_scope(Scope::new("offline_access".into()))
        .set_pkce_challenge(challenge)
        .url();
    (how.open)(url.as_str());
    let code = loopback.code(how.timeout).await?;
    let response = client
        .exchange_code(AuthorizationCode::new(code))
        .set_pkce_verifier(verifier)
        // Entra asks for the scopes again when the code is redeemed.
        .add_extra_param("scope", format!("{} offline_access", profile.scope()))
        .request_async(&|r| send(http, r))
        .await
        .map_err(|e| refused(profile, e))?;
    Ok(token(&response))
}
