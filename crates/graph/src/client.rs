//! The requests: one loop that sends, retries what the retry policy allows and turns a
//! refusal into a [`GraphError`]; paging through `@odata.nextLink`.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use bytes::Bytes;
use commerce_client::{HttpTransport, RetryPolicy, Transport, is_transient, parse_retry_after};
use http::{Method, header};
use serde::de::DeserializeOwned;

use crate::wire::{CompanySubscription, DirectoryUser, Page, USER_FIELDS, error_message};
use crate::{GraphError, SUBSCRIPTIONS_PERMISSION, USERS_PERMISSION};

/// A client of one Graph host (`https://graph.microsoft.com`, a national cloud's, or a
/// stand-in), with one token.
#[derive(Clone)]
pub struct GraphClient {
    transport: Arc<dyn Transport>,
    base: String,
    token: String,
    pub(crate) retry: RetryPolicy,
    /// Requests sent (retries included), by this client and its clones: the figure
    /// docs/performance.md reports.
    calls: Arc<AtomicU64>,
}

impl std::fmt::Debug for GraphClient {
    // Hand-written so the token never reaches a log through `{:?}`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GraphClient").field("base", &self.base).finish_non_exhaustive()
    }
}

/// One read, for the request loop: what it is called in messages and which permission a
/// 403 means is missing.
pub(crate) struct Read<'a> {
    pub what: &'a str,
    pub permission: &'static str,
}

impl GraphClient {
    /// A client of the Graph host `base` (scheme and host), sending `token`.
    pub fn new(base: &str, token: String, timeout: Duration) -> Result<Self, GraphError> {
        let base = base.trim().trim_end_matches('/').to_string();
        let uri: http::Uri =
            base.parse().map_err(|_| GraphError::Config(format!("--graph-endpoint '{base}' is not a URL")))?;
        if !matches!(uri.scheme_str(), Some("http" | "https")) || uri.host().is_none() || uri.path().len() > 1 {
            return Err(GraphError::Config(format!(
                "--graph-endpoint '{base}' is not the root of a Graph host (like https://graph.microsoft.com)"
            )));
        }
        let transport = HttpTransport::new(timeout).map_err(|e| GraphError::Config(e.to_string()))?;
        Ok(Self { transport: Arc::new(transport), base, token, retry: RetryPolicy::default(), calls: Arc::default() })
    }

    pub fn with_retry(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    /// The requests sent so far, retries included.
    pub fn calls(&self) -> u64 {
        self.calls.load(Ordering::Relaxed)
    }

    pub fn base(&self) -> &str {
        &self.base
    }

    /// Every subscription of the tenant, all pages.
    pub async fn subscriptions(&self) -> Result<Vec<CompanySubscription>, GraphError> {
        let read = Read { what: "listing the tenant's subscriptions", permission: SUBSCRIPTIONS_PERMISSION };
        self.all_pages("/v1.0/directory/subscriptions", &read).await
    }

    /// One subscription by its id.
    pub async fn subscription(&self, id: &str) -> Result<CompanySubscription, GraphError> {
        let what = format!("reading subscription {id}");
        let read = Read { what: &what, permission: SUBSCRIPTIONS_PERMISSION };
        let id = uuid::Uuid::try_parse(id)
            .map_err(|_| GraphError::Config(format!("'{id}' is not a subscription id (a GUID)")))?;
        let path = format!("/v1.0/directory/subscriptions/{id}");
        self.get(&self.url(&path), &read).await.map_err(|e| not_found(e, format!("subscription {id}")))
    }

    /// The users holding a license of the SKU, all pages.
    pub async fn users_with_sku(&self, sku_id: &str) -> Result<Vec<DirectoryUser>, GraphError> {
        let what = format!("listing the users holding SKU {sku_id}");
        let read = Read { what: &what, permission: USERS_PERMISSION };
        let sku =
            uuid::Uuid::try_parse(sku_id).map_err(|_| GraphError::Config(format!("'{sku_id}' is not a SKU id")))?;
        let filter = format!("assignedLicenses/any(x:x/skuId eq {sku})");
        let query = form_query(&[("$filter", &filter), ("$select", USER_FIELDS), ("$top", "999")]);
        self.all_pages(&format!("/v1.0/users?{query}"), &read).await
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// A collection, following `@odata.nextLink` (an absolute URL) only on this client's host:
    /// the token never goes anywhere else.
    async fn all_pages<T: DeserializeOwned>(&self, path: &str, read: &Read<'_>) -> Result<Vec<T>, GraphError> {
        let mut items = Vec::new();
        let mut next = Some(self.url(path));
        while let Some(url) = next.take() {
            let page: Page<T> = self.get(&url, read).await?;
            items.extend(page.value);
            next = match page.next_link {
                Some(link) if link.starts_with(&format!("{}/", self.base)) => Some(link),
                Some(link) => {
                    return Err(GraphError::Decode {
                        what: read.what.to_string(),
                        message: format!(
                            "its next page is on another host ({}), where the token is not sent",
                            origin(&link)
                        ),
                        request_id: String::new(),
                    });
                }
                None => None,
            };
        }
        Ok(items)
    }

    async fn get<T: DeserializeOwned>(&self, url: &str, read: &Read<'_>) -> Result<T, GraphError> {
        let (body, request_id) = self.send(Method::GET, url, None, read).await?;
        serde_json::from_slice(&body).map_err(|e| GraphError::Decode {
            what: read.what.to_string(),
            message: e.to_string(),
            request_id,
        })
    }

    /// Sends one request, retrying throttling and transient failures as the policy allows;
    /// the answer's body and Graph's request id.
    pub(crate) async fn send(
        &self,
        method: Method,
        url: &str,
        body: Option<Bytes>,
        read: &Read<'_>,
    ) -> Result<(Bytes, String), GraphError> {
        let client_request_id = uuid::Uuid::new_v4().to_string();
        let started = Instant::now();
        let (mut attempt, mut blind) = (1u32, 0u32);
        loop {
            self.calls.fetch_add(1, Ordering::Relaxed);
            let outcome = self.transport.send(self.request(&method, url, body.clone(), &client_request_id)?).await;
            let retry_after = match &outcome {
                Ok(r) if is_transient(r.status().as_u16()) => Some(retry_after(r.headers())),
                Err(e) if e.is_transient() => Some(None),
                _ => None,
            };
            if let Some(wanted) = retry_after {
                blind += u32::from(wanted.is_none());
                if let Some(wait) = self.retry.delay(attempt, blind, started.elapsed(), wanted) {
                    tracing::debug!(%method, url = %path_of(url), attempt, ?wait, "Graph: retrying");
                    tokio::time::sleep(wait).await;
                    attempt += 1;
                    continue;
                }
            }
            return answer(outcome, read, &client_request_id, attempt);
        }
    }

    fn request(
        &self,
        method: &Method,
        url: &str,
        body: Option<Bytes>,
        client_request_id: &str,
    ) -> Result<http::Request<Bytes>, GraphError> {
        let mut auth = http::HeaderValue::from_str(&format!("Bearer {}", self.token))
            .map_err(|_| GraphError::Config("the Graph token has characters a header cannot carry".into()))?;
        auth.set_sensitive(true);
        let mut builder = http::Request::builder()
            .method(method.clone())
            .uri(url)
            .header(header::ACCEPT, "application/json")
            .header(header::AUTHORIZATION, auth)
            .header("client-request-id", client_request_id);
        if body.is_some() {
            builder = builder.header(header::CONTENT_TYPE, "application/json");
        }
        builder
            .body(body.unwrap_or_default())
            .map_err(|e| GraphError::Config(format!("bad Graph request {}: {e}", path_of(url))))
    }
}

/// `Retry-After` of an answer (or of one answer inside a `$batch`).
pub(crate) fn retry_after(headers: &http::HeaderMap) -> Option<Duration> {
    headers.get(header::RETRY_AFTER).and_then(|v| v.to_str().ok()).and_then(parse_retry_after)
}

/// The body of a successful answer, or the error it is.
fn answer(
    outcome: Result<http::Response<Bytes>, commerce_client::TransportError>,
    read: &Read<'_>,
    client_request_id: &str,
    attempts: u32,
) -> Result<(Bytes, String), GraphError> {
    let response = outcome.map_err(|e| GraphError::Unreachable {
        what: read.what.to_string(),
        message: e.to_string(),
        attempts,
    })?;
    let request_id =
        response.headers().get("request-id").and_then(|v| v.to_str().ok()).unwrap_or(client_request_id).to_string();
    let status = response.status().as_u16();
    if response.status().is_success() {
        return Ok((response.into_body(), request_id));
    }
    let (_, message) = error_message(response.body());
    Err(refusal(status, message, read, request_id, attempts))
}

/// The error an error status is.
pub(crate) fn refusal(status: u16, message: String, read: &Read<'_>, request_id: String, attempts: u32) -> GraphError {
    let what = read.what.to_string();
    match status {
        401 => GraphError::Unauthorized { what, message, request_id },
        403 => GraphError::MissingPermission { what, permission: read.permission, message, request_id },
        404 => GraphError::NotFound { what, subject: "such object".into(), request_id },
        _ => GraphError::Status { what, status, message, request_id, attempts },
    }
}

/// A 404 named for what was looked for.
fn not_found(e: GraphError, subject: String) -> GraphError {
    match e {
        GraphError::NotFound { what, request_id, .. } => GraphError::NotFound { what, subject, request_id },
        e => e,
    }
}

/// Characters a query value keeps as they are: OData's syntax stays readable in logs.
const KEPT: &[u8] = b"-_.~$,/:()";

fn form_query(pairs: &[(&str, &str)]) -> String {
    let encode = |value: &str| -> String {
        value
            .bytes()
            .map(|b| match b {
                b if b.is_ascii_alphanumeric() || KEPT.contains(&b) => (b as char).to_string(),
                b => format!("%{b:02X}"),
            })
            .collect()
    };
    pairs.iter().map(|(name, value)| format!("{name}={}", encode(value))).collect::<Vec<_>>().join("&")
}

/// A URL's path, for logs (queries can be long).
fn path_of(url: &str) -> &str {
    url.split('?').next().unwrap_or(url)
}

/// A URL's scheme and host, for a message.
fn origin(url: &str) -> String {
    url.parse::<http::Uri>().ok().and_then(|u| u.host().map(str::to_string)).unwrap_or_else(|| "?".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queries_keep_graphs_syntax_readable_and_encode_the_rest() {
        let q = form_query(&[("$filter", "assignedLicenses/any(x:x/skuId eq 1)"), ("$select", "id,mail")]);
        assert_eq!(q, "$filter=assignedLicenses/any(x:x/skuId%20eq%201)&$select=id,mail");
    }

    #[test]
    fn only_a_graph_hosts_root_is_an_endpoint() {
        assert!(GraphClient::new("https://graph.microsoft.com/", "t".into(), Duration::from_secs(1)).is_ok());
        assert!(GraphClient::new("https://graph.microsoft.com/v1.0", "t".into(), Duration::from_secs(1)).is_err());
        assert!(GraphClient::new("ftp://x", "t".into(), Duration::from_secs(1)).is_err());
    }
}
