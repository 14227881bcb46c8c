//! Every cmdlet parameter of the PowerShell module maps onto a flag that the real binary accepts
//! (its own `describe-cli` tree): the command table and what the invoker reads of it, the
//! session, secrets, and the parameter sets against each subcommand's required arguments.

use std::collections::BTreeSet;
use std::process::Command;

use commerce_e2e::powershell::{
    Function, Param, Script, Value, binary_arg, category_of_exit_code, command_table, command_tree, flag_help, invoker,
    is_secure_string, mapping_sets, module_data, module_dir, powershell_files, psm1, public_functions, set_command,
    subcommand,
};
use commerce_e2e::{Sandbox, binary};
use serde_json::Value as Json;

/// Cmdlet parameters that are accepted and deliberately given to nothing: cmdlet, parameter, why.
const UNMAPPED_ALLOWED: &[(&str, &str, &str)] = &[
    (
        "Connect-MSCommerce",
        "RedirectUri",
        "MSCommerce's interactive browser sign-in; the binary's browser sign-in chooses its own loopback redirect",
    ),
    (
        "Connect-MSCommerce",
        "CertificateThumbprint",
        "the binary cannot read the Windows certificate store yet: the cmdlet stops with an error that says \
         to export the certificate to a PFX and use -CertificatePath",
    ),
    ("Connect-MSCommerce", "PassThru", "the cmdlet writes the connection object itself"),
    (
        "Stop-CommerceSelfServiceSubscription",
        "AsPurchaser",
        "chooses the Purchaser parameter set, and with it the subcommand `subscriptions cancel`",
    ),
];

// ---------------------------------------------------------------------------------------------
// Every parameter maps onto a flag the binary really accepts

#[test]
fn every_cmdlet_parameter_maps_onto_a_flag_the_binary_accepts() {
    let table = command_table();
    let functions = public_functions();
    let mut problems = Vec::new();

    let names: BTreeSet<&str> = functions.iter().map(|f| f.name.as_str()).collect();
    let entries: BTreeSet<&str> = table.entries().iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(entries, names, "the command table's cmdlets (left) differ from the public functions (right)");

    for function in &functions {
        let entry = table.get(&function.name).expect("entry");
        let command = entry.get("Command").map(Value::strings).unwrap_or_default();
        let mappings = entry.get("Parameters").map(|p| p.entries().to_vec()).unwrap_or_default();
        // Flags the cmdlet sets itself: checked against the binary like the parameters' flags.
        let implied = entry.get("Implied").map(|p| p.entries().to_vec()).unwrap_or_default();

        let params: BTreeSet<String> = function.params.iter().map(|p| p.name.clone()).collect();
        let mut mapped: BTreeSet<String> = mappings.iter().map(|(k, _)| k.clone()).collect();
        if function.binding_flag("SupportsShouldProcess") {
            // -WhatIf is a common parameter of SupportsShouldProcess cmdlets, not in the param block.
            mapped.remove("WhatIf");
        }
        if params != mapped {
            problems.push(format!("{}: parameters {params:?} but the command table maps {mapped:?}", function.name));
        }
        if command.is_empty() {
            if !mappings.is_empty() {
                problems.push(format!("{}: maps parameters but names no subcommand", function.name));
            }
            continue;
        }
        for (param, mapping) in mappings.iter().chain(&implied) {
            // A parameter set may run a subcommand of its own (SetCommands): the mapping is held
            // against the subcommand of every set in which it reaches the binary.
            let sets = mapping_sets(function, param, mapping);
            if sets.is_empty() {
                problems.push(format!("{} -{param}: its Sets name no parameter set of the cmdlet", function.name));
            }
            for set in &sets {
                if !function.sets().contains(set) {
                    problems.push(format!("{} -{param}: Sets names `{set}`, which is no parameter set", function.name));
                }
            }
            let commands: BTreeSet<Vec<String>> = sets.iter().map(|set| set_command(entry, set)).collect();
            for command in &commands {
                let Some(node) = subcommand(command) else {
                    problems.push(format!("{}: the binary has no subcommand `{}`", function.name, command.join(" ")));
                    continue;
                };
                check_mapping(function, command, node, param, mapping, &mut problems);
            }
        }
        for (set, command) in entry.get("SetCommands").map(Value::entries).unwrap_or_default() {
            if !function.sets().contains(set) {
                problems.push(format!("{}: SetCommands names `{set}`, which is no parameter set", function.name));
            }
            if subcommand(&command.strings()).is_none() {
                problems.push(format!(
                    "{} [{set}]: the binary has no subcommand {:?}",
                    function.name,
                    command.strings()
                ));
            }
        }
    }
    // And the allowed list holds no parameter that is mapped by now, or gone.
    for (cmdlet, param, why) in UNMAPPED_ALLOWED {
        let mapping = table.get(cmdlet).and_then(|e| e.get("Parameters")).and_then(|p| p.get(param));
        if mapping.and_then(|m| m.get("Unmapped")).is_none() {
            problems.push(format!(
                "{cmdlet} -{param} is allowed to map to nothing ({why}), but the table maps it or lacks it"
            ));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// Checks one mapping of the command table against the subcommand `node` (`command`) it reaches.
fn check_mapping(
    function: &Function,
    command: &[String],
    node: &Json,
    param: &str,
    mapping: &Value,
    problems: &mut Vec<String>,
) {
    let at = format!("{} -{param} (`{}`)", function.name, command.join(" "));
    let declared = function.param(param);
    let secure = declared.is_some_and(is_secure_string);
    if let Some(reason) = mapping.get("Unmapped") {
        if !UNMAPPED_ALLOWED.iter().any(|(c, p, _)| *c == function.name && *p == param) {
            problems.push(format!(
                "{at}: maps to nothing ({reason:?}), and is not one of the allowed compatibility parameters"
            ));
        }
        return;
    }
    if param.ends_with("Path") && mapping.get("Path") != Some(&Value::Bool(true)) {
        problems.push(format!("{at}: a file path must be resolved against the PowerShell location (Path = $true)"));
    }
    if secure && (mapping.get("Positional").is_some() || mapping.get("Stdin").is_some()) {
        problems.push(format!("{at}: a [SecureString] must map to Env or SecretStdin"));
    }
    if let Some(id) = mapping.get("Positional").and_then(Value::str) {
        let positional =
            node["args"].as_array().into_iter().flatten().any(|a| a["positional"] == true && a["id"] == id);
        if !positional {
            problems.push(format!("{at}: the binary has no positional argument `{id}`"));
        }
        return;
    }
    let Some(flag) = mapping.get("Flag").and_then(Value::str) else {
        problems.push(format!("{at}: no Flag, Positional or Unmapped"));
        return;
    };
    let Some(arg) = binary_arg(node, flag) else {
        problems.push(format!("{at}: the binary does not accept {flag}"));
        return;
    };
    // A [ValidateSet()] offers only values the binary takes.
    let possible = arg["possibleValues"].as_array().cloned().unwrap_or_default();
    if let Some(values) = declared.and_then(Param::validate_set).filter(|_| !possible.is_empty()) {
        for value in values.iter().filter(|v| !possible.contains(&Json::from(v.as_str()))) {
            problems.push(format!("{at}: [ValidateSet()] offers {value}, which {flag} does not take: {possible:?}"));
        }
    }
    if let Some(format) = mapping.get("OutputFormat").and_then(Value::str) {
        let output = binary_arg(command_tree(), "--output").expect("--output");
        if !output["possibleValues"].as_array().is_some_and(|v| v.contains(&Json::from(format))) {
            problems.push(format!("{at}: OutputFormat {format} is not a value of --output"));
        }
    }
    let is = |key: &str| mapping.get(key) == Some(&Value::Bool(true));
    let env = mapping.get("Env").and_then(Value::str);
    // A secret on stdin goes with a switch of the binary: the flag alone, the value on stdin.
    let switch = is("Switch") || is("SecretStdin");
    if env.is_none() && arg["takesValue"] != !switch {
        problems.push(format!("{at}: {flag} takesValue is {}, the table says Switch = {switch}", arg["takesValue"]));
    }
    if let Some(env) = env {
        // The flag's own variable, or one its help says goes with it (a PFX password).
        let real = arg["env"].as_str();
        if real != Some(env) && !flag_help(command, flag).contains(env) {
            problems.push(format!(
                    "{at}: the module passes {env}, but the binary reads {flag} from {real:?} and its help does not name {env}"
                ));
        }
    }
    if let Some(desktop) = mapping.get("DesktopEnv").and_then(Value::str) {
        // Windows PowerShell's stdin starts with a byte order mark: the secret goes in the
        // variable the binary reads for that flag instead.
        if !is("SecretStdin") || !flag_help(command, flag).contains(desktop) {
            problems.push(format!("{at}: DesktopEnv {desktop} must go with SecretStdin and be named by {flag}'s help"));
        }
    }
    if is("SecretStdin") {
        if !secure {
            problems.push(format!("{at}: a secret on stdin must come from a [SecureString] parameter"));
        }
        if !flag_help(command, flag).contains("stdin") {
            problems.push(format!("{at}: the help of {flag} does not say that it reads stdin"));
        }
    }
    if is("Interactive") && !is("Switch") {
        problems
            .push(format!("{at}: Interactive goes with a switch (the flag that makes the binary talk to a person)"));
    }
    // A SecureString never becomes an argument: only an environment variable of the
    // child, or standard input.
    if secure && env.is_none() && !is("SecretStdin") {
        problems.push(format!("{at}: a [SecureString] must map to Env or SecretStdin, never onto {flag} itself"));
    }
}

#[test]
fn every_key_of_the_command_table_is_one_the_invoker_reads() {
    // A misspelt key (`Swich`, `Keepfailed`) would be ignored by PowerShell without a word.
    let source = invoker().source;
    // PowerShell reads `$Entry.Key` and `$entry.Key` alike.
    let source = source.to_ascii_lowercase();
    let read = |variable: &str, key: &str| source.contains(&format!("${variable}.{key}").to_ascii_lowercase());
    let mut problems = Vec::new();
    for (cmdlet, entry) in command_table().entries() {
        for (key, _) in entry.entries() {
            if !read("entry", key) {
                problems.push(format!("{cmdlet}: key {key} is not read as $entry.{key} by the invoker"));
            }
        }
        let implied = entry.get("Implied").map(Value::entries).unwrap_or_default();
        for (param, mapping) in entry.get("Parameters").map(Value::entries).unwrap_or_default().iter().chain(implied) {
            for (key, _) in mapping.entries() {
                if !read("mapping", key) {
                    problems.push(format!("{cmdlet} -{param}: key {key} is not read as $mapping.{key} by the invoker"));
                }
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn the_session_keeps_only_an_endpoint_and_a_token_that_every_subcommand_accepts() {
    // $script:Session is applied to every cmdlet through $script:SessionParameters: nothing of a
    // sign-in (tenant, client, secret, certificate) may ever reach another subcommand.
    let map = module_data().get("SessionParameters").cloned().expect("SessionParameters of the data file");
    let names: BTreeSet<&str> = map.entries().iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(names, BTreeSet::from(["AccessToken", "Endpoint"]), "what the session may keep");
    let connect =
        command_table().get("Connect-MSCommerce").and_then(|e| e.get("Parameters")).cloned().expect("Connect");
    for (name, mapping) in map.entries() {
        assert_eq!(connect.get(name), Some(mapping), "the session maps -{name} as Connect-MSCommerce does");
        let flag = mapping.get("Flag").and_then(Value::str).expect("Flag");
        let arg = binary_arg(command_tree(), flag).unwrap_or_else(|| panic!("{flag} is not a global flag"));
        assert_eq!(arg["global"], true, "{flag} must reach every subcommand");
        if let Some(env) = mapping.get("Env").and_then(Value::str) {
            assert_eq!(arg["env"].as_str(), Some(env), "{flag}");
        }
    }
    // The invoker maps the session with that table, not with Connect-MSCommerce's entry.
    let invoker = invoker().source;
    assert!(invoker.contains("Map = $script:SessionParameters; Settings = $script:Session"), "the session's map");
    assert!(
        psm1().source.contains("$script:SessionParameters = $script:ModuleData.SessionParameters"),
        "read at import"
    );
    assert!(!invoker.contains("$script:CommandTable['Connect-MSCommerce']"), "the session must not use Connect's map");
}

#[test]
fn a_person_signing_in_sees_the_binarys_instruction_in_every_host() {
    // The binary writes "To sign in, open URL and enter the code CODE" (or a browser's URL) on
    // stderr and waits: stderr is always redirected and relayed line by line as it arrives, so
    // the instruction shows in hosts without a console; the interactive flows get no hidden
    // window.
    let table = command_table();
    let connect = table.get("Connect-MSCommerce").expect("Connect-MSCommerce");
    let interactive = |key: &str| -> Vec<String> {
        connect
            .get(key)
            .map(Value::entries)
            .unwrap_or_default()
            .iter()
            .filter(|(_, m)| m.get("Interactive") == Some(&Value::Bool(true)))
            .filter_map(|(_, m)| m.get("Flag").and_then(Value::str).map(str::to_string))
            .collect()
    };
    assert_eq!(interactive("Parameters"), ["--device-code"]);
    assert_eq!(interactive("Implied"), ["--browser"]);
    // The default set names its flow by the keys the table maps: DeviceCode, Browser, NoSignIn.
    let invoker = invoker().source;
    for flow in ["'DeviceCode'", "'Browser'", "'NoSignIn'"] {
        assert!(invoker.contains(&format!("return {flow}")) || invoker.contains(&format!("    {flow}\n")), "{flow}");
    }
    assert!(invoker.contains("$startInfo.RedirectStandardError = $true"), "stderr is always redirected");
    assert!(invoker.contains("$startInfo.CreateNoWindow = -not $Interactive"), "no hidden window for a person");
    assert!(invoker.contains("Write-CommercePolicyStandardError -Line $_"), "each line relayed as it arrives");
    assert!(
        invoker.contains("Write-Information -MessageData $shown -InformationAction Continue"),
        "shown in every host"
    );
    assert!(invoker.contains("Interactive         = $call.Interactive"), "the call's Interactive reaches the process");
}

#[test]
fn the_mscommerce_named_cmdlets_require_a_connection_and_the_others_do_not() {
    // The MSCommerce-named cmdlets never fall back to the embedded local store by themselves
    // (Microsoft365DSC calls them with -Token and no Connect-MSCommerce); connect and disconnect
    // make and remove the connection, and the baseline cmdlets keep the binary's own choice.
    let mut problems = Vec::new();
    for (cmdlet, entry) in command_table().entries() {
        let requires = entry.get("RequireConnection") == Some(&Value::Bool(true));
        let wanted = cmdlet.contains("-MSCommerce")
            && !["Connect-MSCommerce", "Disconnect-MSCommerce"].contains(&cmdlet.as_str());
        if requires != wanted {
            problems.push(format!("{cmdlet}: RequireConnection is {requires}, should be {wanted}"));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    let flags = module_data().get("InvariantFlags").cloned().expect("InvariantFlags");
    assert_eq!(flags.get("RequireConnection").map(Value::strings), Some(vec!["--require-connection".to_string()]));
    let invoker = invoker().source;
    assert!(invoker.contains("if ($entry.RequireConnection)"), "the call adds the flag");
    // Exit 3 of such a cmdlet says to run Connect-MSCommerce.
    assert!(invoker.contains("$Run.ExitCode -eq 3 -and $Entry.RequireConnection"), "exit 3 explained");
    let action = module_data().get("NotConnectedAction").and_then(Value::str).map(str::to_string).unwrap_or_default();
    assert!(action.contains("Connect-MSCommerce"), "{action}");
    assert_eq!(category_of_exit_code(3).as_deref(), Some("AuthenticationError"));
    // The binary's (hidden) global flag: without a connection it refuses the implicit local
    // store with exit 3 and a line that says to connect; an explicit endpoint still works.
    let sandbox = Sandbox::new();
    let refused = sandbox.run(&["--require-connection", "policies", "list", "--output", "json"]);
    refused.assert_fails_with(3);
    assert!(refused.stderr.contains("not connected"), "{refused:?}");
    sandbox.run(&["--require-connection", "--endpoint", "local", "policies", "list", "--output", "json"]).assert_ok();
}

#[test]
fn every_environment_of_connect_mscommerce_is_one_the_binary_accepts() {
    let functions = public_functions();
    let connect = functions.iter().find(|f| f.name == "Connect-MSCommerce").expect("Connect-MSCommerce");
    let values = connect.param("Environment").and_then(Param::validate_set).expect("-Environment has a ValidateSet");
    for canonical in ["worldwide", "usgov-high", "usgov-dod", "china"] {
        assert!(values.iter().any(|v| v == canonical), "-Environment lacks {canonical}: {values:?}");
    }
    for value in &values {
        let sandbox = Sandbox::new();
        // -AccessToken: no network; the binary resolves the cloud and prints its name.
        let run = sandbox.run(&["connect", "--environment", value, "--access-token", "t", "--output", "json"]);
        run.assert_ok();
        let cloud = run.json()["Environment"].as_str().map(str::to_string).unwrap_or_default();
        assert!(["worldwide", "usgov-high", "usgov-dod", "china"].contains(&cloud.as_str()), "{value}: {run:?}");
        if ["worldwide", "usgov-high", "usgov-dod", "china"].contains(&value.as_str()) {
            assert_eq!(&cloud, value);
        }
    }
}

#[test]
fn connect_reads_the_client_secret_that_the_module_writes_on_stdin() {
    // Connect-MSCommerce -ClientSecret: the switch, and the secret on stdin with the line break
    // of StreamWriter.WriteLine (CRLF on Windows). The authority is unreachable: a secret that
    // was read gets as far as signing in (exit 7); an unread one would be a usage error (2).
    let secret = "TESTONLY-module-secret-4fJ9";
    let sandbox = Sandbox::new();
    let args = [
        "connect",
        "--tenant-id",
        "contoso.onmicrosoft.com",
        "--client-id",
        "7d3c1f0a-2b4e-4c6d-8e9f-0a1b2c3d4e01",
        "--client-secret",
        "--authority",
        "http://127.0.0.1:9",
        "--max-retries",
        "0",
        "--output",
        "json",
    ];
    for line_break in ["\n", "\r\n"] {
        let run = sandbox.run_with_stdin(&args, &format!("{secret}{line_break}"));
        assert_eq!(run.code, 7, "{run:?}");
        assert!(!run.stdout.contains(secret) && !run.stderr.contains(secret), "the secret leaked: {run:?}");
    }
    let unread = sandbox.run_with_stdin(&args, "");
    unread.assert_fails_with(2);
    assert_eq!(category_of_exit_code(7).as_deref(), Some("ConnectionError"));
    assert_eq!(category_of_exit_code(3).as_deref(), Some("AuthenticationError"));
}

#[test]
fn every_parameter_set_satisfies_the_subcommands_required_arguments() {
    let table = command_table();
    let mut problems = Vec::new();
    for function in public_functions() {
        let entry = table.get(&function.name).expect("entry");
        let mappings = entry.get("Parameters").expect("Parameters");
        for set in function.sets() {
            // Each set runs its own subcommand where SetCommands says so.
            let command = set_command(entry, &set);
            let Some(node) = (!command.is_empty()).then(|| subcommand(&command)).flatten() else { continue };
            // The binary's argument id that a parameter reaches.
            let arg_id = |param: &str| -> Option<String> {
                let mapping = mappings.get(param)?;
                if let Some(id) = mapping.get("Positional").and_then(Value::str) {
                    return Some(id.to_string());
                }
                Some(binary_arg(node, mapping.get("Flag")?.str()?)?["id"].as_str()?.to_string())
            };
            let given: BTreeSet<String> = function
                .params
                .iter()
                .filter(|p| p.membership(&set).is_some_and(|(mandatory, _)| mandatory))
                .filter_map(|p| arg_id(&p.name))
                .collect();
            for arg in node["args"].as_array().into_iter().flatten().filter(|a| a["required"] == true) {
                let id = arg["id"].as_str().unwrap_or_default().to_string();
                if !given.contains(&id) {
                    problems
                        .push(format!("{} [{set}]: no mandatory parameter gives the required `{id}`", function.name));
                }
            }
            for group in node["groups"].as_array().into_iter().flatten().filter(|g| g["required"] == true) {
                let ids: Vec<String> = group["args"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|a| a.as_str().map(str::to_string))
                    .collect();
                if !ids.iter().any(|id| given.contains(id)) {
                    problems.push(format!("{} [{set}]: no mandatory parameter gives one of {ids:?}", function.name));
                }
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn every_flag_the_module_writes_is_one_the_binary_accepts() {
    let mut longs = BTreeSet::new();
    fn walk(node: &Json, longs: &mut BTreeSet<String>) {
        for arg in node["args"].as_array().into_iter().flatten() {
            if let Some(long) = arg["long"].as_str() {
                longs.insert(format!("--{long}"));
            }
        }
        for sub in node["subcommands"].as_array().into_iter().flatten() {
            walk(sub, longs);
        }
    }
    walk(command_tree(), &mut longs);

    let mut problems = Vec::new();
    let mut seen = 0;
    for file in powershell_files().into_iter().filter(|f| f.starts_with(module_dir())) {
        let script = Script::load(&file);
        for node in script.nodes().into_iter().filter(|n| n.kind() == "verbatim_string_characters") {
            let Value::Str(text) = Value::read(&script, node) else { continue };
            if text.starts_with("--") && text.len() > 2 {
                seen += 1;
                if !longs.contains(&text) && !accepted_as_hidden_global_switch(&text) {
                    problems.push(format!("{}: `{text}` is not a flag of commerce-policy", script.at(node)));
                }
            }
        }
    }
    assert!(seen >= 8, "expected the module's flags, found {seen}");
    assert!(problems.is_empty(), "{}", problems.join("\n"));

    let flags = module_data().get("InvariantFlags").cloned().expect("InvariantFlags");
    let output = flags.get("Output").map(Value::strings).unwrap_or_default();
    let global = binary_arg(command_tree(), &output[0]).expect("--output is a global flag");
    assert!(
        global["possibleValues"].as_array().is_some_and(|v| v.contains(&Json::from(output[1].as_str()))),
        "{output:?}"
    );
}

/// Whether the binary accepts a flag that its command tree hides (`--require-connection`): a
/// global switch it takes before any subcommand.
fn accepted_as_hidden_global_switch(flag: &str) -> bool {
    Command::new(binary()).args([flag, "describe-cli"]).output().is_ok_and(|o| o.status.success())
}
