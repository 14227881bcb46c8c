//! hyper answers a request it cannot parse (400), whose head is too large (431) or whose target
//! is too long (414) on its own, with an empty body and no hook to change it. Every error of the
//! service has the JSON error body, so this adapter of the connection's socket recognises those
//! automatic answers — a head of a 4xx/5xx status with `content-length: 0` and nothing after it,
//! which no answer of the router is (they all carry a JSON body) — and writes the same status
//! with the JSON body instead.

use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll, ready};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

use crate::ApiError;

/// A socket whose automatic error answers get the JSON error body.
pub(super) struct JsonErrorAnswers<S> {
    inner: S,
    /// An answer being written in place of hyper's, and how much of it is written.
    replacement: Option<(Vec<u8>, usize)>,
    /// Whether the client sent bytes since the last answer: a timeout then means a slow
    /// client, not an idle one.
    unanswered: Arc<AtomicBool>,
}

impl<S> JsonErrorAnswers<S> {
    pub(super) fn new(inner: S) -> Self {
        Self { inner, replacement: None, unanswered: Arc::default() }
    }

    /// Tells whether the client sent something it got no answer to yet.
    pub(super) fn unanswered(&self) -> Arc<AtomicBool> {
        self.unanswered.clone()
    }
}

/// The JSON answer to write instead of `written`, if it is one of hyper's automatic answers.
fn replacement_for(written: &[u8]) -> Option<Vec<u8>> {
    // Most writes are answers of the router: look no further than their first bytes.
    if !(written.starts_with(b"HTTP/1.1 4") || written.starts_with(b"HTTP/1.1 5")) {
        return None;
    }
    let head = std::str::from_utf8(written).ok()?;
    let status: u16 = head.strip_prefix("HTTP/1.1 ")?.get(..3)?.parse().ok()?;
    let (lines, rest) = head.split_once("\r\n\r\n")?;
    let empty = lines.split("\r\n").any(|l| l.eq_ignore_ascii_case("content-length: 0"));
    if status < 400 || !rest.is_empty() || !empty {
        return None;
    }
    let status = http::StatusCode::from_u16(status).ok()?;
    let body = serde_json::json!({ "error": {
        "code": ApiError::code_for(status),
        "message": message_for(status),
        "correlationId": uuid::Uuid::new_v4().to_string(),
    }})
    .to_string();
    let mut answer = String::new();
    for line in lines.split("\r\n").filter(|l| !l.eq_ignore_ascii_case("content-length: 0")) {
        answer.push_str(line);
        answer.push_str("\r\n");
    }
    answer.push_str(&format!("content-type: application/json\r\ncontent-length: {}\r\n\r\n{body}", body.len()));
    Some(answer.into_bytes())
}

fn message_for(status: http::StatusCode) -> String {
    match status.as_u16() {
        414 => format!("the request target is too long: at most {} bytes", crate::limits::MAX_URI_BYTES),
        431 => {
            format!("the request head is too large: at most {} KiB of headers", crate::limits::MAX_HEAD_BYTES / 1024)
        }
        400 => "the request is not valid HTTP/1.1".to_string(),
        _ => status.canonical_reason().unwrap_or("error").to_string(),
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for JsonErrorAnswers<S> {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let outcome = ready!(Pin::new(&mut self.inner).poll_read(cx, buf));
        if buf.filled().len() > before {
            self.unanswered.store(true, Ordering::Relaxed);
        }
        Poll::Ready(outcome)
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for JsonErrorAnswers<S> {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        let this = &mut *self;
        this.unanswered.store(false, Ordering::Relaxed);
        if this.replacement.is_none() {
            match replacement_for(buf) {
                Some(answer) => this.replacement = Some((answer, 0)),
                None => return Pin::new(&mut this.inner).poll_write(cx, buf),
            }
        }
        // hyper's answer counts as written once ours is, all of it.
        while let Some((answer, done)) = this.replacement.as_mut()
            && *done < answer.len()
        {
            let n = ready!(Pin::new(&mut this.inner).poll_write(cx, &answer[*done..]))?;
            if n == 0 {
                return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
            }
            *done += n;
        }
        this.replacement = None;
        Poll::Ready(Ok(buf.len()))
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }

    /// Not vectored: hyper then writes each head as one buffer, which is what is recognised.
    fn is_write_vectored(&self) -> bool {
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_empty_error_answers_are_replaced() {
        let auto = b"HTTP/1.1 431 Request Header Fields Too Large\r\nconnection: close\r\ncontent-length: 0\r\ndate: x\r\n\r\n";
        let answer = String::from_utf8(replacement_for(auto).expect("replaced")).unwrap();
        assert!(answer.starts_with("HTTP/1.1 431 "), "{answer}");
        assert!(
            answer.contains("content-type: application/json") && answer.contains("\"RequestHeaderFieldsTooLarge\"")
        );
        assert!(!answer.contains("content-length: 0"));
        assert!(replacement_for(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n").is_none());
        assert!(replacement_for(b"HTTP/1.1 404 Not Found\r\ncontent-length: 2\r\n\r\n{}").is_none());
    }
}
