//! Running many requests at once: bounded concurrency, results in input order, and a
//! progress bar when a person is watching.

use std::io::IsTerminal;

use futures_util::StreamExt;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

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
        .buffer_unordered(limit)
        .collect()
        .await;
    results.sort_by_key(|(i, _)| *i);
    results.into_iter().map(|(_, r)| r).collect()
}

/// A progress bar on stderr for a terminal; hidden for pipes, CI logs and dry runs.
pub fn progress_bar(len: usize, quiet: bool) -> ProgressBar {
    if quiet || len < 2 || !std::io::stderr().is_terminal() {
        return ProgressBar::with_draw_target(Some(len as u64), ProgressDrawTarget::hidden());
    }
    let bar = ProgressBar::with_draw_target(Some(len as u64), ProgressDrawTarget::stderr());
    if let Ok(style) = ProgressStyle::with_template("{bar:30} {pos}/{len} products {elapsed}") {
        bar.set_style(style);
    }
    bar
}
