//! `commerce-policy`: parse the command line, run the command, turn a failure into one line
//! on stderr and the exit code of DESIGN.md.

mod catalog_ids;
mod cli;
mod command_tree;
mod commands;
mod endpoint;
mod error;
mod junit;
mod log;
mod output;
mod progress;
mod records;
mod text;

use std::process::ExitCode;

use clap::FromArgMatches;

use crate::cli::{Cli, Command};
use crate::error::exit;

/// mimalloc instead of glibc's allocator: `serve` allocates per request on every worker
/// thread, and glibc's arenas spent about a tenth of the service's time (docs/performance.md §7).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = match parse() {
        Ok(cli) => cli,
        Err(e) => return usage_error(e),
    };
    init_logging(&cli);
    let runtime = match &cli.command {
        Command::Serve(_) => tokio::runtime::Builder::new_multi_thread().enable_all().build(),
        _ => tokio::runtime::Builder::new_current_thread().enable_all().build(),
    };
    let outcome = match runtime {
        Ok(runtime) => runtime.block_on(commands::run(cli)),
        Err(e) => Err(error::CliError::Other(format!("could not start: {e}"))),
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            log::failure(&e.to_string(), e.exit_code());
            ExitCode::from(e.exit_code())
        }
    }
}

/// The command line, with where `--output` came from (the matches know, the struct not).
fn parse() -> Result<Cli, clap::Error> {
    let matches = command_tree::command().try_get_matches()?;
    let mut cli = Cli::from_arg_matches(&matches)?;
    cli.global.output_on_command_line = output_source(&matches) == Some(clap::parser::ValueSource::CommandLine);
    Ok(cli)
}

/// Where the global `--output` came from, looked up in the subcommand that took it.
fn output_source(matches: &clap::ArgMatches) -> Option<clap::parser::ValueSource> {
    let mut current = matches;
    let mut source = current.value_source("output");
    while let Some((_, sub)) = current.subcommand() {
        if let Some(s) = sub.value_source("output") {
            source = Some(s);
        }
        current = sub;
    }
    source
}

/// Help and version go to stdout with 0; a usage error becomes one line and exit 2. A
/// command with no subcommand (`commerce-policy`, `commerce-policy policies`) is a usage
/// error too, exit 2, but its message is the whole help (usage and the subcommands) on
/// stderr: one mashed line would show only the description.
fn usage_error(e: clap::Error) -> ExitCode {
    if !e.use_stderr() {
        let _ = e.print();
        return ExitCode::SUCCESS;
    }
    if e.kind() == clap::error::ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand {
        let _ = e.print();
        return ExitCode::from(exit::USAGE);
    }
    let text = e.render().to_string();
    let message =
        text.split("\n\nUsage:").next().unwrap_or(&text).split("\n\nFor more information").next().unwrap_or(&text);
    let one_line = message.split_whitespace().collect::<Vec<_>>().join(" ");
    if log::json_requested(&std::env::args().collect::<Vec<_>>()) {
        log::use_json();
    }
    log::failure(&format!("{} — see --help", one_line.trim_start_matches("error: ")), exit::USAGE);
    ExitCode::from(exit::USAGE)
}

/// Logs go to stderr: requests of `serve`, and with `--verbose` every request and retry with
/// its correlation id; `--log-format` says text or JSON. `RUST_LOG` overrides the levels.
fn init_logging(cli: &Cli) {
    let default = match (&cli.command, cli.global.verbose) {
        (Command::Serve(_), _) => "info",
        (_, true) => "warn,commerce_client=debug",
        (_, false) => "warn",
    };
    log::init(cli.global.log_format, default);
}
