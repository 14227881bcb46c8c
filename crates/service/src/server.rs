//! The socket side of `serve`: hyper's HTTP/1 connection builder with a header-read (and idle)
//! timeout, half-close support and a bounded request head; a cap on open connections (one more
//! is answered 503 and closed, with a warning); and a shutdown that is bounded — after the drain
//! deadline every connection still open is closed, whatever its client is doing.
//!
//! hyper-util's accept loop is used rather than `axum::serve`, which has none of these limits
//! and waits forever for a client that sent half a request.

mod error_answers;

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use axum::Router;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, watch};
use tokio::task::JoinSet;

use crate::limits::{MAX_HEAD_BYTES, ServerLimits};
use error_answers::JsonErrorAnswers;

/// Serves `app` on `listener` within `limits` until `shutdown` completes; then stops accepting,
/// lets requests in flight finish for at most `limits.drain_timeout`, and closes the rest.
pub async fn serve_with_limits(
    listener: TcpListener,
    app: Router,
    limits: ServerLimits,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let server = Arc::new(Server::new(app, &limits));
    let permits = Arc::new(Semaphore::new(limits.max_connections));
    let (stop, stopping) = watch::channel(false);
    let mut connections = JoinSet::new();
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            () = &mut shutdown => break,
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => match permits.clone().try_acquire_owned() {
                    Ok(permit) => {
                        connections.spawn(server.clone().connection(stream, permit, stopping.clone()));
                    }
                    Err(_) => {
                        connections.spawn(server.clone().shed(stream));
                    }
                },
                Err(e) => accept_failed(e).await,
            },
        }
    }
    drop(listener);
    let _ = stop.send(true);
    drain(connections, limits.drain_timeout).await;
    Ok(())
}

/// What every connection shares.
struct Server {
    app: Router,
    http: http1::Builder,
    header_read_timeout: Duration,
    max_connections: usize,
    shed: ShedLog,
}

impl Server {
    fn new(app: Router, limits: &ServerLimits) -> Self {
        let mut http = http1::Builder::new();
        http.timer(TokioTimer::new())
            .header_read_timeout(limits.header_read_timeout)
            .keep_alive(true)
            // A client that sends its requests and then shuts down its side still gets every answer.
            .half_close(true)
            .max_buf_size(MAX_HEAD_BYTES);
        Self {
            app,
            http,
            header_read_timeout: limits.header_read_timeout,
            max_connections: limits.max_connections,
            shed: ShedLog::default(),
        }
    }

    /// Serves one connection until it closes, or until shutdown asks it to finish its request.
    async fn connection(
        self: Arc<Self>,
        stream: TcpStream,
        _permit: OwnedSemaphorePermit,
        mut stopping: watch::Receiver<bool>,
    ) {
        let _ = stream.set_nodelay(true);
        let socket = JsonErrorAnswers::new(stream);
        let unanswered = socket.unanswered();
        let io = TokioIo::new(socket);
        let conn = self.http.serve_connection(io, TowerToHyperService::new(self.app.clone()));
        tokio::pin!(conn);
        let outcome = tokio::select! {
            outcome = conn.as_mut() => outcome,
            () = stopped(&mut stopping) => {
                conn.as_mut().graceful_shutdown();
                conn.await
            }
        };
        match outcome {
            // A slow client is worth a warning; an idle kept-alive one closed on time is not.
            Err(e) if e.is_timeout() && unanswered.load(Ordering::Relaxed) => tracing::warn!(
                timeout = %humantime::format_duration(self.header_read_timeout),
                "connection closed: no complete request head within the header timeout (--header-timeout)"
            ),
            Err(e) if e.is_timeout() => tracing::debug!("idle connection closed after the header timeout"),
            Err(e) => tracing::debug!(error = %e, "connection ended with an error"),
            Ok(()) => {}
        }
    }

    /// Answers a connection over the cap with 503 and closes it, without reading its request.
    async fn shed(self: Arc<Self>, mut stream: TcpStream) {
        self.shed.record(self.max_connections);
        let answer = shed_answer();
        let _ = tokio::time::timeout(Duration::from_secs(1), async {
            let _ = stream.write_all(&answer).await;
            let _ = stream.shutdown().await;
        })
        .await;
    }
}

/// Completes when shutdown begins.
async fn stopped(stopping: &mut watch::Receiver<bool>) {
    let _ = stopping.wait_for(|stop| *stop).await;
}

/// The 503 a shed connection gets, with the service's JSON error body.
fn shed_answer() -> Vec<u8> {
    let body = serde_json::json!({ "error": {
        "code": "ServiceUnavailable",
        "message": "the service has as many connections open as it allows (--max-connections): retry later",
        "correlationId": uuid::Uuid::new_v4().to_string(),
    }})
    .to_string();
    format!(
        "HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\ncontent-length: {}\r\nretry-after: 1\r\nconnection: close\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

/// One warning a second at most while connections are shed, with how many were.
#[derive(Default)]
struct ShedLog {
    /// Milliseconds since `start` of the last warning, plus one (0: never warned).
    last: AtomicU64,
    count: AtomicU64,
    start: std::sync::OnceLock<Instant>,
}

impl ShedLog {
    fn record(&self, cap: usize) {
        let count = self.count.fetch_add(1, Ordering::Relaxed) + 1;
        let now = self.start.get_or_init(Instant::now).elapsed().as_millis() as u64 + 1;
        let last = self.last.load(Ordering::Relaxed);
        if (last == 0 || now.saturating_sub(last) >= 1000)
            && self.last.compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed).is_ok()
        {
            self.count.store(0, Ordering::Relaxed);
            tracing::warn!(
                max_connections = cap,
                shed = count,
                "connection shed: too many connections open, answered 503"
            );
        }
    }
}

/// Out of file descriptors (or another transient accept error): wait a little instead of
/// spinning, and say so.
async fn accept_failed(e: std::io::Error) {
    tracing::warn!(error = %e, "could not accept a connection");
    tokio::time::sleep(Duration::from_millis(100)).await;
}

/// Waits for the connections to finish, at most `deadline`; then closes the rest.
async fn drain(mut connections: JoinSet<()>, deadline: Duration) {
    let finished = tokio::time::timeout(deadline, async { while connections.join_next().await.is_some() {} }).await;
    if finished.is_err() {
        tracing::warn!(
            open = connections.len(),
            deadline = %humantime::format_duration(deadline),
            "closing the connections still open after the drain deadline (--drain-timeout)"
        );
        connections.shutdown().await;
    }
}
