//! Async client of the v1.0 licensing policy API — Microsoft's service or any
//! `commerce-policy serve`. Every request carries a fresh correlation id; throttling and
//! transient failures are retried with backoff; errors keep the status, the service's
//! message and the correlation id.

mod admin;
mod api;
mod error;
mod retry;
mod transport;

pub use admin::SubscriptionFilter;
pub use api::{Client, Versioned};
pub use error::{ClientError, ErrorKind};
pub use retry::{RetryPolicy, is_transient, parse_retry_after};
pub use transport::{HttpTransport, MAX_RESPONSE_BYTES, Transport, TransportError, TransportFuture};

/// Microsoft's licensing service in the worldwide cloud.
pub const MICROSOFT_ENDPOINT: &str = "https://licensing.m365.microsoft.com";
