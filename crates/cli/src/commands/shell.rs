//! `completions SHELL` and `man`: the shell's completion script and a roff man page, both
//! generated from the command tree itself, so they never drift from what the binary accepts.

use clap_complete::Shell;

use crate::command_tree;
use crate::error::CliError;
use crate::output::write_stdout;

/// Prints the completion script of `shell` to stdout.
pub fn completions(shell: Shell) -> Result<(), CliError> {
    let mut command = command_tree::command();
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut command, "commerce-policy", &mut script);
    write_stdout(&text(script)?)
}

/// Prints the man page (roff, section 1) to stdout: `commerce-policy man > commerce-policy.1`.
pub fn man() -> Result<(), CliError> {
    let mut page = Vec::new();
    clap_mangen::Man::new(command_tree::command())
        .render(&mut page)
        .map_err(|e| CliError::Other(format!("could not render the man page: {e}")))?;
    write_stdout(&text(page)?)
}

fn text(bytes: Vec<u8>) -> Result<String, CliError> {
    String::from_utf8(bytes).map_err(|e| CliError::Other(format!("generated text is not UTF-8: {e}")))
}
