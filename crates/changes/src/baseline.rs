//! Planning a baseline: read what the service has for every product and offer type a
//! baseline covers and compare. Values a product cannot take are refused here, before anything is changed.

use std::collections::{BTreeMap, HashMap};

use commerce_client::{Client, ClientError, ErrorKind};
use commerce_model::baseline::{Baseline, PolicyBaseline, TargetCheck, check, check_offer_types, locate, pinned_twice};
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

/// How many pinned ids that neither the service lists nor the built-in catalogue knows are
/// read one by one (they may be former ids of a catalogue the service has and we do not).
/// Beyond this many they are taken as unknown without a request: a baseline of thousands
/// of typos must not cost thousands of requests.
pub const UNCATALOGUED_READS: usize = 8;

/// How many unknown ids an error names; it counts the rest.
const NAMED_UNKNOWN: usize = 10;

/// Checks every product and offer type `baseline` covers against the service. `text` is
/// the baseline's source, so messages can name the line of a refused entry.
pub async fn plan_baseline(
    client: &Client,
    baseline: &Baseline,
    text: &str,
    allow_unknown: bool,
) -> Result<Vec<TargetCheck>, PlanError> {
    let mut checks = Vec::new();
    for policy in &baseline.policies {
        let reading = || format!("reading {} for the baseline", policy.policy_id);
        let listed = list(client, &policy.policy_id, Scope::Product)
            .await
            .map_err(|source| PlanError::Request { doing: reading(), source })?;
        let pinned = resolve_pinned(client, policy, &listed).await?;
        pinned_twice(&pinned, text).map_err(PlanError::Invalid)?;
        if !allow_unknown {
            refuse_unknown(&pinned, text)?;
        }
        let listed: Vec<TargetPolicy> = listed.into_iter().map(|c| c.policy).collect();
        let mut found = check(policy, &listed, &pinned);
        found.extend(plan_offer_types(client, policy, text).await?);
        refuse_impossible_values(&found, text)?;
        checks.extend(found);
    }
    Ok(checks)
}

/// Checks the offer types a policy's baseline names; one the service does not list is
/// refused (offer types are few, and a misspelt one would never be held). A baseline that
/// names none costs no request.
async fn plan_offer_types(client: &Client, policy: &PolicyBaseline, text: &str) -> Result<Vec<TargetCheck>, PlanError> {
    if policy.offer_types.is_empty() {
        return Ok(Vec::new());
    }
    let listed = list(client, &policy.policy_id, Scope::OfferType).await.map_err(|source| PlanError::Request {
        doing: format!("reading the offer types of {} for the baseline", policy.policy_id),
        source,
    })?;
    let listed: Vec<TargetPolicy> = listed.into_iter().map(|c| c.policy).collect();
    check_offer_types(policy, &listed).map_err(|unknown| {
        let named: Vec<String> = unknown.iter().map(|o| format!("{o}{}", locate(text, o.as_str()))).collect();
        let offer_types = if unknown.len() == 1 { "offer type" } else { "offer types" };
        PlanError::Invalid(format!(
            "the service does not list {offer_types} {} — `commerce-policy product-policies list --scope OfferType` shows the offer types it knows",
            named.join(", ")
        ))
    })
}

/// Refuses pinned ids the service does not know, naming the first few with their lines.
fn refuse_unknown(pinned: &BTreeMap<ProductId, Option<TargetPolicy>>, text: &str) -> Result<(), PlanError> {
    let unknown: Vec<&ProductId> = pinned.iter().filter(|(_, found)| found.is_none()).map(|(id, _)| id).collect();
    if unknown.is_empty() {
        return Ok(());
    }
    let named: Vec<String> =
        unknown.iter().take(NAMED_UNKNOWN).map(|id| format!("{id}{}", locate(text, id.as_str()))).collect();
    let more = match unknown.len().saturating_sub(NAMED_UNKNOWN) {
        0 => String::new(),
        n => format!(" and {n} more"),
    };
    let products = if unknown.len() == 1 { "product" } else { "products" };
    Err(PlanError::Invalid(format!(
        "the service does not list {products} {}{more} — check for a typo, or pass --allow-unknown-products",
        named.join(", ")
    )))
}

/// Finds the product each pinned id names, from the one list read where it can: ids the
/// list shows cost nothing; ids the built-in catalogue knows (former ids, mostly) are read
/// alone, so the service says what they name; other ids are read alone only while there
/// are few of them ([`UNCATALOGUED_READS`]), else they are unknown.
async fn resolve_pinned(
    client: &Client,
    policy: &PolicyBaseline,
    listed: &[Current],
) -> Result<BTreeMap<ProductId, Option<TargetPolicy>>, PlanError> {
    let by_target: HashMap<&Target, &Current> = listed.iter().map(|c| (&c.policy.target, c)).collect();
    let mut resolved = BTreeMap::new();
    let (mut catalogued, mut others) = (Vec::new(), Vec::new());
    for id in policy.products.keys() {
        match by_target.get(&Target::Product(id.clone())) {
            Some(current) => {
                resolved.insert(id.clone(), Some(current.policy.clone()));
            }
            None if Catalog::builtin().product(id).is_some() => catalogued.push(id.clone()),
            None => others.push(id.clone()),
        }
    }
    if others.len() > UNCATALOGUED_READS {
        resolved.extend(others.drain(..).map(|id| (id, None)));
    }
    let reads: Vec<ProductId> = catalogued.into_iter().chain(others).collect();
    let targets = reads.iter().cloned().map(Target::Product).collect();
    let found = find(client, &policy.policy_id, &[], targets, 8).await;
    for (id, read) in reads.into_iter().zip(found) {
        let current = match read {
            Ok(current) => Some(current.policy),
            Err(unread) if unread.error.kind() == ErrorKind::NotFound => None,
            Err(unread) => {
                return Err(PlanError::Request { doing: format!("reading product {id}"), source: *unread.error });
            }
        };
        resolved.insert(id, current);
    }
    Ok(resolved)
}

/// Refuses a baseline that asks for a value a product cannot take (the trial rule), naming
/// each such product and its line.
fn refuse_impossible_values(checks: &[TargetCheck], text: &str) -> Result<(), PlanError> {
    let refusals: Vec<String> = checks
        .iter()
        .filter_map(|c| {
            let refusal = Catalog::builtin().refusal(&c.target, &c.name, c.after)?;
            Some(format!("{refusal}{}", locate(text, c.target.id())))
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
        let pinned = checks.iter().find(|c| c.target.id() == "CFQ7TTC0LH2H").unwrap();
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

        let twice = "{\"policyId\":\"AllowSelfServicePurchase\",\"products\":{\n\"CFQ7TTC0LH2H\":\"Enabled\",\n\"CFQ7TTC0KP0P\":\"Disabled\"}}";
        let err = plan_baseline(&client, &Baseline::parse(twice).unwrap(), twice, true).await.unwrap_err();
        assert_eq!(
            err.to_string(),
            "product CFQ7TTC0LH2H is pinned twice (CFQ7TTC0KP0P is the former id of CFQ7TTC0LH2H) (line 3)"
        );

        let many: Vec<String> = (1..=30).map(|i| format!("\"TEST{i:08}\":\"Enabled\"")).collect();
        let many = format!("{{\"policyId\":\"AllowSelfServicePurchase\",\"products\":{{{}}}}}", many.join(","));
        let err = plan_baseline(&client, &Baseline::parse(&many).unwrap(), &many, false).await.unwrap_err().to_string();
        assert!(err.contains("products TEST00000001 (line 1), ") && err.contains(" and 20 more — "), "{err}");

        let trial = "{\"policyId\":\"AllowSelfServicePurchase\",\n\"products\":{\"CFQ7TTC0H9MP\":\"OnlyTrialsWithoutPaymentMethod\"}}";
        let err = plan_baseline(&client, &Baseline::parse(trial).unwrap(), trial, false).await.unwrap_err().to_string();
        assert!(err.starts_with("Power BI Pro (CFQ7TTC0H9MP) offers no trial without a payment method"), "{err}");
        assert!(err.ends_with("(line 2)"), "{err}");
    }
}
