//! When and how long to wait before trying a request again: exponential backoff with full
//! jitter and a ceiling, a server's `Retry-After` honoured, bounded by a total deadline per
//! request (and, only when asked, by a number of attempts).

use std::time::{Duration, SystemTime};

/// Bounds on retrying one request.
#[derive(Debug, Clone)]
pub struct RetryPolicy {
    /// Tries in all, the first included; unbounded by default, so the deadline decides.
    pub max_attempts: u32,
    /// The backoff before the second try; it doubles per try.
    pub base_delay: Duration,
    /// No backoff is longer (a server's `Retry-After` may be, up to the deadline).
    pub max_delay: Duration,
    /// The deadline: no retry starts, and no wait ends, later than this after the first try.
    pub max_elapsed: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: u32::MAX,
            base_delay: Duration::from_millis(200),
            max_delay: Duration::from_secs(10),
            max_elapsed: Duration::from_secs(120),
        }
    }
}

impl RetryPolicy {
    /// Never retries.
    pub fn none() -> Self {
        Self { max_attempts: 1, ..Self::default() }
    }

    /// The wait before try `attempt + 1` (`attempt` counts from 1), or `None` when the
    /// bounds say stop. `retry_after` is the server's request, which wins over backoff: a
    /// wait it asks for that would end past the deadline stops at once. The backoff grows
    /// with `blind`, the tries that failed without saying when to come back (1 for the
    /// first): waits a server asked for are not blind guesses, so they do not grow it.
    pub fn delay(
        &self,
        attempt: u32,
        blind: u32,
        elapsed: Duration,
        retry_after: Option<Duration>,
    ) -> Option<Duration> {
        if attempt >= self.max_attempts {
            return None;
        }
        let delay = match retry_after {
            Some(wanted) => wanted,
            None => {
                let ceiling = self.base_delay.saturating_mul(1 << blind.saturating_sub(1).min(16)).min(self.max_delay);
                ceiling.mul_f64(fastrand::f64())
            }
        };
        (elapsed + delay <= self.max_elapsed).then_some(delay)
    }
}

/// Whether an answer with this status is worth trying again.
pub fn is_transient(status: u16) -> bool {
    matches!(status, 408 | 429 | 500 | 502 | 503 | 504)
}

/// Parses `Retry-After`: whole seconds, or an HTTP date.
pub fn parse_retry_after(value: &str) -> Option<Duration> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let at = httpdate::parse_http_date(value).ok()?;
    Some(at.duration_since(SystemTime::now()).unwrap_or(Duration::ZERO))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_but_stays_under_its_ceiling() {
        let p = RetryPolicy::default();
        for attempt in 1..12 {
            let ceiling = p.base_delay * (1 << (attempt - 1));
            let d = p.delay(attempt, attempt, Duration::ZERO, None).unwrap();
            assert!(d <= ceiling.min(p.max_delay), "attempt {attempt}: {d:?}");
        }
    }

    #[test]
    fn waits_a_server_asked_for_do_not_grow_the_backoff() {
        let p = RetryPolicy::default();
        let after_throttling = p.delay(20, 1, Duration::ZERO, None).unwrap();
        assert!(after_throttling <= p.base_delay, "{after_throttling:?}");
    }

    #[test]
    fn stops_after_the_last_attempt() {
        let p = RetryPolicy { max_attempts: 3, ..RetryPolicy::default() };
        assert!(p.delay(2, 2, Duration::ZERO, None).is_some());
        assert!(p.delay(3, 3, Duration::ZERO, None).is_none());
    }

    #[test]
    fn retry_after_wins_up_to_the_deadline() {
        let p = RetryPolicy::default();
        assert_eq!(p.delay(1, 0, Duration::ZERO, Some(Duration::from_secs(20))), Some(Duration::from_secs(20)));
        assert_eq!(p.delay(1, 0, Duration::ZERO, Some(Duration::from_secs(3600))), None, "past the deadline");
    }

    #[test]
    fn by_default_the_deadline_not_the_attempts_decides() {
        let p = RetryPolicy::default();
        assert!(p.delay(1000, 0, Duration::from_secs(60), Some(Duration::ZERO)).is_some());
        let backoff = p.delay(1000, 1000, Duration::from_secs(60), None).unwrap();
        assert!(backoff <= p.max_delay, "{backoff:?}");
    }

    #[test]
    fn stops_when_the_wait_would_pass_the_time_budget() {
        let p = RetryPolicy::default();
        assert!(p.delay(1, 0, p.max_elapsed, Some(Duration::from_secs(1))).is_none());
    }

    #[test]
    fn parses_both_forms_of_retry_after() {
        assert_eq!(parse_retry_after(" 7 "), Some(Duration::from_secs(7)));
        let past = httpdate::fmt_http_date(SystemTime::UNIX_EPOCH);
        assert_eq!(parse_retry_after(&past), Some(Duration::ZERO));
        assert_eq!(parse_retry_after("soon"), None);
    }

    #[test]
    fn only_transient_statuses_are_retried() {
        for s in [429, 502, 503, 504] {
            assert!(is_transient(s));
        }
        for s in [400, 401, 403, 404, 412] {
            assert!(!is_transient(s));
        }
    }
}
