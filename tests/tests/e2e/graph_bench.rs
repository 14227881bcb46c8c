//! The measurement of docs/performance.md's Graph section (run by bench/graph.sh, not in CI):
//! `subscriptions list --self-service` of 1,000 subscriptions against the stand-in answering
//! every request after 50 ms, against a client that reads each purchaser with a call of its own.

use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use commerce_e2e::graph::{GraphFixture, GraphOptions, GraphTenant};

const LATENCY: Duration = Duration::from_millis(50);

#[test]
#[ignore = "a measurement: bench/graph.sh runs it"]
fn graph_bench_a_thousand_subscriptions_at_50_ms() {
    let f = GraphFixture::start(
        GraphTenant::with_purchases(1000),
        GraphOptions { latency: LATENCY, ..GraphOptions::default() },
    );
    // The harness builds the binary on first use: not part of the measure.
    commerce_e2e::binary();
    let started = Instant::now();
    let run = f.run(&["subscriptions", "list", "--self-service", "-o", "json"]);
    let ours = started.elapsed();
    run.assert_ok();
    assert_eq!(run.json().as_array().unwrap().len(), 1000);
    let calls = f.graph.total();
    let (pages, batches) =
        (f.graph.calls.subscriptions.load(Ordering::SeqCst), f.graph.calls.batch.load(Ordering::SeqCst));

    // The same list read the naive way: every page, then `GET /users/{id}` per subscription.
    let http = reqwest::blocking::Client::new();
    let get = |url: &str| -> serde_json::Value {
        let answer = http.get(url).bearer_auth(&f.token).send().expect("an answer");
        serde_json::from_str(&answer.text().expect("a body")).expect("JSON")
    };
    let before = f.graph.total();
    let started = Instant::now();
    let mut next = Some(format!("{}/v1.0/directory/subscriptions", f.graph.url));
    let mut owners = Vec::new();
    while let Some(url) = next.take() {
        let page = get(&url);
        owners
            .extend(page["value"].as_array().unwrap().iter().filter_map(|s| s["ownerId"].as_str().map(str::to_string)));
        next = page["@odata.nextLink"].as_str().map(str::to_string);
    }
    for owner in &owners {
        assert!(get(&format!("{}/v1.0/users/{owner}", f.graph.url))["userPrincipalName"].is_string());
    }
    let naive = started.elapsed();
    let naive_calls = f.graph.total() - before;
    println!("ours: {calls} calls ({pages} pages, {batches} batches of at most 20), {:.2} s", ours.as_secs_f64());
    println!("one call per subscription: {naive_calls} calls, {:.2} s", naive.as_secs_f64());
}
