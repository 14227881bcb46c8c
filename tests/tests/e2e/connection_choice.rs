//! Saved connections without sign-in and the refusal of the implicit default:
//! `connect --endpoint <URL|local> --no-sign-in` checks the endpoint and saves it (no token,
//! no credential store), `disconnect` says where commands go next, `Renewable` says whether
//! a kept sign-in renews without the user, and `--require-connection` refuses the implicit
//! local default.

use commerce_e2e::{Run, Sandbox};

/// Runs the binary with `env` set.
fn run_with(sb: &Sandbox, env: &[(&str, &str)], args: &[&str]) -> Run {
    let mut command = sb.command();
    for (key, value) in env {
        command.env(key, value);
    }
    sb.run_command(command, args, "")
}

fn saved_connection(sb: &Sandbox) -> Option<String> {
    std::fs::read_to_string(sb.path("data/connection.json")).ok()
}

#[test]
fn a_service_url_without_sign_in_is_checked_saved_and_used_in_pipelines() {
    let sb = Sandbox::new();
    let svc = sb.serve(&sb.path("store.db"), &[]);
    let connected = sb.run(&["connect", "--endpoint", &svc.url, "--no-sign-in", "-o", "json"]).assert_ok().json();
    assert_eq!(connected["SignIn"], "None", "{connected:#}");
    assert_eq!(connected["Endpoint"], svc.url.trim_end_matches('/'));
    assert!(connected["TenantId"].is_null() && connected["CredentialStore"].is_null(), "{connected:#}");
    assert_eq!(connected["Renewable"], false);

    let ci = [("CI", "true")];
    run_with(&sb, &ci, &["product-policies", "update", "--product-id", "CFQ7TTC0H9MP", "--value", "Disabled"])
        .assert_ok();
    let listed = run_with(&sb, &ci, &["product-policies", "get", "--product-id", "CFQ7TTC0H9MP"]);
    assert!(listed.assert_ok().stdout.contains(&format!("Endpoint: {}", svc.url.trim_end_matches('/'))), "{listed:#?}");
    assert!(listed.stderr.is_empty(), "no notice: {listed:#?}");
    let on_service =
        sb.against(&svc.url).run(&["product-policies", "get", "--product-id", "CFQ7TTC0H9MP", "-o", "json"]);
    assert_eq!(on_service.assert_ok().json()["PolicyValue"], "Disabled");
}

#[test]
fn connect_endpoint_local_chooses_the_embedded_store_without_notice_even_under_ci() {
    let sb = Sandbox::new();
    let connected = sb.run(&["connect", "--endpoint", "local", "-o", "json"]).assert_ok().json();
    assert_eq!((connected["SignIn"].as_str(), connected["Endpoint"].as_str()), (Some("None"), Some("local")));
    for env in [[("CI", "true")], [("COMMERCE_POLICY_REQUIRE_CONNECTION", "1")]] {
        let run = run_with(&sb, &env, &["policies", "list"]);
        assert!(run.assert_ok().stdout.contains("Endpoint: local ("), "{run:#?}");
        assert!(run.stderr.is_empty(), "an explicit choice is not announced: {run:#?}");
    }
    let refused = sb.run(&["connect", "--endpoint", "local", "--client-secret"]);
    refused.assert_fails_with(2);
    assert!(refused.stderr.contains("--client-secret signs in"), "{refused:#?}");
    sb.run(&["connect", "--no-sign-in"]).assert_fails_with(2);
}

#[test]
fn a_failing_check_saves_nothing_and_says_which_connection_stays_active() {
    let sb = Sandbox::new();
    let closed = "http://127.0.0.1:1";
    let first = sb.run(&["connect", "--endpoint", closed, "--no-sign-in", "--max-retries", "0"]);
    first.assert_fails_with(7);
    assert!(first.stderr.contains("no connection is active"), "{first:#?}");
    assert!(saved_connection(&sb).is_none());

    sb.run(&["connect", "--endpoint", "local"]).assert_ok();
    let saved = saved_connection(&sb);
    let second = sb.run(&["connect", "--endpoint", closed, "--no-sign-in", "--max-retries", "0"]);
    second.assert_fails_with(7);
    assert!(second.stderr.contains("still connected to local ("), "{second:#?}");
    assert_eq!(saved_connection(&sb), saved, "the old connection is kept whole");
}

#[test]
fn disconnect_says_what_happens_next_and_the_implicit_default_is_then_announced_or_refused() {
    let sb = Sandbox::new();
    sb.run(&["connect", "--endpoint", "local"]).assert_ok();
    let said = sb.run(&["disconnect"]).assert_ok().stdout.clone();
    assert!(!said.contains("commands go to local"), "{said}");
    assert!(said.contains("each with a notice on stderr") && said.contains("refused in pipelines"), "{said}");
    let announced = sb.run(&["policies", "list"]);
    assert!(announced.assert_ok().stderr.contains("no tenant connected: using the embedded local store"));
    run_with(&sb, &[("CI", "true")], &["policies", "list"]).assert_fails_with(3);
    let again = sb.run(&["disconnect"]).assert_ok().stdout.clone();
    assert!(again.contains("Not connected") && again.contains("refused in pipelines"), "{again}");
}

#[test]
fn a_plain_access_token_does_not_renew() {
    let sb = Sandbox::new();
    let svc = sb.serve(&sb.path("store.db"), &[]);
    let run = sb.run(&["connect", "--endpoint", &svc.url, "--access-token", "opaque-token", "-o", "json"]);
    let connected = run.assert_ok().json();
    assert_eq!((connected["SignIn"].as_str(), connected["Renewable"].as_bool()), (Some("access token"), Some(false)));
}

#[test]
fn require_connection_refuses_the_implicit_default_with_one_line_and_exit_3() {
    let sb = Sandbox::new();
    let line = "commerce-policy: not connected: run Connect-MSCommerce (commerce-policy connect), or connect --endpoint local for the embedded store";
    for run in [
        sb.run(&["--require-connection", "policies", "list"]),
        run_with(&sb, &[("COMMERCE_POLICY_REQUIRE_CONNECTION", "1")], &["policies", "list"]),
    ] {
        run.assert_fails_with(3);
        assert_eq!(run.stderr.trim_end(), line);
        assert!(run.stdout.is_empty());
    }
    sb.run(&["--require-connection", "--endpoint", "local", "policies", "list"]).assert_ok();
    let help = sb.run(&["--help"]).assert_ok().stdout.clone();
    assert!(!help.contains("require-connection"), "hidden: {help}");
}
