//! The saved connection: which tenant, cloud, client and flow `connect` chose. It holds no
//! secret, so it can live in a plain file; the tokens live in the [`crate::Vault`].

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use url::Url;

use crate::tenant::{parse_tenant_id, url_with_segments};
use crate::{Cloud, SignInError};

/// How tokens are obtained.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "flow", rename_all = "camelCase")]
pub enum Flow {
    /// A person signs in on another device (RFC 8628); refreshed with the refresh token.
    DeviceCode,
    /// A person signs in in a browser on this machine (authorization code with PKCE, loopback
    /// redirect); refreshed with the refresh token.
    Browser,
    /// An application with a client secret (kept in the credential store, or given again
    /// through `COMMERCE_POLICY_CLIENT_SECRET` on every command).
    ClientSecret,
    /// An application with a certificate: a signed client assertion.
    Certificate { path: PathBuf },
    /// Workload identity federation: another issuer's token, exchanged for an Entra token.
    FederatedToken { source: FederatedSource },
    /// The Azure managed identity of the machine (IMDS) or of the App Service / Function.
    ManagedIdentity,
    /// A token obtained elsewhere, used until it expires.
    AccessToken,
    /// No sign-in: a service (or the embedded store) that needs none; requests carry a
    /// token only when one is given (`--access-token`).
    NoSignIn,
}

/// Where a federated token is read from, afresh for every token request (they rotate).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum FederatedSource {
    File(PathBuf),
    Env(String),
    /// GitHub Actions' OIDC token endpoint (`ACTIONS_ID_TOKEN_REQUEST_URL`).
    GitHubActions,
}

impl Flow {
    pub fn name(&self) -> &'static str {
        match self {
            Flow::DeviceCode => "device code",
            Flow::Browser => "browser",
            Flow::ClientSecret => "client secret",
            Flow::Certificate { .. } => "certificate",
            Flow::FederatedToken { .. } => "federated token",
            Flow::ManagedIdentity => "managed identity",
            Flow::AccessToken => "access token",
            Flow::NoSignIn => "no sign-in",
        }
    }

    /// Whether a token can be had again without a person.
    pub fn is_unattended(&self) -> bool {
        !matches!(self, Flow::DeviceCode | Flow::Browser | Flow::AccessToken)
    }
}

/// A connection to one tenant's licensing service.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Profile {
    pub cloud: Cloud,
    /// The tenant (a GUID or a domain); `organizations` when not given.
    pub tenant_id: String,
    /// The application (client) id; for a user-assigned managed identity, its client id.
    pub client_id: String,
    #[serde(flatten)]
    pub flow: Flow,
    /// The sign-in host (the cloud's unless overridden).
    pub authority: String,
    /// The resource tokens are for.
    pub resource: String,
    /// The licensing service URL requests go to.
    pub endpoint: String,
}

const FILE_NAME: &str = "connection.json";

/// What a data folder holds.
#[derive(Debug)]
pub enum Saved {
    Missing,
    Connection(Profile),
    /// A file that is not a saved connection, and why.
    Damaged {
        path: PathBuf,
        why: String,
    },
}

impl Profile {
    /// The name of this connection in the credential store.
    pub fn account(&self) -> String {
        format!("{}|{}|{}", self.tenant_id, self.client_id, self.endpoint)
    }

    /// A person's name for where requests go: `tenant contoso.com (worldwide) https://…`.
    pub fn describe(&self) -> String {
        format!("tenant {} ({}) {}", self.tenant_id, self.cloud, self.endpoint)
    }

    /// The saved connection in `dir`, if there is one; a damaged file is an error that says
    /// to connect again.
    pub fn load(dir: &Path) -> Result<Option<Self>, SignInError> {
        match Self::read(dir)? {
            Saved::Missing => Ok(None),
            Saved::Connection(profile) => Ok(Some(profile)),
            Saved::Damaged { path, why } => Err(SignInError::Config(format!(
                "{} is not a saved connection ({why}): run `commerce-policy connect` again",
                path.display()
            ))),
        }
    }

    /// What is saved in `dir`: nothing, a connection, or a file that is not one (which
    /// `disconnect` removes rather than refuses).
    pub fn read(dir: &Path) -> Result<Saved, SignInError> {
        let path = dir.join(FILE_NAME);
        let text = match std::fs::read_to_string(&path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Saved::Missing),
            Err(e) if e.kind() == std::io::ErrorKind::InvalidData => {
                return Ok(Saved::Damaged { path, why: "not UTF-8 text".into() });
            }
            Err(e) => return Err(SignInError::Config(format!("could not read {}: {e}", path.display()))),
        };
        let profile: Self = match serde_json::from_str(&text) {
            Ok(profile) => profile,
            Err(e) => return Ok(Saved::Damaged { path, why: e.to_string() }),
        };
        match parse_tenant_id(&profile.tenant_id) {
            Ok(_) => Ok(Saved::Connection(profile)),
            Err(why) => Ok(Saved::Damaged { path, why }),
        }
    }

    /// Saves the connection in `dir`, replacing the file atomically.
    pub fn save(&self, dir: &Path) -> Result<(), SignInError> {
        let failed =
            |e: std::io::Error| SignInError::Config(format!("could not save the connection in {}: {e}", dir.display()));
        std::fs::create_dir_all(dir).map_err(failed)?;
        let text = serde_json::to_string_pretty(self).map_err(|e| SignInError::Config(e.to_string()))?;
        let temp = dir.join(format!(".{FILE_NAME}.{}", std::process::id()));
        std::fs::write(&temp, text + "\n").map_err(failed)?;
        std::fs::rename(&temp, dir.join(FILE_NAME)).map_err(failed)
    }

    /// Forgets the saved connection; `false` if there was none.
    pub fn remove(dir: &Path) -> Result<bool, SignInError> {
        match std::fs::remove_file(dir.join(FILE_NAME)) {
            Ok(()) => Ok(true),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
            Err(e) => Err(SignInError::Config(format!("could not remove the saved connection: {e}"))),
        }
    }

    /// The token endpoint of this tenant: `<authority>/<tenant>/oauth2/v2.0/token`.
    pub fn token_url(&self) -> Result<Url, SignInError> {
        self.tenant_url("token")
    }

    /// The device authorization endpoint of this tenant.
    pub fn device_code_url(&self) -> Result<Url, SignInError> {
        self.tenant_url("devicecode")
    }

    /// The authorization endpoint of this tenant, where the browser sign-in starts.
    pub fn authorize_url(&self) -> Result<Url, SignInError> {
        self.tenant_url("authorize")
    }

    /// An endpoint of this tenant's OAuth 2.0 v2.0 API, built from path segments: the
    /// tenant id is checked, and could not leave its segment even if it were not.
    fn tenant_url(&self, endpoint: &str) -> Result<Url, SignInError> {
        parse_tenant_id(&self.tenant_id).map_err(SignInError::Config)?;
        url_with_segments("--authority", &self.authority, &[&self.tenant_id, "oauth2", "v2.0", endpoint])
    }

    /// The scope that asks for the resource with the permissions granted to the client.
    pub fn scope(&self) -> String {
        format!("{}/.default", self.resource.trim_end_matches('/'))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn profile(flow: Flow) -> Profile {
        Profile {
            cloud: Cloud::Worldwide,
            tenant_id: "contoso.onmicrosoft.com".into(),
            client_id: "c1".into(),
            flow,
            authority: "https://login.microsoftonline.com/".into(),
            resource: crate::LICENSING_RESOURCE.into(),
            endpoint: "https://licensing.m365.microsoft.com".into(),
        }
    }

    #[test]
    fn saves_loads_and_removes() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(Profile::load(dir.path()).unwrap(), None);
        let p = profile(Flow::FederatedToken { source: FederatedSource::Env("TOKEN".into()) });
        p.save(dir.path()).unwrap();
        assert_eq!(Profile::load(dir.path()).unwrap(), Some(p.clone()));
        assert!(Profile::remove(dir.path()).unwrap());
        assert!(!Profile::remove(dir.path()).unwrap());
    }

    #[test]
    fn urls_are_entra_shaped() {
        let p = profile(Flow::DeviceCode);
        let token = p.token_url().unwrap();
        assert_eq!(token.as_str(), "https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/token");
        let device = p.device_code_url().unwrap();
        assert_eq!(device.as_str(), "https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/devicecode");
        let authorize = p.authorize_url().unwrap();
        assert_eq!(
            authorize.as_str(),
            "https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/authorize"
        );
        let hostile = Profile { tenant_id: "../../x?y=1".into(), ..p.clone() };
        assert!(hostile.token_url().unwrap_err().to_string().contains("is not a tenant id"));
        assert_eq!(p.scope(), "aeb86249-8ea3-49e2-900b-54cc8e308f85/.default");
    }

    #[test]
    fn a_damaged_file_is_one_clear_error() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(FILE_NAME), "{").unwrap();
        let e = Profile::load(dir.path()).unwrap_err().to_string();
        assert!(e.contains("connect") && !e.contains('\n'), "{e}");
        assert!(matches!(Profile::read(dir.path()).unwrap(), Saved::Damaged { .. }));
        std::fs::write(dir.path().join(FILE_NAME), [0xff, 0xfe, 0]).unwrap();
        assert!(matches!(Profile::read(dir.path()).unwrap(), Saved::Damaged { .. }), "not text");
    }
}
