//! Helpers of the administration tests (issue 11): a tenant to run the binary against — a
//! real `serve` on loopback or the embedded local default — with its users and purchases
//! made through the binary itself, as an admin or `--as` a user.

use commerce_e2e::{Run, Sandbox, Service};
use serde_json::Value;

pub const POWER_BI_PRO: &str = "CFQ7TTC0H9MP";
/// Offers a trial.
pub const VISIO_PLAN_1: &str = "CFQ7TTC0HD33";
pub const POWER_APPS: &str = "CFQ7TTC0LH2H";

/// A directory and its store, reached by the binary.
pub struct Tenant {
    pub sb: Sandbox,
    /// Kept for the tenant's lifetime: dropping it stops the service.
    _svc: Option<Service>,
    endpoint: String,
}

impl Tenant {
    /// A real `serve --auth none` on an ephemeral loopback port over a temp store.
    pub fn serve() -> Self {
        let sb = Sandbox::new();
        let svc = sb.serve(&sb.path("store.db"), &[]);
        let endpoint = svc.url.clone();
        Self { sb, _svc: Some(svc), endpoint }
    }

    /// The embedded default (`--endpoint local`), in the sandbox's data folder.
    pub fn local() -> Self {
        Self { sb: Sandbox::new(), _svc: None, endpoint: "local".into() }
    }

    /// The endpoint: the service's URL, or `local`.
    pub fn url(&self) -> &str {
        &self.endpoint
    }

    /// Runs the binary as the admin.
    pub fn run(&self, args: &[&str]) -> Run {
        self.sb.against(&self.endpoint).run(args)
    }

    /// Runs the binary as `upn` (`--as`).
    pub fn run_as(&self, upn: &str, args: &[&str]) -> Run {
        let mut all = args.to_vec();
        all.extend(["--as", upn]);
        self.run(&all)
    }

    /// Runs with `-o json` as the admin, or as `upn`, and expects success.
    pub fn json(&self, upn: Option<&str>, args: &[&str]) -> Value {
        let mut all = args.to_vec();
        all.extend(["-o", "json"]);
        let run = match upn {
            Some(upn) => self.run_as(upn, &all),
            None => self.run(&all),
        };
        run.assert_ok().json()
    }

    /// Adds users `name@contoso.test` with display names and mail addresses.
    pub fn add_users(&self, names: &[&str]) {
        for name in names {
            let upn = upn(name);
            let display = capitalised(name);
            self.run(&["users", "add", "--upn", &upn, "--display-name", &display, "--mail", &upn]).assert_ok();
        }
    }

    /// `buyer` buys `quantity` licenses of `product`; the new subscription's id.
    pub fn buy(&self, buyer: &str, product: &str, quantity: u32) -> String {
        let q = quantity.to_string();
        let sub = self.json(Some(&upn(buyer)), &["purchase", "--product-id", product, "--quantity", &q]);
        id_of(&sub)
    }

    /// The admin buys a central subscription; its id.
    pub fn central(&self, product: &str, quantity: u32) -> String {
        let q = quantity.to_string();
        id_of(&self.json(None, &["subscriptions", "add", "--product-id", product, "--quantity", &q]))
    }

    /// `buyer` assigns licenses of their subscription to `users`.
    pub fn assign_as(&self, buyer: &str, sub: &str, users: &[&str]) {
        let users: Vec<String> = users.iter().map(|u| upn(u)).collect();
        let list = users.join(",");
        self.run_as(&upn(buyer), &["licenses", "assign", "--subscription", sub, "--user", &list]).assert_ok();
    }

    /// Sets the product's AllowSelfServicePurchase value.
    pub fn set_policy(&self, product: &str, value: &str) {
        self.run(&["product-policies", "update", "--product-id", product, "--value", value]).assert_ok();
    }

    pub fn subscription(&self, id: &str) -> Value {
        self.json(None, &["subscriptions", "get", id])
    }

    pub fn notifications(&self) -> Vec<Value> {
        self.json(None, &["notifications", "list"]).as_array().expect("array").clone()
    }
}

pub fn upn(name: &str) -> String {
    if name.contains('@') { name.to_string() } else { format!("{name}@contoso.test") }
}

fn capitalised(name: &str) -> String {
    let mut chars = name.chars();
    chars.next().map(|c| c.to_uppercase().chain(chars).collect()).unwrap_or_default()
}

pub fn id_of(subscription: &Value) -> String {
    subscription["SubscriptionId"].as_str().unwrap_or_else(|| panic!("no SubscriptionId in {subscription}")).to_string()
}

/// The principal names a subscription's licenses are assigned to, sorted.
pub fn assigned(subscription: &Value) -> Vec<String> {
    let mut users: Vec<String> = subscription["AssignedUsers"]
        .as_array()
        .unwrap_or_else(|| panic!("no AssignedUsers in {subscription}"))
        .iter()
        .map(|u| u.as_str().expect("a UPN").to_string())
        .collect();
    users.sort();
    users
}

/// Principal names of `names`, sorted.
pub fn upns(names: &[&str]) -> Vec<String> {
    let mut all: Vec<String> = names.iter().map(|n| upn(n)).collect();
    all.sort();
    all
}
