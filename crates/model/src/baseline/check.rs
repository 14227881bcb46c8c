//! What `plan` found for one target, and how it is printed and saved (`plan --out`): a
//! product with MSCommerce's product properties, an offer type with its scope properties.

use serde::{Deserialize, Serialize};

use super::Source;
use crate::{OfferType, PolicyId, PolicyValue, ProductId, Scope, Target};

/// One target's wanted value against its current one: a product, or an offer type.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(into = "CheckRecord", try_from = "CheckRecord")]
pub struct TargetCheck {
    pub policy_id: PolicyId,
    pub target: Target,
    /// The product's or offer type's name, like `Power BI Pro` or `Software as a Service`.
    pub name: String,
    /// The value the service had when planned.
    pub before: PolicyValue,
    /// The value the baseline wants.
    pub after: PolicyValue,
    pub source: Source,
}

impl TargetCheck {
    pub fn drifted(&self) -> bool {
        self.before != self.after
    }
}

/// How a check is printed and saved: a product with MSCommerce's product properties
/// (`ProductId`, `ProductName`), an offer type with its scope properties (`Scope` =
/// `OfferType`, `ScopeId`, `ScopeValue`), so no one takes an offer type for a product.
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct CheckRecord {
    policy_id: PolicyId,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    product_id: Option<ProductId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    product_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    scope: Option<Scope>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    scope_id: Option<OfferType>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    scope_value: Option<String>,
    current_value: PolicyValue,
    wanted_value: PolicyValue,
    source: Source,
}

impl From<TargetCheck> for CheckRecord {
    fn from(c: TargetCheck) -> Self {
        let (product_id, product_name, scope, scope_id, scope_value) = match c.target {
            Target::Product(id) => (Some(id), Some(c.name), None, None, None),
            Target::OfferType(offer) => (None, None, Some(Scope::OfferType), Some(offer), Some(c.name)),
        };
        Self {
            policy_id: c.policy_id,
            product_id,
            product_name,
            scope,
            scope_id,
            scope_value,
            current_value: c.before,
            wanted_value: c.after,
            source: c.source,
        }
    }
}

impl TryFrom<CheckRecord> for TargetCheck {
    type Error = String;

    fn try_from(r: CheckRecord) -> Result<Self, String> {
        let (target, name) = match (r.product_id, r.scope, r.scope_id) {
            (Some(id), _, _) => (Target::Product(id), r.product_name),
            (None, Some(Scope::OfferType), Some(offer)) => (Target::OfferType(offer), r.scope_value),
            _ => return Err("a change names neither a ProductId nor an OfferType ScopeId".into()),
        };
        Ok(Self {
            policy_id: r.policy_id,
            target,
            name: name.unwrap_or_default(),
            before: r.current_value,
            after: r.wanted_value,
            source: r.source,
        })
    }
}
