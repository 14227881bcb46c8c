//! The product catalogue a service is seeded from: the policies, and every product with its
//! id, name, former ids and whether it offers a trial without a payment method.

use std::collections::HashSet;
use std::sync::OnceLock;

use serde::{Deserialize, Serialize};

use crate::{ModelError, OfferType, PolicyId, PolicyValue, ProductId, Target};

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

/// The catalogue every new store is seeded with: the products Microsoft documents for
/// `AllowSelfServicePurchase` (docs/catalog.md names the sources).
pub const BUILTIN_CATALOG: &str = include_str!("../catalog.json");

impl Catalog {
    /// [`BUILTIN_CATALOG`], parsed once; a unit test keeps it valid.
    pub fn builtin() -> &'static Catalog {
        static BUILTIN: OnceLock<Catalog> = OnceLock::new();
        BUILTIN
            .get_or_init(|| Catalog::parse(BUILTIN_CATALOG).expect("the built-in catalogue is checked by a unit test"))
    }

    /// The product with this id, current or former.
    pub fn product(&self, id: &ProductId) -> Option<&CatalogProduct> {
        self.products.iter().find(|p| &p.id == id || p.former_ids.contains(id))
    }

    /// Whether this catalogue knows `value` cannot be set for `target` (the trial rule);
    /// `None` when it fits or the catalogue does not know the product — then the service
    /// decides.
    pub fn refusal(&self, target: &Target, name: &str, value: PolicyValue) -> Option<ModelError> {
        let trials = match target {
            Target::Product(id) => self.product(id)?.trials,
            Target::OfferType(_) => false,
        };
        trial_rule(target, name, trials, value).err()
    }
}

/// The trial rule: `OnlyTrialsWithoutPaymentMethod` fits only a product that offers a trial
/// without a payment method; offer types have none.
pub fn trial_rule(target: &Target, name: &str, trials: bool, value: PolicyValue) -> Result<(), ModelError> {
    if value != PolicyValue::OnlyTrialsWithoutPaymentMethod || trials {
        return Ok(());
    }
    Err(ModelError::NoTrial(match target {
        Target::Product(id) => format!("{name} ({id})"),
        Target::OfferType(offer) => format!("offer type {offer}"),
    }))
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
    fn builtin_catalog_is_valid_and_real() {
        let catalog = Catalog::builtin();
        assert!(catalog.products.len() >= 17);
        assert!(catalog.source.contains("allowselfservicepurchase-powershell.md"));
    }

    #[test]
    fn trial_rule_knows_products_by_current_and_former_id() {
        let catalog = Catalog::builtin();
        let only_trials = PolicyValue::OnlyTrialsWithoutPaymentMethod;
        let target = |id: &str| Target::Product(id.parse().unwrap());
        let pro = catalog.refusal(&target("CFQ7TTC0H9MP"), "Power BI Pro", only_trials).unwrap().to_string();
        assert_eq!(
            pro,
            "Power BI Pro (CFQ7TTC0H9MP) offers no trial without a payment method, so OnlyTrialsWithoutPaymentMethod does not apply: use Enabled or Disabled"
        );
        assert!(catalog.refusal(&target("CFQ7TTC0L3PB"), "Power BI Pro", only_trials).is_some(), "former id");
        assert!(catalog.refusal(&target("CFQ7TTC0H9MP"), "Power BI Pro", PolicyValue::Disabled).is_none());
        assert!(catalog.refusal(&target("CFQ7TTC0HDB1"), "Planner Plan 1", only_trials).is_none());
        assert!(catalog.refusal(&target("TEST00000001"), "unknown", only_trials).is_none(), "the service decides");
        let saas = Target::OfferType("SaaS".parse().unwrap());
        assert!(
            catalog
                .refusal(&saas, "Software as a Service", only_trials)
                .unwrap()
                .to_string()
                .starts_with("offer type SaaS")
        );
    }

    #[test]
    fn refuses_unknown_fields_and_bad_ids() {
        assert!(Catalog::parse(&ONE.replace("\"trials\"", "\"trial\"")).is_err());
        let err = Catalog::parse(&ONE.replace("CFQ7TTC0LH2H", "nope")).unwrap_err().to_string();
        assert!(err.contains("'nope' is not a product id"), "{err}");
    }
}
