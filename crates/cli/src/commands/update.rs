//! `product-policies update`: change many products in one call, concurrently, each with
//! its own result; or one offer type. Reads the current values first (one list request),
//! so unchanged products cost nothing and `--what-if` shows exactly what would change.

use std::collections::HashSet;
use std::io::Read;

use commerce_client::{Client, ClientError};
use commerce_model::wire::ProductPolicy;
use commerce_model::{OfferType, PolicyId, PolicyValue, ProductId};

use crate::batch;
use crate::cli::{UpdateArgs, UpdateTargets};
use crate::error::{CliError, kind_exit_code};
use crate::output::Printer;
use crate::records::{ChangeRecord, ChangeStatus, ScopeChangeRecord};
use crate::trials;

pub async fn update(client: &Client, printer: &Printer, args: UpdateArgs) -> Result<(), CliError> {
    let wanted = args.value.resolve();
    let policy = args.policy.policy_id;
    if let Some(offer) = &args.targets.offer_type {
        return update_offer_type(client, printer, &policy, offer, wanted, args.what_if).await;
    }
    let requested = requested_ids(&args.targets)?;
    let concurrency = usize::from(args.concurrency);
    let targets = resolve_targets(client, &policy, requested, concurrency).await?;
    let records = batch::with_progress(targets, concurrency, args.what_if, |target| {
        change_one(client, &policy, target, wanted, args.what_if)
    })
    .await;
    printer.many(&records)?;
    ChangeRecord::outcome(&records)
}

/// The product ids asked for, in order, without repeats; `None` means every product.
fn requested_ids(targets: &UpdateTargets) -> Result<Option<Vec<ProductId>>, CliError> {
    if targets.all {
        return Ok(None);
    }
    let mut words: Vec<String> = Vec::new();
    for arg in &targets.product_id {
        if arg.trim() == "-" {
            let mut input = String::new();
            std::io::stdin()
                .read_to_string(&mut input)
                .map_err(|e| CliError::Usage(format!("could not read product ids from stdin: {e}")))?;
            words.extend(input.split(|c: char| c.is_whitespace() || c == ',').map(str::to_string));
        } else {
            words.push(arg.clone());
        }
    }
    let mut seen = HashSet::new();
    let mut ids = Vec::new();
    for word in words.iter().map(|w| w.trim()).filter(|w| !w.is_empty()) {
        let id: ProductId = word.parse().map_err(|e| CliError::Usage(format!("--product-id: {e}")))?;
        if seen.insert(id.clone()) {
            ids.push(id);
        }
    }
    if ids.is_empty() {
        return Err(CliError::Usage(
            "no product id was given: pass --product-id, ids on stdin with `-`, or --all".into(),
        ));
    }
    Ok(Some(ids))
}

/// A product to change: its current state, or why it could not be read.
type Target = Result<ProductPolicy, (ProductId, ClientError)>;

/// Reads the current value of every requested product: one list request, plus a single read
/// for each id the list does not show (a former id the service still answers for).
async fn resolve_targets(
    client: &Client,
    policy: &PolicyId,
    requested: Option<Vec<ProductId>>,
    concurrency: usize,
) -> Result<Vec<Target>, CliError> {
    let listed = client
        .product_policies(policy)
        .await
        .map_err(CliError::request(format!("listing the products of {policy}")))?;
    let Some(requested) = requested else {
        return Ok(listed.into_iter().map(Ok).collect());
    };
    let found = batch::find_products(client, policy, &listed, requested, concurrency).await;
    let targets = found.into_iter().map(|(id, product)| product.map_err(|e| (id, e)));
    // A former id and its current id name the same product: change it once.
    let mut seen = HashSet::new();
    Ok(targets.filter(|t| t.as_ref().map_or(true, |p| seen.insert(p.product_id.clone()))).collect())
}

async fn change_one(
    client: &Client,
    policy: &PolicyId,
    target: Target,
    wanted: PolicyValue,
    what_if: bool,
) -> ChangeRecord {
    let current = match target {
        Ok(current) => current,
        Err((id, e)) => return failed(policy, id.to_string(), String::new(), None, &e),
    };
    let record = |status, value, correlation_id| ChangeRecord {
        product_name: current.product_name.clone(),
        product_id: current.product_id.to_string(),
        previous_value: Some(current.policy_value),
        policy_value: Some(value),
        status,
        policy_id: policy.clone(),
        error: None,
        correlation_id,
        exit_code: None,
    };
    if current.policy_value == wanted {
        return record(ChangeStatus::Unchanged, wanted, None);
    }
    if what_if && trials::refuses(&current.product_id, wanted) {
        return ChangeRecord {
            status: ChangeStatus::Failed,
            policy_value: Some(current.policy_value),
            error: Some(format!("would be refused: {}", trials::reason(&current.product_name, &current.product_id))),
            exit_code: Some(crate::error::exit::USAGE),
            ..record(ChangeStatus::Failed, wanted, None)
        };
    }
    if what_if {
        return record(ChangeStatus::WouldUpdate, wanted, None);
    }
    match client.set_product_policy(policy, &current.product_id, wanted, None).await {
        Ok(done) => record(ChangeStatus::Updated, done.value.policy_value, Some(done.correlation_id)),
        Err(e) => {
            failed(policy, current.product_id.to_string(), current.product_name.clone(), Some(current.policy_value), &e)
        }
    }
}

fn failed(policy: &PolicyId, id: String, name: String, previous: Option<PolicyValue>, e: &ClientError) -> ChangeRecord {
    ChangeRecord {
        product_name: name,
        product_id: id,
        previous_value: previous,
        policy_value: previous,
        status: ChangeStatus::Failed,
        policy_id: policy.clone(),
        error: Some(e.to_string()),
        correlation_id: e.correlation_id().map(str::to_string),
        exit_code: Some(kind_exit_code(e.kind())),
    }
}

async fn update_offer_type(
    client: &Client,
    printer: &Printer,
    policy: &PolicyId,
    offer: &OfferType,
    wanted: PolicyValue,
    what_if: bool,
) -> Result<(), CliError> {
    let doing = || format!("updating {policy} for offer type {offer}");
    let current = client.offer_type_policy(policy, offer).await.map_err(CliError::request(doing()))?.value;
    let (status, value, correlation_id) = if current.policy_value == wanted {
        (ChangeStatus::Unchanged, wanted, None)
    } else if what_if {
        (ChangeStatus::WouldUpdate, wanted, None)
    } else {
        let done =
            client.set_offer_type_policy(policy, offer, wanted, None).await.map_err(CliError::request(doing()))?;
        (ChangeStatus::Updated, done.value.policy_value, Some(done.correlation_id))
    };
    printer.many(&[ScopeChangeRecord {
        scope: current.scope,
        scope_id: current.scope_id,
        scope_value: current.scope_value,
        previous_value: current.policy_value,
        policy_value: value,
        status,
        policy_id: policy.clone(),
        correlation_id,
    }])
}
