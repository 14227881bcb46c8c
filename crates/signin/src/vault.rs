//! The OS credential store (keyring): Keychain on macOS, Credential Manager on Windows, the
//! kernel key retention service on Linux. Where none is usable (a headless runner without a
//! session keyring) the vault says so and the caller keeps tokens in memory for one command.

use std::sync::{Mutex, MutexGuard, OnceLock};

use keyring_core::{Entry, Error};
use serde::{Deserialize, Serialize};

use crate::{Secret, SignInError, Token};

/// What is kept for one connection.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Kept {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token: Option<Token>,
    /// The Microsoft Graph token, beside the licensing one (docs/graph.md).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub graph_token: Option<Token>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_secret: Option<Secret>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub certificate_password: Option<Secret>,
}

/// One connection's entry in the credential store, or why there is none. The entry is read
/// once, when opened; a store that fails a write is given up for the rest of the run, and
/// the caller keeps tokens in memory.
pub struct Vault {
    entry: Result<Entry, String>,
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    /// What the entry holds, as last read or written.
    text: Option<String>,
    /// Why a write failed.
    failed: Option<String>,
}

/// The service name entries are filed under; tests set their own.
fn service() -> String {
    std::env::var("COMMERCE_POLICY_KEYRING_SERVICE").ok().filter(|s| !s.is_empty()).unwrap_or("commerce-policy".into())
}

impl Vault {
    /// The entry of `account`, if the store can be used. `COMMERCE_POLICY_KEYRING=none` turns
    /// the store off.
    pub fn open(account: &str) -> Self {
        let mut text = None;
        let entry = platform_store().and_then(|()| {
            let entry = Entry::new(&service(), account).map_err(|e| e.to_string())?;
            match entry.get_password() {
                Ok(found) => text = Some(found),
                Err(Error::NoEntry) => {}
                Err(e) => return Err(describe(&e)),
            }
            Ok(entry)
        });
        Self { entry, state: Mutex::new(State { text, failed: None }) }
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Why the store cannot be used, or `None` when it can.
    pub fn unavailable(&self) -> Option<String> {
        match &self.entry {
            Err(why) => Some(why.clone()),
            Ok(_) => self.state().failed.clone(),
        }
    }

    fn usable(&self) -> Option<&Entry> {
        self.entry.as_ref().ok().filter(|_| self.state().failed.is_none())
    }

    /// A person's name for the store in use.
    pub fn store_name() -> &'static str {
        if cfg!(target_os = "macos") {
            "the macOS Keychain"
        } else if cfg!(windows) {
            "Windows Credential Manager"
        } else {
            "the Linux kernel keyring"
        }
    }

    pub fn load(&self) -> Kept {
        if self.usable().is_none() {
            return Kept::default();
        }
        self.state().text.as_deref().and_then(|text| serde_json::from_str(text).ok()).unwrap_or_default()
    }

    /// Keeps `kept`; if the store refuses, it is given up and [`Vault::unavailable`] says why.
    pub fn save(&self, kept: &Kept) {
        let Some(entry) = self.usable() else { return };
        let Ok(text) = serde_json::to_string(kept) else { return };
        match entry.set_password(&text) {
            Ok(()) => self.state().text = Some(text),
            Err(e) => {
                tracing::warn!("{} refused to keep the sign-in: {}", Self::store_name(), describe(&e));
                self.state().failed = Some(describe(&e));
            }
        }
    }

    /// Removes the entry; `false` if there was none.
    pub fn remove(&self) -> Result<bool, SignInError> {
        let Some(entry) = self.usable() else { return Ok(false) };
        let deleted = entry.delete_credential();
        self.state().text = None;
        match deleted {
            Ok(()) => Ok(true),
            Err(Error::NoEntry) => Ok(false),
            Err(e) => Err(SignInError::Store(format!("could not remove the sign-in: {}", describe(&e)))),
        }
    }
}

/// Describes a store error without its payload (which could be a secret).
fn describe(e: &Error) -> String {
    match e {
        Error::NoStorageAccess(inner) | Error::PlatformFailure(inner) if cfg!(target_os = "linux") => {
            format!("{inner}: this process has no session keyring (log in, or run under `keyctl session -`)")
        }
        Error::NoStorageAccess(inner) | Error::PlatformFailure(inner) => inner.to_string(),
        Error::TooLong(what, max) => format!("the {what} is longer than the store allows ({max})"),
        Error::BadEncoding(_) | Error::BadDataFormat(..) => "the stored entry is damaged".into(),
        other => other.to_string(),
    }
}

/// Installs the platform's store as keyring-core's default, once per process.
fn platform_store() -> Result<(), String> {
    static STORE: OnceLock<Result<(), String>> = OnceLock::new();
    STORE
        .get_or_init(|| {
            if std::env::var("COMMERCE_POLICY_KEYRING").is_ok_and(|v| v.eq_ignore_ascii_case("none")) {
                return Err("COMMERCE_POLICY_KEYRING=none".into());
            }
            let store = new_store().map_err(|e| describe(&e))?;
            keyring_core::set_default_store(store);
            Ok(())
        })
        .clone()
}

#[cfg(target_os = "linux")]
fn new_store() -> keyring_core::Result<std::sync::Arc<keyring_core::CredentialStore>> {
    Ok(linux_keyutils_keyring_store::Store::new()?)
}

#[cfg(target_os = "macos")]
fn new_store() -> keyring_core::Result<std::sync::Arc<keyring_core::CredentialStore>> {
    Ok(apple_native_keyring_store::keychain::Store::new()?)
}

#[cfg(windows)]
fn new_store() -> keyring_core::Result<std::sync::Arc<keyring_core::CredentialStore>> {
    Ok(windows_native_keyring_store::Store::new()?)
}

#[cfg(not(any(target_os = "linux", target_os = "macos", windows)))]
fn new_store() -> keyring_core::Result<std::sync::Arc<keyring_core::CredentialStore>> {
    Err(Error::NotSupportedByStore("no credential store is known on this platform".into()))
}
