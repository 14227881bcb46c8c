//! `describe-cli` (hidden): the binary's own command tree as JSON — every subcommand with
//! its flags — so the PowerShell module's contract tests check against what the binary
//! really accepts, not a copy.

use clap::CommandFactory;
use serde_json::{Value, json};

use crate::cli::Cli;
use crate::error::CliError;

pub fn print() -> Result<(), CliError> {
    let mut command = Cli::command();
    // Building propagates global flags into every subcommand.
    command.build();
    let tree = describe(&command, &[]);
    let text = serde_json::to_string_pretty(&tree).map_err(|e| CliError::Other(e.to_string()))?;
    crate::output::write_stdout(&text)
}

fn describe(command: &clap::Command, parents: &[&str]) -> Value {
    let mut path: Vec<&str> = parents.to_vec();
    if !parents.is_empty() || command.get_name() != "commerce-policy" {
        path.push(command.get_name());
    }
    let args: Vec<Value> = command
        .get_arguments()
        .filter(|a| !a.is_hide_set())
        .map(|a| {
            let conflicts: Vec<&str> = command.get_arg_conflicts_with(a).iter().map(|c| c.get_id().as_str()).collect();
            let values: Vec<String> = a.get_possible_values().iter().map(|v| v.get_name().to_string()).collect();
            json!({
                "id": a.get_id().as_str(),
                "long": a.get_long(),
                "positional": a.is_positional(),
                "required": a.is_required_set(),
                "takesValue": a.get_action().takes_values(),
                "global": a.is_global_set(),
                "env": a.get_env().and_then(|e| e.to_str()),
                "possibleValues": values,
                "conflictsWith": conflicts,
            })
        })
        .collect();
    let groups: Vec<Value> = command
        .get_groups()
        .map(|g| {
            let members: Vec<&str> = g.get_args().map(|a| a.as_str()).collect();
            json!({ "id": g.get_id().as_str(), "required": g.is_required_set(), "args": members })
        })
        .collect();
    let subcommands: Vec<Value> =
        command.get_subcommands().filter(|s| s.get_name() != "help").map(|s| describe(s, &path)).collect();
    json!({ "path": path, "hidden": command.is_hide_set(), "args": args, "groups": groups, "subcommands": subcommands })
}
