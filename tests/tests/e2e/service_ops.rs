//! `serve` as operations see it: the read cache (304 for a tag still current, a write seen at
//! once through the same service and within the stated bound through another one on the same
//! store), `/readyz` for a load balancer, `/metrics` in the Prometheus text format, and a
//! drain on SIGTERM that lets a request in flight finish. Every wait is bounded.

use std::time::{Duration, Instant};

use commerce_e2e::{Sandbox, Service};
use reqwest::blocking::{Client, Response};
use serde_json::{Value, json};

const POLICY: &str = "/v1.0/policies/AllowSelfServicePurchase";
const PRODUCT: &str = "CFQ7TTC0H9MP";

fn http() -> Client {
    Client::builder().timeout(Duration::from_secs(5)).build().expect("client")
}

fn get(svc: &Service, path: &str, if_none_match: Option<&str>) -> Response {
    let mut request = http().get(format!("{}{path}", svc.url));
    if let Some(tag) = if_none_match {
        request = request.header("if-none-match", tag);
    }
    request.send().expect("GET answers")
}

fn etag(response: &Response) -> String {
    response.headers().get("etag").and_then(|v| v.to_str().ok()).expect("an ETag").to_string()
}

fn set_value(svc: &Service, value: &str) {
    let put = http().put(format!("{}{POLICY}/products/{PRODUCT}", svc.url)).json(&json!({ "policyValue": value }));
    assert_eq!(put.send().expect("PUT answers").status(), 200);
}

/// The product's value as the product list says it.
fn listed_value(svc: &Service) -> String {
    let list: Value = get(svc, &format!("{POLICY}/products?scope=product"), None).json().expect("JSON");
    let items = list["items"].as_array().expect("items");
    let item = items.iter().find(|i| i["productId"] == PRODUCT).expect("the product is listed");
    item["policyValue"].as_str().expect("a value").to_string()
}

/// The value of one sample of the metrics text, if it is there.
pub(crate) fn sample(metrics: &str, series: &str) -> Option<f64> {
    metrics.lines().find_map(|line| line.strip_prefix(series)?.strip_prefix(' ')?.trim().parse().ok())
}

pub(crate) fn metrics(svc: &Service) -> String {
    let response = get(svc, "/metrics", None);
    assert_eq!(response.status(), 200);
    let kind = response.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or_default().to_string();
    assert!(kind.starts_with("text/plain"), "{kind}");
    response.text().expect("text")
}

#[test]
fn a_read_whose_tag_is_still_current_is_answered_304_and_a_changed_one_200() {
    let sb = Sandbox::new();
    let svc = sb.serve(&sb.path("store.db"), &[]);
    for path in [format!("{POLICY}/products/{PRODUCT}"), format!("{POLICY}/products?scope=product"), POLICY.into()] {
        let first = get(&svc, &path, None);
        assert_eq!(first.status(), 200, "{path}");
        let tag = etag(&first);
        let again = get(&svc, &path, Some(&tag));
        assert_eq!(again.status(), 304, "{path}");
        assert_eq!(etag(&again), tag, "{path}");
        assert!(again.bytes().expect("body").is_empty(), "{path}: a 304 has no body");
        assert_eq!(get(&svc, &path, Some("W/\"v0\", \"h0\"")).status(), 200, "{path}: other tags");
    }
    let path = format!("{POLICY}/products?scope=product");
    let before = etag(&get(&svc, &path, None));
    set_value(&svc, "Disabled");
    let after = get(&svc, &path, Some(&before));
    assert_eq!(after.status(), 200, "the list changed, so its old tag no longer matches");
    assert_ne!(etag(&after), before);
}

#[test]
fn a_write_through_the_service_is_read_back_from_it_at_once() {
    let sb = Sandbox::new();
    let svc = sb.serve(&sb.path("store.db"), &[]);
    let product = format!("{POLICY}/products/{PRODUCT}");
    for value in ["Disabled", "Enabled", "Disabled"] {
        // Read twice first, so the answers come from the cache when the write lands.
        listed_value(&svc);
        assert_ne!(listed_value(&svc), value);
        get(&svc, &product, None);
        set_value(&svc, value);
        assert_eq!(listed_value(&svc), value, "the list right after the write");
        let one: Value = get(&svc, &product, None).json().expect("JSON");
        assert_eq!(one["policyValue"], value, "the product right after the write");
    }
}

#[test]
fn a_write_on_one_service_is_read_on_another_over_the_same_store_within_the_bound() {
    let sb = Sandbox::new();
    let store = sb.path("store.db");
    let (a, b) = (sb.serve(&store, &[]), sb.serve(&store, &[]));
    for value in ["Disabled", "Enabled"] {
        // B has the old answer cached when A writes.
        assert_ne!(listed_value(&b), value);
        assert_ne!(listed_value(&b), value);
        set_value(&a, value);
        // The bound is 100 ms (crates/service/src/cache.rs); the wait allows for a loaded CI
        // machine, and fails if B kept serving its cached answer.
        let deadline = Instant::now() + Duration::from_secs(3);
        while listed_value(&b) != value {
            assert!(Instant::now() < deadline, "B still answers the value from before A's write");
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

/// Waits (bounded) for `/readyz` to answer `status`; returns its body.
fn ready_becomes(svc: &Service, status: u16) -> Value {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let response = get(svc, "/readyz", None);
        if response.status() == status {
            if status == 503 {
                assert!(response.headers().contains_key("retry-after"), "a 503 says when to ask again");
            }
            return response.json().expect("JSON");
        }
        assert!(Instant::now() < deadline, "/readyz did not answer {status}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn readyz_answers_503_while_the_store_is_gone_and_200_once_it_is_back() {
    let sb = Sandbox::new();
    let store = sb.path("store.db");
    let svc = sb.serve(&store, &[]);
    assert_eq!(ready_becomes(&svc, 200)["status"], "ready");
    let moved = sb.path("moved.db");
    std::fs::rename(&store, &moved).expect("store moved away");
    let body = ready_becomes(&svc, 503);
    assert!(body["error"]["message"].as_str().is_some_and(|m| m.contains("not ready")), "{body}");
    // Alive all the same: /healthz is for restarts, /readyz for traffic.
    assert_eq!(get(&svc, "/healthz", None).status(), 200);
    std::fs::rename(&moved, &store).expect("store moved back");
    ready_becomes(&svc, 200);
}

#[test]
fn readyz_answers_503_while_the_store_is_in_a_newer_layout() {
    let sb = Sandbox::new();
    let store = sb.path("store.db");
    let svc = sb.serve(&store, &[]);
    ready_becomes(&svc, 200);
    let set_layout = |version: i64| {
        let conn = rusqlite::Connection::open(&store).expect("store opens");
        conn.busy_timeout(Duration::from_secs(5)).expect("busy timeout");
        let current: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0)).expect("layout");
        conn.pragma_update(None, "user_version", version).expect("layout set");
        current
    };
    let current = set_layout(999);
    let body = ready_becomes(&svc, 503);
    assert!(body["error"]["message"].as_str().is_some_and(|m| m.contains("newer")), "{body}");
    set_layout(current);
    ready_becomes(&svc, 200);
}

#[test]
fn readyz_answers_503_for_a_read_only_store() {
    let sb = Sandbox::new();
    let store = sb.path("store.db");
    let mut first = sb.serve(&store, &[]);
    assert!(first.terminate_within(Duration::from_secs(8)).is_some_and(|s| s.success()));
    let _guard = crate::service_limits::Unwritable::new(&store);
    let svc = sb.serve(&store, &[]);
    let body = ready_becomes(&svc, 503);
    assert!(body["error"]["message"].as_str().is_some_and(|m| m.contains("read-only")), "{body}");
}

#[test]
fn metrics_count_requests_by_route_and_status_and_show_the_store() {
    let sb = Sandbox::new();
    let svc = sb.serve(&sb.path("store.db"), &[]);
    for _ in 0..3 {
        get(&svc, &format!("{POLICY}/products/{PRODUCT}"), None);
    }
    get(&svc, &format!("{POLICY}/products/NOSUCHPRODUC"), None);
    set_value(&svc, "Disabled");
    get(&svc, "/no/such/route", None);
    let text = metrics(&svc);
    let requests = |route: &str, method: &str, status: u16| {
        sample(
            &text,
            &format!(
                "commerce_policy_http_requests_total{{method=\"{method}\",route=\"{route}\",status=\"{status}\"}}"
            ),
        )
    };
    let product = "/v1.0/policies/{policyId}/products/{productId}";
    assert_eq!(requests(product, "GET", 200), Some(3.0), "{text}");
    assert_eq!(requests(product, "GET", 404), Some(1.0), "{text}");
    assert_eq!(requests(product, "PUT", 200), Some(1.0), "{text}");
    assert_eq!(requests("unmatched", "GET", 404), Some(1.0), "raw paths never become series: {text}");
    let count = sample(&text, &format!("commerce_policy_http_request_duration_seconds_count{{route=\"{product}\"}}"));
    assert_eq!(count, Some(5.0), "{text}");
    assert!(text.contains(&format!(
        "commerce_policy_http_request_duration_seconds_bucket{{route=\"{product}\",le=\"0.005\"}}"
    )));
    assert_eq!(sample(&text, "commerce_policy_store_connections"), Some(5.0), "a writer and four readers: {text}");
    assert_eq!(sample(&text, "commerce_policy_store_connections_in_use"), Some(0.0), "{text}");
    assert_eq!(sample(&text, "commerce_policy_outbox_backlog"), Some(0.0), "{text}");
    assert!(sample(&text, "commerce_policy_read_cache_hits_total").is_some_and(|h| h >= 1.0), "{text}");
}

#[test]
fn sigterm_lets_a_request_in_flight_finish_before_serve_exits() {
    let sb = Sandbox::new();
    let mut svc = sb.serve(&sb.path("store.db"), &["--simulate-latency", "2s", "--drain-timeout", "10s"]);
    let url = format!("{}{POLICY}/products/{PRODUCT}", svc.url);
    let slow = std::thread::spawn(move || http().get(url).send().map(|r| r.status().as_u16()));
    wait_in_flight(&svc, 2);
    let status = svc.terminate_within(Duration::from_secs(8)).expect("serve exits after the drain");
    assert!(status.success(), "{status:?}");
    assert_eq!(slow.join().expect("thread").expect("the request in flight was answered"), 200);
}

/// Waits (bounded) until `/metrics` counts `n` requests in flight, itself included.
fn wait_in_flight(svc: &Service, n: u32) {
    let deadline = Instant::now() + Duration::from_secs(5);
    while sample(&metrics(svc), "commerce_policy_http_requests_in_flight") < Some(f64::from(n)) {
        assert!(Instant::now() < deadline, "the request never got in flight");
        std::thread::sleep(Duration::from_millis(20));
    }
}
