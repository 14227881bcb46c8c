//! `purchase` and `subscriptions list|get|add|cancel|take-over`.

use commerce_client::SubscriptionFilter;
use commerce_model::admin::{Cancellation, CancellationReason, NewCentralSubscription, NewPurchase, TakeOver};

use super::records::{SubscriptionRecord, print_one, print_outcome};
use super::{open, subscription_id, version_of};
use crate::cli::{GlobalArgs, PurchaseArgs, ReasonArgs, SubscriptionsArgs, SubscriptionsCommand, TakeOverArgs};
use crate::error::CliError;

/// The acting user buys: the product's AllowSelfServicePurchase value decides.
pub async fn purchase(global: &GlobalArgs, args: PurchaseArgs) -> Result<(), CliError> {
    let (client, printer) = open(global, &args.acting, "purchase").await?;
    let what = if args.trial { "starting a trial of" } else { "buying" };
    let new = NewPurchase { product_id: args.product_id, quantity: args.quantity, trial: args.trial };
    let bought = client
        .purchase(&new)
        .await
        .map_err(CliError::request(format!("{what} {} license(s) of {}", new.quantity, new.product_id)))?;
    print_one(&printer, SubscriptionRecord::from(bought))
}

pub async fn run(global: &GlobalArgs, args: SubscriptionsArgs) -> Result<(), CliError> {
    let acting = &args.acting;
    match args.command {
        SubscriptionsCommand::List { self_service, product_id, purchaser, status, detection } => {
            let (client, printer) = open(global, acting, "subscriptions list").await?;
            let filter = SubscriptionFilter { self_service, product_id, purchaser, status };
            let found = client.subscriptions(&filter).await.map_err(CliError::request("listing subscriptions"))?;
            let records = found.into_iter().map(SubscriptionRecord::from).collect();
            crate::commands::graph::detection::report(&printer, records, &detection)
        }
        SubscriptionsCommand::Get { subscription } => {
            let id = subscription_id(&subscription)?;
            let (client, printer) = open(global, acting, "subscriptions get").await?;
            let got =
                client.subscription(&id).await.map_err(CliError::request(format!("reading subscription {id}")))?;
            print_one(&printer, SubscriptionRecord::from(got.value))
        }
        SubscriptionsCommand::Add { product_id, quantity } => {
            let (client, printer) = open(global, acting, "subscriptions add").await?;
            let new = NewCentralSubscription { product_id, quantity };
            let added = client.add_subscription(&new).await.map_err(CliError::request(format!(
                "adding a central subscription of {} license(s) of {}",
                new.quantity, new.product_id
            )))?;
            print_one(&printer, SubscriptionRecord::from(added))
        }
        SubscriptionsCommand::Cancel { subscription, reason } => {
            let id = subscription_id(&subscription)?;
            let cancellation = cancellation(&reason, CancellationReason::NoLongerNeeded)?;
            let (client, printer) = open(global, acting, "subscriptions cancel").await?;
            let version = version_of(&client, &id).await?;
            let outcome = client
                .cancel_subscription(&id, &cancellation, version.as_deref())
                .await
                .map_err(CliError::request(format!("cancelling subscription {id}")))?;
            print_outcome(&printer, outcome)
        }
        SubscriptionsCommand::TakeOver(take) => take_over(global, acting, take).await,
    }
}

/// Reads the subscription, then takes it over with `If-Match` on the version read: of two
/// admins taking over one subscription at once, one wins and the other is told (412, or 409
/// `SubscriptionDeleted` when it read after the winner: exit 6 both).
async fn take_over(global: &GlobalArgs, acting: &crate::cli::ActingUser, args: TakeOverArgs) -> Result<(), CliError> {
    let id = subscription_id(&args.subscription)?;
    let request = match &args.move_to {
        Some(target) => {
            let target = subscription_id(target)?;
            if target.eq_ignore_ascii_case(&id) {
                return Err(CliError::Usage("--move-to names the subscription taken over: name another one".into()));
            }
            if args.reason.reason.is_some() || args.reason.reason_text.is_some() {
                return Err(CliError::Usage("--reason is for --cancel: a move cancels with its own reason".into()));
            }
            TakeOver::MoveTo(target)
        }
        None => TakeOver::Cancel(cancellation(&args.reason, CancellationReason::Other)?),
    };
    let (client, printer) = open(global, acting, "subscriptions take-over").await?;
    let version = version_of(&client, &id).await?;
    let doing = match &request {
        TakeOver::MoveTo(target) => format!("taking over subscription {id} by moving its users to {target}"),
        TakeOver::Cancel(_) => format!("taking over subscription {id} by cancelling it"),
    };
    let outcome =
        client.take_over(&id, &request, version.as_deref(), args.what_if).await.map_err(CliError::request(doing))?;
    print_outcome(&printer, outcome)
}

/// The cancellation the flags ask for (`default` when no --reason); `Other` needs a text.
fn cancellation(args: &ReasonArgs, default: CancellationReason) -> Result<Cancellation, CliError> {
    let reason = args.reason.unwrap_or(default);
    let reason_text = args.reason_text.as_deref().map(str::trim).filter(|t| !t.is_empty()).map(str::to_string);
    if reason == CancellationReason::Other && reason_text.is_none() {
        return Err(CliError::Usage("--reason Other needs --reason-text saying why".into()));
    }
    Ok(Cancellation { reason, reason_text })
}
