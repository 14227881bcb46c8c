//! What a person watching a batch of changes sees and can do: a progress bar (on a terminal's
//! stderr, hidden for pipes, CI logs and dry runs), a closing summary with the retries it
//! took, and Ctrl-C, which stops the batch without losing the record of what it did.

use std::io::IsTerminal;
use std::time::Duration;

use commerce_changes::{ChangeResult, Interrupt, Status};
use commerce_model::Target;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// How long changes in flight may still take after Ctrl-C before they are given up.
pub const INTERRUPT_GRACE: Duration = Duration::from_secs(5);

/// A bar over `len` products; `quiet` hides it.
pub fn bar(len: usize, quiet: bool) -> ProgressBar {
    if quiet || len < 2 || !std::io::stderr().is_terminal() {
        return ProgressBar::with_draw_target(Some(len as u64), ProgressDrawTarget::hidden());
    }
    let bar = ProgressBar::with_draw_target(Some(len as u64), ProgressDrawTarget::stderr());
    if let Ok(style) = ProgressStyle::with_template("{bar:30} {pos}/{len} products {elapsed}") {
        bar.set_style(style);
    }
    bar
}

/// One line after a table of results: "25 products: 20 updated, 5 unchanged (37 retries)".
pub fn summary(results: &[ChangeResult], retries: u64) -> String {
    let what = if results.iter().all(|r| matches!(r.target, Target::Product(_))) { "products" } else { "targets" };
    let statuses = [
        (Status::Updated, "updated"),
        (Status::Unchanged, "unchanged"),
        (Status::WouldUpdate, "would update"),
        (Status::Conflict, "conflict"),
        (Status::Failed, "failed"),
        (Status::NotAttempted, "not attempted"),
    ];
    let counts: Vec<String> = statuses
        .iter()
        .map(|(status, name)| (results.iter().filter(|r| r.status == *status).count(), name))
        .filter(|(n, _)| *n > 0)
        .map(|(n, name)| format!("{n} {name}"))
        .collect();
    let retries = if retries == 1 { "1 retry".to_string() } else { format!("{retries} retries") };
    format!("\n{} {what}: {} ({retries})\n", results.len(), counts.join(", "))
}

/// An [`Interrupt`] that the first Ctrl-C (SIGINT) stops, and a second one, or
/// [`INTERRUPT_GRACE`] after the first, abandons. The handler is in place when this returns,
/// so from then on Ctrl-C no longer kills the process part way.
pub fn interrupt_on_ctrl_c() -> Interrupt {
    let interrupt = Interrupt::new();
    let Some(mut signals) = ctrl_c_signals() else { return interrupt };
    let watched = interrupt.clone();
    tokio::spawn(async move {
        signals.recv().await;
        watched.stop();
        tokio::select! {
            _ = signals.recv() => {},
            () = tokio::time::sleep(INTERRUPT_GRACE) => {},
        }
        watched.abandon();
    });
    interrupt
}

#[cfg(unix)]
fn ctrl_c_signals() -> Option<tokio::signal::unix::Signal> {
    tokio::signal::unix::signal(tokio::signal::unix::SignalKind::interrupt()).ok()
}

#[cfg(windows)]
fn ctrl_c_signals() -> Option<tokio::signal::windows::CtrlC> {
    tokio::signal::windows::ctrl_c().ok()
}

#[cfg(test)]
mod tests {
    use commerce_changes::{ChangeResult, Status};
    use commerce_model::Target;

    #[test]
    fn the_summary_counts_each_status_and_the_retries() {
        let result = |status| ChangeResult {
            policy_id: "AllowSelfServicePurchase".parse().unwrap(),
            target: Target::Product("CFQ7TTC0H9MP".parse().unwrap()),
            name: String::new(),
            before: None,
            after: None,
            status,
            failure: None,
            correlation_id: None,
        };
        let results = [result(Status::Updated), result(Status::Updated), result(Status::Unchanged)];
        assert_eq!(super::summary(&results, 37), "\n3 products: 2 updated, 1 unchanged (37 retries)\n");
    }
}
