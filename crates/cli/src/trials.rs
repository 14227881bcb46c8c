//! What the built-in catalogue knows about trials: `OnlyTrialsWithoutPaymentMethod` only fits
//! products that offer a trial without a payment method. Used to warn before a request is
//! made (`--what-if`, `plan`); for products it does not know, the service decides.

use std::collections::HashMap;
use std::sync::OnceLock;

use commerce_model::{PolicyValue, ProductId};

/// Whether each known product (current and former ids) has such a trial.
fn known() -> &'static HashMap<ProductId, bool> {
    static KNOWN: OnceLock<HashMap<ProductId, bool>> = OnceLock::new();
    KNOWN.get_or_init(|| {
        let catalog = commerce_service::builtin_catalog();
        catalog
            .products
            .into_iter()
            .flat_map(|p| std::iter::once(p.id).chain(p.former_ids).map(move |id| (id, p.trials)))
            .collect()
    })
}

/// True when `value` is known not to fit `product`.
pub fn refuses(product: &ProductId, value: PolicyValue) -> bool {
    value == PolicyValue::OnlyTrialsWithoutPaymentMethod && known().get(product) == Some(&false)
}

/// Why a refused value does not fit.
pub fn reason(name: &str, product: &ProductId) -> String {
    format!(
        "{name} ({product}) offers no trial without a payment method, so OnlyTrialsWithoutPaymentMethod does not apply: use Enabled or Disabled"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn knows_products_without_trials_by_current_and_former_id() {
        let pro: ProductId = "CFQ7TTC0H9MP".parse().unwrap();
        let pro_former: ProductId = "CFQ7TTC0L3PB".parse().unwrap();
        let planner: ProductId = "CFQ7TTC0HDB1".parse().unwrap();
        let unknown: ProductId = "TEST00000001".parse().unwrap();
        assert!(refuses(&pro, PolicyValue::OnlyTrialsWithoutPaymentMethod));
        assert!(refuses(&pro_former, PolicyValue::OnlyTrialsWithoutPaymentMethod));
        assert!(!refuses(&pro, PolicyValue::Disabled));
        assert!(!refuses(&planner, PolicyValue::OnlyTrialsWithoutPaymentMethod));
        assert!(!refuses(&unknown, PolicyValue::OnlyTrialsWithoutPaymentMethod));
    }
}
