//! Offer types in baselines: `export` writes them, `plan` shows their drift named as offer
//! types, `apply` changes them (through the operations' carry_out, read again and written with
//! If-Match, as products are), and a baseline without
//! them leaves them alone.

use commerce_e2e::{Cli, Sandbox};
use serde_json::Value;

const SAAS_DISABLED: &str = r#"{
  "policyId": "AllowSelfServicePurchase",
  "offerTypes": { "saas": "Disabled" }
}"#;

fn write(sb: &Sandbox, name: &str, text: &str) -> String {
    let path = sb.path(name);
    std::fs::write(&path, text).unwrap();
    path.to_str().unwrap().to_string()
}

fn saas_value(cli: &Cli) -> Value {
    cli.run(&["product-policies", "get", "--offer-type", "SaaS", "-o", "json"]).assert_ok().json()["PolicyValue"]
        .clone()
}

#[test]
fn export_writes_the_offer_types_and_plan_of_the_export_finds_no_drift() {
    let sb = Sandbox::new();
    let svc = sb.serve(&sb.path("store.db"), &[]);
    let cli = sb.against(&svc.url);
    cli.run(&["product-policies", "update", "--offer-type", "SaaS", "--value", "Disabled"]).assert_ok();
    let exported = cli.run(&["export", "--default", "Enabled"]).assert_ok().json();
    assert_eq!(exported["offerTypes"]["SaaS"], "Disabled", "{exported:#}");
    assert_eq!(exported["offerTypes"]["POWERBIVISUALS"], "Enabled", "every offer type is pinned: {exported:#}");
    let file = write(&sb, "export.json", &exported.to_string());
    let plan = cli.run(&["plan", "-f", &file, "-o", "json", "--detailed-exitcode"]);
    assert_eq!(plan.assert_ok().json(), serde_json::json!([]));
}

#[test]
fn plan_names_an_offer_type_as_one_and_apply_changes_it() {
    let sb = Sandbox::new();
    let svc = sb.serve(&sb.path("store.db"), &[]);
    let cli = sb.against(&svc.url);
    let file = write(&sb, "baseline.json", SAAS_DISABLED);
    let plan = cli.run(&["plan", "-f", &file, "-o", "json"]).assert_ok().json();
    let expected = serde_json::json!([{
        "PolicyId": "AllowSelfServicePurchase", "Scope": "OfferType", "ScopeId": "SaaS",
        "ScopeValue": "Software as a Service", "CurrentValue": "Enabled", "WantedValue": "Disabled", "Source": "Pinned"
    }]);
    assert_eq!(plan, expected);
    let table = cli.run(&["plan", "-f", &file]).assert_ok().stdout.clone();
    assert!(table.contains("OfferType") && table.contains("SaaS") && !table.contains("ProductId"), "{table}");

    let applied = cli.run(&["apply", "-f", &file, "-o", "json"]).assert_ok().json();
    assert_eq!(applied[0]["Scope"], "OfferType", "{applied:#}");
    assert_eq!(applied[0]["ScopeId"], "SaaS");
    assert_eq!(applied[0]["Status"], "Updated");
    assert_eq!(saas_value(&cli), "Disabled");
    let again = cli.run(&["plan", "-f", &file, "-o", "json", "--detailed-exitcode"]);
    assert_eq!(again.assert_ok().json(), serde_json::json!([]));
}

#[test]
fn an_unknown_offer_type_is_refused_with_its_line_and_a_baseline_without_them_leaves_them_alone() {
    let sb = Sandbox::new();
    let svc = sb.serve(&sb.path("store.db"), &[]);
    let cli = sb.against(&svc.url);
    let typo = write(
        &sb,
        "typo.json",
        "{\"policyId\": \"AllowSelfServicePurchase\",\n\"offerTypes\": {\"SaSS\": \"Disabled\"}}",
    );
    let run = cli.run(&["plan", "-f", &typo]);
    run.assert_fails_with(2);
    assert!(run.stderr.contains("does not list offer type SaSS (line 2)"), "{}", run.stderr);

    cli.run(&["product-policies", "update", "--offer-type", "SaaS", "--value", "Disabled"]).assert_ok();
    let products_only = write(&sb, "old.json", r#"{"policyId": "AllowSelfServicePurchase", "default": "Enabled"}"#);
    let plan = cli.run(&["plan", "-f", &products_only, "-o", "json"]).assert_ok().json();
    assert!(plan.as_array().unwrap().iter().all(|c| c.get("Scope").is_none()), "{plan:#}");
    cli.run(&["apply", "-f", &products_only]).assert_ok();
    assert_eq!(saas_value(&cli), "Disabled", "an offer type the baseline does not name is left alone");
}
