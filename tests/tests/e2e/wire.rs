//! The service's answers on the wire, as Microsoft's licensing service gives them and the
//! MSCommerce module reads them: paths, field names, headers, error bodies, ETags.

use commerce_e2e::{Sandbox, Service};
use serde_json::{Value, json};

const POLICY: &str = "AllowSelfServicePurchase";
const CORRELATION: &str = "x-ms-correlation-id";

fn keys(v: &Value) -> Vec<&str> {
    let mut k: Vec<&str> = v.as_object().expect("object").keys().map(String::as_str).collect();
    k.sort_unstable();
    k
}

struct Api {
    http: reqwest::Client,
    svc: Service,
    _sandbox: Sandbox,
}

impl Api {
    fn start() -> Self {
        let sandbox = Sandbox::new();
        let svc = sandbox.serve(&sandbox.path("store.db"), &[]);
        Self { http: reqwest::Client::new(), svc, _sandbox: sandbox }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.svc.url)
    }

    /// A request as MSCommerce sends it: bearer token and a correlation id.
    fn request(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        self.http
            .request(method, self.url(path))
            .header("Authorization", "Bearer ignored-on-loopback")
            .header(CORRELATION, "11111111-2222-3333-4444-555555555555")
    }

    async fn get(&self, path: &str) -> reqwest::Response {
        self.request(reqwest::Method::GET, path).send().await.unwrap()
    }

    async fn put(&self, path: &str, body: Value, if_match: Option<&str>) -> reqwest::Response {
        let mut r = self.request(reqwest::Method::PUT, path).json(&body);
        if let Some(tag) = if_match {
            r = r.header("If-Match", tag);
        }
        r.send().await.unwrap()
    }
}

#[tokio::test]
async fn policies_list_and_get_have_microsofts_fields() {
    let api = Api::start();
    let list: Value = api.get("/v1.0/policies").await.json().await.unwrap();
    assert_eq!(keys(&list), ["items"]);
    assert_eq!(keys(&list["items"][0]), ["defaultValue", "description", "id"]);
    let one = api.get(&format!("/v1.0/policies/{POLICY}")).await;
    assert_eq!(one.status(), 200);
    let one: Value = one.json().await.unwrap();
    assert_eq!(one["id"], POLICY);
}

#[tokio::test]
async fn product_list_items_carry_the_product_fields_and_scope() {
    let api = Api::start();
    let list: Value = api.get(&format!("/v1.0/policies/{POLICY}/products?scope=product")).await.json().await.unwrap();
    let items = list["items"].as_array().unwrap();
    assert!(items.len() >= 17);
    for item in items {
        assert_eq!(keys(item), ["policyId", "policyValue", "productId", "productName", "scope"]);
        assert_eq!(item["scope"], "product");
    }
    let offers: Value =
        api.get(&format!("/v1.0/policies/{POLICY}/products?scope=OfferType")).await.json().await.unwrap();
    for item in offers["items"].as_array().unwrap() {
        assert_eq!(keys(item), ["policyId", "policyValue", "scope", "scopeId", "scopeValue"]);
    }
    let bad = api.get(&format!("/v1.0/policies/{POLICY}/products?scope=tenant")).await;
    assert_eq!(bad.status(), 400);
}

#[tokio::test]
async fn one_product_get_and_put_as_mscommerce_does() {
    let api = Api::start();
    let path = format!("/v1.0/policies/{POLICY}/products/CFQ7TTC0H9MP");
    let got = api.get(&path).await;
    assert_eq!(got.status(), 200);
    assert_eq!(got.headers()[CORRELATION], "11111111-2222-3333-4444-555555555555", "correlation id echoed");
    assert!(got.headers().contains_key("etag"));
    let got: Value = got.json().await.unwrap();
    assert_eq!(keys(&got), ["policyId", "policyValue", "productId", "productName"]);
    // MSCommerce sends ConvertTo-Json's pretty output.
    let put = api
        .request(reqwest::Method::PUT, &path)
        .header("Content-Type", "application/json")
        .body("{\r\n    \"policyValue\":  \"Disabled\"\r\n}")
        .send()
        .await
        .unwrap();
    assert_eq!(put.status(), 200);
    let put: Value = put.json().await.unwrap();
    assert_eq!(
        put,
        json!({"policyId": POLICY, "policyValue": "Disabled", "productName": "Power BI Pro", "productId": "CFQ7TTC0H9MP"})
    );
}

#[tokio::test]
async fn offer_type_get_and_put() {
    let api = Api::start();
    let path = format!("/v1.0/policies/{POLICY}/offerTypes/SaaS");
    let put = api.put(&path, json!({"policyValue": "Disabled"}), None).await;
    assert_eq!(put.status(), 200);
    let got: Value = api.get(&path).await.json().await.unwrap();
    assert_eq!(keys(&got), ["policyId", "policyValue", "scope", "scopeId", "scopeValue"]);
    assert_eq!(got["policyValue"], "Disabled");
}

#[tokio::test]
async fn stale_if_match_is_a_412_and_the_value_stays() {
    let api = Api::start();
    let path = format!("/v1.0/policies/{POLICY}/products/CFQ7TTC0HD33");
    let etag = api.get(&path).await.headers()["etag"].to_str().unwrap().to_string();
    let first = api.put(&path, json!({"policyValue": "Disabled"}), Some(&etag)).await;
    assert_eq!(first.status(), 200);
    assert_ne!(first.headers()["etag"].to_str().unwrap(), etag, "a change gets a new ETag");
    let lost = api.put(&path, json!({"policyValue": "Enabled"}), Some(&etag)).await;
    assert_eq!(lost.status(), 412);
    let body: Value = lost.json().await.unwrap();
    assert_eq!(body["error"]["code"], "PreconditionFailed");
    let now: Value = api.get(&path).await.json().await.unwrap();
    assert_eq!(now["policyValue"], "Disabled");
}

#[tokio::test]
async fn errors_are_json_with_code_message_and_correlation_id() {
    let api = Api::start();
    for (method, path, body, status) in [
        ("GET", "/v1.0/policies/NoSuchPolicy", None, 404),
        ("GET", "/v1.0/policies/AllowSelfServicePurchase/products/CFQ7TTC0ZZZZ", None, 404),
        ("GET", "/v1.0/policies/AllowSelfServicePurchase/products/short", None, 400),
        (
            "PUT",
            "/v1.0/policies/AllowSelfServicePurchase/products/CFQ7TTC0H9MP",
            Some("{\"policyValue\":\"Maybe\"}"),
            400,
        ),
        ("PUT", "/v1.0/policies/AllowSelfServicePurchase/products/CFQ7TTC0H9MP", Some("not json"), 400),
        ("DELETE", "/v1.0/policies", None, 405),
        ("GET", "/v2.0/elsewhere", None, 404),
    ] {
        let mut r = api.request(method.parse().unwrap(), path);
        if let Some(body) = body {
            r = r.header("Content-Type", "application/json").body(body);
        }
        let r = r.send().await.unwrap();
        assert_eq!(r.status(), status, "{method} {path}");
        let body: Value = r.json().await.unwrap_or_else(|e| panic!("{method} {path}: not JSON: {e}"));
        assert_eq!(keys(&body["error"]), ["code", "correlationId", "message"], "{method} {path}");
        assert_eq!(body["error"]["correlationId"], "11111111-2222-3333-4444-555555555555");
    }
}

#[tokio::test]
async fn oversized_bodies_are_refused() {
    let api = Api::start();
    let huge = format!("{{\"policyValue\":\"Disabled\",\"pad\":\"{}\"}}", "x".repeat(64 * 1024));
    let r = api
        .request(reqwest::Method::PUT, "/v1.0/policies/AllowSelfServicePurchase/products/CFQ7TTC0H9MP")
        .header("Content-Type", "application/json")
        .body(huge)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 413);
}

#[tokio::test]
async fn a_correlation_id_is_made_when_none_is_sent() {
    let api = Api::start();
    let r = api.http.get(api.url("/healthz")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let id = r.headers()[CORRELATION].to_str().unwrap();
    assert_eq!(id.len(), 36, "a uuid: {id}");
}

/// Every operation the OpenAPI document lists is served, and every route of DESIGN.md's
/// table is in the document.
#[tokio::test]
async fn openapi_document_matches_the_routes() {
    let api = Api::start();
    let doc: Value = api.get("/openapi.json").await.json().await.unwrap();
    let paths = doc["paths"].as_object().expect("paths");
    for (want_path, want_method) in [
        ("/v1.0/policies", "get"),
        ("/v1.0/policies/{policyId}", "get"),
        ("/v1.0/policies/{policyId}/products", "get"),
        ("/v1.0/policies/{policyId}/products/{productId}", "get"),
        ("/v1.0/policies/{policyId}/products/{productId}", "put"),
        ("/v1.0/policies/{policyId}/offerTypes/{offerType}", "get"),
        ("/v1.0/policies/{policyId}/offerTypes/{offerType}", "put"),
        ("/v1.0/audit", "get"),
    ] {
        assert!(
            paths.get(want_path).and_then(|p| p.get(want_method)).is_some(),
            "{want_method} {want_path} documented"
        );
    }
    for (path, ops) in paths {
        let concrete =
            path.replace("{policyId}", POLICY).replace("{productId}", "CFQ7TTC0H9MP").replace("{offerType}", "SaaS");
        for method in ops.as_object().unwrap().keys() {
            let mut r = api.request(method.to_uppercase().parse().unwrap(), &concrete);
            if method == "put" {
                r = r.json(&json!({"policyValue": "Enabled"}));
            }
            if !path.starts_with("/v1.0/policies") && path != "/v1.0/audit" {
                // The administration's operations need ids and bodies (admin_*.rs drive them):
                // here each only has to be served, not answered "no such route" or 405.
                let r = r.json(&json!({})).send().await.unwrap();
                let status = r.status();
                let body = r.text().await.unwrap();
                assert!(status != 405 && !body.contains("no such route"), "{method} {concrete} is served: {body}");
                continue;
            }
            let r = r.send().await.unwrap();
            assert_eq!(r.status(), 200, "{method} {concrete} answers as documented");
        }
    }
}
