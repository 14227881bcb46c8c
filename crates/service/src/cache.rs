//! The read cache: answers of the policy read routes kept in memory as ready bytes with their
//! entity tag, so a repeated GET costs a map lookup instead of a store read and JSON
//! rendering, and a GET with a matching `If-None-Match` is answered 304.
//!
//! Correctness first. Every entry is tagged with the cache's generation when its read began;
//! only entries of the current generation are served. The generation moves on
//! - at once when a change request (any method but GET, HEAD, OPTIONS) through this process
//!   is answered — before its answer leaves, so no answer older than an acknowledged write
//!   is served afterwards; and
//! - when the store's change token ([`crate::store::PolicyStore::change_token`], one cheap
//!   read) differs from the last one seen: how writes by other processes or replicas on the
//!   same store are noticed. An entry is served only while the last token check began at most
//!   [`ReadCache::bound`] ago; past that the request checks first. So an answer is never older
//!   than a write acknowledged elsewhere more than the bound before it.
//!
//! A store that cannot tell (`change_token` is `None`) gets no caching at all; its answers
//! still carry tags, and `If-None-Match` is still answered 304.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use axum::body::{Body, Bytes, to_bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::store::Store;

/// How stale an answer may be after a write through another process: the default bound.
pub const DEFAULT_BOUND: Duration = Duration::from_millis(100);
/// Entries kept at most: past that the cache starts afresh (URLs are the keys, and a client
/// must not grow memory by asking for many of them).
const MAX_ENTRIES: usize = 2048;
/// Answers larger than this are not kept.
const MAX_BODY: usize = 4 << 20;

/// One cached answer.
struct Entry {
    generation: u64,
    etag: HeaderValue,
    /// The answer's headers beside the entity tag (content type, `Preference-Applied`).
    headers: HeaderMap,
    body: Bytes,
}

/// The cache of one service instance.
pub(crate) struct ReadCache {
    entries: RwLock<HashMap<Box<str>, Arc<Entry>>>,
    generation: AtomicU64,
    /// When the last successful token check began, in nanoseconds since `epoch` plus one (0: never).
    checked: AtomicU64,
    epoch: Instant,
    /// The last token seen; held while a check runs, so one request checks and the others wait.
    token: tokio::sync::Mutex<Option<u64>>,
    bound: Duration,
    /// Set when the store said it cannot tell about changes: then nothing is cached.
    blind: std::sync::atomic::AtomicBool,
    store: Arc<dyn Store>,
    hits: prometheus::IntCounter,
    misses: prometheus::IntCounter,
}

impl ReadCache {
    /// A cache of `store`'s answers, counting its hits and misses in `metrics`.
    pub(crate) fn new(store: Arc<dyn Store>, bound: Duration, metrics: &crate::metrics::Metrics) -> Self {
        Self {
            entries: RwLock::default(),
            generation: AtomicU64::new(1),
            checked: AtomicU64::new(0),
            epoch: Instant::now(),
            token: tokio::sync::Mutex::new(None),
            bound,
            blind: Default::default(),
            store,
            hits: metrics.cache_hits.clone(),
            misses: metrics.cache_misses.clone(),
        }
    }

    /// Forgets every entry: a change was made through this process.
    pub(crate) fn invalidate(&self) {
        self.generation.fetch_add(1, Ordering::SeqCst);
    }

    fn now(&self) -> u64 {
        self.epoch.elapsed().as_nanos() as u64 + 1
    }

    fn checked_recently(&self) -> bool {
        let checked = self.checked.load(Ordering::Acquire);
        checked != 0 && self.now().saturating_sub(checked) <= self.bound.as_nanos() as u64
    }

    /// The generation entries may be served at, after checking the store's change token if
    /// the last check is older than the bound; `None`: nothing may be served from the cache.
    async fn current(&self) -> Option<u64> {
        if self.blind.load(Ordering::Relaxed) {
            return None;
        }
        if !self.checked_recently() {
            let mut last = self.token.lock().await;
            // Another request may have checked while this one waited for the lock.
            if !self.checked_recently() {
                let started = self.now();
                let token = match self.store.change_token().await {
                    Ok(Some(token)) => token,
                    Ok(None) => {
                        self.blind.store(true, Ordering::Relaxed);
                        return None;
                    }
                    Err(_) => return None,
                };
                if *last != Some(token) {
                    self.invalidate();
                    *last = Some(token);
                }
                self.checked.store(started, Ordering::Release);
            }
        }
        Some(self.generation.load(Ordering::SeqCst))
    }

    fn get(&self, key: &str, generation: u64) -> Option<Arc<Entry>> {
        let entries = self.entries.read().unwrap_or_else(|p| p.into_inner());
        entries.get(key).filter(|e| e.generation == generation).cloned()
    }

    fn put(&self, key: Box<str>, entry: Arc<Entry>) {
        let mut entries = self.entries.write().unwrap_or_else(|p| p.into_inner());
        if entries.len() >= MAX_ENTRIES && !entries.contains_key(&key) {
            entries.retain(|_, e| e.generation == entry.generation);
            if entries.len() >= MAX_ENTRIES {
                entries.clear();
            }
        }
        entries.insert(key, entry);
    }
}

/// Whether a layer of [`cached`] serves its routes' GETs from the cache, or only invalidates
/// it on changes (routes whose answers depend on who asks).
#[derive(Clone)]
pub(crate) struct CacheLayer {
    pub(crate) cache: Arc<ReadCache>,
    pub(crate) serves: bool,
}

/// The middleware: GETs from the cache where the layer serves them; every change request
/// invalidates the cache once it is answered.
pub(crate) async fn cached(State(layer): State<CacheLayer>, request: Request, next: Next) -> Response {
    let method = request.method().clone();
    if method != Method::GET {
        let response = next.run(request).await;
        if !is_safe(&method) {
            layer.cache.invalidate();
        }
        return response;
    }
    if !layer.serves {
        return next.run(request).await;
    }
    let cache = &layer.cache;
    let key = key(&request);
    let if_none_match = request.headers().get(header::IF_NONE_MATCH).cloned();
    let generation = cache.current().await;
    let entry = match generation.and_then(|generation| cache.get(&key, generation)) {
        Some(entry) => {
            cache.hits.inc();
            entry
        }
        None => {
            cache.misses.inc();
            match fill(cache, key, generation, next.run(request).await).await {
                Ok(entry) => entry,
                Err(response) => return response,
            }
        }
    };
    answer(&entry, if_none_match.as_ref())
}

fn is_safe(method: &Method) -> bool {
    matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// The request's key: its target and what changes the answer beyond it (`Prefer`).
fn key(request: &Request) -> Box<str> {
    let target = request.uri().path_and_query().map_or("", |p| p.as_str());
    let prefer = request.headers().get("prefer").map_or(&b""[..], HeaderValue::as_bytes);
    let mut key = String::with_capacity(target.len() + prefer.len() + 1);
    key.push_str(target);
    key.push('\n');
    key.push_str(&String::from_utf8_lossy(prefer));
    key.into_boxed_str()
}

/// Keeps a 200 answer (tagging it by a hash of its bytes if the handler gave it no tag) when
/// the cache may (`generation`), so `If-None-Match` works without caching too; any other
/// answer is passed on as it is.
async fn fill(
    cache: &ReadCache,
    key: Box<str>,
    generation: Option<u64>,
    response: Response,
) -> Result<Arc<Entry>, Response> {
    if response.status() != StatusCode::OK {
        return Err(response);
    }
    let (mut parts, body) = response.into_parts();
    let body = match to_bytes(body, MAX_BODY).await {
        Ok(body) => body,
        Err(e) => {
            return Err(
                crate::ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "InternalError", e.to_string()).into_response()
            );
        }
    };
    let etag = match parts.headers.remove(header::ETAG) {
        Some(etag) => etag,
        None => HeaderValue::from_str(&content_tag(&body)).unwrap_or(HeaderValue::from_static("\"h0\"")),
    };
    parts.headers.remove(header::CONTENT_LENGTH);
    let entry = Arc::new(Entry { generation: generation.unwrap_or(0), etag, headers: parts.headers, body });
    if generation.is_some() {
        cache.put(key, entry.clone());
    }
    Ok(entry)
}

/// The answer from an entry: 304 when `If-None-Match` names its tag (weak comparison, RFC
/// 9110 §13.1.2), else 200 with the bytes.
fn answer(entry: &Entry, if_none_match: Option<&HeaderValue>) -> Response {
    let not_modified = if_none_match.and_then(|v| v.to_str().ok()).is_some_and(|v| matches_tag(v, &entry.etag));
    let mut response = if not_modified {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        let mut response = Response::new(Body::from(entry.body.clone()));
        response.headers_mut().clone_from(&entry.headers);
        response
    };
    response.headers_mut().insert(header::ETAG, entry.etag.clone());
    response
}

fn matches_tag(if_none_match: &str, etag: &HeaderValue) -> bool {
    let etag = etag.to_str().unwrap_or_default().trim_start_matches("W/");
    if_none_match.split(',').map(|t| t.trim().trim_start_matches("W/")).any(|t| t == "*" || t == etag)
}

/// A strong tag for a list's bytes: FNV-1a, the same in every replica of one build and the
/// next, unlike the standard library's hasher. Its `h` keeps it apart from a value's `v` tags,
/// so it can never be taken for a version by `If-Match`.
fn content_tag(body: &[u8]) -> String {
    let hash = body.iter().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| (h ^ u64::from(*b)).wrapping_mul(0x100_0000_01b3));
    format!("\"h{hash:016x}\"")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn if_none_match_compares_weakly_and_takes_lists_and_stars() {
        let tag = HeaderValue::from_static("\"v3\"");
        assert!(matches_tag("\"v3\"", &tag));
        assert!(matches_tag("W/\"v3\"", &tag));
        assert!(matches_tag("\"v1\", \"v3\"", &tag));
        assert!(matches_tag("*", &tag));
        assert!(!matches_tag("\"v4\"", &tag));
    }

    #[test]
    fn content_tags_differ_with_the_bytes_and_are_not_versions() {
        assert_ne!(content_tag(b"{\"items\":[]}"), content_tag(b"{\"items\":[1]}"));
        assert_eq!(content_tag(b"same"), content_tag(b"same"));
        assert!(content_tag(b"x").starts_with("\"h"));
    }
}
