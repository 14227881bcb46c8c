//! The binary against a real service: list, get, update (one, many, all, what-if),
//! persistence, error paths and their exit codes.

use commerce_e2e::{Sandbox, write_catalog};
use serde_json::Value;

const POWER_BI_PRO: &str = "CFQ7TTC0H9MP";
const POWER_BI_PRO_FORMER: &str = "CFQ7TTC0L3PB";
const PLANNER_PLAN_1: &str = "CFQ7TTC0HDB1";
const VISIO_PLAN_2: &str = "CFQ7TTC0HD32";

fn values(list: &Value) -> Vec<(String, String)> {
    list.as_array()
        .expect("array")
        .iter()
        .map(|p| (p["ProductId"].as_str().unwrap().to_string(), p["PolicyValue"].as_str().unwrap().to_string()))
        .collect()
}

fn value_of(list: &Value, id: &str) -> String {
    values(list).into_iter().find(|(i, _)| i == id).map(|(_, v)| v).unwrap_or_else(|| panic!("{id} not listed"))
}

#[test]
fn list_shows_the_real_catalogue_with_mscommerce_property_names() {
    let sb = Sandbox::new();
    let svc = sb.serve(&sb.path("store.db"), &[]);
    let cli = sb.against(&svc.url);
    let run = cli.run(&["product-policies", "list", "--policy-id", "AllowSelfServicePurchase", "-o", "json"]);
    let list = run.assert_ok().json();
    let items = list.as_array().unwrap();
    assert!(items.len() >= 17, "{} products", items.len());
    for item in items {
        let keys: Vec<&str> = item.as_object().unwrap().keys().map(String::as_str).collect();
        assert_eq!(keys, ["ProductName", "ProductId", "PolicyValue", "PolicyId"]);
    }
    let pro = items.iter().find(|p| p["ProductId"] == POWER_BI_PRO).expect("Power BI Pro listed");
    assert_eq!(pro["ProductName"], "Power BI Pro");
    assert_eq!(pro["PolicyValue"], "Enabled");
}

#[test]
fn table_output_names_the_endpoint_that_answered() {
    let sb = Sandbox::new();
    let svc = sb.serve(&sb.path("store.db"), &[]);
    let run = sb.run(&["--endpoint", &svc.url, "product-policies", "list"]);
    run.assert_ok();
    assert!(run.stdout.starts_with(&format!("Endpoint: {}", svc.url)), "{}", run.stdout);
    assert!(run.stdout.contains("Power BI Pro"));
}

#[test]
fn policies_list_and_get() {
    let sb = Sandbox::new();
    let svc = sb.serve(&sb.path("store.db"), &[]);
    let cli = sb.against(&svc.url);
    let list = cli.run(&["policies", "list", "-o", "json"]).assert_ok().json();
    assert_eq!(list[0]["PolicyId"], "AllowSelfServicePurchase");
    assert_eq!(list[0]["DefaultValue"], "Enabled");
    let one = cli.run(&["policies", "get", "allowselfservicepurchase", "-o", "json"]).assert_ok().json();
    assert_eq!(one["PolicyId"], "AllowSelfServicePurchase");
    assert!(one["Description"].as_str().unwrap().len() > 10);
}

#[test]
fn get_by_former_id_answers_for_the_current_product() {
    let sb = Sandbox::new();
    let svc = sb.serve(&sb.path("store.db"), &[]);
    let cli = sb.against(&svc.url);
    let got = cli.run(&["product-policies", "get", "--product-id", POWER_BI_PRO_FORMER, "-o", "json"]);
    let got = got.assert_ok().json();
    assert_eq!(got["ProductId"], POWER_BI_PRO);
    assert_eq!(got["ProductName"], "Power BI Pro");
}

#[test]
fn update_one_product_then_read_it_back() {
    let sb = Sandbox::new();
    let svc = sb.serve(&sb.path("store.db"), &[]);
    let cli = sb.against(&svc.url);
    let done =
        cli.run(&["product-policies", "update", "--product-id", POWER_BI_PRO, "--enabled", "false", "-o", "json"]);
    let done = done.assert_ok().json();
    assert_eq!(done[0]["Status"], "Updated");
    assert_eq!(done[0]["PreviousValue"], "Enabled");
    assert_eq!(done[0]["PolicyValue"], "Disabled");
    let got = cli.run(&["product-policies", "get", "--product-id", POWER_BI_PRO, "-o", "json"]).assert_ok().json();
    assert_eq!(got["PolicyValue"], "Disabled");
    let audit = cli.run(&["audit", "-o", "json"]).assert_ok().json();
    assert_eq!(audit.as_array().unwrap().len(), 1);
    assert_eq!(audit[0]["TargetId"], POWER_BI_PRO);
    assert_eq!((audit[0]["OldValue"].as_str(), audit[0]["NewValue"].as_str()), (Some("Enabled"), Some("Disabled")));
    assert_eq!(audit[0]["CorrelationId"], done[0]["CorrelationId"]);
}

#[test]
fn update_many_from_flags_and_stdin_changes_exactly_those() {
    let sb = Sandbox::new();
    let svc = sb.serve(&sb.path("store.db"), &[]);
    let cli = sb.against(&svc.url);
    let run = cli.run_with_stdin(
        &[
            "product-policies",
            "update",
            "--product-id",
            POWER_BI_PRO,
            "--product-id",
            "-",
            "--value",
            "disabled",
            "-o",
            "json",
        ],
        &format!("{VISIO_PLAN_2}\n{PLANNER_PLAN_1}, {POWER_BI_PRO}\n"),
    );
    let results = run.assert_ok().json();
    assert_eq!(results.as_array().unwrap().len(), 3, "duplicates are changed once");
    let list = cli.run(&["product-policies", "list", "-o", "json"]).assert_ok().json();
    for (id, value) in values(&list) {
        let wanted =
            if [POWER_BI_PRO, VISIO_PLAN_2, PLANNER_PLAN_1].contains(&id.as_str()) { "Disabled" } else { "Enabled" };
        assert_eq!(value, wanted, "{id}");
    }
}

#[test]
fn update_all_then_again_changes_nothing_the_second_time() {
    let sb = Sandbox::new();
    let svc = sb.serve(&sb.path("store.db"), &[]);
    let cli = sb.against(&svc.url);
    let first =
        cli.run(&["product-policies", "update", "--all", "--enabled", "false", "-o", "json"]).assert_ok().json();
    assert!(first.as_array().unwrap().iter().all(|r| r["Status"] == "Updated"));
    let list = cli.run(&["product-policies", "list", "-o", "json"]).assert_ok().json();
    assert!(values(&list).iter().all(|(_, v)| v == "Disabled"));
    let second =
        cli.run(&["product-policies", "update", "--all", "--enabled", "false", "-o", "json"]).assert_ok().json();
    assert!(second.as_array().unwrap().iter().all(|r| r["Status"] == "Unchanged"));
}

#[test]
fn what_if_reports_changes_and_makes_none() {
    let sb = Sandbox::new();
    let svc = sb.serve(&sb.path("store.db"), &[]);
    let cli = sb.against(&svc.url);
    let plan = cli.run(&["product-policies", "update", "--all", "--value", "Disabled", "--what-if", "-o", "json"]);
    let plan = plan.assert_ok().json();
    assert!(plan.as_array().unwrap().iter().all(|r| r["Status"] == "WouldUpdate" && r["PolicyValue"] == "Disabled"));
    let list = cli.run(&["product-policies", "list", "-o", "json"]).assert_ok().json();
    assert!(values(&list).iter().all(|(_, v)| v == "Enabled"));
    let audit = cli.run(&["audit", "-o", "json"]).assert_ok().json();
    assert_eq!(audit.as_array().unwrap().len(), 0);
}

#[test]
fn offer_types_list_get_and_update() {
    let sb = Sandbox::new();
    let svc = sb.serve(&sb.path("store.db"), &[]);
    let cli = sb.against(&svc.url);
    let list = cli.run(&["product-policies", "list", "--scope", "OfferType", "-o", "json"]).assert_ok().json();
    let saas = list.as_array().unwrap().iter().find(|o| o["ScopeId"] == "SaaS").expect("SaaS listed");
    assert_eq!(saas["Scope"], "OfferType");
    cli.run(&["product-policies", "update", "--offer-type", "SaaS", "--value", "Disabled"]).assert_ok();
    let got = cli.run(&["product-policies", "get", "--offer-type", "saas", "-o", "json"]).assert_ok().json();
    assert_eq!(got["PolicyValue"], "Disabled");
    let refused =
        cli.run(&["product-policies", "update", "--offer-type", "SaaS", "--value", "OnlyTrialsWithoutPaymentMethod"]);
    refused.assert_fails_with(2);
}

#[test]
fn changes_survive_a_restart() {
    let sb = Sandbox::new();
    let store = sb.path("store.db");
    let svc = sb.serve(&store, &[]);
    let cli = sb.against(&svc.url);
    cli.run(&["product-policies", "update", "--product-id", VISIO_PLAN_2, "--value", "Disabled"]).assert_ok();
    assert_eq!(svc.terminate(), Some(0), "graceful shutdown exits 0");
    let svc = sb.serve(&store, &[]);
    let cli = sb.against(&svc.url);
    let got = cli.run(&["product-policies", "get", "--product-id", VISIO_PLAN_2, "-o", "json"]).assert_ok().json();
    assert_eq!(got["PolicyValue"], "Disabled");
}

#[test]
fn trial_only_value_on_a_product_without_trials_is_refused_with_exit_2() {
    let sb = Sandbox::new();
    let svc = sb.serve(&sb.path("store.db"), &[]);
    let cli = sb.against(&svc.url);
    let run = cli.run(&[
        "product-policies",
        "update",
        "--product-id",
        POWER_BI_PRO,
        "--value",
        "OnlyTrialsWithoutPaymentMethod",
        "-o",
        "json",
    ]);
    run.assert_fails_with(2);
    assert!(run.stderr.contains("offers no trial without a payment method"), "{}", run.stderr);
    assert_eq!(run.json()[0]["Status"], "Failed");
    let ok = cli.run(&[
        "product-policies",
        "update",
        "--product-id",
        PLANNER_PLAN_1,
        "--value",
        "OnlyTrialsWithoutPaymentMethod",
    ]);
    ok.assert_ok();
}

#[test]
fn unknown_product_exits_5_with_the_id_and_a_correlation_id() {
    let sb = Sandbox::new();
    let svc = sb.serve(&sb.path("store.db"), &[]);
    let cli = sb.against(&svc.url);
    let run = cli.run(&["product-policies", "get", "--product-id", "CFQ7TTC0ZZZZ"]);
    run.assert_fails_with(5);
    assert!(run.stderr.contains("CFQ7TTC0ZZZZ") && run.stderr.contains("correlation id"), "{}", run.stderr);
    let update = cli.run(&[
        "product-policies",
        "update",
        "--product-id",
        "CFQ7TTC0ZZZZ",
        "--product-id",
        POWER_BI_PRO,
        "--enabled",
        "false",
        "-o",
        "json",
    ]);
    update.assert_fails_with(5);
    let results = update.json();
    assert_eq!(results[0]["Status"], "Failed");
    assert_eq!(results[1]["Status"], "Updated", "the other products still change");
}

#[test]
fn malformed_input_is_a_usage_error_not_a_panic() {
    let sb = Sandbox::new();
    for args in [
        &["product-policies", "get", "--product-id", "not-an-id"][..],
        &["product-policies", "update", "--product-id", POWER_BI_PRO, "--value", "Sometimes"],
        &["product-policies", "update", "--product-id", POWER_BI_PRO, "--enabled", "perhaps"],
        &["product-policies", "update", "--product-id", POWER_BI_PRO],
        &["--endpoint", "ftp://example", "policies", "list"],
        &["serve", "--listen", "0.0.0.0:0"],
        &["nonsense"],
    ] {
        let local: &[&str] = if args.contains(&"--endpoint") { &[] } else { &["--endpoint", "local"] };
        sb.run(&[local, args].concat()).assert_fails_with(2);
    }
    let bad_stdin = sb.against("local").run_with_stdin(
        &["product-policies", "update", "--product-id", "-", "--enabled", "false"],
        "CFQ7TTC0H9MP\nbogus\n",
    );
    bad_stdin.assert_fails_with(2);
    assert!(bad_stdin.stderr.contains("'bogus' is not a product id"));
}

#[test]
fn unreachable_endpoint_exits_7_after_its_retries() {
    let sb = Sandbox::new();
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let run = sb.run(&["--endpoint", &format!("http://127.0.0.1:{port}"), "--max-retries", "1", "policies", "list"]);
    run.assert_fails_with(7);
    assert!(run.stderr.contains("after 2 tries"), "{}", run.stderr);
}

#[test]
fn a_bad_catalogue_is_refused_before_the_store_is_touched() {
    let sb = Sandbox::new();
    std::fs::write(sb.path("bad.json"), r#"{"policies": [], "products": []}"#).unwrap();
    let run = sb.run(&[
        "serve",
        "--listen",
        "127.0.0.1:0",
        "--store",
        sb.path("store.db").to_str().unwrap(),
        "--catalog",
        sb.path("bad.json").to_str().unwrap(),
    ]);
    run.assert_fails_with(2);
    assert!(run.stderr.contains("lists no policy"));
    assert!(!sb.path("store.db").exists());
}

#[test]
fn catalogue_file_seeds_a_new_store() {
    let sb = Sandbox::new();
    write_catalog(&sb.path("catalog.json"), 120, 0);
    let svc = sb.serve(&sb.path("store.db"), &["--catalog", sb.path("catalog.json").to_str().unwrap()]);
    let cli = sb.against(&svc.url);
    let list = cli.run(&["product-policies", "list", "-o", "csv"]).assert_ok().stdout.clone();
    assert_eq!(list.lines().count(), 121, "a header and 120 products");
    assert!(list.starts_with("ProductName,ProductId,PolicyValue,PolicyId"));
}

#[test]
fn the_embedded_default_needs_no_service_and_keeps_changes() {
    let sb = Sandbox::new();
    let list = sb.run(&["product-policies", "list"]);
    list.assert_ok();
    assert!(list.stdout.starts_with("Endpoint: local ("), "{}", list.stdout);
    sb.run(&["product-policies", "update", "--product-id", POWER_BI_PRO, "--enabled", "false"]).assert_ok();
    let again = sb.run(&["--endpoint", "local", "product-policies", "list", "-o", "json"]).assert_ok().json();
    assert_eq!(value_of(&again, POWER_BI_PRO), "Disabled");
}

#[test]
fn what_if_says_a_trial_only_value_would_be_refused() {
    let sb = Sandbox::new();
    let svc = sb.serve(&sb.path("store.db"), &[]);
    let cli = sb.against(&svc.url);
    let run = cli.run(&[
        "product-policies",
        "update",
        "--product-id",
        &format!("{POWER_BI_PRO},{PLANNER_PLAN_1}"),
        "--value",
        "OnlyTrialsWithoutPaymentMethod",
        "--what-if",
        "-o",
        "json",
    ]);
    run.assert_fails_with(2);
    let results = run.json();
    assert_eq!(results[0]["Status"], "Failed");
    assert!(results[0]["Error"].as_str().unwrap().contains("would be refused"));
    assert_eq!(results[1]["Status"], "WouldUpdate");
}

#[test]
fn verbose_shows_correlation_ids_and_never_the_token() {
    let sb = Sandbox::new();
    let svc = sb.serve(&sb.path("store.db"), &[]);
    let cli = sb.against(&svc.url);
    let secret = "eyJ0eXAiOiJKV1QiLCJhbGciOiJub25lIn0.c2VjcmV0LXRva2VuLXRleHQ.";
    let run = cli.run(&["--access-token", secret, "-v", "product-policies", "list", "-o", "json"]);
    run.assert_ok();
    assert!(run.stderr.contains("correlation_id"), "{}", run.stderr);
    assert!(run.stderr.contains("path=/v1.0/policies/AllowSelfServicePurchase/products"), "{}", run.stderr);
    assert!(!run.stderr.contains(secret) && !run.stdout.contains(secret));
    let refused = sb.against("http://127.0.0.1:9").run(&[
        "--max-retries",
        "0",
        "--access-token",
        secret,
        "-v",
        "policies",
        "list",
    ]);
    assert!(!refused.stderr.contains(secret), "{}", refused.stderr);
}

/// A bulk update reads every value, then writes: a change someone else makes in between must
/// be refused for that product (exit 6) and left as they set it, never overwritten.
#[test]
fn a_bulk_update_refuses_a_product_changed_between_its_read_and_its_write() {
    let sb = Sandbox::new();
    let store = sb.path("store.db");
    // Two services on one store: a slow one for the bulk update (every answer 2 s late, so
    // its write comes 2 s after its read) and a prompt one for the other admin.
    let slow = sb.serve(&store, &["--simulate-latency", "2s"]);
    let prompt = sb.serve(&store, &[]);
    let bulk = sb
        .command()
        .args(["--endpoint", &slow.url, "product-policies", "update", "--all", "--value", "Disabled"])
        .args(["--concurrency", "64", "-o", "json"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("update starts");
    // Halfway between the bulk update's read (at 2 s) and its writes (at 4 s).
    std::thread::sleep(std::time::Duration::from_secs(3));
    let other = sb.against(&prompt.url);
    other
        .run(&[
            "product-policies",
            "update",
            "--product-id",
            PLANNER_PLAN_1,
            "--value",
            "OnlyTrialsWithoutPaymentMethod",
        ])
        .assert_ok();
    let out = bulk.wait_with_output().expect("update finishes");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(6), "{stderr}");
    assert!(stderr.contains("1 of") && stderr.contains(PLANNER_PLAN_1), "{stderr}");
    let results: Value = serde_json::from_slice(&out.stdout).expect("JSON results");
    let results = results.as_array().unwrap();
    let raced = results.iter().find(|r| r["ProductId"] == PLANNER_PLAN_1).expect("Planner Plan 1 in the results");
    assert_eq!((raced["Status"].as_str(), raced["ExitCode"].as_i64()), (Some("Conflict"), Some(6)), "{raced}");
    assert_eq!(raced["PolicyValue"], "OnlyTrialsWithoutPaymentMethod", "the result says what it is now");
    assert!(raced["Error"].as_str().unwrap().contains("changed by someone else"), "{raced}");
    let others = results.iter().filter(|r| r["ProductId"] != PLANNER_PLAN_1);
    assert!(others.clone().count() >= 16 && others.into_iter().all(|r| r["Status"] == "Updated"));

    let list = other.run(&["product-policies", "list", "-o", "json"]).assert_ok().json();
    assert_eq!(value_of(&list, PLANNER_PLAN_1), "OnlyTrialsWithoutPaymentMethod", "their change stands");
    assert_eq!(value_of(&list, POWER_BI_PRO), "Disabled");
    let audit = other.run(&["audit", "--limit", "1000", "-o", "json"]).assert_ok().json();
    let planner_changes = audit.as_array().unwrap().iter().filter(|e| e["TargetId"] == PLANNER_PLAN_1).count();
    assert_eq!(planner_changes, 1, "only the other admin changed it: {audit}");
}
