//! What the PowerShell module reads of the binary: every type name has a format view whose
//! columns the binary prints, the JSON of a batch as the module reads it, and the exit codes the
//! module turns into error categories (-Quiet, -WhatIf, conflicts, -Verbose); tab completion.

use std::collections::{BTreeMap, BTreeSet};

use commerce_e2e::powershell::{
    Value, category_of_exit_code, command_parameters, command_table, exit_code_error, invoker, module_data, module_dir,
    psm1, public_functions, repo_root,
};
use commerce_e2e::{Run, Sandbox};
use serde_json::Value as Json;

// ---------------------------------------------------------------------------------------------
// The objects and the formats

/// A baseline that differs from the seeded store: many products start out enabled.
const DISABLE_ALL: &str = r#"{"policyId": "AllowSelfServicePurchase", "default": "Disabled"}"#;
/// A baseline of offer types only: its plan and apply rows carry Scope, ScopeId and ScopeValue.
const DISABLE_SAAS: &str = r#"{"policyId": "AllowSelfServicePurchase", "offerTypes": {"SaaS": "Disabled"}}"#;

/// The views of CommercePolicy.Format.ps1xml: type name and the properties its columns show.
pub(crate) fn format_views() -> BTreeMap<String, Vec<String>> {
    let xml = std::fs::read_to_string(module_dir().join("CommercePolicy.Format.ps1xml")).expect("Format.ps1xml");
    let document = roxmltree::Document::parse(&xml).expect("CommercePolicy.Format.ps1xml is XML");
    let texts = |view: roxmltree::Node, tag: &str| -> Vec<String> {
        view.descendants()
            .filter(|n| n.has_tag_name(tag))
            .filter_map(|n| n.text())
            .map(|t| t.trim().to_string())
            .collect()
    };
    document
        .descendants()
        .filter(|n| n.has_tag_name("View"))
        .map(|view| (texts(view, "TypeName").concat(), texts(view, "PropertyName")))
        .collect()
}

#[test]
fn every_type_name_has_a_view_whose_columns_the_binary_prints() {
    // A call of the binary, made as the module makes it, that prints objects of each type.
    let samples: &[(&str, &[&str], &str)] = &[
        ("CommercePolicy.Policy", &["policies", "list", "--output", "json"], ""),
        // Connect-MSCommerce -AccessToken: no network, the token is kept as it is.
        (
            "CommercePolicy.Connection",
            &["connect", "--access-token", "not-a-real-token", "--endpoint", "http://127.0.0.1:9", "--output", "json"],
            "",
        ),
        (
            "CommercePolicy.ProductPolicy",
            &["product-policies", "list", "--policy-id", "AllowSelfServicePurchase", "--output", "json"],
            "",
        ),
        (
            "CommercePolicy.ScopePolicy",
            &[
                "product-policies",
                "list",
                "--policy-id",
                "AllowSelfServicePurchase",
                "--scope",
                "OfferType",
                "--output",
                "json",
            ],
            "",
        ),
        (
            "CommercePolicy.ProductPolicyUpdate",
            &[
                "product-policies",
                "update",
                "--policy-id",
                "AllowSelfServicePurchase",
                "--value",
                "Disabled",
                "--product-id",
                "-",
                "--what-if",
                "--output",
                "json",
            ],
            "CFQ7TTC0H9MP\nCFQ7TTC0HD33\n",
        ),
        (
            "CommercePolicy.ScopePolicyUpdate",
            &[
                "product-policies",
                "update",
                "--policy-id",
                "AllowSelfServicePurchase",
                "--value",
                "Disabled",
                "--offer-type",
                "SaaS",
                "--what-if",
                "--output",
                "json",
            ],
            "",
        ),
        ("CommercePolicy.BaselineDrift", &["plan", "--file", "-", "--output", "json"], DISABLE_ALL),
        ("CommercePolicy.ScopeBaselineDrift", &["plan", "--file", "-", "--output", "json"], DISABLE_SAAS),
        // Invoke-CommercePolicyBaseline's results are update results too.
        ("CommercePolicy.ProductPolicyUpdate", &["apply", "--file", "-", "--output", "json"], DISABLE_ALL),
        ("CommercePolicy.ScopePolicyUpdate", &["apply", "--file", "-", "--output", "json"], DISABLE_SAAS),
    ];
    let views = format_views();
    let table = command_table();
    let mut type_names: BTreeSet<String> = BTreeSet::new();
    for (_, entry) in table.entries() {
        for key in ["TypeName", "ScopeTypeName"] {
            if let Some(name) = entry.get(key).and_then(Value::str).filter(|n| !n.is_empty()) {
                type_names.insert(name.to_string());
            }
        }
    }
    // The administration cmdlets' types have samples of their own, over a tenant (module_admin).
    let sampled: BTreeSet<String> = samples
        .iter()
        .map(|(t, _, _)| t.to_string())
        .chain(crate::module_admin::ADMIN_TYPE_NAMES.iter().map(|t| t.to_string()))
        .collect();
    assert_eq!(type_names, sampled, "type names of the command table");

    for (type_name, args, stdin) in samples {
        let columns =
            views.get(*type_name).unwrap_or_else(|| panic!("no view for {type_name} in CommercePolicy.Format.ps1xml"));
        let run = Sandbox::new().against("local").run_with_stdin(args, stdin);
        run.assert_ok();
        let objects = run.json();
        assert_ne!(objects, Json::Array(Vec::new()), "`{}` printed no objects to check", args.join(" "));
        let first = objects.as_array().and_then(|a| a.first()).cloned().unwrap_or(objects);
        for column in columns {
            assert!(
                first.get(column).is_some(),
                "{type_name}: the view shows {column}, which `{}` does not print: {first}",
                args.join(" ")
            );
        }
    }
}

/// The call Update-MSCommerceProductPolicy makes for piped products: the wanted value (and
/// --what-if) in `flags`, the ids on standard input.
fn update_piped(flags: &[&str], ids: &str) -> Run {
    let mut args = vec!["product-policies", "update", "--policy-id", "AllowSelfServicePurchase"];
    args.extend_from_slice(flags);
    args.extend(["--product-id", "-", "--output", "json"]);
    Sandbox::new().against("local").run_with_stdin(&args, ids)
}

/// Each result's Status by its ProductId (the binary answers in the order products finish).
fn status_by_product(results: &[Json]) -> BTreeMap<&str, &str> {
    results.iter().map(|r| (r["ProductId"].as_str().unwrap_or(""), r["Status"].as_str().unwrap_or(""))).collect()
}

#[test]
fn update_through_stdin_answers_every_product_once_as_the_module_reads_it() {
    let run = update_piped(&["--enabled", "False"], "CFQ7TTC0H9MP\r\nCFQ7TTC0HD33\r\nCFQ7TTC0ZZZZ\r\n");
    // One unknown product makes the batch exit 5 (not found), with one line on stderr.
    run.assert_fails_with(5);
    let results = run.json();
    let results = results.as_array().expect("the batch prints every result as a JSON array");
    assert_eq!(
        status_by_product(results),
        BTreeMap::from([("CFQ7TTC0H9MP", "Updated"), ("CFQ7TTC0HD33", "Updated"), ("CFQ7TTC0ZZZZ", "Failed")])
    );
    assert_eq!(results.len(), 3, "one result per product");
    let failed = results.iter().find(|r| r["Status"] == "Failed").expect("the failed result");
    assert_eq!(failed["ExitCode"], 5, "a failed result carries the exit code the module maps to a category");
    assert!(failed["Error"].as_str().is_some_and(|e| e.contains("correlation id")), "{failed}");
    assert!(run.stderr.starts_with("commerce-policy: "), "{run:?}");
}

// ---------------------------------------------------------------------------------------------
// The answers of the binary that the module reads beyond its objects

#[test]
fn what_if_answers_a_value_the_service_would_refuse_with_a_failed_result() {
    // Update-MSCommerceProductPolicy -WhatIf makes this call; the invoker writes a result with an
    // ExitCode as an error record, and gives it no "What if:" line (-Preview).
    let run = update_piped(
        &["--value", "OnlyTrialsWithoutPaymentMethod", "--what-if"],
        // Power BI Pro offers no trial without a payment method; Visio Plan 1 does.
        "CFQ7TTC0H9MP\nCFQ7TTC0HD33\n",
    );
    run.assert_fails_with(2);
    let results = run.json();
    let results = results.as_array().expect("every result, as a JSON array");
    assert_eq!(
        status_by_product(results),
        BTreeMap::from([("CFQ7TTC0H9MP", "Failed"), ("CFQ7TTC0HD33", "WouldUpdate")])
    );
    let refused = results.iter().find(|r| r["Status"] == "Failed").expect("the refused result");
    assert_eq!(refused["ExitCode"], 2, "{refused}");
    assert!(refused["Error"].as_str().is_some_and(|e| e.starts_with("would be refused: ")), "{refused}");
    assert!(results.iter().filter(|r| r["Status"] != "Failed").all(|r| r["ExitCode"].is_null()));
    assert_eq!(category_of_exit_code(2).as_deref(), Some("InvalidArgument"));
}

#[test]
fn a_conflict_during_apply_is_a_result_with_the_conflict_exit_code() {
    // Invoke-CommercePolicyBaseline -PlanPath: a product changed since the plan was saved.
    let sandbox = Sandbox::new();
    let saved = sandbox.path("plan.json");
    let baseline =
        r#"{"policyId": "AllowSelfServicePurchase", "products": {"CFQ7TTC0HDB1": "OnlyTrialsWithoutPaymentMethod"}}"#;
    sandbox
        .against("local")
        .run_with_stdin(&["plan", "--file", "-", "--out", saved.to_str().expect("UTF-8 path")], baseline)
        .assert_ok();
    sandbox
        .against("local")
        .run(&[
            "product-policies",
            "update",
            "--policy-id",
            "AllowSelfServicePurchase",
            "--product-id",
            "CFQ7TTC0HDB1",
            "--value",
            "Disabled",
        ])
        .assert_ok();
    let run =
        sandbox.against("local").run(&["apply", "--plan", saved.to_str().expect("UTF-8 path"), "--output", "json"]);
    run.assert_fails_with(6);
    let results = run.json();
    let conflict = results.as_array().and_then(|r| r.first()).expect("the conflicting result");
    assert_eq!(conflict["Status"], "Conflict", "{conflict}");
    assert_eq!(conflict["ExitCode"], 6, "{conflict}");
    assert_eq!(category_of_exit_code(6).as_deref(), Some("ResourceBusy"));
}

#[test]
fn quiet_reads_the_drift_exit_code_of_plan() {
    // Test-CommercePolicyBaseline -Quiet: $false on exit 8, $true on exit 0, both with JSON.
    let table = command_table();
    let quiet = table.get("Test-CommercePolicyBaseline").and_then(|e| e.get("Parameters")).and_then(|p| p.get("Quiet"));
    assert_eq!(quiet.and_then(|q| q.get("Flag")).and_then(Value::str), Some("--detailed-exitcode"));
    let drift_code = module_data().get("DriftExitCode").cloned().expect("DriftExitCode");
    assert_eq!(drift_code, Value::Other("8".to_string()));
    // Exit 8 with JSON is plan's answer, not an error of Test-CommercePolicyBaseline.
    let answers = table.get("Test-CommercePolicyBaseline").and_then(|e| e.get("AnswerCodes")).cloned();
    assert_eq!(answers, Some(Value::List(vec![drift_code.clone()])), "AnswerCodes = @(8)");

    let sandbox = Sandbox::new();
    let plan = ["plan", "--file", "-", "--detailed-exitcode", "--output", "json"];
    let drift = sandbox.against("local").run_with_stdin(&plan, DISABLE_ALL);
    drift.assert_fails_with(8);
    assert!(drift.json().as_array().is_some_and(|a| !a.is_empty()), "{drift:?}");

    sandbox.against("local").run_with_stdin(&["apply", "--file", "-", "--output", "json"], DISABLE_ALL).assert_ok();
    let matched = sandbox.against("local").run_with_stdin(&plan, DISABLE_ALL);
    matched.assert_ok();
    assert_eq!(matched.json(), Json::Array(Vec::new()));
}

#[test]
fn verbose_logs_every_request_with_the_fields_that_verbose_shows() {
    // ConvertTo-CommercePolicyVerboseMessage reads '<timestamp> <LEVEL> request name=value ...'.
    let fields = invoker().assignment("$script:RequestLogFields").expect("$script:RequestLogFields").strings();
    assert!(fields.contains(&"correlation_id".to_string()), "{fields:?}");
    let run = Sandbox::new().run(&[
        "product-policies",
        "get",
        "--policy-id",
        "AllowSelfServicePurchase",
        "--product-id",
        "CFQ7TTC0H9MP",
        "--output",
        "json",
        "--verbose",
    ]);
    run.assert_ok();
    let requests: Vec<&str> = run.stderr.lines().filter(|l| l.split_whitespace().nth(2) == Some("request")).collect();
    assert!(!requests.is_empty(), "no request line: {run:?}");
    for line in requests {
        let level = line.split_whitespace().nth(1).unwrap_or_default();
        assert!(["TRACE", "DEBUG", "INFO", "WARN", "ERROR"].contains(&level), "{line}");
        let found: BTreeMap<&str, &str> = line
            .split_whitespace()
            .filter_map(|word| word.split_once('='))
            .map(|(name, value)| (name, value.trim_matches('"')))
            .collect();
        for field in &fields {
            assert!(found.contains_key(field.as_str()), "{line} has no {field}=");
        }
        assert_eq!(found["status"], "200", "{line}");
        assert_eq!(found["correlation_id"].len(), 36, "a UUID: {line}");
    }
}

#[test]
fn verbose_log_lines_are_json_objects_with_level_message_and_the_request_fields() {
    // The module passes --log-format json and reads each stderr line as an object: level
    // (WARN and above reach Write-Warning), message, and the request's fields.
    let flags = module_data().get("InvariantFlags").cloned().expect("InvariantFlags");
    assert_eq!(flags.get("LogFormat").map(Value::strings), Some(vec!["--log-format".to_string(), "json".to_string()]));
    let fields = invoker().assignment("$script:RequestLogFields").expect("$script:RequestLogFields").strings();
    let run = Sandbox::new().against("local").run(&[
        "product-policies",
        "get",
        "--policy-id",
        "AllowSelfServicePurchase",
        "--product-id",
        "CFQ7TTC0H9MP",
        "--output",
        "json",
        "--log-format",
        "json",
        "--verbose",
    ]);
    run.assert_ok();
    let lines: Vec<Json> = run
        .stderr
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not a JSON log line ({e}): {l}")))
        .collect();
    // tracing puts an event's fields at the top or under `fields`: the module reads both.
    let field = |line: &Json, name: &str| line.get(name).or_else(|| line["fields"].get(name)).cloned();
    let requests: Vec<&Json> = lines
        .iter()
        .filter(|l| field(l, "message").and_then(|m| m.as_str().map(str::to_string)).as_deref() == Some("request"))
        .collect();
    assert!(!requests.is_empty(), "no request line: {run:?}");
    for line in requests {
        assert!(field(line, "level").is_some_and(|l| l.is_string()), "{line}");
        for name in &fields {
            assert!(field(line, name).is_some(), "{line} has no {name}");
        }
    }
}

#[test]
fn every_exit_code_has_an_exception_type_of_both_editions_and_the_docs_name_it() {
    // `catch [System.UnauthorizedAccessException]` must work on 5.1 and 7: .NET types both have
    // (no PowerShell class, which 5.1 cannot catch by type in every case).
    let both_editions = [
        "System.Management.Automation.RuntimeException",
        "System.ArgumentException",
        "System.Security.Authentication.AuthenticationException",
        "System.UnauthorizedAccessException",
        "System.Management.Automation.ItemNotFoundException",
        "System.InvalidOperationException",
        "System.Net.WebException",
        "System.OperationCanceledException",
    ];
    let docs = std::fs::read_to_string(repo_root().join("docs").join("cmdlets.md")).expect("docs/cmdlets.md");
    let mut seen = BTreeSet::new();
    for code in [1u8, 2, 3, 4, 5, 6, 7, 130] {
        let kind = exit_code_error(code).unwrap_or_else(|| panic!("no ExitCodes entry for {code}"));
        let exception = kind.get("Exception").and_then(Value::str).unwrap_or_default().to_string();
        assert!(both_editions.contains(&exception.as_str()), "exit {code}: {exception} is not a type of both editions");
        assert!(docs.contains(&format!("`{exception}`")), "docs/cmdlets.md does not name {exception} (exit {code})");
        seen.insert(exception);
    }
    assert_eq!(seen.len(), 8, "one exception type per exit code");
    assert_eq!(
        exit_code_error(3).and_then(|k| k.get("Exception").and_then(Value::str).map(str::to_string)).as_deref(),
        Some("System.Security.Authentication.AuthenticationException")
    );
    assert!(
        invoker().source.contains("New-Object -TypeName $kind.Exception -ArgumentList $Message"),
        "the record's exception"
    );
}

#[test]
fn a_failed_exit_that_no_failed_result_explains_is_an_error() {
    // The converter writes an error record for a non-zero exit with JSON and no failed item,
    // unless the entry names the exit code as an answer (plan's drift).
    let source = invoker().source;
    assert!(source.contains("$failed = $Run.ExitCode -ne 0 -and @($Entry.AnswerCodes) -notcontains $Run.ExitCode"));
    assert!(source.contains("if ($explained) {"), "only a failed result explains a failed exit");
    // connect prints ExpiresOn, which the module makes a DateTimeOffset on both editions.
    let connect = command_table().get("Connect-MSCommerce").and_then(|e| e.get("DateProperties")).map(Value::strings);
    assert_eq!(connect, Some(vec!["ExpiresOn".to_string()]));
    let run =
        Sandbox::new().run(&["connect", "--access-token", "t", "--endpoint", "http://127.0.0.1:9", "--output", "json"]);
    run.assert_ok();
    let expires = run.json()["ExpiresOn"].as_str().map(str::to_string).unwrap_or_default();
    assert!(expires.ends_with('Z') && expires.contains('T'), "an RFC 3339 UTC time the module parses: {expires}");
}

#[test]
fn a_failed_command_writes_its_line_as_a_json_object_with_its_exit_code() {
    // Under --log-format json the module keeps the object with an exitCode as the error line
    // (Write-CommercePolicyStandardError), and relays the others.
    let source = invoker().source;
    assert!(source.contains("Failure   = $fields.ContainsKey('exitCode')"), "the module reads exitCode");
    // A JSON line without a timestamp is a notice or prompt for the person, not a log event.
    assert!(source.contains("$forPerson = -not $fields.ContainsKey('timestamp')"), "prompts are told from events");
    let run = Sandbox::new().against("local").run(&[
        "policies",
        "get",
        "--output",
        "json",
        "--log-format",
        "json",
        "--",
        "NoSuchPolicy",
    ]);
    run.assert_fails_with(5);
    let last: Json = run.stderr.lines().last().map(|l| serde_json::from_str(l).expect("a JSON line")).expect("a line");
    assert_eq!(last["exitCode"], 5, "{last}");
    assert!(last["message"].as_str().is_some_and(|m| m.contains("correlation id")), "{last}");
}

#[test]
fn a_call_waits_in_short_slices_and_kills_its_child_when_stopped() {
    // Ctrl+C stops a PowerShell pipeline only between statements: every wait for the child is a
    // short one, and `finally` kills a child that is still running (no orphan goes on changing
    // policies). The Pester suite proves the kill with a deadline; here, the shape.
    let source = invoker().source;
    for wait in [
        "$lineTask.Wait($script:ProcessWaitSliceMilliseconds)",
        "$standardOutput.Wait($script:ProcessWaitSliceMilliseconds)",
        "$process.WaitForExit($script:ProcessWaitSliceMilliseconds)",
    ] {
        assert!(source.contains(wait), "{wait}");
    }
    assert!(!source.contains(".WaitForExit()"), "an unbounded wait");
    let finally = source.split("finally {").nth(1).unwrap_or_default();
    assert!(finally.contains("if (-not $process.HasExited)") && finally.contains("$process.Kill()"), "the kill");
    let slice = invoker().assignment("$script:ProcessWaitSliceMilliseconds").expect("the slice");
    assert!(
        matches!(slice, Value::Other(ref ms) if ms.parse::<u32>().is_ok_and(|ms| (10..=250).contains(&ms))),
        "{slice:?}"
    );
}

#[test]
fn tab_completion_asks_with_a_deadline_and_writes_nothing_but_completions() {
    let timeout = module_data().get("CompletionTimeoutMilliseconds").cloned().expect("CompletionTimeoutMilliseconds");
    assert!(matches!(timeout, Value::Other(ref ms) if ms.parse::<u32>().is_ok_and(|ms| ms <= 1500)), "{timeout:?}");
    let source = invoker().source;
    for quiet in [
        "ErrorAction         = 'Ignore'",
        "WarningAction       = 'Ignore'",
        "InformationAction   = 'Ignore'",
        "Verbose             = $false",
    ] {
        assert!(source.contains(quiet), "completion: {quiet}");
    }
    assert!(source.contains("TimeoutMilliseconds = $script:ModuleData.CompletionTimeoutMilliseconds"));
    let completers = commerce_e2e::powershell::psm1().source;
    // -PolicyId, -ProductId, -OfferType, -SubscriptionId and -TargetSubscriptionId.
    assert_eq!(completers.matches("-ErrorAction Ignore -WarningAction Ignore -InformationAction Ignore").count(), 5);
}

#[test]
fn every_policy_product_offer_type_and_subscription_parameter_has_tab_completion() {
    let script = psm1();
    let functions = public_functions();
    // (cmdlet, parameter) pairs that a Register-ArgumentCompleter covers.
    let mut completed = BTreeSet::new();
    for node in script.nodes().into_iter().filter(|n| n.kind() == "command") {
        let Some((command, parameters)) = command_parameters(&script, node) else { continue };
        if !command.eq_ignore_ascii_case("Register-ArgumentCompleter") {
            continue;
        }
        let argument = |name: &str| {
            let (_, value) = parameters.iter().find(|(p, _)| p.eq_ignore_ascii_case(name))?;
            Some(Value::read(&script, (*value)?).strings())
        };
        let cmdlets = argument("CommandName").unwrap_or_default();
        let parameter = argument("ParameterName").unwrap_or_default().concat();
        for cmdlet in cmdlets {
            let has = functions.iter().find(|f| f.name == cmdlet).is_some_and(|f| f.param(&parameter).is_some());
            assert!(has, "{}: completes -{parameter} of {cmdlet}, which has no such parameter", script.at(node));
            completed.insert((cmdlet, parameter.clone()));
        }
    }
    for function in &functions {
        for param in ["PolicyId", "ProductId", "OfferType", "SubscriptionId", "TargetSubscriptionId"] {
            if function.param(param).is_some() {
                assert!(
                    completed.contains(&(function.name.clone(), param.to_string())),
                    "-{param} of {} has no completer",
                    function.name
                );
            }
        }
    }
}
