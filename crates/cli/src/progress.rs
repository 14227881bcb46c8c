//! A progress bar for a batch of changes, when a person is watching: on a terminal's stderr,
//! hidden for pipes, CI logs and dry runs.

use std::io::IsTerminal;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

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
