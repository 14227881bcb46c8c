//! A stand-in for Microsoft Graph v1.0, shaped as Microsoft documents it, for the commands that
//! read a tenant: `GET /v1.0/directory/subscriptions` (paged with `@odata.nextLink`), one
//! subscription by id, `GET /v1.0/users?$filter=assignedLicenses/any(x:x/skuId eq …)` (paged),
//! and `POST /v1.0/$batch` (at most 20 requests, each `GET /users/{id}`). It checks the
//! bearer token — signed by tests/oidc for the Graph audience — and can answer a 429 with
//! `Retry-After`, a 403 for a permission not granted, and take a fixed time per answer. It
//! counts the requests it answered, for the tests that bound them.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{Value, json};

/// Graph's audiences: its app id and its host.
const AUDIENCES: [&str; 2] = ["00000003-0000-0000-c000-000000000000", "https://graph.microsoft.com"];

/// A user of the stand-in's directory and the SKUs it holds.
#[derive(Debug, Clone)]
pub struct GraphUser {
    pub id: String,
    pub upn: String,
    pub display_name: String,
    pub mail: Option<String>,
    pub skus: Vec<String>,
}

/// The tenant the stand-in shows.
#[derive(Debug, Clone, Default)]
pub struct GraphTenant {
    /// `companySubscription` objects as Graph answers them.
    pub subscriptions: Vec<Value>,
    pub users: Vec<GraphUser>,
}

/// A GUID made from two numbers, so tests can name objects.
pub fn guid(kind: u32, n: u64) -> String {
    format!("{kind:08x}-0000-4000-8000-{n:012x}")
}

pub const POWER_BI_PRO: &str = "f8a1db68-be16-40ed-86d5-cb42ce701560";
pub const VISIO_PLAN_2: &str = "c5928f49-12ba-48f7-ada3-0d743a3601d5";
/// A SKU the shipped name table does not know.
pub const UNKNOWN_SKU: &str = "0badc0de-0000-4000-8000-000000000001";

impl GraphTenant {
    /// A `companySubscription` as Graph's reference shows one.
    pub fn subscription(n: u64, sku: &str, part: &str, owner: Option<&str>, created: &str, status: &str) -> Value {
        json!({
            "id": guid(1, n),
            "commerceSubscriptionId": guid(2, n),
            "createdDateTime": created,
            "isTrial": false,
            "nextLifecycleDateTime": "2027-12-01T00:00:00Z",
            "ownerId": owner,
            "ownerTenantId": null,
            "ownerType": if owner.is_some() { "User" } else { "Company" },
            "serviceStatus": [{ "servicePlanId": guid(3, n), "servicePlanName": "EXCHANGE_S_FOUNDATION", "provisioningStatus": "Success", "appliesTo": "User" }],
            "skuId": sku,
            "skuPartNumber": part,
            "status": status,
            "totalLicenses": 1 + n % 5,
        })
    }

    /// Adds subscription `n` of `sku`, bought by `upn` (a user added on first use, named after
    /// it, holding the SKU).
    pub fn buy(&mut self, n: u64, upn: &str, (sku, part): (&str, &str), created: &str, status: &str) {
        if !self.users.iter().any(|u| u.upn == upn) {
            let name = upn.split('@').next().unwrap_or(upn).to_string();
            let id = guid(9, 1_000_000 + self.users.len() as u64);
            self.users.push(GraphUser { id, upn: upn.into(), display_name: name, mail: None, skus: Vec::new() });
        }
        let user = self.users.iter_mut().find(|u| u.upn == upn).expect("added");
        if !user.skus.iter().any(|s| s == sku) {
            user.skus.push(sku.into());
        }
        let owner = user.id.clone();
        self.subscriptions.push(Self::subscription(n, sku, part, Some(&owner), created, status));
    }

    /// `n` self-service purchases of Power BI Pro, each by its own user who holds it, and one
    /// central subscription of Visio.
    pub fn with_purchases(n: u64) -> Self {
        let mut tenant = GraphTenant::default();
        for i in 0..n {
            let user = GraphUser {
                id: guid(9, i),
                upn: format!("buyer{i}@contoso.test"),
                display_name: format!("Buyer {i}"),
                mail: Some(format!("buyer{i}@contoso.test")),
                skus: vec![POWER_BI_PRO.into()],
            };
            let created = format!("2026-11-{:02}T09:00:00Z", 1 + i % 28);
            tenant.subscriptions.push(Self::subscription(
                i,
                POWER_BI_PRO,
                "POWER_BI_PRO",
                Some(&user.id),
                &created,
                "Enabled",
            ));
            tenant.users.push(user);
        }
        tenant.subscriptions.push(Self::subscription(
            n,
            VISIO_PLAN_2,
            "VISIOCLIENT",
            None,
            "2025-01-01T00:00:00Z",
            "Enabled",
        ));
        tenant
    }
}

/// How the stand-in behaves.
#[derive(Debug, Clone, Default)]
pub struct GraphOptions {
    /// Items per page of a collection (Graph's default for subscriptions is 100).
    pub page_size: usize,
    /// Time taken before every answer.
    pub latency: Duration,
    /// Answer the first request of each of these kinds (`subscriptions`, `batch`, `users`)
    /// with 429 and `Retry-After: 1` (inside a batch: the first inner request).
    pub throttle_once: Vec<&'static str>,
    /// Permissions not granted: their endpoints answer 403 `Authorization_RequestDenied`.
    pub denied: Vec<&'static str>,
    /// The JWKS that signs accepted tokens (tests/oidc's); `None` accepts `static_token`.
    pub jwks: Option<Value>,
    pub static_token: Option<String>,
    /// Next pages on another host (a hostile or broken answer): the token must not follow.
    pub foreign_next_link: bool,
}

/// The requests answered, by kind.
#[derive(Debug, Default)]
pub struct Calls {
    pub total: AtomicU64,
    pub subscriptions: AtomicU64,
    pub batch: AtomicU64,
    pub users: AtomicU64,
    /// The most requests one `$batch` carried.
    pub largest_batch: AtomicU64,
}

/// A running stand-in; it stops with the test process.
pub struct GraphStandIn {
    pub url: String,
    pub calls: Arc<Calls>,
}

struct State {
    tenant: GraphTenant,
    options: GraphOptions,
    base: String,
    calls: Arc<Calls>,
    throttled: Mutex<Vec<&'static str>>,
}

impl GraphStandIn {
    pub fn start(tenant: GraphTenant, mut options: GraphOptions) -> Self {
        if options.page_size == 0 {
            options.page_size = 100;
        }
        let listener = TcpListener::bind("127.0.0.1:0").expect("a loopback port");
        let url = format!("http://{}", listener.local_addr().expect("address"));
        let calls = Arc::new(Calls::default());
        let state = Arc::new(State {
            tenant,
            options,
            base: url.clone(),
            calls: calls.clone(),
            throttled: Mutex::new(Vec::new()),
        });
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let state = state.clone();
                std::thread::spawn(move || serve(&state, stream));
            }
        });
        Self { url, calls }
    }

    /// The JWKS of `provider`, for [`GraphOptions::jwks`].
    pub fn jwks_of(provider: &crate::Provider) -> Value {
        let text = reqwest::blocking::get(provider.jwks_url()).and_then(|r| r.text()).expect("the provider's JWKS");
        serde_json::from_str(&text).expect("JWKS is JSON")
    }

    pub fn total(&self) -> u64 {
        self.calls.total.load(Ordering::SeqCst)
    }
}

/// One HTTP/1.1 exchange, then the connection closes.
fn serve(state: &State, stream: TcpStream) {
    let mut reader = BufReader::new(stream.try_clone().expect("stream"));
    let mut head = String::new();
    let mut headers = HashMap::new();
    if reader.read_line(&mut head).unwrap_or(0) == 0 {
        return;
    }
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 || line.trim().is_empty() {
            break;
        }
        if let Some((name, value)) = line.split_once(':') {
            headers.insert(name.trim().to_ascii_lowercase(), value.trim().to_string());
        }
    }
    let length: usize = headers.get("content-length").and_then(|v| v.parse().ok()).unwrap_or(0);
    let mut body = vec![0; length];
    let _ = reader.read_exact(&mut body);
    let mut parts = head.split_whitespace();
    let (method, target) = (parts.next().unwrap_or(""), parts.next().unwrap_or("/").to_string());
    std::thread::sleep(state.options.latency);
    state.calls.total.fetch_add(1, Ordering::SeqCst);
    let (status, extra, answer) = match authorized(state, headers.get("authorization")) {
        Err(why) => (401, vec![], error("InvalidAuthenticationToken", &why)),
        Ok(()) => route(state, method, &target, &body),
    };
    respond(stream, status, &extra, &answer);
}

fn respond(mut stream: TcpStream, status: u16, extra: &[(&str, String)], body: &Value) {
    let text = body.to_string();
    let mut head = format!(
        "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\ncontent-length: {}\r\nrequest-id: {}\r\nconnection: close\r\n",
        text.len(),
        guid(7, u64::from(status))
    );
    for (name, value) in extra {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    let _ = stream.write_all(format!("{head}\r\n{text}").as_bytes());
}

fn error(code: &str, message: &str) -> Value {
    json!({ "error": { "code": code, "message": message, "innerError": { "date": "2026-12-01T00:00:00", "request-id": guid(7, 0), "client-request-id": guid(7, 1) } } })
}

/// The bearer token: signed by the provider's keys for Graph's audience, or the static one.
fn authorized(state: &State, header: Option<&String>) -> Result<(), String> {
    let token = header.and_then(|h| h.strip_prefix("Bearer ")).ok_or("no bearer token")?;
    if let Some(expected) = &state.options.static_token {
        return if token == expected { Ok(()) } else { Err("not the token expected".into()) };
    }
    let jwks: jsonwebtoken::jwk::JwkSet =
        serde_json::from_value(state.options.jwks.clone().ok_or("no keys")?).map_err(|e| e.to_string())?;
    let kid = jsonwebtoken::decode_header(token).map_err(|e| e.to_string())?.kid.unwrap_or_default();
    let jwk = jwks.find(&kid).ok_or("unknown signing key")?;
    let key = jsonwebtoken::DecodingKey::from_jwk(jwk).map_err(|e| e.to_string())?;
    let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::RS256);
    validation.set_audience(&AUDIENCES);
    jsonwebtoken::decode::<Value>(token, &key, &validation).map(|_| ()).map_err(|e| format!("token refused: {e}"))
}

type Answer = (u16, Vec<(&'static str, String)>, Value);

/// Whether this kind's first request is to be throttled (once).
fn throttle(state: &State, kind: &'static str) -> bool {
    let mut done = state.throttled.lock().expect("lock");
    let wanted = state.options.throttle_once.contains(&kind) && !done.contains(&kind);
    if wanted {
        done.push(kind);
    }
    wanted
}

fn throttled() -> Answer {
    (429, vec![("retry-after", "1".into())], error("TooManyRequests", "Too many requests, retry after 1 second"))
}

fn denied(state: &State, permission: &str) -> Option<Answer> {
    state.options.denied.contains(&permission).then(|| {
        (403, vec![], error("Authorization_RequestDenied", "Insufficient privileges to complete the operation."))
    })
}

fn route(state: &State, method: &str, target: &str, body: &[u8]) -> Answer {
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let query = decode(query);
    match (method, path) {
        ("GET", "/v1.0/directory/subscriptions") => {
            state.calls.subscriptions.fetch_add(1, Ordering::SeqCst);
            if let Some(refusal) = denied(state, "Organization.Read.All") {
                return refusal;
            }
            if throttle(state, "subscriptions") {
                return throttled();
            }
            page(state, path, &query, &state.tenant.subscriptions, "$metadata#directory/subscriptions")
        }
        ("GET", p) if p.starts_with("/v1.0/directory/subscriptions/") => {
            let id = &p["/v1.0/directory/subscriptions/".len()..];
            if let Some(refusal) = denied(state, "Organization.Read.All") {
                return refusal;
            }
            match state.tenant.subscriptions.iter().find(|s| s["id"] == id) {
                Some(s) => (200, vec![], s.clone()),
                None => (404, vec![], error("ResourceNotFound", &format!("Resource '{id}' does not exist"))),
            }
        }
        ("GET", "/v1.0/users") => users_with_sku(state, path, &query),
        // One user by id: what a client without `$batch` asks once per subscription.
        ("GET", p) if p.starts_with("/v1.0/users/") => {
            state.calls.users.fetch_add(1, Ordering::SeqCst);
            let id = &p["/v1.0/users/".len()..];
            match state.tenant.users.iter().find(|u| u.id == id) {
                Some(user) => (200, vec![], user_json(user)),
                None => (404, vec![], error("Request_ResourceNotFound", &format!("Resource '{id}' does not exist"))),
            }
        }
        ("POST", "/v1.0/$batch") => batch(state, body),
        _ => (404, vec![], error("BadRequest", &format!("Resource not found for the segment '{path}'."))),
    }
}

/// `%XX` and `+` decoded, then split into pairs.
fn decode(query: &str) -> HashMap<String, String> {
    let text = query.replace('+', " ");
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && let Ok(b) = u8::from_str_radix(text.get(i + 1..i + 3).unwrap_or("zz"), 16)
        {
            out.push(b);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out)
        .split('&')
        .filter_map(|p| p.split_once('=').map(|(k, v)| (k.to_string(), v.to_string())))
        .collect()
}

/// One page of `items` from `$skiptoken`, with the next page's absolute link.
fn page(state: &State, path: &str, query: &HashMap<String, String>, items: &[Value], context: &str) -> Answer {
    let start: usize = query.get("$skiptoken").and_then(|s| s.parse().ok()).unwrap_or(0);
    let size =
        query.get("$top").and_then(|t| t.parse().ok()).unwrap_or(state.options.page_size).min(state.options.page_size);
    let end = (start + size).min(items.len());
    let mut answer =
        json!({ "@odata.context": format!("{}/v1.0/{context}", state.base), "value": items[start.min(end)..end] });
    if end < items.len() {
        let mut rest: Vec<String> = query
            .iter()
            .filter(|(k, _)| *k != "$skiptoken")
            .map(|(k, v)| format!("{k}={}", v.replace(' ', "%20")))
            .collect();
        rest.push(format!("$skiptoken={end}"));
        let base = if state.options.foreign_next_link { "http://evil.test" } else { state.base.as_str() };
        answer["@odata.nextLink"] = json!(format!("{base}{path}?{}", rest.join("&")));
    }
    (200, vec![], answer)
}

fn user_json(user: &GraphUser) -> Value {
    json!({ "id": user.id, "userPrincipalName": user.upn, "displayName": user.display_name, "mail": user.mail })
}

/// `$filter=assignedLicenses/any(x:x/skuId eq GUID)`, the one filter the commands use.
fn users_with_sku(state: &State, path: &str, query: &HashMap<String, String>) -> Answer {
    state.calls.users.fetch_add(1, Ordering::SeqCst);
    if let Some(refusal) = denied(state, "User.Read.All") {
        return refusal;
    }
    if throttle(state, "users") {
        return throttled();
    }
    let filter = query.get("$filter").cloned().unwrap_or_default();
    let Some(sku) = filter.strip_prefix("assignedLicenses/any(x:x/skuId eq ").and_then(|f| f.strip_suffix(')')) else {
        return (400, vec![], error("Request_UnsupportedQuery", &format!("Unsupported query: {filter}")));
    };
    let holders: Vec<Value> =
        state.tenant.users.iter().filter(|u| u.skus.iter().any(|s| s == sku)).map(user_json).collect();
    page(state, path, query, &holders, "$metadata#users(id,userPrincipalName,displayName,mail)")
}

/// `$batch`: each inner `GET /users/{id}?$select=…` answered as Graph would on its own.
fn batch(state: &State, body: &[u8]) -> Answer {
    state.calls.batch.fetch_add(1, Ordering::SeqCst);
    let Ok(request) = serde_json::from_slice::<Value>(body) else {
        return (400, vec![], error("BadRequest", "Invalid batch payload format."));
    };
    let inner = request["requests"].as_array().cloned().unwrap_or_default();
    if inner.len() > 20 {
        return (400, vec![], error("BadRequest", "Number of requests in the batch must not exceed 20."));
    }
    state.calls.largest_batch.fetch_max(inner.len() as u64, Ordering::SeqCst);
    let throttle_one = throttle(state, "batch");
    let responses: Vec<Value> = inner
        .iter()
        .enumerate()
        .map(|(n, r)| {
            let id = r["id"].clone();
            let url = r["url"].as_str().unwrap_or_default();
            let user_id = url.strip_prefix("/users/").and_then(|u| u.split('?').next()).unwrap_or_default();
            if n == 0 && throttle_one {
                return json!({ "id": id, "status": 429, "headers": { "Retry-After": "1" }, "body": error("TooManyRequests", "Too many requests") });
            }
            if state.options.denied.contains(&"User.Read.All") {
                return json!({ "id": id, "status": 403, "body": error("Authorization_RequestDenied", "Insufficient privileges to complete the operation.") });
            }
            match state.tenant.users.iter().find(|u| u.id == user_id) {
                Some(user) => json!({ "id": id, "status": 200, "headers": { "Content-Type": "application/json" }, "body": user_json(user) }),
                None => json!({ "id": id, "status": 404, "body": error("Request_ResourceNotFound", &format!("Resource '{user_id}' does not exist")) }),
            }
        })
        .collect();
    (200, vec![], json!({ "responses": responses }))
}

/// A tenant read end to end: tests/oidc issuing Graph tokens, the stand-in checking them,
/// and the binary pointed at both (`--endpoint microsoft --graph-endpoint <stand-in>`).
pub struct GraphFixture {
    pub provider: crate::Provider,
    pub graph: GraphStandIn,
    /// An app-only token of tests/oidc for Graph's audience.
    pub token: String,
    pub sandbox: crate::Sandbox,
}

impl GraphFixture {
    pub fn start(tenant: GraphTenant, options: GraphOptions) -> Self {
        let provider = crate::Provider::start();
        let jwks = GraphStandIn::jwks_of(&provider);
        let graph = GraphStandIn::start(tenant, GraphOptions { jwks: Some(jwks), ..options });
        let token = provider.client_credentials_token_for(
            crate::oidc::WRITER_CLIENT_ID,
            crate::oidc::WRITER_CLIENT_SECRET,
            crate::oidc::GRAPH_SCOPE,
        );
        Self { provider, graph, token, sandbox: crate::Sandbox::new() }
    }

    /// The binary against the tenant, with the Graph token handed in.
    pub fn run(&self, args: &[&str]) -> crate::Run {
        let mut command = self.sandbox.command();
        command.env("COMMERCE_POLICY_GRAPH_ACCESS_TOKEN", &self.token);
        self.sandbox.run_command(command, &self.tenant_args(args), "")
    }

    /// `args` after the flags that point at the tenant.
    pub fn tenant_args<'a>(&'a self, args: &[&'a str]) -> Vec<&'a str> {
        let mut all = vec!["--endpoint", "microsoft", "--graph-endpoint", self.graph.url.as_str()];
        all.extend_from_slice(args);
        all
    }
}
