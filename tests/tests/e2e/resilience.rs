//! Retries and durability: a throttled, failing service still gets every change exactly
//! once; an answered change survives the service being killed.

use commerce_e2e::{Cli, Sandbox, write_catalog};
use serde_json::Value;

fn all_values(cli: &Cli) -> Vec<(String, String)> {
    let list = cli.run(&["product-policies", "list", "-o", "json"]).assert_ok().json();
    list.as_array()
        .unwrap()
        .iter()
        .map(|p| (p["ProductId"].as_str().unwrap().to_string(), p["PolicyValue"].as_str().unwrap().to_string()))
        .collect()
}

#[test]
fn a_hundred_product_update_completes_exactly_through_throttling_and_outages() {
    let sb = Sandbox::new();
    write_catalog(&sb.path("catalog.json"), 100, 0);
    let catalog = sb.path("catalog.json");
    let svc = sb.serve(
        &sb.path("store.db"),
        &["--catalog", catalog.to_str().unwrap(), "--simulate-throttle", "0.3", "--simulate-errors", "0.1"],
    );
    let cli = sb.against(&svc.url);
    let run =
        cli.run(&["--max-retries", "20", "product-policies", "update", "--all", "--enabled", "false", "-o", "json"]);
    let results = run.assert_ok().json();
    let results = results.as_array().unwrap();
    assert_eq!(results.len(), 100);
    assert!(results.iter().all(|r| r["Status"] == "Updated"), "{results:#?}");
    let values = all_values(&cli);
    assert_eq!(values.len(), 100);
    assert!(values.iter().all(|(_, v)| v == "Disabled"));
    let audit = cli.run(&["--max-retries", "20", "audit", "--limit", "1000", "-o", "json"]).assert_ok().json();
    assert_eq!(audit.as_array().unwrap().len(), 100, "each product changed exactly once");
}

#[test]
fn without_retries_throttling_is_reported_as_unavailable() {
    let sb = Sandbox::new();
    let svc = sb.serve(&sb.path("store.db"), &["--simulate-throttle", "1"]);
    let cli = sb.against(&svc.url);
    let run = cli.run(&["--max-retries", "0", "policies", "list"]);
    run.assert_fails_with(7);
    assert!(run.stderr.contains("429"), "{}", run.stderr);
}

#[test]
fn acknowledged_updates_survive_a_kill() {
    let sb = Sandbox::new();
    write_catalog(&sb.path("catalog.json"), 40, 0);
    let store = sb.path("store.db");
    let catalog = sb.path("catalog.json");
    let svc = sb.serve(&store, &["--catalog", catalog.to_str().unwrap()]);
    let cli = sb.against(&svc.url);
    let mut acknowledged = Vec::new();
    for i in (1..=40).step_by(3) {
        let id = format!("TEST{i:08}");
        cli.run(&["product-policies", "update", "--product-id", &id, "--value", "Disabled"]).assert_ok();
        acknowledged.push(id);
    }
    svc.kill();
    let svc = sb.serve(&store, &["--catalog", catalog.to_str().unwrap()]);
    let cli = sb.against(&svc.url);
    let values = all_values(&cli);
    for (id, value) in values {
        let want = if acknowledged.contains(&id) { "Disabled" } else { "Enabled" };
        assert_eq!(value, want, "{id}");
    }
}

#[test]
fn a_store_that_is_not_sqlite_is_refused_and_left_alone() {
    let sb = Sandbox::new();
    let store = sb.path("store.db");
    std::fs::write(&store, "precious notes, not a database").unwrap();
    let run = sb.run(&["serve", "--listen", "127.0.0.1:0", "--store", store.to_str().unwrap()]);
    run.assert_fails_with(1);
    assert!(run.stderr.contains("could not open the store"), "{}", run.stderr);
    assert_eq!(std::fs::read_to_string(&store).unwrap(), "precious notes, not a database");
}

#[test]
fn simulated_latency_slows_answers_without_changing_them() {
    let sb = Sandbox::new();
    let svc = sb.serve(&sb.path("store.db"), &["--simulate-latency", "20ms"]);
    let cli = sb.against(&svc.url);
    let got = cli.run(&["product-policies", "get", "--product-id", "CFQ7TTC0H9MP", "-o", "json"]);
    let got: Value = got.assert_ok().json();
    assert_eq!(got["PolicyValue"], "Enabled");
}
