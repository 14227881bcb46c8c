//! Running many requests at once: bounded concurrency, results in input order.

use futures_util::StreamExt;

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
