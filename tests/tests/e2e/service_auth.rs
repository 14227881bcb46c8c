//! `serve --auth jwt` end to end: the real binary against the test OpenID provider's keys and
//! tokens (tests/oidc), with the CLI itself as the client where it fits.

use std::path::PathBuf;
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use commerce_e2e::oidc::*;
use commerce_e2e::{Provider, Sandbox, Service};
use reqwest::blocking::{Client, Response};
use serde_json::{Value, json};

const POWER_BI_PRO: &str = "CFQ7TTC0H9MP";
const PRODUCT_PATH: &str = "/v1.0/policies/AllowSelfServicePurchase/products/CFQ7TTC0H9MP";

/// A provider and a service that trusts it.
struct Signed {
    provider: Provider,
    sandbox: Sandbox,
    svc: Service,
    log: PathBuf,
}

fn jwt_flags(issuer: &str, jwks_url: &str) -> Vec<String> {
    ["--auth", "jwt", "--issuer", issuer, "--audience", LICENSING_RESOURCE, "--jwks-url", jwks_url]
        .map(String::from)
        .to_vec()
}

impl Signed {
    fn start() -> Self {
        Self::with(Provider::start(), &[])
    }

    fn with(provider: Provider, extra: &[&str]) -> Self {
        let sandbox = Sandbox::new();
        let mut flags = jwt_flags(&provider.issuer(), &provider.jwks_url());
        flags.extend(extra.iter().map(|s| s.to_string()));
        let flags: Vec<&str> = flags.iter().map(String::as_str).collect();
        let log = sandbox.path("serve.log");
        let svc = sandbox.serve_logged(&sandbox.path("store.db"), &flags, &log);
        Self { provider, sandbox, svc, log }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.svc.url)
    }

    fn get(&self, path: &str, token: Option<&str>) -> Response {
        send(Client::new().get(self.url(path)), token)
    }

    fn put(&self, path: &str, value: &str, token: Option<&str>) -> Response {
        send(Client::new().put(self.url(path)).json(&json!({ "policyValue": value })), token)
    }

    /// The CLI against this service with `token`.
    fn cli(&self, token: &str, args: &[&str]) -> commerce_e2e::Run {
        let mut all = vec!["--access-token", token];
        all.extend_from_slice(args);
        self.sandbox.against(&self.svc.url).run(&all)
    }

    fn writer(&self) -> String {
        self.provider.client_credentials_token(WRITER_CLIENT_ID, WRITER_CLIENT_SECRET)
    }
}

fn send(request: reqwest::blocking::RequestBuilder, token: Option<&str>) -> Response {
    let request = match token {
        Some(token) => request.bearer_auth(token),
        None => request,
    };
    request.send().expect("the service answers")
}

/// Asserts a 401 in RFC 6750's form with our JSON body; the message.
fn assert_unauthorized(response: Response, invalid_token: bool) -> String {
    assert_eq!(response.status(), 401);
    let challenge = response.headers()["www-authenticate"].to_str().expect("ascii").to_string();
    assert!(challenge.starts_with("Bearer realm=\"commerce-policy\""), "{challenge}");
    assert_eq!(challenge.contains("error=\"invalid_token\""), invalid_token, "{challenge}");
    let body: Value = response.json().expect("JSON error body");
    assert!(body["error"]["correlationId"].as_str().is_some_and(|c| !c.is_empty()), "{body}");
    body["error"]["message"].as_str().expect("message").to_string()
}

fn assert_forbidden(response: Response) -> String {
    assert_eq!(response.status(), 403);
    let body: Value = response.json().expect("JSON error body");
    assert_eq!(body["error"]["code"], "Forbidden");
    body["error"]["message"].as_str().expect("message").to_string()
}

#[test]
fn requests_without_a_valid_token_are_401() {
    let s = Signed::start();
    let message = assert_unauthorized(s.get("/v1.0/policies", None), false);
    assert!(message.contains("Bearer"), "{message}");
    assert_unauthorized(s.get("/v1.0/policies", Some("not-a-jwt")), true);
    assert_unauthorized(s.get("/v1.0/policies", Some("a.b.c")), true);

    let graph = s.provider.client_credentials_token_for(WRITER_CLIENT_ID, WRITER_CLIENT_SECRET, GRAPH_SCOPE);
    let message = assert_unauthorized(s.get("/v1.0/policies", Some(&graph)), true);
    assert!(message.contains("audience") && message.contains(LICENSING_RESOURCE), "{message}");

    // A token of the same keys but another issuer than the service was told.
    let sandbox = Sandbox::new();
    let flags = jwt_flags("https://login.example.test/other/v2.0", &s.provider.jwks_url());
    let flags: Vec<&str> = flags.iter().map(String::as_str).collect();
    let other = sandbox.serve(&sandbox.path("store.db"), &flags);
    let response = send(Client::new().get(format!("{}/v1.0/policies", other.url)), Some(&s.writer()));
    let message = assert_unauthorized(response, true);
    assert!(message.contains("issuer"), "{message}");

    // The CLI says "not signed in" (exit 3).
    s.cli("garbage", &["policies", "list"]).assert_fails_with(3);
}

#[test]
fn expired_tokens_are_401() {
    let s = Signed::with(Provider::start_with(Some(Duration::from_secs(1)), None), &["--clock-skew", "0s"]);
    let token = s.writer();
    assert_eq!(s.get("/v1.0/policies", Some(&token)).status(), 200);
    std::thread::sleep(Duration::from_millis(2500));
    let message = assert_unauthorized(s.get("/v1.0/policies", Some(&token)), true);
    assert!(message.contains("expired"), "{message}");
}

#[test]
fn app_roles_grant_read_or_write() {
    let s = Signed::start();
    let writer = s.writer();
    s.cli(&writer, &["product-policies", "update", "--product-id", POWER_BI_PRO, "--value", "Disabled"]).assert_ok();
    assert_eq!(s.put(PRODUCT_PATH, "Enabled", Some(&writer)).status(), 200);

    let reader = s.provider.client_credentials_token(READER_CLIENT_ID, READER_CLIENT_SECRET);
    assert_eq!(s.get(PRODUCT_PATH, Some(&reader)).status(), 200);
    assert_eq!(s.get("/v1.0/audit", Some(&reader)).status(), 200);
    let message = assert_forbidden(s.put(PRODUCT_PATH, "Disabled", Some(&reader)));
    assert!(message.contains("Policy.ReadWrite.AllowSelfServicePurchase"), "{message}");
    s.cli(&reader, &["product-policies", "update", "--product-id", POWER_BI_PRO, "--value", "Disabled"])
        .assert_fails_with(4);

    let nobody = s.provider.client_credentials_token(NO_ROLES_CLIENT_ID, NO_ROLES_CLIENT_SECRET);
    let message = assert_forbidden(s.get("/v1.0/policies", Some(&nobody)));
    assert!(message.contains("Policy.Read.AllowSelfServicePurchase"), "{message}");
    s.cli(&nobody, &["policies", "list"]).assert_fails_with(4);

    let federated = s.provider.assertion_token(FEDERATED_CLIENT_ID, &s.provider.federated_token(FEDERATED_CLIENT_ID));
    assert_eq!(s.put(PRODUCT_PATH, "Disabled", Some(&federated)).status(), 200);
}

#[test]
fn directory_roles_of_users_grant_read_or_write_and_the_audit_log_names_them() {
    let s = Signed::start();
    let admin = s.provider.user_token(ADMIN_USER);
    let billing = s.provider.user_token(BILLING_USER);
    let reader = s.provider.user_token(READER_USER);
    let nobody = s.provider.user_token(NOBODY_USER);

    s.cli(&admin, &["product-policies", "update", "--product-id", POWER_BI_PRO, "--value", "Disabled"]).assert_ok();
    assert_eq!(s.put(PRODUCT_PATH, "Enabled", Some(&billing)).status(), 200);
    assert_eq!(s.get(PRODUCT_PATH, Some(&reader)).status(), 200);
    assert_forbidden(s.put(PRODUCT_PATH, "Disabled", Some(&reader)));
    assert_forbidden(s.get(PRODUCT_PATH, Some(&nobody)));
    let app = s.writer();
    assert_eq!(s.put(PRODUCT_PATH, "Disabled", Some(&app)).status(), 200);

    let audit = s.cli(&reader, &["audit", "-o", "json"]).assert_ok().json();
    let entries = audit.as_array().expect("records");
    assert_eq!(entries.len(), 3, "{audit:#}");
    let (by_app, by_billing, by_admin) = (&entries[0], &entries[1], &entries[2]);
    assert_eq!(by_admin["Actor"], ADMIN_USER);
    assert_eq!(by_admin["ActorUpn"], ADMIN_USER);
    assert_eq!(by_admin["ActorAppId"], DEVICE_CLIENT_ID);
    assert_eq!(by_admin["ActorObjectId"], claims(&admin)["oid"]);
    assert_eq!(by_billing["Actor"], BILLING_USER);
    assert_eq!(by_app["Actor"], WRITER_CLIENT_ID);
    assert_eq!(by_app["ActorAppId"], WRITER_CLIENT_ID);
    assert_eq!(by_app["ActorObjectId"], claims(&app)["oid"]);
    assert!(by_app["ActorUpn"].is_null(), "{by_app}");

    // The wire form, camelCase.
    let wire: Value = s.get("/v1.0/audit?limit=1", Some(&reader)).json().expect("JSON");
    assert_eq!(wire["items"][0]["actorAppId"], WRITER_CLIENT_ID);
}

/// Fills a path template with values that exist, so a refusal cannot be a 404.
fn concrete(template: &str) -> String {
    template
        .replace("{policyId}", "AllowSelfServicePurchase")
        .replace("{productId}", POWER_BI_PRO)
        .replace("{offerType}", "SaaS")
}

#[test]
fn every_documented_route_requires_a_token_and_health_and_the_document_do_not() {
    let s = Signed::start();
    assert_eq!(s.get("/healthz", None).status(), 200);
    let doc: Value = s.get("/openapi.json", None).json().expect("OpenAPI document");
    assert_eq!(doc["components"]["securitySchemes"]["bearer"]["scheme"], "bearer");
    assert_eq!(doc["security"], json!([{ "bearer": [] }]));

    let paths = doc["paths"].as_object().expect("paths");
    let mut checked = 0;
    for (template, operations) in paths {
        for method in operations.as_object().expect("operations").keys() {
            let method: reqwest::Method = method.to_uppercase().parse().expect("an HTTP method");
            let response = Client::new()
                .request(method.clone(), s.url(&concrete(template)))
                .json(&json!({ "policyValue": "Disabled" }))
                .send()
                .expect("answer");
            assert_eq!(response.status(), 401, "{method} {template} answers without a token");
            checked += 1;
        }
    }
    assert!(checked >= 8, "only {checked} operations in the document");
}

#[test]
fn tokens_never_appear_in_the_service_output() {
    let s = Signed::start();
    let writer = s.writer();
    let expired_shape = format!("{}.{}", "eyJhbGciOiJSUzI1NiJ9", URL_SAFE_NO_PAD.encode(b"{\"exp\":1}"));
    let garbage = format!("{expired_shape}.c2lnbmF0dXJl");
    assert_eq!(s.put(PRODUCT_PATH, "Disabled", Some(&writer)).status(), 200);
    assert_eq!(s.get("/v1.0/policies", Some(&garbage)).status(), 401);
    let reader = s.provider.client_credentials_token(READER_CLIENT_ID, READER_CLIENT_SECRET);
    assert_eq!(s.put(PRODUCT_PATH, "Enabled", Some(&reader)).status(), 403);
    let Signed { svc, log, .. } = s;
    svc.terminate();
    let text = std::fs::read_to_string(&log).expect("log");
    assert!(text.contains("request refused"), "the service logged its refusals: {text}");
    for token in [&writer, &garbage, &reader] {
        let signature = token.rsplit('.').next().expect("signature");
        assert!(!text.contains(signature), "a token is in the log:\n{text}");
    }
}

#[test]
fn sign_in_flags_are_checked_before_serving() {
    let sandbox = Sandbox::new();
    let store = sandbox.path("store.db");
    let store = store.to_str().expect("utf-8 path");
    let run = sandbox.run(&["serve", "--listen", "0.0.0.0:0", "--store", store]);
    run.assert_fails_with(2);
    assert!(run.stderr.contains("--auth jwt"), "{run:#?}");
    let run = sandbox.run(&["serve", "--listen", "0.0.0.0:0", "--store", store, "--auth", "jwt"]);
    run.assert_fails_with(2);
    assert!(run.stderr.contains("--issuer"), "{run:#?}");
    let partial = ["serve", "--store", store, "--auth", "jwt", "--issuer", "https://i.test", "--audience", "a"];
    let run = sandbox.run(&partial);
    run.assert_fails_with(2);
    assert!(run.stderr.contains("--jwks-url"), "{run:#?}");
    let missing = sandbox.path("missing.json");
    let run = sandbox.run(&[&partial[..], &["--jwks-file", missing.to_str().expect("utf-8")]].concat());
    run.assert_fails_with(2);
    sandbox.run(&["serve", "--store", store, "--issuer", "https://i.test"]).assert_fails_with(2);
}

#[test]
fn a_jwks_url_that_is_down_answers_503_until_keys_load() {
    let provider = Provider::start();
    let sandbox = Sandbox::new();
    // The provider's address, a path without keys: the service starts anyway.
    let flags = jwt_flags(&provider.issuer(), &format!("{}/no-keys-here", provider.url()));
    let flags: Vec<&str> = flags.iter().map(String::as_str).collect();
    let svc = sandbox.serve(&sandbox.path("store.db"), &flags);
    let token = provider.client_credentials_token(WRITER_CLIENT_ID, WRITER_CLIENT_SECRET);
    let response = send(Client::new().get(format!("{}/v1.0/policies", svc.url)), Some(&token));
    assert_eq!(response.status(), 503);
    let body: Value = response.json().expect("JSON");
    assert!(body["error"]["message"].as_str().is_some_and(|m| m.contains("signing keys")), "{body}");
}

/// An ES256 key of our own in a JWKS file: the file source and the second algorithm.
#[test]
fn es256_tokens_verify_against_a_jwks_file() {
    let sandbox = Sandbox::new();
    let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).expect("P-256 key");
    let point = key.public_key_raw(); // 0x04 || X || Y
    let jwk = json!({ "kty": "EC", "crv": "P-256", "kid": "es-1", "use": "sig",
        "x": URL_SAFE_NO_PAD.encode(&point[1..33]), "y": URL_SAFE_NO_PAD.encode(&point[33..65]) });
    let jwks = sandbox.path("jwks.json");
    std::fs::write(&jwks, json!({ "keys": [jwk] }).to_string()).expect("JWKS written");
    let issuer = "https://issuer.example.test/v2.0";
    let svc = sandbox.serve(
        &sandbox.path("store.db"),
        &[
            "--auth",
            "jwt",
            "--issuer",
            issuer,
            "--audience",
            "api://policy",
            "--jwks-file",
            jwks.to_str().expect("utf-8"),
        ],
    );
    let sign = |roles: &[&str]| {
        let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).expect("clock").as_secs();
        let claims = json!({ "iss": issuer, "aud": "api://policy", "exp": now + 300, "nbf": now, "appid": "es-app",
            "oid": "es-object", "roles": roles });
        let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::ES256);
        header.kid = Some("es-1".into());
        let encoding = jsonwebtoken::EncodingKey::from_ec_pem(key.serialize_pem().as_bytes()).expect("EC key");
        jsonwebtoken::encode(&header, &claims, &encoding).expect("signed")
    };
    let writer = sign(&[ROLE_WRITE]);
    let put = Client::new().put(format!("{}{PRODUCT_PATH}", svc.url)).json(&json!({ "policyValue": "Disabled" }));
    assert_eq!(send(put, Some(&writer)).status(), 200);
    let get = Client::new().get(format!("{}/v1.0/policies", svc.url));
    assert_eq!(send(get, Some(&sign(&[]))).status(), 403);
}
