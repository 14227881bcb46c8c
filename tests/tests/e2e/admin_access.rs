//! Who may do what, both ways: without sign-in `--as` names the acting user; with
//! `--auth jwt` the token does (admins by directory role, Global Reader reads only, any
//! other user of the tenant only their own). And two admins taking over one subscription at
//! once: one wins, the other exits 6.

use commerce_e2e::oidc::*;
use commerce_e2e::{Provider, Sandbox};

use crate::admin_support::*;

#[test]
fn a_user_cannot_read_or_change_someone_elses_subscription() {
    let t = Tenant::serve();
    t.add_users(&["ann", "bob", "cat"]);
    let ann = t.buy("ann", POWER_BI_PRO, 2);
    let bob = upn("bob");
    t.run_as(&bob, &["subscriptions", "get", &ann]).assert_fails_with(4);
    t.run_as(&bob, &["licenses", "assign", "--subscription", &ann, "--user", &bob]).assert_fails_with(4);
    t.run_as(&bob, &["subscriptions", "cancel", &ann]).assert_fails_with(4);
    let target = t.central(POWER_BI_PRO, 5);
    t.run_as(&bob, &["subscriptions", "take-over", &ann, "--move-to", &target]).assert_fails_with(4);
    let own = t.json(Some(&bob), &["subscriptions", "list"]);
    assert_eq!(own, serde_json::json!([]), "bob sees only his own");
    assert_eq!(t.subscription(&ann)["Status"], "Active");
    assert_eq!(t.json(Some(&upn("ann")), &["subscriptions", "list"]).as_array().unwrap().len(), 1);
}

#[test]
fn an_unknown_subscription_is_not_found() {
    let t = Tenant::serve();
    t.run(&["subscriptions", "get", "6f1f3c1e-8d2a-4c55-9a57-0c2b1f6c9d10"]).assert_fails_with(5);
    let target = t.central(POWER_BI_PRO, 1);
    t.run(&["subscriptions", "take-over", "6f1f3c1e-8d2a-4c55-9a57-0c2b1f6c9d10", "--move-to", &target])
        .assert_fails_with(5);
}

#[test]
fn two_admins_taking_over_one_subscription_at_once_one_wins_the_other_exits_6() {
    let t = Tenant::serve();
    t.add_users(&["ann", "cat", "dan"]);
    let ann = t.buy("ann", POWER_BI_PRO, 2);
    t.assign_as("ann", &ann, &["cat", "dan"]);
    let (first, second) = (t.central(POWER_BI_PRO, 2), t.central(POWER_BI_PRO, 2));
    let runs: Vec<commerce_e2e::Run> = std::thread::scope(|s| {
        let a = s.spawn(|| t.run(&["subscriptions", "take-over", &ann, "--move-to", &first]));
        let b = s.spawn(|| t.run(&["subscriptions", "take-over", &ann, "--move-to", &second]));
        vec![a.join().unwrap(), b.join().unwrap()]
    });
    let mut codes: Vec<i32> = runs.iter().map(|r| r.code).collect();
    codes.sort();
    assert_eq!(codes, [0, 6], "{runs:#?}");
    runs.iter().find(|r| r.code == 6).unwrap().assert_fails_with(6);
    let moved: usize = [&first, &second].iter().map(|s| assigned(&t.subscription(s)).len()).sum();
    assert_eq!(moved, 2, "the users moved once, to one target");
    assert_eq!(t.notifications().len(), 1, "one mail");
}

/// A provider, a `serve --auth jwt` trusting it, and the binary with a user's token.
struct Signed {
    provider: Provider,
    sb: Sandbox,
    svc: commerce_e2e::Service,
}

impl Signed {
    fn start() -> Self {
        let provider = Provider::start();
        let sb = Sandbox::new();
        let (issuer, jwks) = (provider.issuer(), provider.jwks_url());
        let flags = ["--auth", "jwt", "--issuer", &issuer, "--audience", LICENSING_RESOURCE, "--jwks-url", &jwks];
        let svc = sb.serve(&sb.path("store.db"), &flags);
        Self { provider, sb, svc }
    }

    fn run(&self, token: &str, args: &[&str]) -> commerce_e2e::Run {
        let mut all = vec!["--access-token", token];
        all.extend_from_slice(args);
        self.sb.against(&self.svc.url).run(&all)
    }
}

#[test]
fn with_sign_in_a_global_reader_reads_but_cannot_take_over_and_a_user_sees_only_their_own() {
    let s = Signed::start();
    let (admin, reader) = (s.provider.user_token(ADMIN_USER), s.provider.user_token(READER_USER));
    let (buyer, other) = (s.provider.user_token(NOBODY_USER), s.provider.user_token("other@contoso.test"));
    for (who, name) in [(NOBODY_USER, "Nobody"), ("other@contoso.test", "Other"), (READER_USER, "Reader")] {
        s.run(&admin, &["users", "add", "--upn", who, "--display-name", name, "--mail", who]).assert_ok();
    }
    let bought = s.run(&buyer, &["purchase", "--product-id", POWER_BI_PRO, "--quantity", "1", "-o", "json"]);
    let sub = id_of(&bought.assert_ok().json());
    assert_eq!(bought.json()["Purchaser"], NOBODY_USER, "the token says who bought");
    let listed = s.run(&reader, &["subscriptions", "list", "--self-service", "-o", "json"]).assert_ok().json();
    assert_eq!(listed.as_array().unwrap().len(), 1, "a Global Reader reads");
    let refused = s.run(&reader, &["subscriptions", "take-over", &sub, "--cancel", "--reason", "NotApproved"]);
    refused.assert_fails_with(4);
    s.run(&other, &["subscriptions", "get", &sub]).assert_fails_with(4);
    let own = s.run(&other, &["subscriptions", "list", "-o", "json"]).assert_ok().json();
    assert_eq!(own, serde_json::json!([]));
    // `--as` does not let a signed-in user act as someone else.
    s.run(&other, &["subscriptions", "get", &sub, "--as", NOBODY_USER]).assert_fails_with(4);
    let by_admin = s.run(&admin, &["subscriptions", "take-over", &sub, "--cancel", "--reason", "NotApproved"]);
    by_admin.assert_ok();
}
