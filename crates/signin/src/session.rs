//! A connection in use: gets a token the cheapest way that works — the kept one, a refresh,
//! or an unattended flow run again — and keeps what it got in the credential store.

use crate::certificate::Certificate;
use crate::oauth::{self, DeviceCodePrompt};
use crate::vault::Kept;
use crate::{BrowserSignIn, browser};
use crate::{FederatedSource, Flow, Profile, Secret, SignInError, Token, Vault, github, managed_identity};

/// Secrets handed in for this run (from the environment, stdin or a prompt), which win over
/// the kept ones.
#[derive(Debug, Clone, Default)]
pub struct Given {
    pub client_secret: Option<Secret>,
    pub certificate_password: Option<Secret>,
    pub access_token: Option<Secret>,
}

impl Given {
    fn or_kept(&self, kept: &Kept) -> Given {
        Given {
            client_secret: self.client_secret.clone().or_else(|| kept.client_secret.clone()),
            certificate_password: self.certificate_password.clone().or_else(|| kept.certificate_password.clone()),
            access_token: self.access_token.clone(),
        }
    }
}

/// How an interactive sign-in (`connect`) reaches the person at the terminal.
#[derive(Clone, Copy)]
pub struct Interaction<'a> {
    /// Shows the device code and where to enter it.
    pub show_device_code: &'a dyn Fn(&DeviceCodePrompt),
    pub browser: BrowserSignIn<'a>,
}

pub struct Session {
    pub profile: Profile,
    vault: Vault,
    /// Made on first use: a command whose kept token is fresh never loads the TLS roots twice.
    http: std::sync::OnceLock<reqwest::Client>,
}

impl Session {
    pub fn open(profile: Profile) -> Self {
        let vault = Vault::open(&profile.account());
        Self { profile, vault, http: std::sync::OnceLock::new() }
    }

    pub fn vault(&self) -> &Vault {
        &self.vault
    }

    fn http(&self) -> Result<&reqwest::Client, SignInError> {
        if let Some(client) = self.http.get() {
            return Ok(client);
        }
        let client = oauth::http_client()?;
        Ok(self.http.get_or_init(|| client))
    }

    /// Signs in now, whatever is kept (`connect`), and keeps the token and the secrets given.
    pub async fn sign_in(&self, given: &Given, person: &Interaction<'_>) -> Result<Token, SignInError> {
        let token = self.acquire(given, Some(person)).await?;
        let kept = Kept {
            token: Some(token.clone()),
            graph_token: None,
            client_secret: given.client_secret.clone().filter(|_| self.profile.flow == Flow::ClientSecret),
            certificate_password: given.certificate_password.clone(),
        };
        self.vault.save(&kept);
        Ok(token)
    }

    /// A token good for this command.
    pub async fn token(&self, given: &Given) -> Result<Token, SignInError> {
        let mut kept = self.vault.load();
        if let Some(token) = kept.token.as_ref().filter(|t| t.is_fresh()) {
            return Ok(token.clone());
        }
        let refreshed = match kept.token.as_ref().and_then(|t| t.refresh_token.clone()) {
            Some(refresh_token) => match oauth::refresh(self.http()?, &self.profile, &refresh_token).await {
                Ok(token) => Some(token),
                Err(SignInError::NotSignedIn(why)) if !self.profile.flow.is_unattended() => {
                    return Err(self.expired(&why));
                }
                Err(SignInError::NotSignedIn(_)) => None,
                Err(e) => return Err(e),
            },
            None => None,
        };
        let token = match refreshed {
            Some(token) => token,
            None if self.profile.flow.is_unattended() => self.acquire(&given.or_kept(&kept), None).await?,
            None if kept.token.is_some() => return Err(self.expired("the token has expired")),
            None => return Err(self.not_kept()),
        };
        kept.token = Some(token.clone());
        self.vault.save(&kept);
        Ok(token)
    }

    /// The same sign-in under another profile (the tenant a token named): what is kept moves
    /// to the new profile's entry in the credential store.
    pub fn rename(self, profile: Profile) -> Result<Session, SignInError> {
        if profile.account() == self.profile.account() {
            return Ok(Session { profile, ..self });
        }
        let moved = Session::open(profile);
        if self.vault.unavailable().is_none() {
            moved.vault.save(&self.vault.load());
            self.vault.remove()?;
        }
        Ok(moved)
    }

    /// Forgets the kept token and secrets; `false` if nothing was kept.
    pub fn sign_out(&self) -> Result<bool, SignInError> {
        self.vault.remove()
    }

    /// A new token from the profile's flow; the person-driven flows only with a person there.
    async fn acquire(&self, given: &Given, person: Option<&Interaction<'_>>) -> Result<Token, SignInError> {
        let p = &self.profile;
        match (&p.flow, person) {
            (Flow::DeviceCode, Some(person)) => oauth::device_code(self.http()?, p, person.show_device_code).await,
            (Flow::Browser, Some(person)) => browser::sign_in(self.http()?, p, &person.browser).await,
            (Flow::DeviceCode | Flow::Browser, None) => Err(self.not_kept()),
            (flow, _) => self.acquire_unattended(given, flow, p).await,
        }
    }

    /// A new token of the profile's unattended flow, for the resource of `p` (the profile's
    /// own, or Microsoft Graph's).
    async fn acquire_unattended(&self, given: &Given, flow: &Flow, p: &Profile) -> Result<Token, SignInError> {
        match flow {
            Flow::DeviceCode | Flow::Browser => Err(self.not_kept()),
            Flow::ClientSecret => {
                let secret = given.client_secret.as_ref().ok_or_else(|| {
                    SignInError::NotSignedIn(format!(
                        "no client secret for application {}: set COMMERCE_POLICY_CLIENT_SECRET{}",
                        p.client_id,
                        self.store_hint()
                    ))
                })?;
                oauth::client_credentials(self.http()?, p, Some(secret), None).await
            }
            Flow::Certificate { path } => {
                let assertion = Certificate::load(path, given.certificate_password.as_ref())?
                    .assertion(&p.client_id, p.token_url()?.as_str())?;
                oauth::client_credentials(self.http()?, p, None, Some(&assertion)).await
            }
            Flow::FederatedToken { source } => {
                let assertion = federated_token(self.http()?, source).await?;
                oauth::client_credentials(self.http()?, p, None, Some(&assertion)).await
            }
            Flow::ManagedIdentity => {
                let client_id = Some(p.client_id.as_str()).filter(|id| !id.is_empty());
                managed_identity::token(&p.resource, client_id).await
            }
            Flow::AccessToken => {
                given.access_token.clone().map(Token::from_access_token).ok_or_else(|| self.not_kept())
            }
            Flow::NoSignIn => Err(SignInError::Config("this connection has no sign-in".into())),
        }
    }

    /// A Microsoft Graph token for this connection (`https://graph.microsoft.com/.default`,
    /// or the cloud's Graph host), kept beside the licensing token: the kept one while fresh,
    /// else a refresh token redeemed for Graph (a person's sign-in: Entra's refresh tokens
    /// serve every resource the client is consented for), else the unattended flow asked again
    /// for Graph (client secret, certificate, federated token, managed identity).
    pub async fn graph_token(&self, given: &Given) -> Result<Token, SignInError> {
        let graph = Profile { resource: self.profile.cloud.graph_endpoint().into(), ..self.profile.clone() };
        let mut kept = self.vault.load();
        if let Some(token) = kept.graph_token.as_ref().filter(|t| t.is_fresh()) {
            return Ok(token.clone());
        }
        let refresh_token =
            [&kept.graph_token, &kept.token].into_iter().find_map(|t| t.as_ref().and_then(|t| t.refresh_token.clone()));
        let token = match (refresh_token, self.profile.flow.is_unattended()) {
            (Some(refresh_token), _) => {
                oauth::refresh(self.http()?, &graph, &refresh_token).await.map_err(|e| self.graph_refused(e))?
            }
            (None, true) => self.acquire_unattended(&given.or_kept(&kept), &self.profile.flow, &graph).await?,
            (None, false) if self.profile.flow == Flow::AccessToken => {
                return Err(SignInError::NotSignedIn(
                    "a connection made with a ready token has no Microsoft Graph token: pass one in COMMERCE_POLICY_GRAPH_ACCESS_TOKEN".into(),
                ));
            }
            (None, false) => return Err(self.not_kept()),
        };
        kept.graph_token = Some(token.clone());
        self.vault.save(&kept);
        Ok(token)
    }

    /// A refused Graph refresh, said as what to do: consent is the usual cause.
    fn graph_refused(&self, e: SignInError) -> SignInError {
        match e {
            SignInError::NotSignedIn(why) => SignInError::NotSignedIn(format!(
                "no Microsoft Graph token for {} ({why}): the client needs consent for Microsoft Graph (Organization.Read.All, User.Read.All); run `commerce-policy connect` again after an admin grants it",
                self.profile.describe()
            )),
            e => e,
        }
    }

    fn store_hint(&self) -> String {
        match self.vault.unavailable() {
            Some(why) => format!(" (no credential store keeps it here: {why})"),
            None => String::new(),
        }
    }

    fn expired(&self, why: &str) -> SignInError {
        SignInError::NotSignedIn(format!(
            "the sign-in to {} has expired ({why}): run `commerce-policy connect` again",
            self.profile.describe()
        ))
    }

    fn not_kept(&self) -> SignInError {
        let why = match self.vault.unavailable() {
            Some(why) => format!("no credential store could keep the {} sign-in ({why})", self.profile.flow.name()),
            None => format!("no {} sign-in is kept", self.profile.flow.name()),
        };
        SignInError::NotSignedIn(format!(
            "not signed in to {}: {why}: run `commerce-policy connect`, or pass a token in COMMERCE_POLICY_ACCESS_TOKEN",
            self.profile.describe()
        ))
    }
}

/// The federated token, read afresh: Kubernetes and CI runners rotate it.
async fn federated_token(http: &reqwest::Client, source: &FederatedSource) -> Result<Secret, SignInError> {
    let token = match source {
        FederatedSource::File(path) => std::fs::read_to_string(path).map_err(|e| {
            SignInError::Config(format!("--federated-token-file {}: could not read it: {e}", path.display()))
        })?,
        FederatedSource::Env(name) => std::env::var(name)
            .map_err(|_| SignInError::Config(format!("--federated-token-env {name}: the variable is not set")))?,
        FederatedSource::GitHubActions => return github::id_token(http).await,
    };
    // A file written by Windows PowerShell 5.1 or Notepad may start with a byte order mark.
    let token = Secret::new(token.trim_start_matches('\u{feff}').trim());
    if token.is_empty() {
        return Err(SignInError::Config("the federated token is empty".into()));
    }
    Ok(token)
}
