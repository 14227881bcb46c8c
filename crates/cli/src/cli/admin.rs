//! The command line of the self-service purchase administration (issue 11): users, purchase,
//! subscriptions, licenses, centralize, notifications. Exact names: scripts and docs use them.

use std::path::PathBuf;

use clap::builder::TypedValueParser;
use clap::{Args, Subcommand};
use commerce_model::ProductId;
use commerce_model::admin::{CancellationReason, SubscriptionStatus};

/// `--as UPN`, on every administration command and its subcommands.
#[derive(Debug, Args)]
pub struct ActingUser {
    /// Act as this user of the directory (a user principal name), on a service without
    /// sign-in (`serve --auth none`, the embedded default); without it the caller is the
    /// admin. With sign-in the token says who acts.
    #[arg(long = "as", value_name = "UPN", global = true)]
    pub acting_as: Option<String>,
}

/// `users`, with `--as`.
#[derive(Debug, Args)]
pub struct UsersArgs {
    #[command(flatten)]
    pub acting: ActingUser,
    #[command(subcommand)]
    pub command: UsersCommand,
}

/// `subscriptions`, with `--as`.
#[derive(Debug, Args)]
pub struct SubscriptionsArgs {
    #[command(flatten)]
    pub acting: ActingUser,
    #[command(subcommand)]
    pub command: SubscriptionsCommand,
}

/// `licenses`, with `--as`.
#[derive(Debug, Args)]
pub struct LicensesArgs {
    #[command(flatten)]
    pub acting: ActingUser,
    #[command(subcommand)]
    pub command: LicensesCommand,
}

/// `notifications`, with `--as`.
#[derive(Debug, Args)]
pub struct NotificationsArgs {
    #[command(flatten)]
    pub acting: ActingUser,
    #[command(subcommand)]
    pub command: NotificationsCommand,
}

#[derive(Debug, Subcommand)]
pub enum UsersCommand {
    /// Add a user to the directory (the emulator's).
    Add {
        #[arg(long, value_name = "UPN")]
        upn: String,
        #[arg(long, value_name = "NAME")]
        display_name: String,
        /// Where mails to this user go (default: none; purchasers without one get no mail).
        #[arg(long, value_name = "ADDRESS")]
        mail: Option<String>,
    },
    /// Add users from a CSV file (`-` reads stdin), all or none: a header row with
    /// upn,displayName,mail (or UserPrincipalName,DisplayName,Mail), then one user a line.
    Import {
        #[arg(value_name = "FILE.csv")]
        file: PathBuf,
    },
    /// List the directory's users.
    List,
}

/// `purchase`: the acting user buys licenses of a product, or starts a trial.
#[derive(Debug, Args)]
pub struct PurchaseArgs {
    #[command(flatten)]
    pub acting: ActingUser,
    #[arg(long)]
    pub product_id: ProductId,
    /// How many licenses.
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    pub quantity: u32,
    /// Start a trial instead of a paid subscription (allowed by Enabled, and by
    /// OnlyTrialsWithoutPaymentMethod for products that offer one).
    #[arg(long)]
    pub trial: bool,
}

/// A cancellation's reason: from the list, with a text required with Other.
#[derive(Debug, Args)]
pub struct ReasonArgs {
    /// Why: BoughtCentrally, NoLongerNeeded, TooExpensive, NotApproved, or Other (with
    /// --reason-text).
    #[arg(long, value_name = "REASON", value_parser = reason_values(), ignore_case = true)]
    pub reason: Option<CancellationReason>,
    /// The reason in words; required with --reason Other.
    #[arg(long, value_name = "TEXT")]
    pub reason_text: Option<String>,
}

fn reason_values() -> clap::builder::ValueParser {
    let names = CancellationReason::ALL.map(CancellationReason::as_str);
    clap::builder::ValueParser::new(
        clap::builder::PossibleValuesParser::new(names).map(|s| s.parse::<CancellationReason>().expect("listed")),
    )
}

#[derive(Debug, Subcommand)]
pub enum SubscriptionsCommand {
    /// List subscriptions, with their purchaser, licenses, expiry, price and users.
    List {
        /// Only those users bought themselves (self-service purchases).
        #[arg(long)]
        self_service: bool,
        #[arg(long)]
        product_id: Option<ProductId>,
        /// Only those this user bought (a user principal name).
        #[arg(long, value_name = "UPN")]
        purchaser: Option<String>,
        /// Active or Deleted.
        #[arg(long)]
        status: Option<SubscriptionStatus>,
        #[command(flatten)]
        detection: super::DetectionArgs,
    },
    /// Read one subscription.
    Get {
        #[arg(value_name = "SUB")]
        subscription: String,
    },
    /// Buy a subscription centrally, for the tenant ("buy through existing agreements").
    Add {
        #[arg(long)]
        product_id: ProductId,
        #[arg(long, value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
        quantity: u32,
    },
    /// Cancel a subscription you bought (its purchaser; `--as` names you).
    Cancel {
        #[arg(value_name = "SUB")]
        subscription: String,
        #[command(flatten)]
        reason: ReasonArgs,
    },
    /// Take over a user's subscription: move its users to another subscription, or cancel it.
    TakeOver(TakeOverArgs),
}

#[derive(Debug, Args)]
pub struct TakeOverArgs {
    /// The user's subscription.
    #[arg(value_name = "SUB")]
    pub subscription: String,
    /// Move its users to this subscription (which needs a free license for each), then
    /// cancel it.
    #[arg(long, value_name = "SUB2", required_unless_present = "cancel", conflicts_with = "cancel")]
    pub move_to: Option<String>,
    /// Cancel it: its users lose their licenses. Needs --reason.
    #[arg(long, requires = "reason")]
    pub cancel: bool,
    #[command(flatten)]
    pub reason: ReasonArgs,
    /// Show what would move, be cancelled and be mailed; change nothing.
    #[arg(long)]
    pub what_if: bool,
}

#[derive(Debug, Subcommand)]
pub enum LicensesCommand {
    /// Per product, the licenses of all its subscriptions and the users by purchaser.
    List {
        /// Only products bought self-service.
        #[arg(long)]
        self_service: bool,
        #[arg(long)]
        product_id: Option<ProductId>,
    },
    /// Give users a license of a subscription.
    Assign(LicenseChangeArgs),
    /// Take licenses of a subscription back from users.
    Unassign(LicenseChangeArgs),
    /// Export the users holding licenses of subscriptions as CSV (UTF-8; with --out, with a
    /// byte order mark so Excel reads the names right).
    Export {
        /// The subscriptions: repeat the flag, separate ids with commas, or give `-` to read
        /// them from stdin (one a line, or separated by spaces or commas).
        #[arg(long, value_name = "SUB", value_delimiter = ',', required = true, num_args = 1..)]
        subscription: Vec<String>,
        /// Write the CSV to this file instead of stdout (replaced whole or not at all).
        #[arg(long, value_name = "FILE", value_parser = super::parse_out)]
        out: Option<PathBuf>,
    },
}

#[derive(Debug, Args)]
pub struct LicenseChangeArgs {
    #[arg(long, value_name = "SUB")]
    pub subscription: String,
    /// The users (principal names): repeat the flag or separate them with commas.
    #[arg(long, value_name = "UPN", value_delimiter = ',', required = true, num_args = 1..)]
    pub user: Vec<String>,
}

/// `centralize`: license every self-service user of a product from a central subscription.
#[derive(Debug, Args)]
pub struct CentralizeArgs {
    #[command(flatten)]
    pub acting: ActingUser,
    #[arg(long)]
    pub product_id: ProductId,
    /// The central subscription whose licenses the users get.
    #[arg(long, value_name = "SUB")]
    pub to: String,
    /// Show what would be assigned and mailed; change nothing.
    #[arg(long)]
    pub what_if: bool,
}

#[derive(Debug, Subcommand)]
pub enum NotificationsCommand {
    /// The mails to purchasers, with their delivery state.
    List,
}
