//! The v1.0 calls, one method each, over a [`Transport`] with retries.

use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use commerce_model::wire::{AuditEntry, Items, Policy, PolicyUpdate, ProductPolicy, ScopePolicy, ScopedPolicy};
use commerce_model::{CORRELATION_HEADER, OfferType, PolicyId, PolicyValue, ProductId};
use http::{Method, header};
use serde::de::DeserializeOwned;

use crate::error::error_message;
use crate::retry::{is_transient, parse_retry_after};
use crate::{ClientError, HttpTransport, RetryPolicy, Transport, TransportError};

/// An answer with its entity tag (our service sends one; Microsoft's does not).
#[derive(Debug, Clone)]
pub struct Tagged<T> {
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
        }
    }

    /// Sends `Authorization: Bearer <token>` with every request.
    pub fn with_token(mut self, token: Option<String>) -> Self {
        self.token = token.filter(|t| !t.trim().is_empty());
        self
    }

    pub fn with_retry(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    pub async fn policies(&self) -> Result<Vec<Policy>, ClientError> {
        let list: Tagged<Items<Policy>> = self.call(Method::GET, "/v1.0/policies".into(), None, None).await?;
        Ok(list.value.items)
    }

    pub async fn policy(&self, policy: &PolicyId) -> Result<Policy, ClientError> {
        Ok(self.call(Method::GET, format!("/v1.0/policies/{policy}"), None, None).await?.value)
    }

    /// Every value of a policy in a scope: `product` or `OfferType`.
    pub async fn scoped_policies(&self, policy: &PolicyId, scope: &str) -> Result<Vec<ScopedPolicy>, ClientError> {
        let path = format!("/v1.0/policies/{policy}/products?scope={}", scope_query(scope)?);
        let list: Tagged<Items<ScopedPolicy>> = self.call(Method::GET, path, None, None).await?;
        Ok(list.value.items)
    }

    /// Every product's value of a policy.
    pub async fn product_policies(&self, policy: &PolicyId) -> Result<Vec<ProductPolicy>, ClientError> {
        let items = self.scoped_policies(policy, "product").await?;
        Ok(items
            .into_iter()
            .filter_map(|p| match p {
                ScopedPolicy::Product(p) => Some(p),
                ScopedPolicy::Scope(_) => None,
            })
            .collect())
    }

    pub async fn product_policy(
        &self,
        policy: &PolicyId,
        product: &ProductId,
    ) -> Result<Tagged<ProductPolicy>, ClientError> {
        self.call(Method::GET, format!("/v1.0/policies/{policy}/products/{product}"), None, None).await
    }

    /// Sets one product's value; with `if_match`, only if it is unchanged since read.
    pub async fn set_product_policy(
        &self,
        policy: &PolicyId,
        product: &ProductId,
        value: PolicyValue,
        if_match: Option<&str>,
    ) -> Result<Tagged<ProductPolicy>, ClientError> {
        let body = update_body(value);
        self.call(Method::PUT, format!("/v1.0/policies/{policy}/products/{product}"), Some(body), if_match).await
    }

    pub async fn offer_type_policy(
        &self,
        policy: &PolicyId,
        offer: &OfferType,
    ) -> Result<Tagged<ScopePolicy>, ClientError> {
        self.call(Method::GET, format!("/v1.0/policies/{policy}/offerTypes/{offer}"), None, None).await
    }

    pub async fn set_offer_type_policy(
        &self,
        policy: &PolicyId,
        offer: &OfferType,
        value: PolicyValue,
        if_match: Option<&str>,
    ) -> Result<Tagged<ScopePolicy>, ClientError> {
        let body = update_body(value);
        self.call(Method::PUT, format!("/v1.0/policies/{policy}/offerTypes/{offer}"), Some(body), if_match).await
    }

    /// The audit log of our service, newest first.
    pub async fn audit(&self, limit: u32) -> Result<Vec<AuditEntry>, ClientError> {
        let list: Tagged<Items<AuditEntry>> =
            self.call(Method::GET, format!("/v1.0/audit?limit={limit}"), None, None).await?;
        Ok(list.value.items)
    }

    /// Sends a request, retrying transient failures, and decodes the answer.
    async fn call<T: DeserializeOwned>(
        &self,
        method: Method,
        path: String,
        body: Option<Bytes>,
        if_match: Option<&str>,
    ) -> Result<Tagged<T>, ClientError> {
        // One id for all tries of a request, so the service's log ties them together.
        let correlation_id = uuid::Uuid::new_v4().to_string();
        let started = Instant::now();
        let mut attempt = 1;
        loop {
            let request = self.request(&method, &path, body.clone(), if_match, &correlation_id)?;
            let outcome = self.transport.send(request).await;
            let retry_after = match &outcome {
                Ok(r) if is_transient(r.status().as_u16()) => {
                    Some(r.headers().get(header::RETRY_AFTER).and_then(|v| v.to_str().ok()).and_then(parse_retry_after))
                }
                Err(TransportError::Connect(_) | TransportError::Timeout(_)) => Some(None),
                _ => None,
            };
            if let Some(retry_after) = retry_after
                && let Some(wait) = self.retry.delay(attempt, started.elapsed(), retry_after)
            {
                tracing::debug!(%method, %path, attempt, ?wait, correlation_id, "retrying");
                tokio::time::sleep(wait).await;
                attempt += 1;
                continue;
            }
            let result = decode(outcome, &method, &self.base_url, &correlation_id, attempt);
            let (status, id) = match &result {
                Ok(answer) => (200, answer.correlation_id.as_str()),
                Err(e) => (e.status().unwrap_or(0), e.correlation_id().unwrap_or(&correlation_id)),
            };
            tracing::debug!(%method, %path, status, attempts = attempt, correlation_id = id, "request");
            return result;
        }
    }

    fn request(
        &self,
        method: &Method,
        path: &str,
        body: Option<Bytes>,
        if_match: Option<&str>,
        correlation_id: &str,
    ) -> Result<http::Request<Bytes>, ClientError> {
        let mut builder = http::Request::builder()
            .method(method.clone())
            .uri(format!("{}{path}", self.base_url))
            .header(header::ACCEPT, "application/json")
            .header(CORRELATION_HEADER, correlation_id);
        if body.is_some() {
            builder = builder.header(header::CONTENT_TYPE, "application/json");
        }
        if let Some(tag) = if_match {
            builder = builder.header(header::IF_MATCH, tag);
        }
        if let Some(token) = &self.token {
            let mut value = http::HeaderValue::from_str(&format!("Bearer {token}"))
                .map_err(|_| ClientError::Config("the access token has characters a header cannot carry".into()))?;
            value.set_sensitive(true);
            builder = builder.header(header::AUTHORIZATION, value);
        }
        builder
            .body(body.unwrap_or_default())
            .map_err(|e| ClientError::Config(format!("bad request to {}{path}: {e}", self.base_url)))
    }
}

fn update_body(value: PolicyValue) -> Bytes {
    Bytes::from(serde_json::to_vec(&PolicyUpdate { policy_value: value }).unwrap_or_default())
}

/// Scopes are names; anything else would change the query.
fn scope_query(scope: &str) -> Result<&str, ClientError> {
    if !scope.is_empty() && scope.bytes().all(|b| b.is_ascii_alphanumeric()) {
        Ok(scope)
    } else {
        Err(ClientError::Config(format!("'{scope}' is not a scope: use product or OfferType")))
    }
}

fn decode<T: DeserializeOwned>(
    outcome: Result<http::Response<Bytes>, TransportError>,
    method: &Method,
    base_url: &str,
    correlation_id: &str,
    attempts: u32,
) -> Result<Tagged<T>, ClientError> {
    let tries = if attempts > 1 { format!(" after {attempts} tries") } else { String::new() };
    let response = outcome.map_err(|e| ClientError::Unreachable {
        message: format!("{method} to {base_url} got no answer{tries}: {e}"),
        correlation_id: correlation_id.to_string(),
    })?;
    // The service's echo wins: that is the id its logs carry.
    let correlation_id =
        response.headers().get(CORRELATION_HEADER).and_then(|v| v.to_str().ok()).unwrap_or(correlation_id).to_string();
    let status = response.status();
    if !status.is_success() {
        let (code, mut message) = error_message(response.body());
        message.push_str(&tries);
        return Err(ClientError::Status { status: status.as_u16(), code, message, correlation_id });
    }
    let etag = response.headers().get(header::ETAG).and_then(|v| v.to_str().ok()).map(str::to_string);
    let value = serde_json::from_slice(response.body())
        .map_err(|e| ClientError::Decode { message: e.to_string(), correlation_id: correlation_id.clone() })?;
    Ok(Tagged { value, etag, correlation_id })
}
