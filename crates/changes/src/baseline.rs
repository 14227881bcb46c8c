//! Planning a baseline: read what the service has for every product a baseline covers and
//! compare. Values a product cannot take are refused here, before anything is changed.

use std::collections::BTreeMap;

use commerce_client::{Client, ClientError, ErrorKind};
use commerce_model::baseline::{Baseline, PolicyBaseline, ProductCheck, check, locate};
use commerce_model::{Catalog, ProductId, Scope, Target, TargetPolicy};

use crate::update::{Current, find, list};

/// Why a baseline could not be planned.
#[derive(Debug, thiserror::Error)]
pub enum PlanError {
    /// A read failed; `doing` says what was being read.
    #[error("{doing} failed: {source}")]
    Request { doing: String, source: ClientError },
    /// The baseline asks for something the service cannot do; the message names the line.
    #[error("{0}")]
    Invalid(String),
}

/// Checks every product `baseline` covers against the service. `text` is the baseline's
/// source, so messages can name the line of a refused entry.
pub async fn plan_baseline(
    client: &Client,
    baseline: &Baseline,
    text: &str,
    allow_unknown: bool,
) -> Result<Vec<ProductCheck>, PlanError> {
    let mut checks = Vec::new();
    for policy in &baseline.policies {
        let reading = || format!("reading {} for the baseline", policy.policy_id);
        let listed = list(client, &policy.policy_id, Scope::Product)
            .await
            .map_err(|source| PlanError::Request { doing: reading(), source })?;
        let pinned = resolve_pinned(client, policy, &listed).await?;
        let unknown: Vec<String> = pinned
            .iter()
            .filter(|(_, found)| found.is_none())
            .map(|(id, _)| format!("{id}{}", locate(text, id.as_str())))
            .collect();
        if !unknown.is_empty() && !allow_unknown {
            return Err(PlanError::Invalid(format!(
                "the service does not list product {} — check for a typo, or pass --allow-unknown-products",
                unknown.join(", ")
            )));
        }
        let listed: Vec<TargetPolicy> = listed.into_iter().map(|c| c.policy).collect();
        let found = check(policy, &listed, &pinned);
        refuse_impossible_values(&found, text)?;
        checks.extend(found);
    }
    Ok(checks)
}

/// Finds the product each pinned id names; ids the list does not show are read one by one,
/// since the service answers for former ids too.
async fn resolve_pinned(
    client: &Client,
    policy: &PolicyBaseline,
    listed: &[Current],
) -> Result<BTreeMap<ProductId, Option<TargetPolicy>>, PlanError> {
    let ids: Vec<ProductId> = policy.products.keys().cloned().collect();
    let targets = ids.iter().cloned().map(Target::Product).collect();
    let found = find(client, &policy.policy_id, listed, targets, 8).await;
    ids.into_iter()
        .zip(found)
        .map(|(id, read)| match read {
            Ok(current) => Ok((id, Some(current.policy))),
            Err(unread) if unread.error.kind() == ErrorKind::NotFound => Ok((id, None)),
            Err(unread) => Err(PlanError::Request { doing: format!("reading product {id}"), source: *unread.error }),
        })
        .collect()
}

/// Refuses a baseline that asks for a value a product cannot take (the trial rule), naming
/// each such product and its line.
fn refuse_impossible_values(checks: &[ProductCheck], text: &str) -> Result<(), PlanError> {
    let refusals: Vec<String> = checks
        .iter()
        .filter_map(|c| {
            let target = Target::Product(c.product_id.clone());
            let refusal = Catalog::builtin().refusal(&target, &c.product_name, c.after)?;
            Some(format!("{refusal}{}", locate(text, c.product_id.as_str())))
        })
        .collect();
    if refusals.is_empty() { Ok(()) } else { Err(PlanError::Invalid(refusals.join("; "))) }
}

#[cfg(test)]
mod tests {
    use commerce_model::PolicyValue;
    use commerce_model::baseline::{Baseline, Source};

    use super::*;
    use crate::testing::local_client;

    #[tokio::test]
    async fn pins_and_the_default_are_checked_against_the_service() {
        let (_dir, client) = local_client();
        let text =
            r#"{"policyId":"AllowSelfServicePurchase","default":"Disabled","products":{"CFQ7TTC0KP0P":"Enabled"}}"#;
        let checks = plan_baseline(&client, &Baseline::parse(text).unwrap(), text, false).await.unwrap();
        assert_eq!(checks.len(), 3);
        let pinned = checks.iter().find(|c| c.product_id.as_str() == "CFQ7TTC0LH2H").unwrap();
        assert_eq!((pinned.source, pinned.drifted()), (Source::Pinned, false), "the former id pins the product");
        assert_eq!(checks.iter().filter(|c| c.drifted() && c.after == PolicyValue::Disabled).count(), 2);
    }

    #[tokio::test]
    async fn an_unknown_product_or_an_impossible_value_is_refused_with_its_line() {
        let (_dir, client) = local_client();
        let unknown = "{\"policyId\":\"AllowSelfServicePurchase\",\n\"products\":{\"TEST00000009\":\"Enabled\"}}";
        let err = plan_baseline(&client, &Baseline::parse(unknown).unwrap(), unknown, false).await.unwrap_err();
        assert!(err.to_string().contains("does not list product TEST00000009 (line 2)"), "{err}");
        assert!(plan_baseline(&client, &Baseline::parse(unknown).unwrap(), unknown, true).await.is_ok());

        let trial = "{\"policyId\":\"AllowSelfServicePurchase\",\n\"products\":{\"CFQ7TTC0H9MP\":\"OnlyTrialsWithoutPaymentMethod\"}}";
        let err = plan_baseline(&client, &Baseline::parse(trial).unwrap(), trial, false).await.unwrap_err().to_string();
        assert!(err.starts_with("Power BI Pro (CFQ7TTC0H9MP) offers no trial without a payment method"), "{err}");
        assert!(err.ends_with("(line 2)"), "{err}");
    }
}
