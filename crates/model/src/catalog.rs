//! The product catalogue a service is seeded from: the policies, and every product with its
//! id, name, former ids and whether it offers a trial without a payment method.

use std::collections::HashSet;

use serde::{Deserialize, Serialize};

use crate::{ModelError, OfferType, PolicyId, PolicyValue, ProductId};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Catalog {
    /// Where the list was read, so anyone can check it.
    #[serde(default)]
    pub source: String,
    pub policies: Vec<CatalogPolicy>,
    pub products: Vec<CatalogProduct>,
    /// Third-party offer types a policy can be scoped to, like `SaaS`.
    #[serde(default)]
    pub offer_types: Vec<CatalogOfferType>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CatalogOfferType {
    pub id: OfferType,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CatalogPolicy {
    pub id: PolicyId,
    pub description: String,
    pub default_value: PolicyValue,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CatalogProduct {
    pub id: ProductId,
    pub name: String,
    /// Whether a trial without a payment method exists, which is what
    /// `OnlyTrialsWithoutPaymentMethod` needs.
    pub trials: bool,
    /// Ids Microsoft used before; they stay valid as aliases.
    #[serde(default)]
    pub former_ids: Vec<ProductId>,
}

impl Catalog {
    /// Parses and checks a catalogue: at least one policy, no id used twice.
    pub fn parse(json: &str) -> Result<Self, ModelError> {
        let catalog: Catalog = serde_json::from_str(json).map_err(|e| ModelError::Catalog(e.to_string()))?;
        catalog.check()?;
        Ok(catalog)
    }

    fn check(&self) -> Result<(), ModelError> {
        if self.policies.is_empty() {
            return Err(ModelError::Catalog("it lists no policy".into()));
        }
        let mut seen = HashSet::new();
        let ids = self.products.iter().flat_map(|p| std::iter::once(&p.id).chain(&p.former_ids));
        for id in ids {
            if !seen.insert(id) {
                return Err(ModelError::Catalog(format!("product id {id} appears twice")));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ONE: &str = r#"{"policies":[{"id":"AllowSelfServicePurchase","description":"d","defaultValue":"Enabled"}],
        "products":[{"id":"CFQ7TTC0LH2H","name":"Power Apps per user","trials":false,"formerIds":["CFQ7TTC0KP0P"]}]}"#;

    #[test]
    fn parses_products_with_former_ids() {
        let c = Catalog::parse(ONE).unwrap();
        assert_eq!(c.products[0].former_ids[0].as_str(), "CFQ7TTC0KP0P");
    }

    #[test]
    fn refuses_an_id_used_twice() {
        let twice = ONE.replace("CFQ7TTC0KP0P", "CFQ7TTC0LH2H");
        let err = Catalog::parse(&twice).unwrap_err().to_string();
        assert!(err.contains("CFQ7TTC0LH2H appears twice"), "{err}");
    }

    #[test]
    fn refuses_unknown_fields_and_bad_ids() {
        assert!(Catalog::parse(&ONE.replace("\"trials\"", "\"trial\"")).is_err());
        let err = Catalog::parse(&ONE.replace("CFQ7TTC0LH2H", "nope")).unwrap_err().to_string();
        assert!(err.contains("'nope' is not a product id"), "{err}");
    }
}
