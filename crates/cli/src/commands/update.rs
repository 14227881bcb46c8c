//! `product-policies update`: change many products (or an offer type) in one call,
//! concurrently, each with its own result. The operation itself — reading first, so unchanged
//! products cost nothing and `--what-if` is exact, then writing with `If-Match` — is
//! commerce-changes'; this parses the targets, shows progress and prints.

use std::collections::HashSet;

use commerce_changes::{Mode, Selection, carry_out_all, plan_update};
use commerce_client::Client;
use commerce_model::{ProductId, Scope, Target};

use crate::cli::{Format, UpdateArgs, UpdateTargets};
use crate::error::CliError;
use crate::output::Printer;
use crate::progress;
use crate::records::ChangeOutput;
use crate::text;

/// Carries out an update of `selection`, which the caller read before opening the endpoint
/// (usage is checked before anything is sent: see `commands::run`).
pub async fn update(
    client: &Client,
    printer: &Printer,
    args: UpdateArgs,
    selection: Selection,
) -> Result<(), CliError> {
    let (wanted, policy, concurrency) = (args.value.resolve(), args.policy.policy_id, usize::from(args.concurrency));
    let interrupt = progress::interrupt_on_ctrl_c();
    let planning = plan_update(client, &policy, &selection, wanted, concurrency);
    let planned = tokio::select! {
        planned = planning => planned.map_err(CliError::request(format!("reading the current values of {policy}")))?,
        () = interrupt.stopped() => return Err(CliError::Interrupted { changed: 0, not_attempted: 0, total: 0 }),
    };
    let mode = if args.what_if { Mode::WhatIf } else { Mode::Write };
    let bar = progress::bar(planned.len(), args.what_if);
    let results = carry_out_all(client, planned, concurrency, mode, &interrupt, || bar.inc(1)).await;
    bar.finish_and_clear();
    printer.many(&results.iter().map(ChangeOutput::from).collect::<Vec<_>>())?;
    if printer.format == Format::Table {
        printer.write(&progress::summary(&results, client.retries()))?;
    }
    CliError::from_batch(&results, interrupt.is_stopped())
}

/// The targets asked for, in order, without repeats.
pub fn selection(targets: &UpdateTargets) -> Result<Selection, CliError> {
    if targets.all {
        return Ok(Selection::Every(Scope::Product));
    }
    if let Some(offer) = &targets.offer_type {
        return Ok(Selection::Only(vec![Target::OfferType(offer.clone())]));
    }
    let mut words: Vec<String> = Vec::new();
    for arg in &targets.product_id {
        if arg.trim() == "-" {
            let input = text::read_stdin()
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
            ids.push(Target::Product(id));
        }
    }
    if ids.is_empty() {
        return Err(CliError::Usage(
            "no product id was given: pass --product-id, ids on stdin with `-`, or --all".into(),
        ));
    }
    Ok(Selection::Only(ids))
}
