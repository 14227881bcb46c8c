//! Microsoft Graph's shapes, as its v1.0 reference documents them: only the properties read.

use serde::Deserialize;

/// A `companySubscription` of `GET /v1.0/directory/subscriptions`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CompanySubscription {
    pub id: String,
    #[serde(default)]
    pub commerce_subscription_id: Option<String>,
    #[serde(default)]
    pub created_date_time: Option<String>,
    #[serde(default)]
    pub is_trial: bool,
    #[serde(default)]
    pub next_lifecycle_date_time: Option<String>,
    /// The object id of the owner (a user's, for `ownerType` `User`).
    #[serde(default)]
    pub owner_id: Option<String>,
    /// `User` on the subscriptions a user bought, by what Microsoft's tenants show
    /// (docs/graph.md says how sure that is).
    #[serde(default)]
    pub owner_type: Option<String>,
    pub sku_id: String,
    #[serde(default)]
    pub sku_part_number: Option<String>,
    /// `Enabled`, `Deleted`, `Suspended`, `Warning`, `LockedOut` (Graph's reference).
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default)]
    pub total_licenses: u32,
}

impl CompanySubscription {
    /// Whether a user owns it: a self-service purchase.
    pub fn is_self_service(&self) -> bool {
        self.owner_type.as_deref().is_some_and(|t| t.eq_ignore_ascii_case("User"))
    }
}

/// A `user`, `$select`ed to what is shown.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DirectoryUser {
    pub id: String,
    #[serde(default)]
    pub user_principal_name: String,
    #[serde(default)]
    pub display_name: Option<String>,
    #[serde(default)]
    pub mail: Option<String>,
}

/// The properties of a user read, for `$select`.
pub(crate) const USER_FIELDS: &str = "id,userPrincipalName,displayName,mail";

/// One page of a collection.
#[derive(Debug, Deserialize)]
pub(crate) struct Page<T> {
    pub value: Vec<T>,
    #[serde(rename = "@odata.nextLink", default)]
    pub next_link: Option<String>,
}

/// Graph's error body: `{"error":{"code","message"}}`.
#[derive(Debug, Deserialize)]
pub(crate) struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Debug, Deserialize)]
pub(crate) struct ErrorDetail {
    #[serde(default)]
    pub code: String,
    #[serde(default)]
    pub message: String,
}

/// The code and message of an error body, or the body's text.
pub(crate) fn error_message(body: &[u8]) -> (String, String) {
    match serde_json::from_slice::<ErrorBody>(body) {
        Ok(b) => (b.error.code, b.error.message),
        Err(_) => (String::new(), String::from_utf8_lossy(body).chars().take(200).collect()),
    }
}
