//! What the binary writes to stderr besides its answer: the request log of `--verbose`,
//! warnings, notices (the implicit local default, the device-code prompt) and the one line
//! of a failed command. `--log-format json` makes each of them one JSON object per line,
//! with `level` and `message` (and the request fields: method, path, status, attempts,
//! correlation_id), so the PowerShell module and log shippers read fields instead of
//! parsing text.

use std::sync::atomic::{AtomicBool, Ordering};

use clap::ValueEnum;
use tracing_subscriber::fmt::writer::BoxMakeWriter;

/// The shape of stderr lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// Lines for people.
    Text,
    /// One JSON object per line.
    Json,
}

/// Whether stderr lines are JSON; set once, by [`init`].
static JSON: AtomicBool = AtomicBool::new(false);

/// Starts the log: `default` is the filter unless `RUST_LOG` says otherwise.
pub fn init(format: LogFormat, default: &str) {
    JSON.store(format == LogFormat::Json, Ordering::Relaxed);
    let filter = tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| default.into());
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(log_writer()).with_target(false);
    match format {
        LogFormat::Text => builder.with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr())).init(),
        // Flattened: `message` and the request fields sit beside `level`, not under `fields`.
        LogFormat::Json => builder.json().flatten_event(true).with_current_span(false).with_span_list(false).init(),
    }
}

/// Where log lines go: stderr. On Unix through a duplicate of its descriptor, because a line is
/// formatted whole and written in one `write`, so lines from several threads need no lock;
/// std's `Stderr` takes a process-wide one for each, and `serve`'s workers queued on it
/// (docs/performance.md §7). Windows keeps `Stderr`, which writes a console in UTF-16.
fn log_writer() -> BoxMakeWriter {
    #[cfg(unix)]
    if let Ok(fd) = std::os::fd::AsFd::as_fd(&std::io::stderr()).try_clone_to_owned() {
        return BoxMakeWriter::new(std::fs::File::from(fd));
    }
    BoxMakeWriter::new(std::io::stderr)
}

/// A line for the person at the terminal that is not a log event (it shows without
/// `--verbose`): plain `commerce-policy: …`, or `{"level":…,"message":…}`.
pub fn notice(level: &str, message: &str) {
    if JSON.load(Ordering::Relaxed) {
        eprintln!("{}", serde_json::json!({ "level": level, "message": message }));
    } else {
        eprintln!("commerce-policy: {message}");
    }
}

/// An instruction to the person (the device-code prompt): as it is, or `{"level":"INFO",…}`.
pub fn prompt(message: &str) {
    if JSON.load(Ordering::Relaxed) {
        eprintln!("{}", serde_json::json!({ "level": "INFO", "message": message }));
    } else {
        eprintln!("{message}");
    }
}

/// The one line of a failed command: plain, or `{"level":"ERROR","message":…,"exitCode":N}`.
pub fn failure(message: &str, exit_code: u8) {
    if JSON.load(Ordering::Relaxed) {
        eprintln!("{}", serde_json::json!({ "level": "ERROR", "message": message, "exitCode": exit_code }));
    } else {
        eprintln!("commerce-policy: {message}");
    }
}

/// Whether a command line that clap refused asked for JSON lines (`--log-format json`,
/// `--log-format=json`, or the environment), so even its usage error is one JSON object.
pub fn json_requested(args: &[String]) -> bool {
    let from_args = args.windows(2).any(|w| w[0] == "--log-format" && w[1].eq_ignore_ascii_case("json"))
        || args.iter().any(|a| a.eq_ignore_ascii_case("--log-format=json"));
    let from_env = std::env::var("COMMERCE_POLICY_LOG_FORMAT").is_ok_and(|v| v.trim().eq_ignore_ascii_case("json"));
    from_args || from_env
}

/// Makes [`failure`] write JSON before the log is started (a usage error).
pub fn use_json() {
    JSON.store(true, Ordering::Relaxed);
}
