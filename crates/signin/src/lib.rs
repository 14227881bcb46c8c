//! Sign-in to Microsoft Entra ID for commerce-policy: device code, browser, client secret, certificate,
//! workload identity federation, managed identity and ready tokens, in every Microsoft cloud;
//! tokens kept in the OS credential store and refreshed before they expire.
//!
//! Nothing secret is ever formatted: [`Secret`] and [`Token`] print as `[redacted]`, and
//! errors carry what the identity provider said, never what was sent.

mod browser;
mod certificate;
mod cloud;
mod error;
mod github;
mod loopback;
mod managed_identity;
mod oauth;
mod profile;
mod session;
mod tenant;
mod token;
mod vault;

pub use browser::BrowserSignIn;
pub use cloud::Cloud;
pub use error::SignInError;
pub use oauth::DeviceCodePrompt;
pub use profile::{FederatedSource, Flow, Profile, Saved};
pub use session::{Given, Interaction, Session};
pub use tenant::{WELL_KNOWN_TENANTS, parse_authority, parse_tenant_id};
pub use token::{Secret, Token, TokenIdentity};
pub use vault::Vault;

/// Microsoft's licensing service, the resource tokens are asked for.
pub const LICENSING_RESOURCE: &str = "aeb86249-8ea3-49e2-900b-54cc8e308f85";

/// MSCommerce's public client, used for device-code sign-in unless told otherwise.
pub const MSCOMMERCE_CLIENT_ID: &str = "3d5cffa9-04da-4657-8cab-c7f074657cad";
