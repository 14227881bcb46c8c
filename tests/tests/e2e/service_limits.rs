//! `serve` under hostile clients and a hostile store: half-sent requests, idle and slow
//! connections, more connections than it allows, half-closes, another process holding the
//! store's lock, a read-only store, and option values out of range. Every wait is bounded: a
//! test that would hang fails instead.

use std::io::{Read, Write};
use std::net::{Shutdown, TcpStream};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use commerce_e2e::Sandbox;
use serde_json::{Value, json};

const PRODUCT_PATH: &str = "/v1.0/policies/AllowSelfServicePurchase/products/CFQ7TTC0H9MP";

/// Everything the server sends until it closes the connection (bounded by the read timeout:
/// a connection still open when it runs out fails the test).
fn read_to_close(stream: &mut TcpStream) -> String {
    let mut all = Vec::new();
    match stream.read_to_end(&mut all) {
        Ok(_) => {}
        Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => {}
        Err(e) => panic!("the connection was not closed: {e} (read so far: {:?})", String::from_utf8_lossy(&all)),
    }
    String::from_utf8_lossy(&all).into_owned()
}

/// The JSON body of a raw HTTP answer.
fn body_of(answer: &str) -> Value {
    let body = answer.split_once("\r\n\r\n").map_or("", |(_, b)| b);
    serde_json::from_str(body).unwrap_or_else(|e| panic!("not a JSON body ({e}): {answer:?}"))
}

fn http() -> reqwest::blocking::Client {
    reqwest::blocking::Client::builder().timeout(Duration::from_secs(5)).build().expect("client")
}

#[test]
fn a_half_sent_request_does_not_keep_serve_alive_after_sigterm() {
    let sb = Sandbox::new();
    let mut svc = sb.serve_keeping_log(&sb.path("store.db"), &["--drain-timeout", "1s", "--header-timeout", "60s"]);
    let mut stream = svc.connect();
    stream.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n").expect("half a request sent");
    // Connections are taken in order: once a later one is answered, the half-sent one is held.
    let health = http().get(format!("{}/healthz", svc.url)).send().expect("health answers");
    assert_eq!(health.status(), 200);
    let status = svc.terminate_within(Duration::from_secs(8)).expect("serve exits within the drain deadline");
    assert!(status.success(), "{status:?}");
    assert!(svc.log().contains("drain deadline"), "{}", svc.log());
}

#[test]
fn a_connection_that_never_finishes_its_headers_is_closed_within_the_header_timeout() {
    let sb = Sandbox::new();
    let svc = sb.serve_keeping_log(&sb.path("store.db"), &["--header-timeout", "1s"]);
    let mut stream = svc.connect();
    stream.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ").expect("part of a header sent");
    read_to_close(&mut stream);
    assert!(svc.log().contains("header timeout"), "a warning names the timeout: {}", svc.log());
}

#[test]
fn past_the_connection_cap_new_connections_get_503_and_idle_ones_are_closed() {
    let sb = Sandbox::new();
    let svc = sb.serve_keeping_log(&sb.path("store.db"), &["--max-connections", "4", "--header-timeout", "1s"]);
    let idle: Vec<TcpStream> = (0..4).map(|_| svc.connect()).collect();
    // The cap is reached once the server has taken the idle ones: the next gets a clear answer.
    let mut extra = svc.connect();
    let answer = read_to_close(&mut extra);
    assert!(answer.starts_with("HTTP/1.1 503 "), "{answer:?}");
    assert_eq!(body_of(&answer)["error"]["code"], "ServiceUnavailable");
    assert!(svc.log().contains("connection shed"), "{}", svc.log());
    // The idle ones are closed after the header timeout, and /healthz answers again.
    for mut stream in idle {
        read_to_close(&mut stream);
    }
    let health = http().get(format!("{}/healthz", svc.url)).send().expect("health answers");
    assert_eq!(health.status(), 200);
}

#[test]
fn a_client_that_half_closes_after_pipelined_requests_gets_every_answer() {
    let sb = Sandbox::new();
    let svc = sb.serve_keeping_log(&sb.path("store.db"), &[]);
    let mut stream = svc.connect();
    let body = r#"{"policyValue":"Disabled"}"#;
    let requests = format!(
        "PUT {PRODUCT_PATH} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}\
         GET /healthz HTTP/1.1\r\nHost: x\r\n\r\nGET {PRODUCT_PATH} HTTP/1.1\r\nHost: x\r\n\r\n",
        body.len()
    );
    stream.write_all(requests.as_bytes()).expect("requests sent");
    stream.shutdown(Shutdown::Write).expect("half-closed");
    let answers = read_to_close(&mut stream);
    assert_eq!(answers.matches("HTTP/1.1 200 OK").count(), 3, "{answers}");
    assert!(answers.contains(r#""policyValue":"Disabled""#), "the last GET reads the PUT: {answers}");
}

#[test]
fn reads_answer_while_another_process_holds_the_write_lock_and_writes_get_503() {
    let sb = Sandbox::new();
    let store = sb.path("store.db");
    let svc = sb.serve_keeping_log(&store, &["--busy-timeout", "4s"]);
    let other = rusqlite::Connection::open(&store).expect("the store opens");
    other.execute_batch("BEGIN IMMEDIATE").expect("the write lock is taken");
    let put_url = format!("{}{PRODUCT_PATH}", svc.url);
    let put = std::thread::spawn(move || {
        let response = http().put(put_url).json(&json!({ "policyValue": "Disabled" })).send().expect("put answers");
        (response.status().as_u16(), response.json::<Value>().expect("JSON"))
    });
    // Give the PUT time to start waiting for the lock, so the GET comes behind it.
    std::thread::sleep(Duration::from_millis(200));
    // Bounded well below the busy timeout: a read queued behind the waiting write fails here.
    let quick = reqwest::blocking::Client::builder().timeout(Duration::from_millis(1500)).build().expect("client");
    let got = quick.get(format!("{}{PRODUCT_PATH}", svc.url)).send().expect("a read answers while a write waits");
    assert_eq!(got.status(), 200);
    let (status, body) = put.join().expect("put thread");
    assert_eq!(status, 503, "{body}");
    assert!(body["error"]["message"].as_str().is_some_and(|m| m.contains("locked by another process")), "{body}");
    other.execute_batch("ROLLBACK").expect("released");
}

/// Makes `path` unwritable even for root (`chattr +i`) or by its mode for anyone else; undone on drop.
pub(crate) struct Unwritable(PathBuf);

impl Unwritable {
    pub(crate) fn new(path: &Path) -> Self {
        let immutable = std::process::Command::new("chattr").arg("+i").arg(path).status().is_ok_and(|s| s.success());
        if !immutable {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o444)).expect("chmod");
        }
        assert!(std::fs::OpenOptions::new().write(true).open(path).is_err(), "{} is still writable", path.display());
        Self(path.to_path_buf())
    }
}

impl Drop for Unwritable {
    fn drop(&mut self) {
        let _ = std::process::Command::new("chattr").arg("-i").arg(&self.0).status();
    }
}

#[test]
fn a_read_only_store_answers_reads_and_refuses_changes_as_read_only() {
    let sb = Sandbox::new();
    let store = sb.path("store.db");
    let mut first = sb.serve_keeping_log(&store, &[]);
    assert!(first.terminate_within(Duration::from_secs(8)).is_some_and(|s| s.success()));
    let _guard = Unwritable::new(&store);
    let svc = sb.serve_keeping_log(&store, &[]);
    let got = http().get(format!("{}{PRODUCT_PATH}", svc.url)).send().expect("get");
    assert_eq!(got.status(), 200);
    let put = http().put(format!("{}{PRODUCT_PATH}", svc.url)).json(&json!({ "policyValue": "Disabled" })).send();
    let put = put.expect("put");
    assert_eq!(put.status(), 507);
    let body: Value = put.json().expect("JSON");
    assert!(body["error"]["message"].as_str().is_some_and(|m| m.contains("is read-only")), "{body}");
    // Not a passing outage: the binary says so at once, with exit 1 rather than 7.
    let change = sb.against(&svc.url).run(&[
        "product-policies",
        "update",
        "--product-id",
        "CFQ7TTC0H9MP",
        "--value",
        "Disabled",
        "-o",
        "json",
    ]);
    change.assert_fails_with(1);
    assert!(change.stderr.contains("is read-only") && !change.stderr.contains("tries"), "{change:#?}");
}

#[test]
fn serve_options_out_of_range_are_usage_errors() {
    let sb = Sandbox::new();
    let store = sb.path("store.db");
    let store = store.to_str().expect("utf-8");
    let cases: [&[&str]; 8] = [
        &["--clock-skew", "100years"],
        &["--auth", "jwt", "--issuer", "https://i", "--jwks-file", "k.json", "--audience", ""],
        &["--simulate-throttle", "0.6", "--simulate-errors", "0.5"],
        &["--simulate-latency", "1h"],
        &["--max-connections", "0"],
        &["--header-timeout", "0s"],
        &["--drain-timeout", "2h"],
        &["--simulate-retry-after", "100000"],
    ];
    for case in cases {
        let mut args = vec!["serve", "--listen", "127.0.0.1:0", "--store", store];
        args.extend_from_slice(case);
        // A value wrongly accepted would start the service: the wait is bounded.
        let mut child = sb.command().args(&args).stdout(Stdio::null()).stderr(Stdio::piped()).spawn().expect("starts");
        let start = Instant::now();
        let status = loop {
            if let Some(status) = child.try_wait().expect("wait") {
                break status;
            }
            if start.elapsed() > Duration::from_secs(10) {
                let _ = child.kill();
                panic!("serve {case:?} was accepted and started");
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        let mut stderr = String::new();
        child.stderr.take().expect("stderr").read_to_string(&mut stderr).expect("stderr read");
        assert_eq!(status.code(), Some(2), "{case:?}: {stderr}");
        assert_eq!(stderr.trim_end().lines().count(), 1, "{case:?}: one line: {stderr}");
    }
    assert!(!Path::new(store).exists(), "no store was created by a refused start");
}

#[test]
fn answers_of_the_http_layer_have_the_json_error_body() {
    let sb = Sandbox::new();
    let svc = sb.serve_keeping_log(&sb.path("store.db"), &[]);
    let long = format!("GET /{} HTTP/1.1\r\nHost: x\r\n\r\n", "a".repeat(70_000));
    let headers: String = (0..200).map(|i| format!("X-{i}: y\r\n")).collect();
    let many = format!("GET /healthz HTTP/1.1\r\nHost: x\r\n{headers}\r\n");
    for (request, status, code) in [(long, "414", "UriTooLong"), (many, "431", "RequestHeaderFieldsTooLarge")] {
        let mut stream = svc.connect();
        stream.write_all(request.as_bytes()).expect("sent");
        let answer = read_to_close(&mut stream);
        assert!(answer.starts_with(&format!("HTTP/1.1 {status} ")), "{answer:?}");
        assert_eq!(body_of(&answer)["error"]["code"], code, "{answer:?}");
    }
}

#[test]
fn if_none_match_star_on_a_put_is_412_and_changes_nothing() {
    let sb = Sandbox::new();
    let svc = sb.serve_keeping_log(&sb.path("store.db"), &[]);
    let url = format!("{}{PRODUCT_PATH}", svc.url);
    let put = http().put(&url).header("If-None-Match", "*").json(&json!({ "policyValue": "Disabled" })).send();
    assert_eq!(put.expect("put").status(), 412);
    let tag = http().get(&url).send().expect("get").headers()["etag"].to_str().expect("tag").to_string();
    let put = http().put(&url).header("If-None-Match", &tag).json(&json!({ "policyValue": "Disabled" })).send();
    assert_eq!(put.expect("put").status(), 412, "the current tag is matched");
    let got: Value = http().get(&url).send().expect("get").json().expect("JSON");
    assert_eq!(got["policyValue"], "Enabled");
}

#[test]
fn a_token_with_a_crit_header_is_refused() {
    let sb = Sandbox::new();
    let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).expect("P-256 key");
    let point = key.public_key_raw();
    let jwk = json!({ "kty": "EC", "crv": "P-256", "kid": "k1", "use": "sig",
        "x": URL_SAFE_NO_PAD.encode(&point[1..33]), "y": URL_SAFE_NO_PAD.encode(&point[33..65]) });
    let jwks = sb.path("jwks.json");
    std::fs::write(&jwks, json!({ "keys": [jwk] }).to_string()).expect("JWKS written");
    let issuer = "https://issuer.example.test/v2.0";
    let jwks = jwks.to_str().expect("utf-8");
    let flags = ["--auth", "jwt", "--issuer", issuer, "--audience", "api://policy", "--jwks-file", jwks];
    let svc = sb.serve_keeping_log(&sb.path("store.db"), &flags);
    let sign = |crit: Option<Vec<String>>| {
        let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).expect("clock").as_secs();
        let claims = json!({ "iss": issuer, "aud": "api://policy", "exp": now + 300, "appid": "app",
            "roles": ["Policy.Read.AllowSelfServicePurchase"] });
        let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::ES256);
        header.kid = Some("k1".into());
        header.crit = crit;
        let encoding = jsonwebtoken::EncodingKey::from_ec_pem(key.serialize_pem().as_bytes()).expect("EC key");
        jsonwebtoken::encode(&header, &claims, &encoding).expect("signed")
    };
    let get = |token: &str| http().get(format!("{}/v1.0/policies", svc.url)).bearer_auth(token).send().expect("get");
    assert_eq!(get(&sign(None)).status(), 200);
    let refused = get(&sign(Some(vec!["exp".into()])));
    assert_eq!(refused.status(), 401);
    let body: Value = refused.json().expect("JSON");
    assert!(body["error"]["message"].as_str().is_some_and(|m| m.contains("crit")), "{body}");
}

#[test]
fn an_address_in_use_leaves_no_new_store_file() {
    let sb = Sandbox::new();
    let taken = std::net::TcpListener::bind("127.0.0.1:0").expect("a port");
    let address = taken.local_addr().expect("address").to_string();
    let store = sb.path("new.db");
    let run = sb.run(&["serve", "--listen", &address, "--store", store.to_str().expect("utf-8")]);
    run.assert_fails_with(1);
    assert!(run.stderr.contains("could not listen"), "{}", run.stderr);
    assert!(!store.exists(), "no store file was created");
}

#[test]
fn a_read_only_local_store_still_lists_and_a_change_says_read_only() {
    let sb = Sandbox::new();
    let local = sb.against("local");
    local.run(&["product-policies", "list", "-o", "json"]).assert_ok();
    let _guard = Unwritable::new(&sb.path("data").join("local.db"));
    let list = local.run(&["product-policies", "list", "-o", "json"]);
    assert!(list.assert_ok().json().as_array().is_some_and(|a| !a.is_empty()), "{list:#?}");
    let change = local.run(&["product-policies", "update", "--product-id", "CFQ7TTC0H9MP", "--value", "Disabled"]);
    assert_ne!(change.code, 0, "{change:#?}");
    assert!(change.stderr.contains("read-only") || change.stdout.contains("read-only"), "{change:#?}");
}
