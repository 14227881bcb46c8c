//! The command tree as the binary uses it: `Cli`'s, with the client flags hidden where no
//! request is sent.

use crate::cli::Cli;

/// The command tree as it parses, helps and completes. The client flags are global (so
/// `-o json policies list` and `policies list -o json` both work), which puts them on every
/// subcommand; on those that send no request (`serve`, `completions`, `man`) they are
/// hidden, so `serve --help` lists only what serve uses.
pub fn command() -> clap::Command {
    let mut command = <Cli as clap::CommandFactory>::command();
    command.build();
    for name in ["serve", "completions", "man"] {
        // `mut_args` keeps the built argument order (`mut_arg` would move the argument
        // and leave the built lookup of flags pointing at the wrong ones).
        command = command.mut_subcommand(name, |sub| {
            sub.mut_args(|a| {
                let client = CLIENT_ARGS.contains(&a.get_id().as_str());
                if client { a.hide(true) } else { a }
            })
        });
    }
    command
}

/// The global flags that only matter to a command that sends requests.
const CLIENT_ARGS: [&str; 8] =
    ["endpoint", "graph_endpoint", "output", "access_token", "timeout", "retry_timeout", "max_retries", "verbose"];

#[cfg(test)]
mod tests {
    #[test]
    fn the_adjusted_tree_is_consistent() {
        super::command().debug_assert();
    }
}
