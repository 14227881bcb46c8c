//! The client's errors: what failed, the status, the service's message and the correlation id.

use std::fmt;

/// What kind of failure, for exit codes and error categories.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// 400: the request was refused as invalid.
    BadRequest,
    /// 401: not signed in, or the token expired.
    Unauthorized,
    /// 403: signed in, without the permission.
    Forbidden,
    /// 404: no such policy, product or offer type.
    NotFound,
    /// 409/412: changed by someone else since it was read.
    Conflict,
    /// No answer, or 429/5xx after every retry.
    Unavailable,
    Other,
}

/// A failed request.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The service answered with an error status.
    /// `attempts` counts the tries sent: more than one means an earlier try may have been
    /// carried out although its answer was lost.
    #[error("{}", status_line(*status, message, correlation_id))]
    Status { status: u16, code: Option<String>, message: String, correlation_id: String, attempts: u32 },
    /// No answer came.
    #[error("{message} (correlation id {correlation_id})")]
    Unreachable { message: String, correlation_id: String },
    /// An answer came that is not what the API promises.
    #[error("the service's answer could not be read: {message} (correlation id {correlation_id})")]
    Decode { message: String, correlation_id: String },
    /// A failure no retry can mend: an answer larger than the client reads, or a fault of an
    /// in-process service (its store). The message names what failed.
    #[error("{message} (correlation id {correlation_id})")]
    Unusable { message: String, correlation_id: String },
    #[error("{0}")]
    Config(String),
}

fn status_line(status: u16, message: &str, correlation_id: &str) -> String {
    let reason = http::StatusCode::from_u16(status).ok().and_then(|s| s.canonical_reason()).unwrap_or("error");
    format!("{status} {reason}: {message} (correlation id {correlation_id})")
}

impl ClientError {
    pub fn kind(&self) -> ErrorKind {
        match self {
            Self::Status { status, .. } => match status {
                400 | 422 => ErrorKind::BadRequest,
                401 => ErrorKind::Unauthorized,
                403 => ErrorKind::Forbidden,
                404 => ErrorKind::NotFound,
                409 | 412 => ErrorKind::Conflict,
                // 507: the service's store is read-only or full; waiting does not help.
                507 => ErrorKind::Other,
                408 | 429 | 500..=599 => ErrorKind::Unavailable,
                _ => ErrorKind::Other,
            },
            Self::Unreachable { .. } => ErrorKind::Unavailable,
            Self::Decode { .. } | Self::Unusable { .. } | Self::Config(_) => ErrorKind::Other,
        }
    }

    /// The correlation id of the failed request, to quote to support.
    pub fn correlation_id(&self) -> Option<&str> {
        match self {
            Self::Status { correlation_id, .. }
            | Self::Unreachable { correlation_id, .. }
            | Self::Decode { correlation_id, .. }
            | Self::Unusable { correlation_id, .. } => Some(correlation_id),
            Self::Config(_) => None,
        }
    }

    /// How many tries a refused request took; 1 for every other failure.
    pub fn attempts(&self) -> u32 {
        match self {
            Self::Status { attempts, .. } => *attempts,
            _ => 1,
        }
    }

    /// The HTTP status, if the service answered.
    pub fn status(&self) -> Option<u16> {
        match self {
            Self::Status { status, .. } => Some(*status),
            _ => None,
        }
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self, f)
    }
}

/// Reads the message out of an error body: ours (`{"error":{"message"}}`), Microsoft's
/// (`{"errorCode","reason"}`, `{"error":{"message"}}`), or the text itself, on one line.
pub(crate) fn error_message(body: &[u8]) -> (Option<String>, String) {
    let json: Option<serde_json::Value> = serde_json::from_slice(body).ok();
    let field = |v: &serde_json::Value, k: &str| v.get(k).and_then(|x| x.as_str()).map(str::to_string);
    let (code, message) = match &json {
        Some(v) if v.get("error").is_some_and(|e| e.is_object()) => {
            let e = &v["error"];
            (field(e, "code"), field(e, "message"))
        }
        Some(v) => {
            (field(v, "errorCode").or_else(|| field(v, "code")), field(v, "reason").or_else(|| field(v, "message")))
        }
        None => (None, None),
    };
    let message = message.unwrap_or_else(|| String::from_utf8_lossy(body).into_owned());
    let one_line: String = message.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut short: String = one_line.chars().take(400).collect();
    if short.is_empty() {
        short = "no details given".into();
    }
    (code, short)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_our_error_body() {
        let (code, msg) =
            error_message(br#"{"error":{"code":"NotFound","message":"product X was not found","correlationId":"c"}}"#);
        assert_eq!((code.as_deref(), msg.as_str()), (Some("NotFound"), "product X was not found"));
    }

    #[test]
    fn reads_microsofts_error_body() {
        let (code, msg) =
            error_message(br#"{"errorCode":"Unknown","reason":"GetProductDetailsByProductIdAsync failed"}"#);
        assert_eq!((code.as_deref(), msg.as_str()), (Some("Unknown"), "GetProductDetailsByProductIdAsync failed"));
    }

    #[test]
    fn plain_text_becomes_one_short_line() {
        let (_, msg) = error_message(b"<html>\n  <body>bad gateway</body>\n</html>");
        assert_eq!(msg, "<html> <body>bad gateway</body> </html>");
        let (_, empty) = error_message(b"");
        assert_eq!(empty, "no details given");
    }

    #[test]
    fn statuses_map_to_kinds() {
        let e = |status| ClientError::Status {
            status,
            code: None,
            message: String::new(),
            correlation_id: String::new(),
            attempts: 1,
        };
        assert_eq!(e(401).kind(), ErrorKind::Unauthorized);
        assert_eq!(e(412).kind(), ErrorKind::Conflict);
        assert_eq!(e(503).kind(), ErrorKind::Unavailable);
        assert_eq!(e(404).kind(), ErrorKind::NotFound);
    }
}
