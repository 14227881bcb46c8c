//! The v1.0 calls, one method each, over a [`Transport`] with retries.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use bytes::Bytes;
use commerce_model::admin::ACTING_USER_HEADER;
use commerce_model::wire::{AuditEntry, Items, Policy, PolicyUpdate, ProductPolicy, ScopedPolicy};
use commerce_model::{CORRELATION_HEADER, PREFER_ETAGS, PolicyId, PolicyValue, Scope, Target};
use http::{Method, header};
use serde::de::DeserializeOwned;

use crate::error::error_message;
use crate::retry::{is_transient, parse_retry_after};
use crate::{ClientError, HttpTransport, RetryPolicy, Transport, TransportError};

/// An answer with its entity tag (our service sends one; Microsoft's does not) and the
/// correlation id it was answered under.
#[derive(Debug, Clone)]
pub struct Versioned<T> {
    pub value: T,
    pub etag: Option<String>,
    pub correlation_id: String,
}

/// A client of one service.
#[derive(Clone)]
pub struct Client {
    transport: Arc<dyn Transport>,
    base_url: String,
    token: Option<String>,
    retry: RetryPolicy,
    /// Retries made by this client and its clones, for a command's summary.
    retries: Arc<AtomicU64>,
    /// The user of the directory who acts (`--as`), for a service without sign-in.
    acting_user: Option<String>,
}

impl std::fmt::Debug for Client {
    // Hand-written so the token can never reach a log or an error through `{:?}`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client").field("base_url", &self.base_url).field("retry", &self.retry).finish_non_exhaustive()
    }
}

impl Client {
    /// A client of the service at `base_url` (scheme and host, like
    /// `https://licensing.m365.microsoft.com`), over HTTP.
    pub fn http(base_url: &str, timeout: Duration) -> Result<Self, ClientError> {
        let url = base_url.trim_end_matches('/');
        let parsed: http::Uri = url.parse().map_err(|_| ClientError::Config(format!("'{base_url}' is not a URL")))?;
        if !matches!(parsed.scheme_str(), Some("http" | "https")) || parsed.host().is_none() {
            return Err(ClientError::Config(format!("'{base_url}' is not an http:// or https:// URL")));
        }
        let transport = HttpTransport::new(timeout).map_err(|e| ClientError::Config(e.to_string()))?;
        Ok(Self::with_transport(url, Arc::new(transport)))
    }

    /// A client over any transport, such as an in-process service.
    pub fn with_transport(base_url: &str, transport: Arc<dyn Transport>) -> Self {
        Self {
            transport,
            base_url: base_url.trim_end_matches('/').to_string(),
            token: None,
            retry: RetryPolicy::default(),
            retries: Arc::default(),
            acting_user: None,
        }
    }

    /// Sends `Authorization: Bearer <token>` with every request.
    pub fn with_token(mut self, token: Option<String>) -> Self {
        self.token = token.filter(|t| !t.trim().is_empty());
        self
    }

    /// Sends [`ACTING_USER_HEADER`] naming `upn`: on a service without sign-in, that user of
    /// its directory acts instead of the admin (the binary's `--as`).
    pub fn acting_as(mut self, upn: Option<String>) -> Self {
        self.acting_user = upn.filter(|u| !u.trim().is_empty());
        self
    }

    pub fn with_retry(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// How many requests were sent again (throttled, failed or unanswered) so far.
    pub fn retries(&self) -> u64 {
        self.retries.load(Ordering::Relaxed)
    }

    pub async fn policies(&self) -> Result<Vec<Policy>, ClientError> {
        let list: Versioned<Items<Policy>> = self.call(Request::get("/v1.0/policies".into())).await?;
        Ok(list.value.items)
    }

    pub async fn policy(&self, policy: &PolicyId) -> Result<Policy, ClientError> {
        Ok(self.call(Request::get(format!("/v1.0/policies/{policy}"))).await?.value)
    }

    /// Every value of a policy in a scope; items of our service carry their entity tags.
    pub async fn list(&self, policy: &PolicyId, scope: Scope) -> Result<Vec<ScopedPolicy>, ClientError> {
        let request = Request { prefer: Some(PREFER_ETAGS), ..Request::get(list_path(policy, scope)) };
        let list: Versioned<Items<ScopedPolicy>> = self.call(request).await?;
        Ok(list.value.items)
    }

    /// Every product's value of a policy.
    pub async fn product_policies(&self, policy: &PolicyId) -> Result<Vec<ProductPolicy>, ClientError> {
        let list: Versioned<Items<ProductPolicy>> = self.call(Request::get(list_path(policy, Scope::Product))).await?;
        Ok(list.value.items)
    }

    /// A policy's value for one product (former ids answer for the current one) or offer type.
    pub async fn get(&self, policy: &PolicyId, target: &Target) -> Result<Versioned<ScopedPolicy>, ClientError> {
        self.call(Request::get(target.path(policy))).await
    }

    /// Sets a policy's value for one target; with `if_match`, only if it is unchanged since read.
    pub async fn set(
        &self,
        policy: &PolicyId,
        target: &Target,
        value: PolicyValue,
        if_match: Option<&str>,
    ) -> Result<Versioned<ScopedPolicy>, ClientError> {
        let body = Bytes::from(serde_json::to_vec(&PolicyUpdate { policy_value: value }).unwrap_or_default());
        self.call(Request { method: Method::PUT, body: Some(body), if_match, ..Request::get(target.path(policy)) })
            .await
    }

    /// The audit log of our service, newest first (`limit` 1 to 1000).
    pub async fn audit(&self, limit: u32) -> Result<Vec<AuditEntry>, ClientError> {
        let list: Versioned<Items<AuditEntry>> = self.call(Request::get(format!("/v1.0/audit?limit={limit}"))).await?;
        Ok(list.value.items)
    }

    /// Sends a request, retrying transient failures, and decodes the answer.
    pub(crate) async fn call<T: DeserializeOwned>(&self, request: Request<'_>) -> Result<Versioned<T>, ClientError> {
        let Request { method, path, .. } = &request;
        // One id for all tries of a request, so the service's log ties them together.
        let correlation_id = uuid::Uuid::new_v4().to_string();
        let started = Instant::now();
        let (mut attempt, mut blind) = (1, 0);
        loop {
            let outcome = self.transport.send(self.http_request(&request, &correlation_id)?).await;
            let retry_after = match &outcome {
                Ok(r) if is_transient(r.status().as_u16()) => {
                    Some(r.headers().get(header::RETRY_AFTER).and_then(|v| v.to_str().ok()).and_then(parse_retry_after))
                }
                Err(e) if e.is_transient() => Some(None),
                _ => None,
            };
            if let Some(retry_after) = retry_after {
                blind += u32::from(retry_after.is_none());
            }
            if let Some(retry_after) = retry_after
                && let Some(wait) = self.retry.delay(attempt, blind, started.elapsed(), retry_after)
            {
                let why = match &outcome {
                    Ok(r) => r.status().as_u16().to_string(),
                    Err(e) => e.to_string(),
                };
                tracing::debug!(%method, %path, attempt, ?wait, why, correlation_id, "retrying");
                self.retries.fetch_add(1, Ordering::Relaxed);
                tokio::time::sleep(wait).await;
                attempt += 1;
                continue;
            }
            let url = format!("{}{path}", self.base_url);
            let result = decode(outcome, method, &url, &correlation_id, attempt);
            let (status, id) = match &result {
                Ok(answer) => (200, answer.correlation_id.as_str()),
                Err(e) => (e.status().unwrap_or(0), e.correlation_id().unwrap_or(&correlation_id)),
            };
            tracing::debug!(%method, %path, status, attempts = attempt, correlation_id = id, "request");
            return result;
        }
    }

    fn http_request(&self, request: &Request<'_>, correlation_id: &str) -> Result<http::Request<Bytes>, ClientError> {
        let Request { method, path, body, if_match, prefer } = request;
        let mut builder = http::Request::builder()
            .method(method.clone())
            .uri(format!("{}{path}", self.base_url))
            .header(header::ACCEPT, "application/json")
            .header(CORRELATION_HEADER, correlation_id);
        if body.is_some() {
            builder = builder.header(header::CONTENT_TYPE, "application/json");
        }
        if let Some(tag) = if_match {
            builder = builder.header(header::IF_MATCH, *tag);
        }
        if let Some(preference) = prefer {
            builder = builder.header("prefer", *preference);
        }
        if let Some(upn) = &self.acting_user {
            let value = http::HeaderValue::from_str(upn)
                .map_err(|_| ClientError::Config(format!("--as '{upn}' has characters a header cannot carry")))?;
            builder = builder.header(ACTING_USER_HEADER, value);
        }
        if let Some(token) = &self.token {
            let mut value = http::HeaderValue::from_str(&format!("Bearer {token}"))
                .map_err(|_| ClientError::Config("the access token has characters a header cannot carry".into()))?;
            value.set_sensitive(true);
            builder = builder.header(header::AUTHORIZATION, value);
        }
        builder
            .body(body.clone().unwrap_or_default())
            .map_err(|e| ClientError::Config(format!("bad request to {}{path}: {e}", self.base_url)))
    }
}

/// One request, before its correlation id and token are added.
pub(crate) struct Request<'a> {
    pub(crate) method: Method,
    pub(crate) path: String,
    pub(crate) body: Option<Bytes>,
    pub(crate) if_match: Option<&'a str>,
    pub(crate) prefer: Option<&'static str>,
}

impl Request<'_> {
    pub(crate) fn get(path: String) -> Self {
        Self { method: Method::GET, path, body: None, if_match: None, prefer: None }
    }
}

fn list_path(policy: &PolicyId, scope: Scope) -> String {
    format!("/v1.0/policies/{policy}/products?scope={scope}")
}

/// The answer as a value, or the failure as an error naming the request (`url`, without
/// its query, which may be long).
fn decode<T: DeserializeOwned>(
    outcome: Result<http::Response<Bytes>, TransportError>,
    method: &Method,
    url: &str,
    correlation_id: &str,
    attempts: u32,
) -> Result<Versioned<T>, ClientError> {
    let tries = if attempts > 1 { format!(" after {attempts} tries") } else { String::new() };
    let url = url.split('?').next().unwrap_or(url);
    let response = outcome.map_err(|e| {
        let correlation_id = correlation_id.to_string();
        match e {
            TransportError::TooLarge => ClientError::Unusable {
                message: format!("the answer of {method} {url} {}", too_large(&e)),
                correlation_id,
            },
            TransportError::Fault(message) => ClientError::Unusable { message, correlation_id },
            e => ClientError::Unreachable {
                message: format!("{method} {url} got no answer{tries}: {e}"),
                correlation_id,
            },
        }
    })?;
    // The service's echo wins: that is the id its logs carry.
    let correlation_id =
        response.headers().get(CORRELATION_HEADER).and_then(|v| v.to_str().ok()).unwrap_or(correlation_id).to_string();
    let status = response.status();
    if !status.is_success() {
        let (code, mut message) = error_message(response.body());
        message.push_str(&tries);
        return Err(ClientError::Status { status: status.as_u16(), code, message, correlation_id, attempts });
    }
    let etag = response.headers().get(header::ETAG).and_then(|v| v.to_str().ok()).map(str::to_string);
    let value = serde_json::from_slice(response.body())
        .map_err(|e| ClientError::Decode { message: e.to_string(), correlation_id: correlation_id.clone() })?;
    Ok(Versioned { value, etag, correlation_id })
}

/// "is larger than 16 MiB, …": the transport's words without their subject.
fn too_large(e: &TransportError) -> String {
    e.to_string().trim_start_matches("the answer ").to_string()
}
