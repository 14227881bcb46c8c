//! Every limit the service enforces on its clients, its defaults, and the ranges an operator
//! may set them to (`serve`'s flags are checked against these when they are parsed, so a value
//! that would make the service useless — a 100-year clock skew, a latency longer than every
//! timeout — is refused before it starts). docs/service.md lists them.

use std::ops::RangeInclusive;
use std::time::Duration;

/// How the socket side of the service treats connections.
#[derive(Debug, Clone)]
pub struct ServerLimits {
    /// How long a client has to send a complete request head (request line and headers).
    /// hyper also starts this timer when a kept-alive connection waits for its next request,
    /// so it is the idle timeout too: a silent connection is closed after it.
    pub header_read_timeout: Duration,
    /// After SIGTERM or SIGINT: how long requests in flight may take to finish before every
    /// connection still open is closed and `serve` exits.
    pub drain_timeout: Duration,
    /// Connections open at once; one more is answered 503 and closed.
    pub max_connections: usize,
}

impl Default for ServerLimits {
    fn default() -> Self {
        Self {
            header_read_timeout: Duration::from_secs(10),
            drain_timeout: Duration::from_secs(10),
            max_connections: DEFAULT_MAX_CONNECTIONS,
        }
    }
}

/// Below the usual open-file limit (1024 soft on many systems) once the store's files count.
pub const DEFAULT_MAX_CONNECTIONS: usize = 1000;
/// The largest request head (request line and headers) read; a larger one is answered 431.
pub const MAX_HEAD_BYTES: usize = 64 * 1024;
/// The longest request target accepted; a longer one is answered 414.
pub const MAX_URI_BYTES: usize = 8 * 1024;
/// The largest request body accepted; a policy update is a few dozen bytes.
pub const MAX_BODY_BYTES: usize = 16 * 1024;

/// `--header-timeout`: long enough for a slow link, short enough that idle sockets go.
pub const HEADER_TIMEOUT_RANGE: RangeInclusive<Duration> = secs(1)..=secs(600);
/// `--drain-timeout`: zero closes at once.
pub const DRAIN_TIMEOUT_RANGE: RangeInclusive<Duration> = secs(0)..=secs(600);
/// `--busy-timeout`: how long a write waits for another process's lock on the store.
pub const BUSY_TIMEOUT_RANGE: RangeInclusive<Duration> = secs(0)..=secs(60);
/// `--clock-skew`: beyond a few minutes a clock is wrong, not skewed.
pub const CLOCK_SKEW_RANGE: RangeInclusive<Duration> = secs(0)..=secs(600);
/// `--simulate-latency`: below the request timeout, or every request would time out.
pub const LATENCY_RANGE: RangeInclusive<Duration> = secs(0)..=secs(10);
/// `--max-connections`.
pub const CONNECTIONS_RANGE: RangeInclusive<usize> = 1..=100_000;
/// `--simulate-retry-after`, in seconds.
pub const RETRY_AFTER_RANGE: RangeInclusive<u64> = 0..=3600;

const fn secs(s: u64) -> Duration {
    Duration::from_secs(s)
}

/// Parses a duration like `10s` or `500ms` and checks it is within `range`: the message is
/// the one line a usage error prints.
pub fn duration_within(text: &str, range: &RangeInclusive<Duration>) -> Result<Duration, String> {
    let value = humantime::parse_duration(text.trim())
        .map_err(|e| format!("'{}' is not a duration ({e}): use one like 10s or 500ms", text.escape_debug()))?;
    if range.contains(&value) {
        return Ok(value);
    }
    Err(format!(
        "'{}' is out of range: use {} to {}",
        text.escape_debug(),
        humantime::format_duration(*range.start()),
        humantime::format_duration(*range.end())
    ))
}

/// Parses a whole number and checks it is within `range`.
pub fn number_within<T>(text: &str, range: &RangeInclusive<T>) -> Result<T, String>
where
    T: std::str::FromStr + PartialOrd + std::fmt::Display,
{
    match text.trim().parse::<T>() {
        Ok(value) if range.contains(&value) => Ok(value),
        _ => Err(format!("'{}' is not a number from {} to {}", text.escape_debug(), range.start(), range.end())),
    }
}

/// A value that must not be empty, like an audience.
pub fn not_empty(text: &str) -> Result<String, String> {
    let text = text.trim();
    if text.is_empty() { Err("an empty value is not allowed".into()) } else { Ok(text.to_string()) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_outside_their_range_are_refused_with_the_range() {
        assert_eq!(duration_within("90s", &CLOCK_SKEW_RANGE), Ok(Duration::from_secs(90)));
        let e = duration_within("100years", &CLOCK_SKEW_RANGE).unwrap_err();
        assert!(e.contains("out of range") && e.contains("10m"), "{e}");
        assert!(duration_within("soon", &CLOCK_SKEW_RANGE).unwrap_err().contains("not a duration"));
        assert_eq!(number_within("5", &CONNECTIONS_RANGE), Ok(5));
        assert!(number_within("0", &CONNECTIONS_RANGE).is_err());
        assert!(not_empty(" ").is_err());
    }
}
