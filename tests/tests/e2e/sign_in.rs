//! `connect` / `disconnect` end to end: the real binary signs in to a real OpenID provider
//! (tests/oidc, Entra-shaped) with every flow, keeps the sign-in in the Linux kernel keyring
//! (or nowhere, where there is none), and sends the token to a `serve --auth jwt`.

use std::io::{BufRead, BufReader, Write};
use std::process::Stdio;
use std::time::Duration;

use commerce_e2e::oidc::{self, Provider};
use commerce_e2e::{Run, Sandbox, Service};

/// A service that checks the provider's tokens.
fn secured_service(sandbox: &Sandbox, provider: &Provider) -> Service {
    let (issuer, jwks) = (provider.issuer(), provider.jwks_url());
    let store = sandbox.path("service.db");
    let audience = oidc::LICENSING_RESOURCE;
    sandbox.serve(&store, &["--auth", "jwt", "--issuer", &issuer, "--audience", audience, "--jwks-url", &jwks])
}

/// `connect` flags that point at the provider and the service.
fn connect_args<'a>(provider: &'a Provider, service: &'a Service, flow: &[&'a str]) -> Vec<&'a str> {
    let mut args = vec!["connect", "--authority", provider.authority(), "--endpoint", &service.url, "-o", "json"];
    args.extend_from_slice(flow);
    args
}

fn app_flow<'a>(client_id: &'a str, method: &[&'a str]) -> Vec<&'a str> {
    let mut flow = vec!["--tenant-id", oidc::TENANT, "--client-id", client_id];
    flow.extend_from_slice(method);
    flow
}

fn assert_connected(run: &Run, account: &str) {
    run.assert_ok();
    let answer = run.json();
    assert_eq!(answer["TenantId"], oidc::TENANT, "{run:#?}");
    assert_eq!(answer["Account"], account, "{run:#?}");
}

/// A command after `connect` goes to the tenant with its token: reading and changing work.
fn assert_signed_in_commands_work(sandbox: &Sandbox, run: impl Fn(&[&str]) -> Run) {
    let listed = run(&["product-policies", "list", "-o", "json"]);
    listed.assert_ok();
    assert!(listed.json().as_array().is_some_and(|a| !a.is_empty()), "{listed:#?}");
    run(&["product-policies", "update", "--product-id", "CFQ7TTC0L3PB", "--value", "Disabled", "-o", "json"])
        .assert_ok();
    let _ = sandbox;
}

#[test]
fn client_secret_from_the_environment_signs_in_and_commands_use_it() {
    let (provider, sandbox) = (Provider::start(), Sandbox::new());
    let service = secured_service(&sandbox, &provider);
    let with_secret = |args: &[&str]| {
        let mut command = sandbox.command();
        command.env("COMMERCE_POLICY_CLIENT_SECRET", oidc::WRITER_CLIENT_SECRET);
        sandbox.run_command(command, args, "")
    };
    let flow = app_flow(oidc::WRITER_CLIENT_ID, &["--client-secret"]);
    let connected = with_secret(&connect_args(&provider, &service, &flow));
    assert_connected(&connected, &format!("application {}", oidc::WRITER_CLIENT_ID));
    // No credential store here: every command signs in again with the secret it is given.
    assert!(connected.json()["CredentialStore"].is_null(), "{connected:#?}");
    assert_eq!(connected.json()["Renewable"], false, "the secret is not kept: the user must give it again");
    assert_signed_in_commands_work(&sandbox, with_secret);
    // Without the secret, a command cannot sign in: exit 3, and it says what to set.
    sandbox.run(&["product-policies", "list"]).assert_fails_with(3);
    assert!(sandbox.run(&["product-policies", "list"]).stderr.contains("COMMERCE_POLICY_CLIENT_SECRET"));
}

#[test]
fn client_secret_from_stdin_and_a_wrong_one() {
    let (provider, sandbox) = (Provider::start(), Sandbox::new());
    let service = secured_service(&sandbox, &provider);
    let flow = app_flow(oidc::READER_CLIENT_ID, &["--client-secret"]);
    let connected = sandbox.run_with_stdin(&connect_args(&provider, &service, &flow), oidc::READER_CLIENT_SECRET);
    assert_connected(&connected, &format!("application {}", oidc::READER_CLIENT_ID));

    let wrong = sandbox.run_with_stdin(&connect_args(&provider, &service, &flow), "TESTONLY-not-the-secret");
    wrong.assert_fails_with(3);
    assert!(wrong.stderr.contains("refused the sign-in: invalid_client"), "{wrong:#?}");
    // The failure says where the next command goes: the connection made above.
    let active = format!("still connected to tenant {} (worldwide) {}", oidc::TENANT, service.url);
    assert!(wrong.stderr.contains(&active), "{wrong:#?}");
    assert!(!wrong.stderr.contains("TESTONLY"), "{wrong:#?}");
    // A secret is never taken on the command line.
    let on_command_line = sandbox.run(&["connect", "--client-secret", "TESTONLY-x"]);
    on_command_line.assert_fails_with(2);
}

#[test]
fn certificate_as_pem_and_as_pfx() {
    let sandbox = Sandbox::new();
    let cert = oidc::write_test_certificate(sandbox.dir.path(), "app");
    let provider = Provider::start_with(None, Some(&cert.cert_pem));
    let service = secured_service(&sandbox, &provider);
    let account = format!("application {}", oidc::CERTIFICATE_CLIENT_ID);

    // Saved by a Windows editor: a byte order mark before the first block (the PEM parser
    // skips it; this keeps it so).
    let with_bom = sandbox.path("app-bom.pem");
    std::fs::write(&with_bom, [b"\xEF\xBB\xBF".as_slice(), &std::fs::read(&cert.combined_pem).unwrap()].concat())
        .unwrap();
    let pem = with_bom.to_string_lossy().into_owned();
    let flow = app_flow(oidc::CERTIFICATE_CLIENT_ID, &["--certificate", &pem]);
    assert_connected(&sandbox.run(&connect_args(&provider, &service, &flow)), &account);
    assert_signed_in_commands_work(&sandbox, |args| sandbox.run(args));

    let pfx = cert.pfx.to_string_lossy().into_owned();
    let flow = app_flow(oidc::CERTIFICATE_CLIENT_ID, &["--certificate", &pfx]);
    let mut command = sandbox.command();
    command.env("COMMERCE_POLICY_CERTIFICATE_PASSWORD", &cert.pfx_password);
    assert_connected(&sandbox.run_command(command, &connect_args(&provider, &service, &flow), ""), &account);
    let wrong_password = sandbox.run(&connect_args(&provider, &service, &flow));
    wrong_password.assert_fails_with(2);
    assert!(wrong_password.stderr.contains("COMMERCE_POLICY_CERTIFICATE_PASSWORD"), "{wrong_password:#?}");
}

#[test]
fn federated_token_from_a_file_and_from_a_variable() {
    let (provider, sandbox) = (Provider::start(), Sandbox::new());
    let service = secured_service(&sandbox, &provider);
    let account = format!("application {}", oidc::FEDERATED_CLIENT_ID);
    let file = sandbox.path("federated.jwt");
    // Written by Windows PowerShell 5.1 (`Set-Content -Encoding UTF8`): a byte order mark first.
    std::fs::write(&file, format!("\u{feff}{}", provider.federated_token(oidc::FEDERATED_CLIENT_ID))).unwrap();
    let path = file.to_string_lossy().into_owned();
    let flow = app_flow(oidc::FEDERATED_CLIENT_ID, &["--federated-token-file", &path]);
    let connected = sandbox.run(&connect_args(&provider, &service, &flow));
    assert_connected(&connected, &account);
    assert_eq!(connected.json()["Renewable"], true, "the file is read again for every token");
    // The file is read again for each token, as runners rotate it (the test provider, unlike
    // Entra, refuses an assertion it has seen: each command gets a fresh one).
    assert_signed_in_commands_work(&sandbox, |args| {
        std::fs::write(&file, provider.federated_token(oidc::FEDERATED_CLIENT_ID)).unwrap();
        sandbox.run(args)
    });

    let flow = app_flow(oidc::FEDERATED_CLIENT_ID, &["--federated-token-env", "CI_ID_TOKEN"]);
    let mut command = sandbox.command();
    command.env("CI_ID_TOKEN", provider.federated_token(oidc::FEDERATED_CLIENT_ID));
    assert_connected(&sandbox.run_command(command, &connect_args(&provider, &service, &flow), ""), &account);
}

#[test]
fn managed_identity_from_app_service_and_from_the_instance_metadata_service() {
    let (provider, sandbox) = (Provider::start(), Sandbox::new());
    let service = secured_service(&sandbox, &provider);
    let account = format!("application {}", oidc::FEDERATED_CLIENT_ID);
    let args = connect_args(&provider, &service, &["--managed-identity"]);

    let mut app_service = sandbox.command();
    app_service
        .env("IDENTITY_ENDPOINT", format!("{}/msi/token", provider.url()))
        .env("IDENTITY_HEADER", oidc::MSI_HEADER);
    let connected = sandbox.run_command(app_service, &args, "");
    run_ok_with_account(&connected, &account);
    assert_eq!(connected.json()["Renewable"], true, "a managed identity needs no user");
    // No credential store: each command asks the identity endpoint again.
    let mut again = sandbox.command();
    again.env("IDENTITY_ENDPOINT", format!("{}/msi/token", provider.url())).env("IDENTITY_HEADER", oidc::MSI_HEADER);
    sandbox.run_command(again, &["product-policies", "list"], "").assert_ok();

    let imds = || {
        let mut command = sandbox.command();
        command.env_remove("IDENTITY_ENDPOINT").env("COMMERCE_POLICY_IMDS_ENDPOINT", provider.url());
        command
    };
    run_ok_with_account(&sandbox.run_command(imds(), &args, ""), &account);
    // A user-assigned identity that is not there.
    let mut wrong = args.clone();
    wrong.extend(["--client-id", "00000000-0000-0000-0000-000000000000"]);
    let refused = sandbox.run_command(imds(), &wrong, "");
    refused.assert_fails_with(3);
    assert!(refused.stderr.contains("--client-id"), "{refused:#?}");
    // Kept in the kernel keyring under the tenant the token named: the next command needs no
    // identity endpoint at all.
    if keyring_available() {
        let mut in_keyring = sandbox.command_in_keyring();
        in_keyring
            .env("IDENTITY_ENDPOINT", format!("{}/msi/token", provider.url()))
            .env("IDENTITY_HEADER", oidc::MSI_HEADER);
        run_ok_with_account(&sandbox.run_command(in_keyring, &args, ""), &account);
        let mut offline = sandbox.command_in_keyring();
        offline.env("COMMERCE_POLICY_IMDS_ENDPOINT", "http://127.0.0.1:9");
        sandbox.run_command(offline, &["product-policies", "list"], "").assert_ok();
        sandbox.run_command(sandbox.command_in_keyring(), &["disconnect"], "").assert_ok();
    }
    // Off Azure: nothing answers.
    let mut nowhere = sandbox.command();
    nowhere.env("COMMERCE_POLICY_IMDS_ENDPOINT", "http://127.0.0.1:9");
    sandbox.run_command(nowhere, &args, "").assert_fails_with(7);
}

/// Managed identities sign in without a tenant flag: the token names it.
fn run_ok_with_account(run: &Run, account: &str) {
    run.assert_ok();
    assert_eq!(run.json()["Account"], account, "{run:#?}");
    assert_eq!(run.json()["TenantId"], oidc::TENANT, "{run:#?}");
}

#[test]
fn federated_token_from_github_actions_is_asked_for_every_command() {
    let (provider, sandbox) = (Provider::start(), Sandbox::new());
    let service = secured_service(&sandbox, &provider);
    let github = |request_token: &str| {
        let mut command = sandbox.command();
        // GitHub's URL carries a query already: the audience is appended to it.
        command
            .env("ACTIONS_ID_TOKEN_REQUEST_URL", format!("{}/test/github-oidc?api-version=2.0", provider.url()))
            .env("ACTIONS_ID_TOKEN_REQUEST_TOKEN", request_token);
        command
    };
    let flow = app_flow(oidc::FEDERATED_CLIENT_ID, &["--federated-github"]);
    let connected =
        sandbox.run_command(github(oidc::GITHUB_REQUEST_TOKEN), &connect_args(&provider, &service, &flow), "");
    assert_connected(&connected, &format!("application {}", oidc::FEDERATED_CLIENT_ID));
    // Each command gets a new GitHub token, so a used one is never sent twice.
    assert_signed_in_commands_work(&sandbox, |args| sandbox.run_command(github(oidc::GITHUB_REQUEST_TOKEN), args, ""));
    let refused = sandbox.run_command(github("not-the-request-token"), &["policies", "list"], "");
    refused.assert_fails_with(3);
    assert!(refused.stderr.contains("id-token: write"), "{refused:#?}");
    let outside = sandbox.run(&["policies", "list"]);
    outside.assert_fails_with(2);
    assert!(outside.stderr.contains("ACTIONS_ID_TOKEN_REQUEST_URL"), "{outside:#?}");
}

/// Runs `connect --device-code` and approves the code it shows as `login`.
fn device_code_connect(sandbox: &Sandbox, provider: &Provider, service: &Service, login: &str, keyring: bool) -> Run {
    let mut command = if keyring { sandbox.command_in_keyring() } else { sandbox.command() };
    let mut child = command
        .args(connect_args(provider, service, &["--device-code", "--tenant-id", oidc::TENANT]))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("connect starts");
    let mut stderr = BufReader::new(child.stderr.take().expect("stderr"));
    let mut prompt = String::new();
    while !prompt.contains("enter the code") {
        prompt.clear();
        assert!(stderr.read_line(&mut prompt).expect("stderr") > 0, "connect ended without a code");
    }
    let code = prompt.split("enter the code ").nth(1).and_then(|rest| rest.split_whitespace().next()).expect("a code");
    provider.approve_device_code(code, login);
    let out = child.wait_with_output().expect("connect finishes");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::new(),
    }
}

fn keyring_available() -> bool {
    let present = std::process::Command::new("keyctl").arg("--version").output().is_ok();
    assert!(present || std::env::var_os("CI").is_none(), "CI installs keyutils (keyctl)");
    present
}

#[test]
fn device_code_is_kept_in_the_keyring_refreshed_and_removed_by_disconnect() {
    if !keyring_available() {
        eprintln!("keyctl not found: skipping the kernel keyring test (apt-get install keyutils)");
        return;
    }
    // Tokens live four seconds: the second command must refresh to get through.
    let (provider, sandbox) = (Provider::start_with(Some(Duration::from_secs(4)), None), Sandbox::new());
    let service = secured_service(&sandbox, &provider);
    let connected = device_code_connect(&sandbox, &provider, &service, oidc::ADMIN_USER, true);
    assert_connected(&connected, oidc::ADMIN_USER);
    assert_eq!(connected.json()["CredentialStore"], "the Linux kernel keyring");
    assert_eq!(connected.json()["Renewable"], true, "the refresh token is kept");

    let in_keyring = |args: &[&str]| sandbox.run_command(sandbox.command_in_keyring(), args, "");
    std::thread::sleep(Duration::from_secs(5));
    assert_signed_in_commands_work(&sandbox, in_keyring);

    let saved = std::fs::read(sandbox.path("data/connection.json")).expect("the connection is saved");
    in_keyring(&["disconnect"]).assert_ok();
    // Commands go to the embedded default again…
    assert!(in_keyring(&["policies", "list"]).assert_ok().stdout.contains("Endpoint: local"));
    // …and the kept tokens are gone: restoring the connection file alone does not sign in.
    std::fs::write(sandbox.path("data/connection.json"), saved).unwrap();
    let after = in_keyring(&["product-policies", "list"]);
    after.assert_fails_with(3);
    assert!(after.stderr.contains("commerce-policy connect"), "{after:#?}");
}

#[test]
fn without_a_credential_store_a_device_code_sign_in_lasts_one_command() {
    let (provider, sandbox) = (Provider::start(), Sandbox::new());
    let service = secured_service(&sandbox, &provider);
    let connected = device_code_connect(&sandbox, &provider, &service, oidc::READER_USER, false);
    assert_connected(&connected, oidc::READER_USER);
    assert!(connected.json()["CredentialStore"].is_null());
    assert_eq!(connected.json()["Renewable"], false, "nothing keeps the refresh token");
    let next = sandbox.run(&["product-policies", "list"]);
    next.assert_fails_with(3);
    assert!(next.stderr.contains("no credential store"), "{next:#?}");
}

#[test]
fn a_ready_access_token_and_the_local_default() {
    let (provider, sandbox) = (Provider::start(), Sandbox::new());
    let service = secured_service(&sandbox, &provider);
    let token = provider.client_credentials_token(oidc::WRITER_CLIENT_ID, oidc::WRITER_CLIENT_SECRET);
    // MSCommerce's -Token: a token per command, no connect needed.
    let mut command = sandbox.command();
    command.env("COMMERCE_POLICY_ACCESS_TOKEN", &token);
    sandbox.run_command(command, &["product-policies", "list", "--endpoint", &service.url], "").assert_ok();
    // Without one, the service turns the command away: exit 3 and what to run.
    let refused = sandbox.run(&["product-policies", "list", "--endpoint", &service.url]);
    refused.assert_fails_with(3);
    assert!(refused.stderr.contains("commerce-policy connect"), "{refused:#?}");
    // --endpoint local needs no sign-in, connected or not.
    sandbox.run(&["policies", "list", "--endpoint", "local"]).assert_ok();
    sandbox.run(&["connect", "--endpoint", "local", "--device-code"]).assert_fails_with(2);
}

#[test]
fn usage_errors_say_what_is_missing() {
    let sandbox = Sandbox::new();
    let no_tenant = sandbox.run(&["connect", "--client-secret"]);
    no_tenant.assert_fails_with(2);
    assert!(no_tenant.stderr.contains("--tenant-id"), "{no_tenant:#?}");
    assert!(no_tenant.stderr.contains("no connection is active"), "{no_tenant:#?}");
    let no_client = sandbox.run(&["connect", "--tenant-id", "t", "--federated-token-env", "X"]);
    no_client.assert_fails_with(2);
    assert!(no_client.stderr.contains("--client-id"), "{no_client:#?}");
    let two_flows = sandbox.run(&["connect", "--client-secret", "--managed-identity"]);
    two_flows.assert_fails_with(2);
    let bad_cloud = sandbox.run(&["connect", "--environment", "mars"]);
    bad_cloud.assert_fails_with(2);
    assert!(bad_cloud.stderr.contains("usgov-high"), "{bad_cloud:#?}");
    let not_connected = sandbox.run(&["disconnect"]);
    assert!(not_connected.assert_ok().stdout.contains("Not connected"));
    let _ = std::io::stdout().flush();
}

/// Every flow once, with every log turned up: no secret, token or assertion may appear in
/// anything the binary prints.
#[test]
fn no_secret_or_token_in_any_output_of_a_full_sign_in_run() {
    let sandbox = Sandbox::new();
    let cert = oidc::write_test_certificate(sandbox.dir.path(), "scan");
    let provider = Provider::start_with(None, Some(&cert.cert_pem));
    let service = secured_service(&sandbox, &provider);
    let federated = provider.federated_token(oidc::FEDERATED_CLIENT_ID);
    let token = provider.client_credentials_token(oidc::WRITER_CLIENT_ID, oidc::WRITER_CLIENT_SECRET);
    let mut outputs = Vec::new();
    let mut run = |env: &[(&str, &str)], args: &[&str], stdin: &str| {
        let mut command = sandbox.command();
        command.env("RUST_LOG", "debug");
        for (key, value) in env {
            command.env(key, value);
        }
        let mut args = args.to_vec();
        args.push("--verbose");
        let result = sandbox.run_command(command, &args, stdin);
        outputs.push(format!("{}{}", result.stdout, result.stderr));
        result
    };
    let secret_env = [("COMMERCE_POLICY_CLIENT_SECRET", oidc::WRITER_CLIENT_SECRET)];
    let flow = app_flow(oidc::WRITER_CLIENT_ID, &["--client-secret"]);
    run(&secret_env, &connect_args(&provider, &service, &flow), "").assert_ok();
    run(&secret_env, &["product-policies", "update", "--product-id", "CFQ7TTC0L3PB", "--value", "Disabled"], "")
        .assert_ok();
    run(&[], &connect_args(&provider, &service, &flow), oidc::WRITER_CLIENT_SECRET).assert_ok();
    // With debug logs on, stderr has more than the one error line: compare codes only.
    assert_eq!(run(&[], &connect_args(&provider, &service, &flow), "TESTONLY-wrong-secret-Kd93").code, 3);
    let pfx = cert.pfx.to_string_lossy().into_owned();
    let flow = app_flow(oidc::CERTIFICATE_CLIENT_ID, &["--certificate", &pfx]);
    let password = [("COMMERCE_POLICY_CERTIFICATE_PASSWORD", cert.pfx_password.as_str())];
    run(&password, &connect_args(&provider, &service, &flow), "").assert_ok();
    run(&password, &["policies", "list"], "").assert_ok();
    let flow = app_flow(oidc::FEDERATED_CLIENT_ID, &["--federated-token-env", "CI_ID_TOKEN"]);
    run(&[("CI_ID_TOKEN", federated.as_str())], &connect_args(&provider, &service, &flow), "").assert_ok();
    run(&[("COMMERCE_POLICY_ACCESS_TOKEN", token.as_str())], &["audit", "--endpoint", &service.url], "").assert_ok();
    let refused =
        run(&[("COMMERCE_POLICY_ACCESS_TOKEN", "eyJnot.a.token")], &["audit", "--endpoint", &service.url], "");
    assert_eq!(refused.code, 3);
    run(&[], &["disconnect"], "").assert_ok();

    let all = outputs.join("\n");
    assert!(all.contains("correlation_id"), "the verbose logs were on: {all}");
    let mut secrets: Vec<&str> = oidc::TEST_SECRETS.to_vec();
    secrets.extend([cert.pfx_password.as_str(), federated.as_str(), token.as_str(), "TESTONLY", "eyJ"]);
    for secret in secrets {
        assert!(!all.contains(secret), "output contains secret text {secret:?}:\n{all}");
    }
}
