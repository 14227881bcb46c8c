//! The command line: every subcommand and flag, in one place.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};
use commerce_model::{OfferType, PolicyId, PolicyValue, ProductId, Scope};

use crate::catalog_ids;
use crate::log::LogFormat;
use commerce_signin::Cloud;

mod admin;
mod graph;
pub use admin::*;
pub use graph::*;

/// Read and change Microsoft 365 self-service purchase policies (AllowSelfServicePurchase),
/// on your tenant, on any commerce-policy service, or on the embedded local default.
#[derive(Debug, Parser)]
#[command(
    name = "commerce-policy",
    version,
    propagate_version = true,
    max_term_width = 100,
    arg_required_else_help = true
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

/// The flags every subcommand takes, under a heading of their own so a subcommand's own
/// options are not lost among them.
#[derive(Debug, Args)]
#[command(next_help_heading = "Global options")]
pub struct GlobalArgs {
    /// Where to send requests: `local` (the embedded default, a store in your data folder),
    /// `microsoft` (https://licensing.m365.microsoft.com), or the URL of a service. Default:
    /// the tenant of `connect`, else local.
    #[arg(long, global = true, env = "COMMERCE_POLICY_ENDPOINT")]
    pub endpoint: Option<String>,

    /// Where Microsoft Graph answers, for the administration commands that read a tenant
    /// (docs/graph.md). Default: the connected cloud's Graph host (https://graph.microsoft.com
    /// worldwide).
    #[arg(long, global = true, env = "COMMERCE_POLICY_GRAPH_ENDPOINT", value_name = "URL")]
    pub graph_endpoint: Option<String>,

    /// Output format: a table for people, json for scripts, csv for spreadsheets, junit (plan,
    /// apply, and subscriptions list) for CI test reports.
    #[arg(long, short = 'o', global = true, env = "COMMERCE_POLICY_OUTPUT", value_enum, default_value_t = Format::Table)]
    pub output: Format,

    /// Whether `--output` was given on the command line (not the default nor the
    /// environment): `export` refuses an explicit format other than json. Set by `main`.
    #[arg(skip)]
    pub output_on_command_line: bool,

    /// A bearer token to send (MSCommerce's -Token). Prefer the environment variable: other
    /// users can see command lines.
    #[arg(long, global = true, env = "COMMERCE_POLICY_ACCESS_TOKEN", hide_env_values = true)]
    pub access_token: Option<String>,

    /// How long one try of a request may take.
    #[arg(long, global = true, value_parser = humantime::parse_duration, default_value = "30s")]
    pub timeout: Duration,

    /// How long to keep retrying a throttled or failed request, from its first try.
    #[arg(long, global = true, value_parser = humantime::parse_duration, default_value = "2m")]
    pub retry_timeout: Duration,

    /// At most this many retries of one request (default: as many as --retry-timeout allows).
    #[arg(long, global = true)]
    pub max_retries: Option<u32>,

    /// Log each request and retry with its correlation id on stderr.
    #[arg(long, short = 'v', global = true)]
    pub verbose: bool,

    /// Stderr lines as text for people, or json: one object per line (`level`, `message`,
    /// the request fields), warnings and a failed command's error line included.
    #[arg(long, global = true, env = "COMMERCE_POLICY_LOG_FORMAT", value_enum, ignore_case = true, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,

    /// Refuse the implicit local default (exit 3) when nothing says where to go: no
    /// --endpoint, no token, no saved connection. The module's MSCommerce-named cmdlets pass it.
    #[arg(long, global = true, hide = true, env = "COMMERCE_POLICY_REQUIRE_CONNECTION",
          value_parser = clap::builder::FalseyValueParser::new())]
    pub require_connection: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Table,
    Json,
    Csv,
    Junit,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// List or read policies (Get-MSCommercePolicies, Get-MSCommercePolicy).
    #[command(subcommand, arg_required_else_help = true)]
    Policies(PoliciesCommand),
    /// List, read or change a policy's value per product or offer type.
    #[command(subcommand, name = "product-policies", arg_required_else_help = true)]
    ProductPolicies(ProductPoliciesCommand),
    /// Compare the service with a baseline file and show what would change.
    Plan(PlanArgs),
    /// Make the service match a baseline file, or apply a saved plan.
    Apply(ApplyArgs),
    /// Print the service's current values as a baseline file.
    Export(ExportArgs),
    /// Show the audit log of changes (commerce-policy services only).
    Audit(AuditArgs),
    /// Sign in to a tenant (Connect-MSCommerce) and make it where commands go.
    Connect(ConnectArgs),
    /// Sign out: forget the tenant's tokens and secrets (Disconnect-MSCommerce).
    Disconnect,
    /// Run the policy service over a durable store.
    Serve(ServeArgs),
    /// The tenant's users: the directory of a commerce-policy service (docs/admin.md).
    #[command(arg_required_else_help = true)]
    Users(UsersArgs),
    /// Buy licenses of a product as a user: a self-service purchase, which the product's
    /// AllowSelfServicePurchase value allows or refuses.
    Purchase(PurchaseArgs),
    /// Subscriptions bought by users (self-service) or centrally; take one over.
    #[command(arg_required_else_help = true)]
    Subscriptions(SubscriptionsArgs),
    /// Who holds licenses of which product; assign, unassign, export.
    #[command(arg_required_else_help = true)]
    Licenses(LicensesArgs),
    /// License every self-service user of a product from a central subscription, and ask
    /// the purchasers to cancel.
    Centralize(CentralizeArgs),
    /// The mails to purchasers in the service's outbox.
    #[command(arg_required_else_help = true)]
    Notifications(NotificationsArgs),
    /// Print a shell's completion script to stdout (see the README for where it goes).
    Completions {
        /// The shell to complete in.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff) to stdout.
    Man,
    /// Print this command tree as JSON, for the PowerShell module's contract tests.
    #[command(name = "describe-cli", hide = true)]
    DescribeCli,
}

#[derive(Debug, Subcommand)]
pub enum PoliciesCommand {
    /// List every policy (Get-MSCommercePolicies).
    List,
    /// Read one policy (Get-MSCommercePolicy).
    Get {
        /// The policy, like AllowSelfServicePurchase.
        #[arg(value_name = "POLICY_ID")]
        policy_id: PolicyId,
    },
}

#[derive(Debug, Args)]
pub struct PolicyArg {
    /// The policy.
    #[arg(long, default_value = commerce_model::ALLOW_SELF_SERVICE_PURCHASE)]
    pub policy_id: PolicyId,
}

#[derive(Debug, Subcommand)]
pub enum ProductPoliciesCommand {
    /// List a policy's value for every product, or every offer type (Get-MSCommerceProductPolicies).
    List {
        #[command(flatten)]
        policy: PolicyArg,
        /// `product`, or `OfferType` for third-party offer types.
        #[arg(long, default_value = "product")]
        scope: Scope,
    },
    /// Read a policy's value for one product or offer type (Get-MSCommerceProductPolicy).
    Get {
        #[command(flatten)]
        policy: PolicyArg,
        #[command(flatten)]
        target: OneTarget,
    },
    /// Change a policy's value for products or an offer type (Update-MSCommerceProductPolicy).
    Update(UpdateArgs),
}

#[derive(Debug, Args)]
#[group(required = true, multiple = false)]
pub struct OneTarget {
    /// The product, like CFQ7TTC0H9MP (former ids work too).
    #[arg(long, value_parser = catalog_ids::product_id(), hide_possible_values = true)]
    pub product_id: Option<ProductId>,
    /// The offer type, like SaaS.
    #[arg(long, value_parser = catalog_ids::offer_type(), hide_possible_values = true)]
    pub offer_type: Option<OfferType>,
}

#[derive(Debug, Args)]
pub struct UpdateArgs {
    #[command(flatten)]
    pub policy: PolicyArg,
    #[command(flatten)]
    pub targets: UpdateTargets,
    #[command(flatten)]
    pub value: WantedValue,
    /// Show what would change, change nothing.
    #[arg(long)]
    pub what_if: bool,
    /// How many products to change at once.
    #[arg(long, default_value_t = 16, value_parser = clap::value_parser!(u16).range(1..=256))]
    pub concurrency: u16,
}

#[derive(Debug, Args)]
#[group(required = true, multiple = false)]
pub struct UpdateTargets {
    /// Products to change: repeat the flag, separate ids with commas, or give `-` to read
    /// ids from stdin (one per line or separated by spaces or commas).
    #[arg(long, value_delimiter = ',', num_args = 1.., value_parser = catalog_ids::product_id_word(), hide_possible_values = true)]
    pub product_id: Vec<String>,
    /// Every product the service lists.
    #[arg(long)]
    pub all: bool,
    /// An offer type to change, like SaaS.
    #[arg(long, value_parser = catalog_ids::offer_type(), hide_possible_values = true)]
    pub offer_type: Option<OfferType>,
}

#[derive(Debug, Args)]
#[group(required = true, multiple = false)]
pub struct WantedValue {
    /// true for Enabled, false for Disabled (MSCommerce's -Enabled).
    #[arg(long, value_parser = parse_bool)]
    pub enabled: Option<bool>,
    /// Enabled, Disabled or OnlyTrialsWithoutPaymentMethod (any case).
    #[arg(long)]
    pub value: Option<PolicyValue>,
}

impl WantedValue {
    pub fn resolve(&self) -> PolicyValue {
        match (self.value, self.enabled) {
            (Some(v), _) => v,
            (None, Some(enabled)) => PolicyValue::from_enabled(enabled),
            // clap's group makes one of the two required.
            (None, None) => unreachable!("clap requires --enabled or --value"),
        }
    }
}

/// MSCommerce accepts `$true`, `True`, `true` and the like.
fn parse_bool(s: &str) -> Result<bool, String> {
    match s.trim().trim_start_matches('$').to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" => Ok(true),
        "false" | "0" | "no" => Ok(false),
        _ => Err(format!("'{s}' is not true or false")),
    }
}

#[derive(Debug, Args)]
pub struct PlanArgs {
    /// The baseline file (JSON, UTF-8 or UTF-16 with a byte order mark; schema in
    /// docs/baseline.schema.json); `-` reads it from stdin.
    #[arg(long, short = 'f', value_name = "FILE")]
    pub file: PathBuf,
    /// Accept pinned product ids the service does not list (they are skipped), instead of
    /// failing on what may be a typo.
    #[arg(long)]
    pub allow_unknown_products: bool,
    /// Exit 8 when the service differs from the baseline (0 when it matches).
    #[arg(long)]
    pub detailed_exitcode: bool,
    /// Also save the plan to this file, for `apply --plan` to carry out exactly. A file is
    /// replaced whole or not at all (a symlink's target is replaced, the link stays); a
    /// device such as /dev/stdout is written to in place.
    #[arg(long, value_name = "FILE", value_parser = parse_out)]
    pub out: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct ApplyArgs {
    /// The baseline file, as for `plan`.
    #[arg(long, short = 'f', value_name = "FILE", required_unless_present = "plan")]
    pub file: Option<PathBuf>,
    /// Accept pinned product ids the service does not list, as for `plan`.
    #[arg(long, conflicts_with = "plan")]
    pub allow_unknown_products: bool,
    /// Carry out a plan saved by `plan --out` instead of planning anew; a product changed
    /// since the plan was made is reported as a conflict, not overwritten.
    #[arg(long, value_name = "FILE", conflicts_with = "file")]
    pub plan: Option<PathBuf>,
    /// Show what would change (the plan), change nothing.
    #[arg(long)]
    pub what_if: bool,
    /// How many products to change at once.
    #[arg(long, default_value_t = 16, value_parser = clap::value_parser!(u16).range(1..=256))]
    pub concurrency: u16,
}

#[derive(Debug, Args)]
pub struct ExportArgs {
    /// Export only this policy (default: every policy the service lists).
    #[arg(long)]
    pub policy_id: Option<PolicyId>,
    /// Fold every product with this value into `default` instead of pinning it.
    #[arg(long)]
    pub default: Option<PolicyValue>,
    /// Write the baseline to this file (UTF-8) instead of stdout. A file is replaced whole or
    /// not at all (a symlink's target is replaced, the link stays); a device such as
    /// /dev/stdout is written to in place.
    #[arg(long, value_name = "FILE", value_parser = parse_out)]
    pub out: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct AuditArgs {
    /// How many entries, newest first.
    #[arg(long, default_value_t = 50, value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub limit: u32,
    /// The administration's log instead of the policy changes: users, purchases, licenses,
    /// take-overs, centralize and mail, each with its subject before and after (docs/admin.md).
    #[arg(long)]
    pub administration: bool,
}

#[derive(Debug, Args)]
pub struct ConnectArgs {
    /// The tenant: its id (a GUID), a domain like contoso.onmicrosoft.com, or organizations.
    /// Needed to sign in as an application; a person may leave it out.
    #[arg(long, env = "COMMERCE_POLICY_TENANT_ID", value_parser = commerce_signin::parse_tenant_id)]
    pub tenant_id: Option<String>,
    /// The application (client) id. Device code and --browser default to MSCommerce's public
    /// client; with --managed-identity it picks a user-assigned identity.
    #[arg(long, env = "COMMERCE_POLICY_CLIENT_ID")]
    pub client_id: Option<String>,
    #[command(flatten)]
    pub method: SignInMethod,
    /// The Microsoft cloud: worldwide, usgov-high (GCC High), usgov-dod or china (21Vianet).
    #[arg(long, visible_alias = "cloud", env = "COMMERCE_POLICY_ENVIRONMENT", default_value = "worldwide")]
    pub environment: Cloud,
    /// The sign-in host to use instead of the cloud's (a proxy, or a test provider).
    #[arg(long, env = "COMMERCE_POLICY_AUTHORITY", value_name = "URL", value_parser = parse_authority)]
    pub authority: Option<String>,
    /// The resource to ask tokens for (MSCommerce's -Resource; a `/.default` scope works too).
    #[arg(long, default_value = commerce_signin::LICENSING_RESOURCE)]
    pub resource: String,
    /// How long --browser waits for the sign-in to come back, like 90s or 5m (--timeout
    /// bounds each request).
    #[arg(long, value_name = "DURATION", default_value = "5m", value_parser = humantime::parse_duration, requires = "browser")]
    pub browser_timeout: Duration,
}

/// How to sign in; device code when none is given (or --access-token).
#[derive(Debug, Args)]
#[group(multiple = false)]
pub struct SignInMethod {
    /// Sign in as a person: open the page shown on any device and enter the code.
    #[arg(long)]
    pub device_code: bool,
    /// Sign in as a person in a browser on this machine (where Conditional Access blocks device
    /// code): the sign-in page comes back to http://localhost on a fresh port. The page is
    /// printed, and opened in the system browser unless COMMERCE_POLICY_BROWSER=none.
    #[arg(long)]
    pub browser: bool,
    /// Sign in as an application with a client secret, read from COMMERCE_POLICY_CLIENT_SECRET,
    /// else from stdin when it is piped, else asked for. Never taken on the command line.
    #[arg(long)]
    pub client_secret: bool,
    /// Sign in as an application with a certificate: a PEM file holding the certificate and its
    /// private key, or a .pfx/.p12 file (password in COMMERCE_POLICY_CERTIFICATE_PASSWORD).
    #[arg(long, value_name = "FILE")]
    pub certificate: Option<PathBuf>,
    /// Sign in with a federated token read from this file for every token (Kubernetes
    /// workload identity, CI runners).
    #[arg(long, value_name = "FILE")]
    pub federated_token_file: Option<PathBuf>,
    /// Sign in with a federated token from this environment variable.
    #[arg(long, value_name = "NAME")]
    pub federated_token_env: Option<String>,
    /// Sign in with GitHub Actions' OIDC token, asked for afresh for every token (the job
    /// needs `permissions: id-token: write`).
    #[arg(long)]
    pub federated_github: bool,
    /// Sign in as this Azure resource's managed identity.
    #[arg(long)]
    pub managed_identity: bool,
    /// Do not sign in: save --endpoint (a service URL that needs no sign-in, or `local`) as
    /// where commands go, after one request checks that it answers. `--endpoint local`
    /// implies it.
    #[arg(long)]
    pub no_sign_in: bool,
}

/// `serve`'s ranges are the service's own (commerce_service::limits).
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on; port 0 picks a free one. Loopback only with `--auth none`.
    #[arg(long, default_value = "127.0.0.1:8080", env = "COMMERCE_POLICY_LISTEN")]
    pub listen: SocketAddr,
    /// Sign-in: `none` (loopback only, changes attributed to `local`) or `jwt` (bearer tokens
    /// of --issuer for --audience, checked with --jwks-url or --jwks-file).
    #[arg(long, value_enum, default_value_t = ServeAuth::None, env = "COMMERCE_POLICY_AUTH")]
    pub auth: ServeAuth,
    /// With --auth jwt: the exact `iss` of accepted tokens, like
    /// https://login.microsoftonline.com/<tenant-id>/v2.0.
    #[arg(long, env = "COMMERCE_POLICY_ISSUER")]
    pub issuer: Option<String>,
    /// With --auth jwt: an accepted `aud` (repeat the flag, or separate with commas).
    #[arg(long, env = "COMMERCE_POLICY_AUDIENCE", value_delimiter = ',', value_parser = commerce_service::limits::not_empty)]
    pub audience: Vec<String>,
    /// With --auth jwt: where the issuer publishes its signing keys (JWKS), like
    /// https://login.microsoftonline.com/<tenant-id>/discovery/v2.0/keys.
    #[arg(long, env = "COMMERCE_POLICY_JWKS_URL", conflicts_with = "jwks_file")]
    pub jwks_url: Option<String>,
    /// With --auth jwt: the signing keys (JWKS) in a file, for issuers without a URL.
    #[arg(long, env = "COMMERCE_POLICY_JWKS_FILE")]
    pub jwks_file: Option<PathBuf>,
    /// With --auth jwt: clock skew tolerated on a token's expiry and not-before times (at most 10m).
    #[arg(long, env = "COMMERCE_POLICY_CLOCK_SKEW", default_value = "60s",
          value_parser = |s: &str| commerce_service::limits::duration_within(s, &commerce_service::limits::CLOCK_SKEW_RANGE))]
    pub clock_skew: Duration,
    /// How long a client has to send a request's headers; also how long an idle kept-alive
    /// connection stays open (1s to 10m).
    #[arg(long, env = "COMMERCE_POLICY_HEADER_TIMEOUT", default_value = "10s",
          value_parser = |s: &str| commerce_service::limits::duration_within(s, &commerce_service::limits::HEADER_TIMEOUT_RANGE))]
    pub header_timeout: Duration,
    /// On SIGTERM or SIGINT: how long requests in flight may take before every connection is
    /// closed and the service exits (0 to 10m).
    #[arg(long, env = "COMMERCE_POLICY_DRAIN_TIMEOUT", default_value = "10s",
          value_parser = |s: &str| commerce_service::limits::duration_within(s, &commerce_service::limits::DRAIN_TIMEOUT_RANGE))]
    pub drain_timeout: Duration,
    /// Connections open at once; one more is answered 503 and closed. Keep it below the
    /// open-file limit (`ulimit -n`).
    #[arg(long, env = "COMMERCE_POLICY_MAX_CONNECTIONS", default_value_t = commerce_service::limits::DEFAULT_MAX_CONNECTIONS,
          value_parser = |s: &str| commerce_service::limits::number_within(s, &commerce_service::limits::CONNECTIONS_RANGE))]
    pub max_connections: usize,
    /// How long a change waits for another process's lock on the store before it is
    /// answered 503 (0 to 60s).
    #[arg(long, env = "COMMERCE_POLICY_BUSY_TIMEOUT", default_value = "5s",
          value_parser = |s: &str| commerce_service::limits::duration_within(s, &commerce_service::limits::BUSY_TIMEOUT_RANGE))]
    pub busy_timeout: Duration,
    /// The store: a SQLite file (a path, or `sqlite:PATH`; created and seeded if missing;
    /// defaults to the local store) or a PostgreSQL database, `postgres://user@host:port/db`
    /// (a password in it is left out of every log line and message; give it through
    /// COMMERCE_POLICY_STORE to keep it out of process lists). See docs/deploy.md.
    #[arg(long, env = "COMMERCE_POLICY_STORE")]
    pub store: Option<PathBuf>,
    /// With a PostgreSQL store: connections in this replica's pool (1 to 1000).
    #[arg(long, env = "COMMERCE_POLICY_POOL_SIZE", default_value_t = 16,
          value_parser = |s: &str| commerce_service::limits::number_within(s, &commerce_service::store::POOL_SIZE_RANGE))]
    pub pool_size: usize,
    /// With a PostgreSQL store: the longest a statement, or a wait for a pooled connection,
    /// may take before the request is answered 503 (100ms to 10m).
    #[arg(long, env = "COMMERCE_POLICY_STATEMENT_TIMEOUT", default_value = "5s",
          value_parser = |s: &str| commerce_service::limits::duration_within(s, &commerce_service::store::STATEMENT_TIMEOUT_RANGE))]
    pub statement_timeout: Duration,
    /// With a PostgreSQL store: how often start-up retries (a second apart) a database that
    /// cannot be reached yet (0 to 1000).
    #[arg(long, env = "COMMERCE_POLICY_CONNECT_RETRIES", default_value_t = 10,
          value_parser = |s: &str| commerce_service::limits::number_within(s, &commerce_service::store::CONNECT_RETRIES_RANGE))]
    pub connect_retries: u32,
    /// With a PostgreSQL store: how long a replica holds a mail it took for delivery; a
    /// replica that dies mid-delivery lets it lapse and another delivers it (1s to 1h).
    #[arg(long, env = "COMMERCE_POLICY_MAIL_LEASE", default_value = "60s",
          value_parser = |s: &str| commerce_service::limits::duration_within(s, &commerce_service::store::MAIL_LEASE_RANGE))]
    pub mail_lease: Duration,
    /// Seed from this catalogue (JSON, the format of crates/model/catalog.json)
    /// instead of the built-in one. Products it adds to an existing store start at the default.
    #[arg(long)]
    pub catalog: Option<PathBuf>,
    /// Deliver the purchasers' mail through this SMTP server: smtp://host:port (STARTTLS when
    /// the server offers it) or smtps://host:port (TLS from the start). Credentials come from
    /// COMMERCE_POLICY_SMTP_USERNAME and COMMERCE_POLICY_SMTP_PASSWORD. Without it, mail waits
    /// in the outbox (`notifications list`).
    #[arg(long, env = "COMMERCE_POLICY_SMTP", requires = "smtp_from")]
    pub smtp: Option<String>,
    /// With --smtp: the From address of the purchasers' mail.
    #[arg(long, env = "COMMERCE_POLICY_SMTP_FROM", requires = "smtp")]
    pub smtp_from: Option<String>,
    /// Emulator: delay every API answer by this long, like `50ms` (at most 10s).
    #[arg(long, value_parser = |s: &str| commerce_service::limits::duration_within(s, &commerce_service::limits::LATENCY_RANGE))]
    pub simulate_latency: Option<Duration>,
    /// Emulator: answer this share of API requests (0 to 1) with 429 and Retry-After.
    #[arg(long, value_parser = parse_share, default_value_t = 0.0)]
    pub simulate_throttle: f64,
    /// Emulator: answer this share of API requests (0 to 1) with 503; with
    /// --simulate-throttle, at most 1 in all.
    #[arg(long, value_parser = parse_share, default_value_t = 0.0)]
    pub simulate_errors: f64,
    /// Emulator: the Retry-After of a throttled answer, in seconds (0 to 3600).
    #[arg(long, default_value_t = 1, value_parser = |s: &str| commerce_service::limits::number_within(s, &commerce_service::limits::RETRY_AFTER_RANGE))]
    pub simulate_retry_after: u64,
}

/// How `serve` signs callers in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ServeAuth {
    /// No sign-in: loopback addresses only.
    None,
    /// Bearer JWTs, checked against an issuer's signing keys.
    Jwt,
}

/// A sign-in host: an http(s) URL with no user name, query or fragment. One that holds a
/// user name or password is refused by `connect` instead, whose message leaves them out
/// (clap's would quote the value).
fn parse_authority(s: &str) -> Result<String, String> {
    if s.contains('@') {
        return Ok(s.trim().to_string());
    }
    commerce_signin::parse_authority(s).map(|url| url.as_str().trim_end_matches('/').to_string())
}

/// An `--out` path: not blank (what can be written there is checked before anything is sent).
fn parse_out(s: &str) -> Result<PathBuf, String> {
    if s.trim().is_empty() { Err("the path is empty: name a file".into()) } else { Ok(PathBuf::from(s)) }
}

fn parse_share(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(v) if (0.0..=1.0).contains(&v) => Ok(v),
        _ => Err(format!("'{s}' is not a share: use a number from 0 to 1, like 0.1")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn command_line_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn enabled_accepts_powershell_booleans() {
        for (s, want) in [("$true", true), ("True", true), ("false", false), ("$False", false)] {
            assert_eq!(parse_bool(s), Ok(want));
        }
        assert!(parse_bool("maybe").is_err());
    }

    #[test]
    fn shares_are_between_zero_and_one() {
        assert_eq!(parse_share("0.3"), Ok(0.3));
        assert!(parse_share("1.5").is_err());
        assert!(parse_share("-0.1").is_err());
    }
}
