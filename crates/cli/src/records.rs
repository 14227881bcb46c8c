//! What the binary prints: records with MSCommerce's property names (PascalCase), so the
//! PowerShell module and existing scripts read the same properties as before.

use commerce_changes::{ChangeResult, Status};
use commerce_model::admin::AdminAuditEntry;
use commerce_model::wire::{AuditEntry, Policy, ProductPolicy, ScopePolicy, ScopedPolicy};
use commerce_model::{PolicyId, PolicyValue, Scope, Target};
use serde::Serialize;

use crate::error::kind_exit_code;

/// Get-MSCommercePolicies / Get-MSCommercePolicy.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct PolicyRecord {
    pub policy_id: PolicyId,
    pub description: String,
    pub default_value: PolicyValue,
}

impl From<Policy> for PolicyRecord {
    fn from(p: Policy) -> Self {
        Self { policy_id: p.id, description: p.description, default_value: p.default_value }
    }
}

/// A product's value: Get-MSCommerceProductPolicies / Get-MSCommerceProductPolicy.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ProductPolicyRecord {
    pub product_name: String,
    pub product_id: String,
    pub policy_value: PolicyValue,
    pub policy_id: PolicyId,
}

impl From<ProductPolicy> for ProductPolicyRecord {
    fn from(p: ProductPolicy) -> Self {
        Self {
            product_name: p.product_name,
            product_id: p.product_id.to_string(),
            policy_value: p.policy_value,
            policy_id: p.policy_id,
        }
    }
}

/// An offer type's (or another scope's) value.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ScopeRecord {
    pub scope: String,
    pub scope_id: String,
    pub scope_value: String,
    pub policy_value: PolicyValue,
    pub policy_id: PolicyId,
}

impl From<ScopePolicy> for ScopeRecord {
    fn from(p: ScopePolicy) -> Self {
        Self {
            scope: p.scope,
            scope_id: p.scope_id,
            scope_value: p.scope_value,
            policy_value: p.policy_value,
            policy_id: p.policy_id,
        }
    }
}

/// A list item of any scope.
#[derive(Debug, Serialize)]
#[serde(untagged)]
pub enum ScopedRecord {
    Product(ProductPolicyRecord),
    Scope(ScopeRecord),
}

impl From<ScopedPolicy> for ScopedRecord {
    fn from(p: ScopedPolicy) -> Self {
        match p {
            ScopedPolicy::Product(p) => Self::Product(p.into()),
            ScopedPolicy::Scope(s) => Self::Scope(s.into()),
        }
    }
}

/// The result of an update for one product. It keeps the properties of MSCommerce's output
/// and adds what changed.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ChangeRecord {
    pub product_name: String,
    pub product_id: String,
    #[serde(rename = "PreviousValue")]
    pub before: Option<PolicyValue>,
    #[serde(rename = "PolicyValue")]
    pub after: Option<PolicyValue>,
    pub status: Status,
    pub policy_id: PolicyId,
    pub error: Option<String>,
    pub correlation_id: Option<String>,
    /// The exit code this failure calls for (DESIGN.md's codes), so callers can classify it.
    pub exit_code: Option<u8>,
}

/// The result of an update for one offer type: MSCommerce's scope properties and what
/// changed.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ScopeChangeRecord {
    pub scope: Scope,
    pub scope_id: String,
    pub scope_value: String,
    #[serde(rename = "PreviousValue")]
    pub before: Option<PolicyValue>,
    #[serde(rename = "PolicyValue")]
    pub after: Option<PolicyValue>,
    pub status: Status,
    pub policy_id: PolicyId,
    pub correlation_id: Option<String>,
    pub error: Option<String>,
    pub exit_code: Option<u8>,
}

/// The result of one change as printed: a product's or an offer type's record.
#[derive(Debug, Serialize)]
#[serde(untagged)]
pub enum ChangeOutput {
    Product(ChangeRecord),
    Scope(ScopeChangeRecord),
}

impl From<&ChangeResult> for ChangeOutput {
    fn from(r: &ChangeResult) -> Self {
        let error = r.failure.as_ref().map(|f| f.message.clone());
        let exit_code = r.failure.as_ref().map(|f| kind_exit_code(f.kind));
        match &r.target {
            Target::Product(id) => Self::Product(ChangeRecord {
                product_name: r.name.clone(),
                product_id: id.to_string(),
                before: r.before,
                after: r.after,
                status: r.status,
                policy_id: r.policy_id.clone(),
                error,
                correlation_id: r.correlation_id.clone(),
                exit_code,
            }),
            Target::OfferType(offer) => Self::Scope(ScopeChangeRecord {
                scope: Scope::OfferType,
                scope_id: offer.to_string(),
                scope_value: r.name.clone(),
                before: r.before,
                after: r.after,
                status: r.status,
                policy_id: r.policy_id.clone(),
                correlation_id: r.correlation_id.clone(),
                error,
                exit_code,
            }),
        }
    }
}

/// One audit log entry.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct AuditRecord {
    pub at: String,
    pub actor: String,
    pub actor_upn: Option<String>,
    pub actor_app_id: Option<String>,
    pub actor_object_id: Option<String>,
    pub target_id: String,
    pub target_name: String,
    pub old_value: PolicyValue,
    pub new_value: PolicyValue,
    pub policy_id: PolicyId,
    pub correlation_id: String,
}

/// One entry of the administration audit log; `Before` and `After` are the subject as the
/// service keeps it (a subscription's status, quantity and assigned users; a user; a mail).
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct AdminAuditRecord {
    pub at: String,
    pub actor: String,
    pub actor_upn: Option<String>,
    pub actor_object_id: Option<String>,
    pub action: String,
    pub subject_id: String,
    pub before: Option<serde_json::Value>,
    pub after: Option<serde_json::Value>,
    pub correlation_id: String,
}

impl From<AdminAuditEntry> for AdminAuditRecord {
    fn from(e: AdminAuditEntry) -> Self {
        Self {
            at: e.at,
            actor: e.actor,
            actor_upn: e.actor_upn,
            actor_object_id: e.actor_object_id,
            action: e.action,
            subject_id: e.subject_id,
            before: e.before,
            after: e.after,
            correlation_id: e.correlation_id,
        }
    }
}

impl From<AuditEntry> for AuditRecord {
    fn from(e: AuditEntry) -> Self {
        Self {
            at: e.at,
            actor: e.actor,
            actor_upn: e.actor_upn,
            actor_app_id: e.actor_app_id,
            actor_object_id: e.actor_object_id,
            target_id: e.target_id,
            target_name: e.target_name,
            old_value: e.old_value,
            new_value: e.new_value,
            policy_id: e.policy_id,
            correlation_id: e.correlation_id,
        }
    }
}
