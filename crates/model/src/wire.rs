//! The v1.0 wire types, field for field as Microsoft's licensing service and the MSCommerce
//! module use them (camelCase JSON). Our service's additions (audit, error bodies) live here
//! too, so both sides of the wire share one definition.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::{PolicyId, PolicyValue, ProductId, Scope};

/// `{"items": [...]}`, the envelope of every list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Items<T> {
    pub items: Vec<T>,
}

/// A policy: `GET /v1.0/policies/{policyId}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Policy {
    pub id: PolicyId,
    pub description: String,
    pub default_value: PolicyValue,
}

/// A policy's value for one product: `GET /v1.0/policies/{policyId}/products/{productId}`.
/// In a list (`?scope=product`) each item also carries `scope`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ProductPolicy {
    pub policy_id: PolicyId,
    pub policy_value: PolicyValue,
    pub product_name: String,
    pub product_id: ProductId,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    /// Our service's entity tag of this value, on list items (single reads carry the `ETag`
    /// header instead), so a bulk change can send `If-Match` without reading each one again.
    #[serde(rename = "@odata.etag", default, skip_serializing_if = "Option::is_none")]
    pub etag: Option<String>,
}

/// A policy's value for a scope other than a product, such as an offer type:
/// `GET /v1.0/policies/{policyId}/offerTypes/{offerType}`, and list items of other scopes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ScopePolicy {
    pub policy_id: PolicyId,
    pub policy_value: PolicyValue,
    pub scope: String,
    pub scope_id: String,
    pub scope_value: String,
    /// As [`ProductPolicy::etag`].
    #[serde(rename = "@odata.etag", default, skip_serializing_if = "Option::is_none")]
    pub etag: Option<String>,
}

/// A list item of `GET /v1.0/policies/{policyId}/products?scope=…`: products for the
/// `product` scope, scope policies for the others.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(untagged)]
pub enum ScopedPolicy {
    Product(ProductPolicy),
    Scope(ScopePolicy),
}

/// The body of a PUT: `{"policyValue": "Disabled"}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PolicyUpdate {
    pub policy_value: PolicyValue,
}

/// One change, as the audit log keeps it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AuditEntry {
    pub id: i64,
    /// RFC 3339, UTC.
    pub at: String,
    /// Who made the change, readable: the user principal name, else the app id of a
    /// signed-in caller; `local` when the service requires no sign-in.
    pub actor: String,
    /// The caller's object id (`oid`), when the service requires sign-in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actor_object_id: Option<String>,
    /// The calling application's id (`appid`/`azp`), when the service requires sign-in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actor_app_id: Option<String>,
    /// The signed-in user's principal name (`upn`/`preferred_username`), for delegated tokens.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actor_upn: Option<String>,
    pub policy_id: PolicyId,
    pub scope: Scope,
    /// The product id or offer type changed.
    pub target_id: String,
    pub target_name: String,
    pub old_value: PolicyValue,
    pub new_value: PolicyValue,
    pub correlation_id: String,
}

/// The body of every error answer of our service.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ErrorDetail {
    /// A stable machine-readable code, like `NotFound` or `PreconditionFailed`.
    pub code: String,
    pub message: String,
    pub correlation_id: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn product_policy_uses_the_exact_wire_names() {
        let p = ProductPolicy {
            policy_id: "AllowSelfServicePurchase".parse().unwrap(),
            policy_value: PolicyValue::Enabled,
            product_name: "Power BI Pro".into(),
            product_id: "CFQ7TTC0L3PB".parse().unwrap(),
            scope: None,
            etag: None,
        };
        assert_eq!(
            serde_json::to_value(&p).unwrap(),
            serde_json::json!({
                "policyId": "AllowSelfServicePurchase",
                "policyValue": "Enabled",
                "productName": "Power BI Pro",
                "productId": "CFQ7TTC0L3PB"
            })
        );
    }

    #[test]
    fn list_items_tell_products_from_other_scopes() {
        let json = r#"{"items":[
            {"policyId":"AllowSelfServicePurchase","policyValue":"Disabled","productName":"Visio Plan 1","productId":"CFQ7TTC0HD33","scope":"product"},
            {"policyId":"AllowSelfServicePurchase","policyValue":"Enabled","scope":"OfferType","scopeId":"SaaS","scopeValue":"Software as a Service"}
        ]}"#;
        let items: Items<ScopedPolicy> = serde_json::from_str(json).unwrap();
        assert!(matches!(items.items[0], ScopedPolicy::Product(_)));
        assert!(matches!(items.items[1], ScopedPolicy::Scope(_)));
    }

    #[test]
    fn update_body_is_policy_value_only() {
        let body: PolicyUpdate = serde_json::from_str(r#"{"policyValue":"disabled"}"#).unwrap();
        assert_eq!(body.policy_value, PolicyValue::Disabled);
        assert_eq!(serde_json::to_string(&body).unwrap(), r#"{"policyValue":"Disabled"}"#);
    }
}
