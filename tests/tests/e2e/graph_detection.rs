//! The pipeline check on a tenant (docs/ci.md): `subscriptions list --self-service --status
//! active --detailed-exitcode` exits 8 when users bought something, `--since` keeps new ones,
//! `--allow-product` leaves accepted products out, `-o junit` has one case per subscription.

use commerce_e2e::graph::{GraphFixture, GraphOptions, GraphTenant, VISIO_PLAN_2};

const CHECK: [&str; 6] = ["subscriptions", "list", "--self-service", "--status", "active", "--detailed-exitcode"];

fn check<'a>(extra: &[&'a str]) -> Vec<&'a str> {
    let mut args = CHECK.to_vec();
    args.extend_from_slice(extra);
    args
}

/// Two Power BI purchases in November, a Visio one on 2026-11-30, and a suspended one.
fn tenant() -> GraphTenant {
    let mut tenant = GraphTenant::with_purchases(2);
    let visio = (VISIO_PLAN_2, "VISIOCLIENT");
    tenant.buy(50, "vera@contoso.test", visio, "2026-11-30T12:00:00Z", "Enabled");
    tenant.buy(51, "vera@contoso.test", visio, "2026-11-30T12:00:00Z", "Suspended");
    tenant
}

#[test]
fn purchases_found_exit_8_and_name_the_purchaser() {
    let f = GraphFixture::start(tenant(), GraphOptions::default());
    let run = f.run(&check(&[]));
    run.assert_fails_with(8);
    assert!(run.stderr.contains("3 subscription(s) found"), "{run:#?}");
    assert!(run.stderr.contains("Visio Plan 2 bought by vera@contoso.test"), "{run:#?}");
    assert!(run.stdout.contains("buyer0@contoso.test"), "the table names them: {run:#?}");
    let without = f.run(&CHECK[..5]);
    without.assert_ok();
    let ended = f.run(&["subscriptions", "list", "--self-service", "--status", "deleted", "-o", "json"]).json();
    assert_eq!(ended.as_array().unwrap().len(), 1, "the suspended one: {ended}");
    assert_eq!(ended[0]["GraphStatus"], "Suspended");
}

#[test]
fn since_keeps_new_purchases_and_allowed_products_pass() {
    let f = GraphFixture::start(tenant(), GraphOptions::default());
    let new = f.run(&check(&["--since", "2026-11-29", "-o", "json"]));
    new.assert_fails_with(8);
    let items = new.json();
    assert_eq!(items.as_array().unwrap().len(), 1, "{new:#?}");
    assert_eq!(items[0]["Purchaser"], "vera@contoso.test");
    f.run(&check(&["--since", "2026-11-29", "--allow-product", "VISIOCLIENT"])).assert_ok();
    f.run(&check(&["--allow-product", "Power BI Pro,Visio Plan 2"])).assert_ok();
    f.run(&check(&["--since", "yesterday"])).assert_fails_with(2);
}

#[test]
fn junit_has_one_case_per_subscription_accepted_ones_passing() {
    let f = GraphFixture::start(tenant(), GraphOptions::default());
    let run = f.run(&check(&["--allow-product", "POWER_BI_PRO", "-o", "junit"]));
    run.assert_fails_with(8);
    let xml = roxmltree::Document::parse(&run.stdout).expect("JUnit XML");
    let cases: Vec<_> = xml.descendants().filter(|n| n.has_tag_name("testcase")).collect();
    assert_eq!(cases.len(), 3, "{}", run.stdout);
    let failed: Vec<_> = cases.iter().filter(|c| c.children().any(|n| n.has_tag_name("failure"))).collect();
    assert_eq!(failed.len(), 1);
    assert!(failed[0].attribute("name").unwrap().contains("vera@contoso.test"));
}

#[test]
fn on_our_service_the_same_check_works() {
    use crate::admin_support::{POWER_BI_PRO, Tenant};
    let t = Tenant::local();
    t.add_users(&["ann"]);
    t.buy("ann", POWER_BI_PRO, 1);
    let run = t.run(&check(&[]));
    run.assert_fails_with(8);
    assert!(run.stderr.contains("bought by ann@"), "{run:#?}");
    t.run(&check(&["--allow-product", POWER_BI_PRO])).assert_ok();
    t.run(&check(&["--since", "2999-01-01"])).assert_ok();
}
