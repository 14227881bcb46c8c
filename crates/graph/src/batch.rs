//! Reading users by id, twenty a call, through Graph's JSON batching (`POST /v1.0/$batch`):
//! a list of 1,000 subscriptions resolves its purchasers in 50 calls at most, not 1,000.
//! Answers inside a batch are throttled one by one: those with a 429 are sent again, in the
//! next round, after the longest `Retry-After` they asked for.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use bytes::Bytes;
use futures_util::{StreamExt, stream};
use http::Method;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::client::{Read, refusal};
use crate::wire::{DirectoryUser, USER_FIELDS, error_message};
use crate::{GraphClient, GraphError, USERS_PERMISSION};

/// The most requests one `$batch` carries (Graph's limit).
pub const BATCH_SIZE: usize = 20;

/// Batches in flight at once: few, so a tenant's throttling budget is not spent in a burst.
const CONCURRENT_BATCHES: usize = 4;

#[derive(Serialize)]
struct BatchRequest {
    requests: Vec<Inner>,
}

#[derive(Serialize)]
struct Inner {
    id: String,
    method: &'static str,
    url: String,
}

#[derive(Deserialize)]
struct BatchResponse {
    responses: Vec<InnerAnswer>,
}

#[derive(Deserialize)]
struct InnerAnswer {
    id: String,
    status: u16,
    #[serde(default)]
    headers: HashMap<String, String>,
    #[serde(default)]
    body: Value,
}

/// What one round left to do.
#[derive(Default)]
struct Round {
    found: HashMap<String, DirectoryUser>,
    throttled: Vec<String>,
    wait: Option<Duration>,
}

impl GraphClient {
    /// The users with these object ids, by id; ids Graph does not know (a deleted user)
    /// are left out.
    pub async fn users(&self, ids: &[String]) -> Result<HashMap<String, DirectoryUser>, GraphError> {
        let mut pending: Vec<String> = Vec::new();
        for id in ids {
            if !pending.contains(id) {
                pending.push(id.clone());
            }
        }
        let read = Read { what: "reading the purchasers", permission: USERS_PERMISSION };
        let (started, mut attempt, mut found) = (Instant::now(), 1u32, HashMap::new());
        while !pending.is_empty() {
            let round = self.round(&pending, &read).await?;
            found.extend(round.found);
            pending = round.throttled;
            if pending.is_empty() {
                break;
            }
            let wait =
                self.retry.delay(attempt, 0, started.elapsed(), Some(round.wait.unwrap_or(Duration::from_secs(1))));
            let Some(wait) = wait else {
                return Err(GraphError::Status {
                    what: read.what.into(),
                    status: 429,
                    message: format!("{} user(s) still throttled when the retry time ran out", pending.len()),
                    request_id: String::new(),
                    attempts: attempt,
                });
            };
            tokio::time::sleep(wait).await;
            attempt += 1;
        }
        Ok(found)
    }

    /// One pass over `ids`, twenty a batch, a few batches at once.
    async fn round(&self, ids: &[String], read: &Read<'_>) -> Result<Round, GraphError> {
        let answers: Vec<Result<Round, GraphError>> = stream::iter(ids.chunks(BATCH_SIZE))
            .map(|chunk| self.batch(chunk, read))
            .buffer_unordered(CONCURRENT_BATCHES)
            .collect()
            .await;
        let mut round = Round::default();
        for answer in answers {
            let part = answer?;
            round.found.extend(part.found);
            round.throttled.extend(part.throttled);
            round.wait = round.wait.max(part.wait);
        }
        Ok(round)
    }

    async fn batch(&self, ids: &[String], read: &Read<'_>) -> Result<Round, GraphError> {
        let requests = ids
            .iter()
            .enumerate()
            .map(|(n, id)| Inner {
                id: n.to_string(),
                method: "GET",
                url: format!("/users/{}?$select={USER_FIELDS}", user_segment(id)),
            })
            .collect();
        let body = Bytes::from(serde_json::to_vec(&BatchRequest { requests }).unwrap_or_default());
        let url = format!("{}/v1.0/$batch", self.base());
        let (answer, request_id) = self.send(Method::POST, &url, Some(body), read).await?;
        let answer: BatchResponse = serde_json::from_slice(&answer).map_err(|e| GraphError::Decode {
            what: read.what.into(),
            message: e.to_string(),
            request_id: request_id.clone(),
        })?;
        let mut round = Round::default();
        for inner in answer.responses {
            let Some(id) = inner.id.parse::<usize>().ok().and_then(|n| ids.get(n)) else { continue };
            match inner.status {
                200 => {
                    if let Ok(user) = serde_json::from_value::<DirectoryUser>(inner.body) {
                        round.found.insert(id.clone(), user);
                    }
                }
                404 => {}
                429 | 503 => {
                    round.throttled.push(id.clone());
                    round.wait = round.wait.max(inner_retry_after(&inner.headers));
                }
                status => {
                    let (_, message) = error_message(inner.body.to_string().as_bytes());
                    return Err(refusal(status, message, read, request_id, 1));
                }
            }
        }
        Ok(round)
    }
}

/// An inner answer's `Retry-After` (its header names come in any case).
fn inner_retry_after(headers: &HashMap<String, String>) -> Option<Duration> {
    let value = headers.iter().find(|(k, _)| k.eq_ignore_ascii_case("retry-after"))?.1;
    commerce_client::parse_retry_after(value)
}

/// An object id as a path segment: only a GUID's characters pass, so an odd owner id
/// cannot reach another path.
fn user_segment(id: &str) -> String {
    id.chars().filter(|c| c.is_ascii_hexdigit() || *c == '-').collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inner_retry_after_is_read_in_any_case() {
        let headers = HashMap::from([("retry-after".to_string(), "3".to_string())]);
        assert_eq!(inner_retry_after(&headers), Some(Duration::from_secs(3)));
        assert_eq!(user_segment("ab-12/../x?"), "ab-12");
    }
}
