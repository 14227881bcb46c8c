//! The newcomer's path: each failure's hint fits its cause, `export` refuses a format it
//! cannot write, help shows usage and subcommands, completions and a man page exist.

use commerce_e2e::Sandbox;

/// Runs `args` against a fresh service and returns its one stderr line, asserting exit `code`.
fn failure_line(extra_serve: &[&str], args: &[&str], code: i32) -> String {
    let sb = Sandbox::new();
    let svc = sb.serve(&sb.path("store.db"), extra_serve);
    let run = sb.against(&svc.url).run(args);
    run.assert_fails_with(code);
    run.stderr.clone()
}

#[test]
fn an_unknown_policy_points_at_policies_list() {
    let line = failure_line(&[], &["policies", "get", "NoSuchPolicy"], 5);
    assert!(line.contains("`commerce-policy policies list` shows the policy ids"), "{line}");
}

#[test]
fn an_unknown_product_points_at_product_policies_list() {
    let line = failure_line(&[], &["product-policies", "get", "--product-id", "CFQ7TTC0ZZZZ"], 5);
    assert!(line.contains("`commerce-policy product-policies list` shows the product ids"), "{line}");
}

#[test]
fn an_unknown_offer_type_points_at_the_offer_type_list() {
    let line = failure_line(&[], &["product-policies", "get", "--offer-type", "NoSuchOffer"], 5);
    assert!(line.contains("--scope OfferType` shows the offer types"), "{line}");
}

#[test]
fn a_wrong_endpoint_path_says_so_and_not_to_list_ids() {
    let sb = Sandbox::new();
    let svc = sb.serve(&sb.path("store.db"), &[]);
    let endpoint = format!("{}/wrong/path", svc.url);
    let run = sb.against(&endpoint).run(&["policies", "list"]);
    run.assert_fails_with(5);
    assert!(run.stderr.contains("no such API path: --endpoint must be the service's root URL"), "{}", run.stderr);
    assert!(!run.stderr.contains("shows the"), "{}", run.stderr);
}

#[test]
fn throttling_after_retries_says_the_service_is_throttling() {
    let line = failure_line(&["--simulate-throttle", "1"], &["--max-retries", "0", "policies", "list"], 7);
    assert!(line.contains("the service is throttling"), "{line}");
    assert!(!line.contains("check --endpoint and the network"), "{line}");
}

/// An endpoint nothing answers on: a command that sent a request would fail with 7, not 2.
const NOWHERE: &str = "http://127.0.0.1:1";

#[test]
fn export_refuses_a_format_other_than_json_before_any_request() {
    let sb = Sandbox::new();
    for format in ["csv", "table", "junit"] {
        let run = sb.against(NOWHERE).run(&["export", "-o", format]);
        run.assert_fails_with(2);
        assert!(run.stderr.contains("export writes a baseline file, which is JSON"), "{format}: {}", run.stderr);
    }
}

#[test]
fn export_names_the_schema_and_the_environment_format_does_not_apply() {
    let sb = Sandbox::new();
    let svc = sb.serve(&sb.path("store.db"), &[]);
    let mut command = sb.command();
    command.env("COMMERCE_POLICY_OUTPUT", "csv");
    let run = sb.run_command(command, &["--endpoint", &svc.url, "export"], "");
    let baseline = run.assert_ok().json();
    let first = baseline.as_array().map_or(&baseline, |all| &all[0]);
    assert_eq!(first["$schema"], "https://commerce-policy.dev/schemas/baseline.schema.json", "{baseline:#}");
    sb.against(&svc.url).run(&["export", "-o", "json"]).assert_ok().json();
}

#[test]
fn no_subcommand_shows_usage_and_the_subcommands_with_exit_2() {
    let sb = Sandbox::new();
    for (args, a_subcommand) in
        [(&[][..], "  product-policies  "), (&["policies"][..], "  list "), (&["product-policies"][..], "  update ")]
    {
        let run = sb.run(args);
        assert_eq!(run.code, 2, "{args:?}: {run:#?}");
        assert!(run.stdout.is_empty(), "{args:?}: help of a usage error goes to stderr");
        assert!(run.stderr.contains("Usage: commerce-policy"), "{args:?}: {}", run.stderr);
        assert!(run.stderr.contains("Commands:") && run.stderr.contains(a_subcommand), "{args:?}: {}", run.stderr);
    }
}

#[test]
fn help_wraps_long_lines() {
    let sb = Sandbox::new();
    let run = sb.run(&["--help"]);
    run.assert_ok();
    let widest = run.stdout.lines().map(|l| l.chars().count()).max().unwrap_or(0);
    assert!(widest <= 100, "a help line of {widest} columns:\n{}", run.stdout);
    assert!(run.stdout.contains("Global options:"), "{}", run.stdout);
}

#[test]
fn completions_for_every_shell_name_the_subcommands() {
    let sb = Sandbox::new();
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let run = sb.run(&["completions", shell]);
        run.assert_ok();
        assert!(run.stdout.contains("product-policies"), "{shell}: {}", run.stdout);
    }
    sb.run(&["completions", "tcsh"]).assert_fails_with(2);
}

#[test]
fn the_bash_completion_script_is_valid_bash() {
    let sb = Sandbox::new();
    let script = sb.path("commerce-policy.bash");
    std::fs::write(&script, sb.run(&["completions", "bash"]).assert_ok().stdout.as_bytes()).unwrap();
    let status = std::process::Command::new("bash").arg("-n").arg(&script).status().expect("bash runs");
    assert!(status.success(), "bash -n refused the script");
}

#[test]
fn man_prints_a_roff_page() {
    let sb = Sandbox::new();
    let run = sb.run(&["man"]);
    run.assert_ok();
    // clap_mangen opens with two `.ie`/`.el` string definitions, then the title.
    let first_macro = run.stdout.lines().find(|l| !l.starts_with(".ie") && !l.starts_with(".el"));
    assert!(first_macro.is_some_and(|l| l.starts_with(".TH commerce-policy 1")), "{}", run.stdout);
    assert!(run.stdout.contains("product\\-policies"), "{}", run.stdout);
}

/// Runs scripts/package-module.sh with CARGO_TARGET_DIR set to the sandbox's `target`.
#[cfg(unix)]
fn package_module(sb: &Sandbox, binary: &std::path::Path) -> std::process::Output {
    let script = commerce_e2e::powershell::repo_root().join("scripts/package-module.sh");
    std::process::Command::new("bash")
        .arg(script)
        .arg("--binary")
        .arg(format!("linux-x64={}", binary.display()))
        .env("CARGO_TARGET_DIR", sb.path("target"))
        .output()
        .expect("bash runs")
}

#[cfg(unix)]
#[test]
fn package_module_writes_into_cargo_target_dir_and_refuses_a_missing_binary() {
    let sb = Sandbox::new();
    let packaged = package_module(&sb, commerce_e2e::binary());
    assert!(packaged.status.success(), "{}", String::from_utf8_lossy(&packaged.stderr));
    let module = sb.path("target/module/CommercePolicy");
    assert!(module.join("bin/linux-x64/commerce-policy").is_file(), "the module has its binary");

    let missing = package_module(&sb, &sb.path("nowhere/commerce-policy"));
    assert_eq!(missing.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&missing.stderr);
    assert!(stderr.contains("no binary for linux-x64 at"), "{stderr}");
    assert!(!module.exists(), "a failed run leaves no module without bin/");
}
