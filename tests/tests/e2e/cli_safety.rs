//! The binary under bad input and hostile answers: usage refused before anything is sent,
//! tenant ids kept out of sign-in URLs, baselines that pin a product twice or pin thousands
//! of unknown ids, `--out` on links and devices, a damaged connection file, service text
//! that tries to act on a terminal or a spreadsheet, closed pipes and credentials in URLs.

use std::io::ErrorKind;
use std::net::TcpListener;
use std::path::Path;
use std::process::Stdio;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use commerce_e2e::{Sandbox, Service};
use serde_json::json;

const POWER_BI_PRO: &str = "CFQ7TTC0H9MP";
const POWER_BI_PRO_FORMER: &str = "CFQ7TTC0L3PB";

/// The API requests a `serve_logged` service has answered, as its log shows them.
fn api_requests(log: &Path) -> usize {
    let text = std::fs::read_to_string(log).unwrap_or_default();
    text.lines().filter(|l| l.contains(" request ") && l.contains("path=/v1.0/")).count()
}

fn logged_service(sb: &Sandbox, extra: &[&str]) -> (Service, std::path::PathBuf) {
    let log = sb.path("serve.log");
    (sb.serve_logged(&sb.path("store.db"), extra, &log), log)
}

#[test]
fn junit_is_refused_before_any_request_by_every_command_but_plan_and_apply() {
    let sb = Sandbox::new();
    let (svc, log) = logged_service(&sb, &[]);
    let cli = sb.against(&svc.url);
    let update = ["product-policies", "update", "--product-id", POWER_BI_PRO, "--value", "Disabled"];
    let commands: [&[&str]; 8] = [
        &["policies", "list"],
        &["policies", "get", "AllowSelfServicePurchase"],
        &["product-policies", "list"],
        &["product-policies", "get", "--product-id", POWER_BI_PRO],
        &update,
        &["product-policies", "update", "--offer-type", "SaaS", "--value", "Disabled"],
        &["audit"],
        &["export"],
    ];
    for command in commands {
        cli.run(&[command, &["-o", "junit"]].concat()).assert_fails_with(2);
        let mut by_env = sb.command();
        by_env.env("COMMERCE_POLICY_OUTPUT", "junit");
        let run = sb.run_command(by_env, &[&["--endpoint", svc.url.as_str()], command].concat(), "");
        run.assert_fails_with(2);
        assert!(run.stderr.contains("junit is for plan, apply and subscriptions list"), "{command:?}: {run:#?}");
    }
    assert_eq!(api_requests(&log), 0, "nothing was sent:\n{}", std::fs::read_to_string(&log).unwrap());
    assert_eq!(cli.run(&["audit", "-o", "json"]).assert_ok().json(), json!([]), "nothing changed");
}

#[test]
fn an_out_path_that_cannot_be_written_is_refused_before_any_request() {
    let sb = Sandbox::new();
    let (svc, log) = logged_service(&sb, &[]);
    let cli = sb.against(&svc.url);
    let folder = sb.path("a-folder");
    std::fs::create_dir(&folder).unwrap();
    let missing = sb.path("no-such-folder/plan.json");
    for out in [&folder, &missing] {
        let run = cli.run(&["export", "--out", out.to_str().unwrap()]);
        run.assert_fails_with(2);
        assert!(run.stderr.contains("--out"), "{run:#?}");
    }
    assert_eq!(api_requests(&log), 0);
}

/// Counts connections to a loopback port until dropped: what a client sent there.
struct Listener {
    url: String,
    connections: Arc<AtomicUsize>,
    stop: Arc<AtomicBool>,
}

impl Listener {
    fn start() -> Self {
        let socket = TcpListener::bind("127.0.0.1:0").unwrap();
        socket.set_nonblocking(true).unwrap();
        let url = format!("http://{}", socket.local_addr().unwrap());
        let (connections, stop) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicBool::new(false)));
        let (count, stopped) = (connections.clone(), stop.clone());
        std::thread::spawn(move || {
            while !stopped.load(Ordering::Relaxed) {
                match socket.accept() {
                    Ok(_) => {
                        count.fetch_add(1, Ordering::Relaxed);
                    }
                    Err(e) if e.kind() == ErrorKind::WouldBlock => {
                        std::thread::sleep(std::time::Duration::from_millis(5))
                    }
                    Err(_) => return,
                }
            }
        });
        Self { url, connections, stop }
    }
}

impl Drop for Listener {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

#[test]
fn a_tenant_id_that_is_not_a_guid_or_a_domain_is_refused_and_nothing_is_sent() {
    let sb = Sandbox::new();
    let authority = Listener::start();
    let connect = |tenant_flag: Option<&str>, tenant_env: Option<&str>| {
        let mut command = sb.command();
        command.env("COMMERCE_POLICY_CLIENT_SECRET", "TESTONLY-secret");
        if let Some(tenant) = tenant_env {
            command.env("COMMERCE_POLICY_TENANT_ID", tenant);
        }
        let mut args = vec!["connect", "--authority", &authority.url, "--endpoint", &authority.url];
        args.extend(["--client-id", "11111111-2222-3333-4444-555555555555", "--client-secret"]);
        if let Some(tenant) = tenant_flag {
            args.extend(["--tenant-id", tenant]);
        }
        sb.run_command(command, &args, "")
    };
    for hostile in ["../../x?y=1", "contoso.com/../x", "a b", "x#y"] {
        let run = connect(Some(hostile), None);
        run.assert_fails_with(2);
        assert!(run.stderr.contains("is not a tenant id"), "{run:#?}");
        connect(None, Some(hostile)).assert_fails_with(2);
    }
    let bad_authority = sb.run(&["connect", "--authority", "https://u:p@login.example/?x=1", "--device-code"]);
    bad_authority.assert_fails_with(2);
    assert!(!bad_authority.stderr.contains("u:p@"), "{bad_authority:#?}");
    assert_eq!(authority.connections.load(Ordering::Relaxed), 0, "no request reached the authority");
}

fn write(sb: &Sandbox, name: &str, text: &str) -> String {
    let path = sb.path(name);
    std::fs::write(&path, text).unwrap();
    path.to_string_lossy().into_owned()
}

#[test]
fn a_product_pinned_under_its_former_and_its_current_id_is_refused_with_the_line() {
    let sb = Sandbox::new();
    let svc = sb.serve(&sb.path("store.db"), &[]);
    let text = format!(
        "{{\n  \"policyId\": \"AllowSelfServicePurchase\",\n  \"products\": {{\n    \"{POWER_BI_PRO}\": \"Enabled\",\n    \"{POWER_BI_PRO_FORMER}\": \"Disabled\"\n  }}\n}}\n"
    );
    let file = write(&sb, "twice.json", &text);
    for command in ["plan", "apply"] {
        let run = sb.against(&svc.url).run(&[command, "-f", &file, "--allow-unknown-products"]);
        run.assert_fails_with(2);
        assert!(
            run.stderr.contains(&format!(
                "product {POWER_BI_PRO} is pinned twice ({POWER_BI_PRO_FORMER} is the former id of {POWER_BI_PRO}) (line 5)"
            )),
            "{run:#?}"
        );
    }
    let audit = sb.against(&svc.url).run(&["audit", "-o", "json"]).assert_ok().json();
    assert_eq!(audit, json!([]), "apply changed nothing");
}

#[test]
fn thousands_of_unknown_pinned_ids_cost_a_handful_of_requests_and_one_short_line() {
    let sb = Sandbox::new();
    let (svc, log) = logged_service(&sb, &[]);
    let products: Vec<String> = (1..=2000).map(|i| format!("    \"TEST{i:08}\": \"Disabled\"")).collect();
    let text = format!(
        "{{\n  \"policyId\": \"AllowSelfServicePurchase\",\n  \"products\": {{\n{}\n  }}\n}}\n",
        products.join(",\n")
    );
    let file = write(&sb, "typos.json", &text);
    let run = sb.against(&svc.url).run(&["plan", "-f", &file]);
    run.assert_fails_with(2);
    assert!(run.stderr.contains("TEST00000001 (line 4)") && run.stderr.contains(" and 1990 more"), "{run:#?}");
    assert!(run.stderr.len() < 600, "a short line: {} bytes", run.stderr.len());
    let allowed = sb.against(&svc.url).run(&["plan", "-f", &file, "--allow-unknown-products"]);
    allowed.assert_ok();
    let requests = api_requests(&log);
    assert!(requests <= 4, "{requests} requests for two plans");
}

/// A full device: a private one where this test may make device nodes (as root, where
/// writing over `/dev/full` itself must not be risked), else `/dev/full`.
fn full_device(sb: &Sandbox) -> std::path::PathBuf {
    let private = sb.path("full");
    let made = std::process::Command::new("mknod").arg(&private).args(["c", "1", "7"]).stderr(Stdio::null()).status();
    if made.is_ok_and(|s| s.success()) { private } else { "/dev/full".into() }
}

#[cfg(unix)]
#[test]
fn out_replaces_files_whole_follows_symlinks_and_writes_through_devices() {
    use std::os::unix::fs::FileTypeExt;
    let sb = Sandbox::new();
    let svc = sb.serve(&sb.path("store.db"), &[]);
    let cli = sb.against(&svc.url);
    let baseline = write(&sb, "baseline.json", r#"{"policyId":"AllowSelfServicePurchase","default":"Disabled"}"#);

    // A symlink stays a symlink; its target gets the plan.
    let target = sb.path("plans/current.json");
    std::fs::create_dir_all(target.parent().unwrap()).unwrap();
    std::fs::write(&target, "old").unwrap();
    let link = sb.path("plan.json");
    std::os::unix::fs::symlink(&target, &link).unwrap();
    cli.run(&["plan", "-f", &baseline, "--out", link.to_str().unwrap()]).assert_ok();
    assert!(std::fs::symlink_metadata(&link).unwrap().file_type().is_symlink(), "still a link");
    let saved: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&target).unwrap()).unwrap();
    assert!(saved["changes"].as_array().is_some_and(|c| !c.is_empty()), "{saved}");
    cli.run(&["apply", "--plan", link.to_str().unwrap(), "--what-if"]).assert_ok();

    // What /dev/stdout is (a link to this process's fd 1), then /dev/stdout itself.
    let own_stdout = sb.path("stdout");
    std::os::unix::fs::symlink("/proc/self/fd/1", &own_stdout).unwrap();
    for out in [own_stdout.to_str().unwrap(), "/dev/stdout"] {
        let run = cli.run(&["export", "--default", "Enabled", "--out", out]);
        run.assert_ok();
        assert!(run.stdout.contains("\"policyId\": \"AllowSelfServicePurchase\""), "{out}: {run:#?}");
    }
    assert!(std::fs::symlink_metadata(&own_stdout).unwrap().file_type().is_symlink());

    // A device that refuses the write: exit 1 with the reason, and the device stays.
    let full = full_device(&sb);
    for command in [&["plan", "-f", &baseline][..], &["export"]] {
        let run = cli.run(&[command, &["--out", full.to_str().unwrap()]].concat());
        run.assert_fails_with(1);
        assert!(run.stderr.contains("No space left on device"), "{run:#?}");
        assert!(std::fs::metadata(&full).unwrap().file_type().is_char_device(), "the device node is left alone");
    }
}

#[test]
fn disconnect_removes_a_damaged_connection_file() {
    let sb = Sandbox::new();
    let connection = sb.path("data/connection.json");
    std::fs::create_dir_all(connection.parent().unwrap()).unwrap();
    std::fs::write(&connection, "{\"cloud\": \"worldwide\", \"tenantId\": ").unwrap();
    let run = sb.run(&["disconnect"]);
    run.assert_ok();
    assert!(run.stdout.contains("Removed") && run.stdout.contains("not a saved connection"), "{run:#?}");
    assert!(!connection.exists());
    assert!(sb.run(&["disconnect"]).assert_ok().stdout.contains("Not connected"));
}

#[test]
fn service_text_cannot_act_on_a_terminal_or_a_spreadsheet_and_json_stays_exact() {
    let sb = Sandbox::new();
    let hostile = "\u{1b}[2J=HYPERLINK(\"x\")\r";
    let formula = "=HYPERLINK(\"http://evil.test\",\"click\")";
    let catalog = json!({
        "policies": [{ "id": "AllowSelfServicePurchase", "description": "test", "defaultValue": "Enabled" }],
        "products": [
            { "id": "TEST00000001", "name": hostile, "trials": false },
            { "id": "TEST00000002", "name": formula, "trials": false },
            { "id": "TEST00000003", "name": "@SUM(1+1)", "trials": false },
        ]
    });
    let path = write(&sb, "catalog.json", &catalog.to_string());
    let svc = sb.serve(&sb.path("store.db"), &["--catalog", &path]);
    let cli = sb.against(&svc.url);

    let table = cli.run(&["product-policies", "list", "-o", "table"]);
    table.assert_ok();
    assert!(!table.stdout.contains('\u{1b}') && !table.stdout.contains('\r'), "{:?}", table.stdout);
    assert!(table.stdout.contains("\\u{1b}[2J=HYPERLINK(\"x\")\\r"), "{}", table.stdout);

    let csv = cli.run(&["product-policies", "list", "-o", "csv"]);
    csv.assert_ok();
    for line in csv.stdout.lines().skip(1) {
        let first = line.trim_start_matches('"');
        assert!(!first.starts_with(['=', '+', '-', '@', '\t', '\r']), "a formula: {line:?}");
    }
    assert!(csv.stdout.contains("'=HYPERLINK(") && csv.stdout.contains("'@SUM(1+1)"), "{}", csv.stdout);

    let exact = cli.run(&["product-policies", "list", "-o", "json"]).assert_ok().json();
    let names: Vec<&str> = exact.as_array().unwrap().iter().map(|p| p["ProductName"].as_str().unwrap()).collect();
    assert_eq!(names, [hostile, formula, "@SUM(1+1)"]);
}

#[test]
fn an_empty_scope_is_a_usage_error() {
    let sb = Sandbox::new();
    sb.run(&["--endpoint", "local", "product-policies", "list", "--scope", ""]).assert_fails_with(2);
}

#[test]
fn output_to_a_closed_pipe_exits_141_quietly_and_to_a_full_device_exits_1() {
    let sb = Sandbox::new();
    let svc = sb.serve(&sb.path("store.db"), &[]);
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    let mut command = sb.command();
    command.args(["--endpoint", &svc.url, "product-policies", "list"]).stdout(writer).stderr(Stdio::piped());
    let out = command.output().unwrap();
    assert_eq!(out.status.code(), Some(141), "{out:?}");
    assert!(out.stderr.is_empty(), "quiet: {}", String::from_utf8_lossy(&out.stderr));

    let full = std::fs::OpenOptions::new().write(true).open(full_device(&sb)).unwrap();
    let mut command = sb.command();
    command.args(["--endpoint", &svc.url, "product-policies", "list"]).stdout(full).stderr(Stdio::piped());
    let out = command.output().unwrap();
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    assert!(String::from_utf8_lossy(&out.stderr).contains("No space left"), "{out:?}");
}

#[test]
fn describe_cli_to_a_closed_pipe_exits_141_without_a_panic() {
    let sb = Sandbox::new();
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    let out = sb.command().arg("describe-cli").stdout(writer).stderr(Stdio::piped()).output().unwrap();
    assert_eq!(out.status.code(), Some(141), "{out:?}");
    assert!(out.stderr.is_empty(), "quiet, no panic: {}", String::from_utf8_lossy(&out.stderr));
}

#[test]
fn credentials_in_the_endpoint_url_are_never_printed() {
    let sb = Sandbox::new();
    let svc = sb.serve(&sb.path("store.db"), &[]);
    let with_credentials = svc.url.replace("http://", "http://admin:TESTONLY-hunter2@");
    let table = sb.run(&["--endpoint", &with_credentials, "product-policies", "list"]);
    table.assert_ok();
    assert!(table.stdout.starts_with(&svc.url.replace("http://", "Endpoint: http://***@")), "{}", table.stdout);
    let plan_file = sb.path("plan.json");
    let baseline = write(&sb, "baseline.json", r#"{"policyId":"AllowSelfServicePurchase","default":"Disabled"}"#);
    sb.run(&["--endpoint", &with_credentials, "plan", "-f", &baseline, "--out", plan_file.to_str().unwrap()])
        .assert_ok();
    let unreachable = "http://admin:TESTONLY-hunter2@127.0.0.1:1";
    let failed = sb.run(&["--endpoint", unreachable, "--max-retries", "0", "-v", "policies", "list"]);
    assert_eq!(failed.code, 7, "{failed:#?}");
    let not_a_url = sb.run(&["--endpoint", "http://admin:TESTONLY-hunter2@[::1", "policies", "list"]);
    not_a_url.assert_fails_with(2);
    for run in [&table, &failed, &not_a_url] {
        assert!(!run.stdout.contains("hunter2") && !run.stderr.contains("hunter2"), "{run:#?}");
    }
    let saved = std::fs::read_to_string(&plan_file).unwrap();
    assert!(!saved.contains("hunter2"), "{saved}");
}
