//! What a verified token says and what it grants: Entra's app roles (`roles`) and directory
//! roles (`wids`) become read or write access, and its identity claims become the [`Actor`]
//! the audit records.

use axum::http::Method;
use serde::Deserialize;

use super::refusals::{Denied, NO_ACCESS};
use crate::store::Actor;

/// App role that lets an application read the policies.
pub const ROLE_READ: &str = "Policy.Read.AllowSelfServicePurchase";
/// App role that lets an application read and change the policies.
pub const ROLE_READ_WRITE: &str = "Policy.ReadWrite.AllowSelfServicePurchase";
/// Entra directory role template ids (`wids`) that may change the policies.
pub const WRITER_DIRECTORY_ROLES: [&str; 2] = [
    "62e90394-69f5-4237-9190-012177145e10", // Global Administrator
    "b0f54661-2d74-4c50-afa3-1ec803f12efe", // Billing Administrator
];
/// Entra directory role template ids (`wids`) that may read the policies.
pub const READER_DIRECTORY_ROLES: [&str; 1] = ["f2ef992c-3afb-46b9-b7cf-a126ee74c451"]; // Global Reader

/// The claims read from a verified token (Entra's names).
#[derive(Debug, Deserialize)]
pub(super) struct Claims {
    pub(super) exp: u64,
    oid: Option<String>,
    sub: Option<String>,
    appid: Option<String>,
    azp: Option<String>,
    upn: Option<String>,
    preferred_username: Option<String>,
    /// The user's display name and mail, for adding a signed-in user to the directory.
    name: Option<String>,
    email: Option<String>,
    #[serde(default)]
    roles: Vec<String>,
    #[serde(default)]
    wids: Vec<String>,
}

impl Claims {
    pub(super) fn grants(&self) -> Grants {
        let has_role = |role: &str| self.roles.iter().any(|r| r == role);
        let has_wid = |ids: &[&str]| self.wids.iter().any(|w| ids.contains(&w.as_str()));
        let write = has_role(ROLE_READ_WRITE) || has_wid(&WRITER_DIRECTORY_ROLES);
        let read = write || has_role(ROLE_READ) || has_wid(&READER_DIRECTORY_ROLES);
        Grants { read, write }
    }

    /// The display name and mail the token gives its user.
    pub(super) fn profile(&self) -> Profile {
        Profile { display_name: self.name.clone(), mail: self.email.clone() }
    }

    pub(super) fn actor(self) -> Actor {
        let upn = self.upn.or(self.preferred_username);
        let app_id = self.appid.or(self.azp);
        let object_id = self.oid.or(self.sub);
        let name = upn.clone().or_else(|| app_id.clone()).or_else(|| object_id.clone()).unwrap_or_default();
        Actor { name, object_id, app_id, upn }
    }
}

/// What a request needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Access {
    Read,
    Write,
}

impl Access {
    /// Reading methods need read; everything else changes something.
    pub(super) fn of(method: &Method) -> Self {
        if matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS) { Self::Read } else { Self::Write }
    }
}

#[derive(Debug, Clone, Copy)]
pub(crate) struct Grants {
    read: bool,
    write: bool,
}

/// What a token says about its user beyond the [`Actor`].
#[derive(Debug, Clone, Default)]
pub(crate) struct Profile {
    pub(crate) display_name: Option<String>,
    pub(crate) mail: Option<String>,
}

impl Grants {
    /// Whether the token may change everything (an admin).
    pub(crate) fn writes(&self) -> bool {
        self.write
    }

    /// Whether the token may read everything (an admin or a reader).
    pub(crate) fn reads(&self) -> bool {
        self.read
    }

    pub(super) fn allow(&self, access: Access) -> Result<(), Denied> {
        match access {
            Access::Write if !self.write => Err(Denied::Forbidden(if self.read {
                "changing policies needs the app role Policy.ReadWrite.AllowSelfServicePurchase, or a user who is \
                 Global Administrator or Billing Administrator: this token only grants reading"
            } else {
                NO_ACCESS
            })),
            Access::Read if !self.read => Err(Denied::Forbidden(NO_ACCESS)),
            _ => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claims(roles: &[&str], wids: &[&str]) -> Claims {
        Claims {
            exp: u64::MAX,
            oid: Some("o".into()),
            sub: None,
            appid: Some("app".into()),
            azp: None,
            upn: None,
            preferred_username: None,
            name: None,
            email: None,
            roles: roles.iter().map(|r| r.to_string()).collect(),
            wids: wids.iter().map(|r| r.to_string()).collect(),
        }
    }

    #[test]
    fn roles_and_directory_roles_grant_as_entra_does() {
        let reader = claims(&[ROLE_READ], &[]).grants();
        assert!(reader.allow(Access::Read).is_ok() && reader.allow(Access::Write).is_err());
        let writer = claims(&[ROLE_READ_WRITE], &[]).grants();
        assert!(writer.allow(Access::Write).is_ok() && writer.allow(Access::Read).is_ok());
        let billing = claims(&[], &[WRITER_DIRECTORY_ROLES[1]]).grants();
        assert!(billing.allow(Access::Write).is_ok());
        let global_reader = claims(&[], &READER_DIRECTORY_ROLES).grants();
        assert!(global_reader.allow(Access::Read).is_ok() && global_reader.allow(Access::Write).is_err());
        let nobody = claims(&["Other.Role"], &["00000000-0000-0000-0000-000000000000"]).grants();
        assert!(nobody.allow(Access::Read).is_err());
    }

    #[test]
    fn the_actor_is_the_user_else_the_app() {
        let mut user = claims(&[], &[]);
        user.preferred_username = Some("admin@contoso.test".into());
        assert_eq!(user.actor().name, "admin@contoso.test");
        let app = claims(&[], &[]).actor();
        assert_eq!((app.name.as_str(), app.app_id.as_deref(), app.upn), ("app", Some("app"), None));
    }
}
