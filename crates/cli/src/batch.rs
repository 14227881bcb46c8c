//! Running many requests at once: bounded concurrency, results in input order, and a
//! progress bar when a person is watching.

use std::collections::HashMap;
use std::io::IsTerminal;

use commerce_client::{Client, ClientError};
use commerce_model::wire::ProductPolicy;
use commerce_model::{PolicyId, ProductId};

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

/// Finds each product by id: in `listed` if it is there, else by reading it alone — the
/// service answers for former ids too, which its list does not show. Results come in the
/// order of `ids`.
pub async fn find_products(
    client: &Client,
    policy: &PolicyId,
    listed: &[ProductPolicy],
    ids: impl IntoIterator<Item = ProductId>,
    limit: usize,
) -> Vec<(ProductId, Result<ProductPolicy, ClientError>)> {
    let by_id: HashMap<&ProductId, &ProductPolicy> = listed.iter().map(|p| (&p.product_id, p)).collect();
    let lookups = ids.into_iter().map(|id| (by_id.get(&id).map(|p| (*p).clone()), id));
    in_order(lookups, limit, |(known, id)| async move {
        let found = match known {
            Some(p) => Ok(p),
            None => client.product_policy(policy, &id).await.map(|t| t.value),
        };
        (id, found)
    })
    .await
}

/// [`in_order`] with a progress bar on a terminal, unless `quiet`.
pub async fn with_progress<T, R, F, Fut>(items: Vec<T>, limit: usize, quiet: bool, f: F) -> Vec<R>
where
    F: Fn(T) -> Fut,
    Fut: std::future::Future<Output = R>,
{
    let progress = progress_bar(items.len(), quiet);
    let results = in_order(items, limit, |item| {
        let progress = progress.clone();
        let done = f(item);
        async move {
            let result = done.await;
            progress.inc(1);
            result
        }
    })
    .await;
    progress.finish_and_clear();
    results
}

/// A progress bar on stderr for a terminal; hidden for pipes, CI logs and dry runs.
fn progress_bar(len: usize, quiet: bool) -> ProgressBar {
    if quiet || len < 2 || !std::io::stderr().is_terminal() {
        return ProgressBar::with_draw_target(Some(len as u64), ProgressDrawTarget::hidden());
    }
    let bar = ProgressBar::with_draw_target(Some(len as u64), ProgressDrawTarget::stderr());
    if let Ok(style) = ProgressStyle::with_template("{bar:30} {pos}/{len} products {elapsed}") {
        bar.set_style(style);
    }
    bar
}
