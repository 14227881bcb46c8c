//! How requests travel: over HTTP with reqwest, or in-process to an embedded service. Every
//! answer is read whole, but never more than [`MAX_RESPONSE_BYTES`]: a service that sends
//! more (or never stops) fails the request instead of filling memory.

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use bytes::{Bytes, BytesMut};

/// The largest answer read: far above any answer of the v1.0 API (a list of every product is
/// a few hundred KiB), far below what would hurt a machine.
pub const MAX_RESPONSE_BYTES: usize = 16 * 1024 * 1024;

/// Why a request got no (usable) answer.
#[derive(Debug, thiserror::Error)]
pub enum TransportError {
    #[error("could not connect: {0}")]
    Connect(String),
    #[error("no answer within {0:?}")]
    Timeout(Duration),
    /// The connection broke before a whole answer came (reset, closed mid-answer): the
    /// request may or may not have been carried out, so only idempotent ones — every request
    /// of this API — are sent again.
    #[error("the connection broke before the whole answer came: {0}")]
    Broken(String),
    /// The answer is larger than [`MAX_RESPONSE_BYTES`].
    #[error("the answer is larger than {} MiB, the most commerce-policy reads", MAX_RESPONSE_BYTES >> 20)]
    TooLarge,
    /// The service itself failed where no network is involved (an in-process service over a
    /// damaged store): trying again cannot help. The message names what failed.
    #[error("{0}")]
    Fault(String),
    #[error("{0}")]
    Other(String),
}

impl TransportError {
    /// Whether trying the request again may get an answer.
    pub fn is_transient(&self) -> bool {
        matches!(self, Self::Connect(_) | Self::Timeout(_) | Self::Broken(_))
    }
}

pub type TransportFuture<'a> = Pin<Box<dyn Future<Output = Result<http::Response<Bytes>, TransportError>> + Send + 'a>>;

/// Sends one request and returns its whole answer.
pub trait Transport: Send + Sync {
    fn send(&self, request: http::Request<Bytes>) -> TransportFuture<'_>;
}

/// The network transport: reqwest with rustls, pooled connections, per-attempt timeouts.
pub struct HttpTransport {
    client: reqwest::Client,
    timeout: Duration,
}

impl HttpTransport {
    pub fn new(timeout: Duration) -> Result<Self, TransportError> {
        let client = reqwest::Client::builder()
            .user_agent(concat!("commerce-policy/", env!("CARGO_PKG_VERSION")))
            .connect_timeout(Duration::from_secs(10))
            .timeout(timeout)
            .pool_idle_timeout(Duration::from_secs(60))
            .build()
            .map_err(|e| TransportError::Other(e.to_string()))?;
        Ok(Self { client, timeout })
    }
}

impl Transport for HttpTransport {
    fn send(&self, request: http::Request<Bytes>) -> TransportFuture<'_> {
        Box::pin(async move {
            let request = reqwest::Request::try_from(request.map(reqwest::Body::from))
                .map_err(|e| TransportError::Other(e.to_string()))?;
            let mut response = self.client.execute(request).await.map_err(|e| self.classify(e))?;
            if response.content_length().is_some_and(|n| n > MAX_RESPONSE_BYTES as u64) {
                return Err(TransportError::TooLarge);
            }
            let status = response.status();
            let headers = std::mem::take(response.headers_mut());
            let mut body = BytesMut::new();
            while let Some(chunk) = response.chunk().await.map_err(|e| self.classify(e))? {
                if body.len() + chunk.len() > MAX_RESPONSE_BYTES {
                    return Err(TransportError::TooLarge);
                }
                body.extend_from_slice(&chunk);
            }
            let mut answer = http::Response::new(body.freeze());
            *answer.status_mut() = status;
            *answer.headers_mut() = headers;
            Ok(answer)
        })
    }
}

impl HttpTransport {
    fn classify(&self, e: reqwest::Error) -> TransportError {
        if e.is_timeout() {
            TransportError::Timeout(self.timeout)
        } else if e.is_connect() {
            TransportError::Connect(root_cause(&e))
        } else if (e.is_request() || e.is_body()) && is_broken_connection(&e) {
            TransportError::Broken(root_cause(&e))
        } else {
            TransportError::Other(root_cause(&e))
        }
    }
}

/// Whether an error says the connection went away under the request: hyper's "connection
/// closed before message completed", or a reset, abort, broken pipe or early end of file.
fn is_broken_connection(e: &(dyn std::error::Error + 'static)) -> bool {
    let mut cause = Some(e);
    while let Some(error) = cause {
        if error.downcast_ref::<hyper::Error>().is_some_and(|h| h.is_incomplete_message() || h.is_closed()) {
            return true;
        }
        if let Some(io) = error.downcast_ref::<std::io::Error>() {
            use std::io::ErrorKind::{BrokenPipe, ConnectionAborted, ConnectionReset, UnexpectedEof};
            if matches!(io.kind(), ConnectionReset | ConnectionAborted | BrokenPipe | UnexpectedEof) {
                return true;
            }
        }
        cause = error.source();
    }
    false
}

/// The innermost cause, which names what went wrong ("Connection refused") without
/// reqwest's wrapping.
fn root_cause(e: &(dyn std::error::Error + 'static)) -> String {
    let mut cause = e;
    while let Some(next) = cause.source() {
        cause = next;
    }
    cause.to_string()
}
