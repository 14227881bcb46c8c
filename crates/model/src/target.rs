//! What a policy value is set for: a product or an offer type. One type for both, so that
//! every floor (client, service, store, commands) has one path where it used to have two.

use std::fmt;

use serde::Serialize;

use crate::value::named_values;
use crate::wire::{ProductPolicy, ScopePolicy, ScopedPolicy};
use crate::{ModelError, OfferType, PolicyId, PolicyValue, ProductId};

/// The kinds of target a policy's values are listed by: the API's `scope`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, utoipa::ToSchema)]
pub enum Scope {
    #[serde(rename = "product")]
    #[schema(rename = "product")]
    Product,
    OfferType,
}

impl Scope {
    pub const ALL: [Scope; 2] = [Self::Product, Self::OfferType];

    /// The name on the wire: `product` or `OfferType`, as Microsoft's service writes them.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Product => "product",
            Self::OfferType => "OfferType",
        }
    }
}

named_values!(Scope, Scope);

/// One product or one offer type.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Target {
    Product(ProductId),
    OfferType(OfferType),
}

impl Target {
    pub fn scope(&self) -> Scope {
        match self {
            Self::Product(_) => Scope::Product,
            Self::OfferType(_) => Scope::OfferType,
        }
    }

    /// The product id or offer type, as written.
    pub fn id(&self) -> &str {
        match self {
            Self::Product(id) => id.as_str(),
            Self::OfferType(offer) => offer.as_str(),
        }
    }

    /// Parses an id of `scope`, validated as that kind of id.
    pub fn parse(scope: Scope, id: &str) -> Result<Self, ModelError> {
        Ok(match scope {
            Scope::Product => Self::Product(id.parse()?),
            Scope::OfferType => Self::OfferType(id.parse()?),
        })
    }

    /// The resource of `policy`'s value for this target, under `/v1.0`.
    pub fn path(&self, policy: &PolicyId) -> String {
        match self {
            Self::Product(id) => format!("/v1.0/policies/{policy}/products/{id}"),
            Self::OfferType(offer) => format!("/v1.0/policies/{policy}/offerTypes/{offer}"),
        }
    }
}

impl fmt::Display for Target {
    /// `product CFQ7TTC0H9MP` or `offer type SaaS`, for messages.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Product(id) => write!(f, "product {id}"),
            Self::OfferType(offer) => write!(f, "offer type {offer}"),
        }
    }
}

/// A policy's value for one target, with the target's name: what a store keeps and a
/// command changes, whatever the scope.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TargetPolicy {
    pub policy_id: PolicyId,
    pub target: Target,
    /// The product's or offer type's name, like `Power BI Pro`.
    pub name: String,
    pub value: PolicyValue,
}

impl TargetPolicy {
    /// The wire shape: a product policy (with `scope` when `listed`, as Microsoft's lists
    /// carry it), or a scope policy for an offer type. `etag` annotates list items.
    pub fn into_wire(self, listed: bool, etag: Option<String>) -> ScopedPolicy {
        match self.target {
            Target::Product(product_id) => ScopedPolicy::Product(ProductPolicy {
                policy_id: self.policy_id,
                policy_value: self.value,
                product_name: self.name,
                product_id,
                scope: listed.then(|| Scope::Product.as_str().to_string()),
                etag,
            }),
            Target::OfferType(offer) => ScopedPolicy::Scope(ScopePolicy {
                policy_id: self.policy_id,
                policy_value: self.value,
                scope: Scope::OfferType.as_str().to_string(),
                scope_id: offer.to_string(),
                scope_value: self.name,
                etag,
            }),
        }
    }
}

impl ScopedPolicy {
    /// The target this wire item is about, with its value; `None` for a scope this version
    /// does not know (Microsoft may add scopes) or an id that is not valid.
    pub fn into_target(self) -> Option<(TargetPolicy, Option<String>)> {
        match self {
            Self::Product(p) => Some((
                TargetPolicy {
                    policy_id: p.policy_id,
                    target: Target::Product(p.product_id),
                    name: p.product_name,
                    value: p.policy_value,
                },
                p.etag,
            )),
            Self::Scope(s) => {
                let scope: Scope = s.scope.parse().ok()?;
                let target = Target::parse(scope, &s.scope_id).ok()?;
                Some((
                    TargetPolicy { policy_id: s.policy_id, target, name: s.scope_value, value: s.policy_value },
                    s.etag,
                ))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_parse_in_any_case_and_write_as_microsoft_does() {
        assert_eq!("PRODUCT".parse::<Scope>().unwrap(), Scope::Product);
        assert_eq!("offertype".parse::<Scope>().unwrap(), Scope::OfferType);
        assert_eq!(serde_json::to_string(&Scope::OfferType).unwrap(), "\"OfferType\"");
        let err = "tenant".parse::<Scope>().unwrap_err().to_string();
        assert_eq!(err, "'tenant' is not a scope: use product or OfferType");
    }

    #[test]
    fn a_target_names_its_resource() {
        let policy: PolicyId = "AllowSelfServicePurchase".parse().unwrap();
        let product = Target::parse(Scope::Product, "cfq7ttc0h9mp").unwrap();
        assert_eq!(product.path(&policy), "/v1.0/policies/AllowSelfServicePurchase/products/CFQ7TTC0H9MP");
        let offer = Target::parse(Scope::OfferType, "SaaS").unwrap();
        assert_eq!(offer.path(&policy), "/v1.0/policies/AllowSelfServicePurchase/offerTypes/SaaS");
        assert_eq!(offer.to_string(), "offer type SaaS");
        assert!(Target::parse(Scope::Product, "SaaS").is_err());
    }

    #[test]
    fn wire_items_round_trip_through_targets() {
        let policy = TargetPolicy {
            policy_id: "AllowSelfServicePurchase".parse().unwrap(),
            target: Target::OfferType("SaaS".parse().unwrap()),
            name: "Software as a Service".into(),
            value: PolicyValue::Disabled,
        };
        let wire = policy.clone().into_wire(true, Some("\"v2\"".into()));
        let json = serde_json::to_value(&wire).unwrap();
        assert_eq!(json["scope"], "OfferType");
        assert_eq!(json["@odata.etag"], "\"v2\"");
        assert_eq!(wire.into_target(), Some((policy, Some("\"v2\"".into()))));
    }

    #[test]
    fn a_single_product_carries_no_scope_and_a_listed_one_does() {
        let policy = TargetPolicy {
            policy_id: "AllowSelfServicePurchase".parse().unwrap(),
            target: Target::Product("CFQ7TTC0H9MP".parse().unwrap()),
            name: "Power BI Pro".into(),
            value: PolicyValue::Enabled,
        };
        let one = serde_json::to_value(policy.clone().into_wire(false, None)).unwrap();
        assert!(one.get("scope").is_none() && one.get("@odata.etag").is_none(), "{one}");
        let listed = serde_json::to_value(policy.into_wire(true, None)).unwrap();
        assert_eq!(listed["scope"], "product");
    }
}
