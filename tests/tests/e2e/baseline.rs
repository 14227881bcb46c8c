//! Policy as code end to end: plan, apply, export against a real service and the embedded
//! default, and every way a baseline file can be wrong.

use commerce_e2e::{Cli, Run, Sandbox, write_catalog};
use serde_json::Value;

const POWER_BI_PRO: &str = "CFQ7TTC0H9MP";
const PLANNER_PLAN_1: &str = "CFQ7TTC0HDB1";

fn write(sb: &Sandbox, name: &str, text: &str) -> String {
    let path = sb.path(name);
    std::fs::write(&path, text).unwrap();
    path.to_str().unwrap().to_string()
}

fn plan(cli: &Cli, file: &str, extra: &[&str]) -> Run {
    let mut args = vec!["plan", "-f", file, "-o", "json"];
    args.extend_from_slice(extra);
    cli.run(&args)
}

const LOCKDOWN: &str = r#"{
  "policyId": "AllowSelfServicePurchase",
  "default": "Disabled",
  "products": {
    "CFQ7TTC0H9MP": "Enabled",
    "CFQ7TTC0HDB1": "OnlyTrialsWithoutPaymentMethod"
  }
}"#;

#[test]
fn plan_lists_drift_and_exits_8_only_when_asked() {
    let sb = Sandbox::new();
    let svc = sb.serve(&sb.path("store.db"), &[]);
    let cli = sb.against(&svc.url);
    let file = write(&sb, "baseline.json", LOCKDOWN);
    let run = plan(&cli, &file, &[]);
    let changes = run.assert_ok().json();
    let changes = changes.as_array().unwrap();
    assert!(changes.len() >= 16, "every product but Power BI Pro differs");
    assert!(changes.iter().all(|c| c["ProductId"] != POWER_BI_PRO));
    let planner = changes.iter().find(|c| c["ProductId"] == PLANNER_PLAN_1).unwrap();
    assert_eq!(planner["CurrentValue"], "Enabled");
    assert_eq!(planner["WantedValue"], "OnlyTrialsWithoutPaymentMethod");
    assert_eq!(planner["Source"], "Pinned");
    let detailed = plan(&cli, &file, &["--detailed-exitcode"]);
    detailed.assert_fails_with(8);
    assert!(detailed.stderr.contains("differ from the baseline"));
}

#[test]
fn apply_then_plan_shows_nothing_and_a_second_apply_changes_nothing() {
    let sb = Sandbox::new();
    let svc = sb.serve(&sb.path("store.db"), &[]);
    let cli = sb.against(&svc.url);
    let file = write(&sb, "baseline.json", LOCKDOWN);
    let applied = cli.run(&["apply", "-f", &file, "-o", "json"]).assert_ok().json();
    assert!(applied.as_array().unwrap().iter().all(|r| r["Status"] == "Updated"));
    let after = plan(&cli, &file, &["--detailed-exitcode"]);
    assert!(after.assert_ok().json().as_array().unwrap().is_empty());
    let audit_before = cli.run(&["audit", "--limit", "1000", "-o", "json"]).json();
    let again = cli.run(&["apply", "-f", &file, "-o", "json"]).assert_ok().json();
    assert!(again.as_array().unwrap().is_empty());
    let audit_after = cli.run(&["audit", "--limit", "1000", "-o", "json"]).json();
    assert_eq!(audit_before, audit_after, "the second apply wrote nothing");
    let pro = cli.run(&["product-policies", "get", "--product-id", POWER_BI_PRO, "-o", "json"]);
    assert_eq!(pro.json()["PolicyValue"], "Enabled");
}

#[test]
fn the_default_catches_products_that_appear_after_the_baseline() {
    let sb = Sandbox::new();
    let store = sb.path("store.db");
    write_catalog(&sb.path("small.json"), 5, 0);
    write_catalog(&sb.path("grown.json"), 8, 0);
    let svc = sb.serve(&store, &["--catalog", sb.path("small.json").to_str().unwrap()]);
    let cli = sb.against(&svc.url);
    let file = write(&sb, "baseline.json", r#"{"policyId":"AllowSelfServicePurchase","default":"Disabled"}"#);
    cli.run(&["apply", "-f", &file]).assert_ok();
    plan(&cli, &file, &["--detailed-exitcode"]).assert_ok();
    drop(svc);
    let svc = sb.serve(&store, &["--catalog", sb.path("grown.json").to_str().unwrap()]);
    let cli = sb.against(&svc.url);
    let run = plan(&cli, &file, &["--detailed-exitcode"]);
    run.assert_fails_with(8);
    let changes = run.json();
    let ids: Vec<&str> = changes.as_array().unwrap().iter().map(|c| c["ProductId"].as_str().unwrap()).collect();
    assert_eq!(ids, ["TEST00000006", "TEST00000007", "TEST00000008"]);
}

#[test]
fn a_change_made_after_the_plan_is_reported_not_overwritten() {
    let sb = Sandbox::new();
    let svc = sb.serve(&sb.path("store.db"), &[]);
    let cli = sb.against(&svc.url);
    let file = write(&sb, "baseline.json", LOCKDOWN);
    let saved = sb.path("plan.json");
    cli.run(&["plan", "-f", &file, "--out", saved.to_str().unwrap()]).assert_ok();
    // Someone else sets Planner Plan 1 to a third value between plan and apply.
    cli.run(&["product-policies", "update", "--product-id", PLANNER_PLAN_1, "--value", "Disabled"]).assert_ok();
    let run = cli.run(&["apply", "--plan", saved.to_str().unwrap(), "-o", "json"]);
    run.assert_fails_with(6);
    let results = run.json();
    let planner = results.as_array().unwrap().iter().find(|r| r["ProductId"] == PLANNER_PLAN_1).unwrap();
    assert_eq!(planner["Status"], "Conflict");
    assert!(planner["Error"].as_str().unwrap().contains("changed by someone else"));
    assert!(
        results
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| r["ProductId"] != PLANNER_PLAN_1)
            .all(|r| r["Status"] == "Updated")
    );
    let now = cli.run(&["product-policies", "get", "--product-id", PLANNER_PLAN_1, "-o", "json"]);
    assert_eq!(now.json()["PolicyValue"], "Disabled", "the other change stands");
}

#[test]
fn a_saved_plan_is_refused_against_another_endpoint() {
    let sb = Sandbox::new();
    let svc = sb.serve(&sb.path("store.db"), &[]);
    let file = write(&sb, "baseline.json", LOCKDOWN);
    let saved = sb.path("plan.json");
    sb.run(&["--endpoint", &svc.url, "plan", "-f", &file, "--out", saved.to_str().unwrap()]).assert_ok();
    let run = sb.run(&["--endpoint", "local", "apply", "--plan", saved.to_str().unwrap()]);
    run.assert_fails_with(2);
    assert!(run.stderr.contains("was planned against"));
}

#[test]
fn export_then_plan_shows_no_drift() {
    let sb = Sandbox::new();
    let svc = sb.serve(&sb.path("store.db"), &[]);
    let cli = sb.against(&svc.url);
    cli.run(&["product-policies", "update", "--product-id", POWER_BI_PRO, "--value", "Disabled"]).assert_ok();
    for extra in [&[][..], &["--default", "Enabled"]] {
        let mut args = vec!["export"];
        args.extend_from_slice(extra);
        let exported = cli.run(&args);
        let baseline: Value = exported.assert_ok().json();
        if extra.is_empty() {
            assert!(baseline["products"].as_object().unwrap().len() >= 17);
        } else {
            assert_eq!(baseline["default"], "Enabled");
            assert_eq!(baseline["products"].as_object().unwrap().len(), 1, "only the exception is pinned");
        }
        let file = write(&sb, "exported.json", &exported.stdout);
        plan(&cli, &file, &["--detailed-exitcode"]).assert_ok();
    }
}

#[test]
fn junit_report_is_valid_xml_with_one_case_per_product() {
    let sb = Sandbox::new();
    let svc = sb.serve(&sb.path("store.db"), &[]);
    let cli = sb.against(&svc.url);
    let file = write(&sb, "baseline.json", LOCKDOWN);
    let run = cli.run(&["plan", "-f", &file, "-o", "junit"]);
    run.assert_ok();
    let doc = roxmltree::Document::parse(&run.stdout).expect("valid XML");
    let cases: Vec<_> = doc.descendants().filter(|n| n.has_tag_name("testcase")).collect();
    let failures = cases.iter().filter(|c| c.children().any(|n| n.has_tag_name("failure"))).count();
    let products = cli.run(&["product-policies", "list", "-o", "json"]).json();
    assert_eq!(cases.len(), products.as_array().unwrap().len());
    assert_eq!(failures, cases.len() - 1, "all but Power BI Pro drift");
    let root = doc.root_element();
    assert_eq!(root.attribute("tests"), Some(cases.len().to_string().as_str()));
    assert_eq!(root.attribute("failures"), Some(failures.to_string().as_str()));
}

#[test]
fn every_baseline_mistake_is_named_with_its_place() {
    let sb = Sandbox::new();
    let svc = sb.serve(&sb.path("store.db"), &[]);
    let cli = sb.against(&svc.url);
    let cases = [
        (
            "{\"policyId\": \"AllowSelfServicePurchase\",\n  \"defualt\": \"Disabled\"}",
            "unknown field `defualt`",
            "line 2",
        ),
        (
            "{\"policyId\": \"AllowSelfServicePurchase\",\n  \"default\": \"Off\"}",
            "'Off' is not a policy value",
            "line 2",
        ),
        (
            "{\"policyId\": \"AllowSelfServicePurchase\", \"products\": {\n  \"CFQ7-TTC0\": \"Disabled\"}}",
            "'CFQ7-TTC0' is not a product id",
            "line 2",
        ),
        (
            "{\"policyId\": \"AllowSelfServicePurchase\", \"products\": {\n  \"CFQ7TTC0HD32\": \"OnlyTrialsWithoutPaymentMethod\"}}",
            "Visio Plan 2 (CFQ7TTC0HD32)",
            "line 2",
        ),
        (
            "{\"policyId\": \"AllowSelfServicePurchase\", \"products\": {\n\n  \"CFQ7TTC0H9MX\": \"Disabled\"}}",
            "does not list product CFQ7TTC0H9MX",
            "line 3",
        ),
        ("{\"policyId\": \"NoSuchPolicy\"}", "NoSuchPolicy", ""),
        ("not json", "expected", "line 1"),
    ];
    for (text, what, place) in cases {
        let file = write(&sb, "bad.json", text);
        let run = plan(&cli, &file, &[]);
        assert_ne!(run.code, 0, "{text}");
        assert_eq!(run.stderr.trim_end().lines().count(), 1, "{run:#?}");
        assert!(run.stderr.contains(what) && run.stderr.contains(place), "{text:?}: {}", run.stderr);
    }
    let typo = write(
        &sb,
        "typo.json",
        "{\"policyId\": \"AllowSelfServicePurchase\", \"products\": {\"CFQ7TTC0H9MX\": \"Disabled\"}}",
    );
    plan(&cli, &typo, &[]).assert_fails_with(2);
    plan(&cli, &typo, &["--allow-unknown-products"]).assert_ok();
}

#[test]
fn former_ids_pin_the_current_product() {
    let sb = Sandbox::new();
    let svc = sb.serve(&sb.path("store.db"), &[]);
    let cli = sb.against(&svc.url);
    let file =
        write(&sb, "former.json", r#"{"policyId":"AllowSelfServicePurchase","products":{"CFQ7TTC0L3PB":"Disabled"}}"#);
    let changes = plan(&cli, &file, &[]).assert_ok().json();
    assert_eq!(changes.as_array().unwrap().len(), 1);
    assert_eq!(changes[0]["ProductId"], POWER_BI_PRO);
}

#[test]
fn plan_and_apply_work_on_the_embedded_default() {
    let sb = Sandbox::new();
    let file = write(&sb, "baseline.json", LOCKDOWN);
    let local = sb.against("local");
    local.run(&["plan", "-f", &file, "--detailed-exitcode"]).assert_fails_with(8);
    local.run(&["apply", "-f", &file]).assert_ok();
    let run = local.run(&["plan", "-f", &file, "--detailed-exitcode"]);
    run.assert_ok();
    assert!(run.stdout.contains("No changes"), "{}", run.stdout);
}

#[test]
fn export_writes_a_file_that_plan_reads_even_re_encoded_as_utf16() {
    let sb = Sandbox::new();
    let svc = sb.serve(&sb.path("store.db"), &[]);
    let cli = sb.against(&svc.url);
    let file = sb.path("exported.json");
    let run = cli.run(&["export", "--default", "Enabled", "--out", file.to_str().unwrap()]);
    assert!(run.assert_ok().stdout.is_empty());
    plan(&cli, file.to_str().unwrap(), &["--detailed-exitcode"]).assert_ok();
    // What Windows PowerShell 5.1's `>` writes: UTF-16 LE with a byte order mark.
    let text = std::fs::read_to_string(&file).unwrap();
    let utf16: Vec<u8> = [0xFF, 0xFE].into_iter().chain(text.encode_utf16().flat_map(u16::to_le_bytes)).collect();
    let wide = sb.path("wide.json");
    std::fs::write(&wide, utf16).unwrap();
    plan(&cli, wide.to_str().unwrap(), &["--detailed-exitcode"]).assert_ok();
}

#[test]
fn plan_needs_a_file_and_apply_a_file_or_a_plan() {
    let sb = Sandbox::new();
    sb.run(&["plan"]).assert_fails_with(2);
    sb.run(&["apply"]).assert_fails_with(2);
    sb.run(&["apply", "--plan", "p.json", "--allow-unknown-products"]).assert_fails_with(2);
}
