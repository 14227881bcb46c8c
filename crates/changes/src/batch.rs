//! Running many requests at once: bounded concurrency, results in input order, and a way to
//! stop a batch part way (Ctrl-C) that still accounts for every item.

use futures_util::StreamExt;
use tokio_util::sync::CancellationToken;

/// Asks a running batch to stop: [`Interrupt::stop`] — start nothing new, let what is in
/// flight finish; [`Interrupt::abandon`] — give up what is in flight as well. Clones share
/// the same state, so a signal handler can hold one.
#[derive(Debug, Clone, Default)]
pub struct Interrupt {
    stop: CancellationToken,
    abandon: CancellationToken,
}

impl Interrupt {
    pub fn new() -> Self {
        Self::default()
    }

    /// No new change starts from now on.
    pub fn stop(&self) {
        self.stop.cancel();
    }

    /// Changes in flight are given up too (their outcome is then unknown); implies stop.
    pub fn abandon(&self) {
        self.stop.cancel();
        self.abandon.cancel();
    }

    pub fn is_stopped(&self) -> bool {
        self.stop.is_cancelled()
    }

    /// Completes once [`Interrupt::stop`] (or abandon) is called.
    pub async fn stopped(&self) {
        self.stop.cancelled().await;
    }

    /// Completes once [`Interrupt::abandon`] is called.
    pub async fn abandoned(&self) {
        self.abandon.cancelled().await;
    }
}

/// Runs `f` on every item, `limit` at a time, and returns the results in the items' order.
/// Unlike `buffered`, a slow item (waiting out a `Retry-After`) does not hold back the
/// items behind it.
pub async fn in_order<T, R, F, Fut>(items: impl IntoIterator<Item = T>, limit: usize, f: F) -> Vec<R>
where
    F: Fn(T) -> Fut,
    Fut: std::future::Future<Output = R>,
{
    let mut results: Vec<(usize, R)> = futures_util::stream::iter(items.into_iter().enumerate())
        .map(|(i, item)| {
            let done = f(item);
            async move { (i, done.await) }
        })
        .buffer_unordered(limit.max(1))
        .collect()
        .await;
    results.sort_by_key(|(i, _)| *i);
    results.into_iter().map(|(_, r)| r).collect()
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    #[tokio::test]
    async fn an_interrupt_stops_and_then_abandons() {
        let interrupt = super::Interrupt::new();
        let watcher = interrupt.clone();
        assert!(!watcher.is_stopped());
        interrupt.stop();
        watcher.stopped().await;
        assert!(watcher.is_stopped());
        interrupt.abandon();
        watcher.abandoned().await;
    }

    #[tokio::test]
    async fn results_keep_the_input_order_whatever_finishes_first() {
        let waits = [30u64, 0, 10];
        let done = super::in_order(waits, 3, |ms| async move {
            tokio::time::sleep(Duration::from_millis(ms)).await;
            ms
        })
        .await;
        assert_eq!(done, waits);
    }
}
