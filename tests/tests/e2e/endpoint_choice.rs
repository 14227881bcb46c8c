//! Where a command goes when nothing names an endpoint: a token means Microsoft's service,
//! never the embedded store; the embedded default says so every time it is chosen, and a
//! pipeline is refused it; a failed `connect` says which connection is still active.

use commerce_e2e::{PIPELINE_VARIABLES, Run, Sandbox};

const POWER_BI_PRO: &str = "CFQ7TTC0H9MP";

/// `product-policies get` of Power BI Pro with `token`, passed as the flag or through the
/// environment, no endpoint named and "Microsoft's service" at `microsoft`.
fn read_with_token(sb: &Sandbox, microsoft: &str, by_flag: bool) -> Run {
    let mut command = sb.command();
    command.env("COMMERCE_POLICY_MICROSOFT_ENDPOINT", microsoft);
    let mut args = vec!["product-policies", "get", "--product-id", POWER_BI_PRO, "-o", "json"];
    if by_flag {
        args.extend(["--access-token", "t0ken"]);
    } else {
        command.env("COMMERCE_POLICY_ACCESS_TOKEN", "t0ken");
    }
    sb.run_command(command, &args, "")
}

#[test]
fn a_token_with_no_endpoint_and_no_connection_goes_to_microsoft_not_the_local_store() {
    let sb = Sandbox::new();
    let svc = sb.serve(&sb.path("microsoft.db"), &[]);
    // Only the service's store says Disabled; the embedded store keeps its seeded Enabled.
    let update = ["product-policies", "update", "--product-id", POWER_BI_PRO, "--value", "Disabled"];
    sb.against(&svc.url).run(&update).assert_ok();
    for by_flag in [true, false] {
        let run = read_with_token(&sb, &svc.url, by_flag);
        assert_eq!(run.assert_ok().json()["PolicyValue"], "Disabled", "the service answered: {run:#?}");
        assert!(!run.stderr.contains("local store"), "{run:#?}");
    }
    assert!(!sb.path("data/local.db").exists(), "the embedded store was never opened");
    let local = sb.against("local").run(&["product-policies", "get", "--product-id", POWER_BI_PRO, "-o", "json"]);
    assert_eq!(local.assert_ok().json()["PolicyValue"], "Enabled");
}

#[test]
fn the_implicit_local_default_says_so_once_on_stderr_and_keeps_stdout_json() {
    let sb = Sandbox::new();
    let run = sb.run(&["policies", "list", "-o", "json"]);
    assert!(run.assert_ok().json().is_array(), "{run:#?}");
    let lines: Vec<&str> = run.stderr.lines().collect();
    assert_eq!(lines.len(), 1, "{run:#?}");
    assert!(lines[0].contains("no tenant connected: using the embedded local store"), "{run:#?}");
    assert!(lines[0].contains("--endpoint local"), "{run:#?}");
    let chosen = sb.against("local").run(&["policies", "list", "-o", "json"]);
    assert!(chosen.assert_ok().stderr.is_empty(), "an explicit local is not announced: {chosen:#?}");
}

#[test]
fn a_pipeline_is_refused_the_implicit_local_default_and_nothing_is_written() {
    let sb = Sandbox::new();
    let update = ["product-policies", "update", "--product-id", POWER_BI_PRO, "--value", "Disabled"];
    for name in PIPELINE_VARIABLES {
        let mut command = sb.command();
        command.env(name, "true");
        let run = sb.run_command(command, &update, "");
        run.assert_fails_with(3);
        assert!(run.stderr.contains(name) && run.stderr.contains("connect"), "{run:#?}");
        assert!(run.stderr.contains("--endpoint local"), "{run:#?}");
    }
    assert!(!sb.path("data/local.db").exists(), "nothing was written to the local store");
    // Chosen on purpose, the embedded store works in a pipeline too.
    let mut command = sb.command();
    command.env("CI", "true");
    sb.run_command(command, &[&["--endpoint", "local"], &update[..]].concat(), "").assert_ok();
    // An empty variable says nothing.
    let mut command = sb.command();
    command.env("CI", "");
    sb.run_command(command, &["policies", "list"], "").assert_ok();
}

/// The command line is judged before the endpoint is chosen: in a pipeline with no endpoint,
/// a malformed id is still a usage error (2), not "no tenant" (3).
#[test]
fn a_malformed_id_is_a_usage_error_before_the_endpoint_is_chosen() {
    let sb = Sandbox::new();
    let mut command = sb.command();
    command.env("CI", "true");
    let run =
        sb.run_command(command, &["product-policies", "update", "--product-id", "bogus", "--value", "Disabled"], "");
    run.assert_fails_with(2);
    assert!(run.stderr.contains("'bogus' is not a product id"), "{run:#?}");
    let baseline = sb.path("baseline.json");
    std::fs::write(&baseline, r#"{"policyId":"AllowSelfServicePurchase","prodcts":{}}"#).unwrap();
    let mut command = sb.command();
    command.env("CI", "true");
    let run = sb.run_command(command, &["apply", "-f", baseline.to_str().unwrap()], "");
    run.assert_fails_with(2);
    assert!(run.stderr.contains("unknown field `prodcts`"), "{run:#?}");
}
