//! `subscriptions list|get` on a tenant, read through a Graph-shaped stand-in with tokens of
//! tests/oidc: self-service purchases with their purchasers resolved by `$batch`, product
//! names from Microsoft's table, paging, throttling, and a missing permission.

use std::sync::atomic::Ordering;

use commerce_e2e::graph::{GraphFixture, GraphOptions, GraphTenant, POWER_BI_PRO, UNKNOWN_SKU, guid};
use commerce_e2e::oidc::{TENANT, WRITER_CLIENT_ID, WRITER_CLIENT_SECRET};

#[test]
fn self_service_purchases_show_purchaser_product_name_status_and_dates() {
    let f = GraphFixture::start(GraphTenant::with_purchases(3), GraphOptions::default());
    let listed = f.run(&["subscriptions", "list", "--self-service", "-o", "json"]);
    listed.assert_ok();
    let items = listed.json();
    let items = items.as_array().expect("an array");
    assert_eq!(items.len(), 3, "the central Visio subscription is not self-service: {listed:#?}");
    let first = items.iter().find(|s| s["Purchaser"] == "buyer0@contoso.test").expect("buyer0's purchase");
    assert_eq!(first["SubscriptionId"], guid(1, 0));
    assert_eq!(first["ProductId"], POWER_BI_PRO);
    assert_eq!(first["ProductName"], "Power BI Pro");
    assert_eq!(first["SkuPartNumber"], "POWER_BI_PRO");
    assert_eq!(first["OwnerType"], "User");
    assert_eq!(first["PurchaserName"], "Buyer 0");
    assert_eq!(first["Status"], "Active");
    assert_eq!(first["Quantity"], 1);
    assert_eq!(first["Created"], "2026-11-01T09:00:00Z");
    assert_eq!(first["ExpiresOn"], "2027-12-01T00:00:00Z");
    let all = f.run(&["subscriptions", "list", "-o", "json"]).json();
    assert_eq!(all.as_array().unwrap().len(), 4, "without --self-service the tenant's own too");
    let bought = f.run(&["subscriptions", "list", "--purchaser", "BUYER1@contoso.test", "-o", "json"]).json();
    assert_eq!(bought.as_array().unwrap().len(), 1, "{bought}");
    assert_eq!(bought[0]["SubscriptionId"], guid(1, 1));
    let table = f.run(&["subscriptions", "list", "--self-service"]);
    table.assert_ok();
    assert!(table.stdout.contains("Microsoft Graph") && table.stdout.contains("buyer2@contoso.test"), "{table:#?}");
}

#[test]
fn a_thousand_subscriptions_over_pages_take_a_bounded_number_of_calls() {
    let f = GraphFixture::start(GraphTenant::with_purchases(1000), GraphOptions::default());
    let listed = f.run(&["subscriptions", "list", "--self-service", "-o", "json"]);
    listed.assert_ok();
    let items = listed.json();
    assert_eq!(items.as_array().unwrap().len(), 1000);
    assert!(items.as_array().unwrap().iter().all(|s| s["Purchaser"].as_str().unwrap().starts_with("buyer")));
    let calls = &f.graph.calls;
    // 1,001 subscriptions at 100 a page: 11 pages; 1,000 purchasers at 20 a batch: 50.
    assert_eq!(calls.subscriptions.load(Ordering::SeqCst), 11);
    assert_eq!(calls.batch.load(Ordering::SeqCst), 50);
    assert_eq!(calls.largest_batch.load(Ordering::SeqCst), 20);
    assert_eq!(f.graph.total(), 61, "not one call per subscription");
}

#[test]
fn throttling_is_waited_out_as_retry_after_asks() {
    let options = GraphOptions { throttle_once: vec!["subscriptions", "batch"], ..GraphOptions::default() };
    let f = GraphFixture::start(GraphTenant::with_purchases(30), options);
    let listed = f.run(&["subscriptions", "list", "--self-service", "-o", "json"]);
    listed.assert_ok();
    let items = listed.json();
    assert_eq!(items.as_array().unwrap().len(), 30);
    assert!(
        items.as_array().unwrap().iter().all(|s| s["Purchaser"].as_str().unwrap().ends_with("@contoso.test")),
        "{items}"
    );
    // The page once more, and the one throttled user in a batch of its own.
    assert_eq!(f.graph.calls.subscriptions.load(Ordering::SeqCst), 2);
    assert_eq!(f.graph.calls.batch.load(Ordering::SeqCst), 3);
}

#[test]
fn a_missing_permission_is_one_line_naming_it_exit_4() {
    for (denied, command) in [
        ("Organization.Read.All", vec!["subscriptions", "list", "--self-service"]),
        ("User.Read.All", vec!["subscriptions", "list", "--self-service"]),
        ("User.Read.All", vec!["licenses", "list", "--self-service"]),
    ] {
        let options = GraphOptions { denied: vec![denied], ..GraphOptions::default() };
        let f = GraphFixture::start(GraphTenant::with_purchases(2), options);
        let run = f.run(&command);
        run.assert_fails_with(4);
        assert!(run.stderr.contains(&format!("lacks the {denied} permission")), "{run:#?}");
        assert!(!run.stderr.contains("403 Forbidden"), "not a raw 403: {run:#?}");
    }
}

#[test]
fn get_reads_one_and_unknown_skus_show_their_part_number() {
    let mut tenant = GraphTenant::with_purchases(1);
    tenant.buy(77, "zoe@contoso.test", (UNKNOWN_SKU, "NEW_THING_2027"), "2026-11-30T00:00:00Z", "Warning");
    let f = GraphFixture::start(tenant, GraphOptions::default());
    let got = f.run(&["subscriptions", "get", &guid(1, 77), "-o", "json"]);
    got.assert_ok();
    let got = got.json();
    assert_eq!(got["ProductName"], "NEW_THING_2027");
    assert_eq!(got["Purchaser"], "zoe@contoso.test");
    assert_eq!(got["Status"], "Active", "Warning is the grace period: still active");
    assert_eq!(got["GraphStatus"], "Warning");
    let missing = f.run(&["subscriptions", "get", &guid(1, 999)]);
    missing.assert_fails_with(5);
}

#[test]
fn a_next_page_on_another_host_is_not_followed() {
    let options = GraphOptions { foreign_next_link: true, ..GraphOptions::default() };
    let f = GraphFixture::start(GraphTenant::with_purchases(150), options);
    let run = f.run(&["subscriptions", "list"]);
    run.assert_fails_with(1);
    assert!(run.stderr.contains("its next page is on another host (evil.test)"), "{run:#?}");
}

#[test]
fn a_product_id_of_the_licensing_catalogue_is_refused_on_a_tenant_before_any_call() {
    let f = GraphFixture::start(GraphTenant::with_purchases(1), GraphOptions::default());
    let run = f.run(&["subscriptions", "list", "--product-id", "CFQ7TTC0LH16"]);
    run.assert_fails_with(2);
    assert_eq!(f.graph.total(), 0);
}

#[test]
fn a_tokens_audience_must_be_graph() {
    let f = GraphFixture::start(GraphTenant::with_purchases(1), GraphOptions::default());
    let licensing = f.provider.client_credentials_token(WRITER_CLIENT_ID, WRITER_CLIENT_SECRET);
    let mut command = f.sandbox.command();
    command.env("COMMERCE_POLICY_GRAPH_ACCESS_TOKEN", licensing);
    let run = f.sandbox.run_command(command, &f.tenant_args(&["subscriptions", "list"]), "");
    run.assert_fails_with(3);
    assert!(run.stderr.contains("did not accept the token"), "{run:#?}");
}

/// `connect` with a client secret, then a tenant read: the binary asks tests/oidc for a second
/// token, for Microsoft Graph, with the same application, and the stand-in accepts it.
#[test]
fn a_connected_app_gets_its_own_graph_token() {
    let f = GraphFixture::start(GraphTenant::with_purchases(2), GraphOptions::default());
    let with_secret = |args: &[&str]| {
        let mut command = f.sandbox.command();
        command.env("COMMERCE_POLICY_CLIENT_SECRET", WRITER_CLIENT_SECRET);
        f.sandbox.run_command(command, args, "")
    };
    let authority = f.provider.authority();
    let flow = ["--tenant-id", TENANT, "--client-id", WRITER_CLIENT_ID, "--client-secret"];
    let mut connect = vec!["connect", "--authority", authority, "--endpoint", "microsoft", "-o", "json"];
    connect.extend_from_slice(&flow);
    with_secret(&connect).assert_ok();
    let listed =
        with_secret(&["--graph-endpoint", &f.graph.url, "subscriptions", "list", "--self-service", "-o", "json"]);
    listed.assert_ok();
    assert_eq!(listed.json().as_array().unwrap().len(), 2, "{listed:#?}");
    // Without the secret no Graph token can be had: exit 3, saying what to set.
    let unsigned = f.sandbox.run(&["--graph-endpoint", &f.graph.url, "subscriptions", "list"]);
    unsigned.assert_fails_with(3);
    assert!(unsigned.stderr.contains("COMMERCE_POLICY_CLIENT_SECRET"), "{unsigned:#?}");
}

/// `connect` with a managed identity asks for the Graph token too and keeps it in the kernel
/// keyring: with the identity endpoint gone, the tenant is still read.
#[test]
fn connect_keeps_a_graph_token_beside_the_licensing_one() {
    if std::process::Command::new("keyctl").arg("--version").output().is_err() {
        assert!(std::env::var_os("CI").is_none(), "CI installs keyutils (keyctl)");
        return;
    }
    let GraphFixture { provider, graph, sandbox, .. } =
        GraphFixture::start(GraphTenant::with_purchases(2), GraphOptions::default());
    let mut msi = sandbox.command_in_keyring();
    msi.env("IDENTITY_ENDPOINT", format!("{}/msi/token", provider.url()))
        .env("IDENTITY_HEADER", commerce_e2e::oidc::MSI_HEADER);
    let connect = ["connect", "--authority", provider.authority(), "--endpoint", "microsoft", "--managed-identity"];
    let connected = sandbox.run_command(msi, &connect, "");
    connected.assert_ok();
    assert!(!connected.stderr.contains("Graph"), "no warning: {connected:#?}");
    drop(provider);
    let mut offline = sandbox.command_in_keyring();
    offline.env("COMMERCE_POLICY_IMDS_ENDPOINT", "http://127.0.0.1:9");
    let args = ["--graph-endpoint", graph.url.as_str(), "subscriptions", "list", "--self-service", "-o", "json"];
    let listed = sandbox.run_command(offline, &args, "");
    listed.assert_ok();
    assert_eq!(listed.json().as_array().unwrap().len(), 2, "{listed:#?}");
    sandbox.run_command(sandbox.command_in_keyring(), &["disconnect"], "").assert_ok();
}

/// A person's sign-in (device code) gets its Graph token by redeeming the kept refresh token,
/// as Entra's refresh tokens serve every resource the app was consented to.
#[test]
fn a_persons_sign_in_redeems_its_refresh_token_for_graph() {
    if std::process::Command::new("keyctl").arg("--version").output().is_err() {
        assert!(std::env::var_os("CI").is_none(), "CI installs keyutils (keyctl)");
        return;
    }
    let GraphFixture { provider, graph, sandbox, .. } =
        GraphFixture::start(GraphTenant::with_purchases(2), GraphOptions::default());
    let connect = ["connect", "--authority", provider.authority(), "--endpoint", "microsoft", "--device-code"];
    let mut child = sandbox
        .command_in_keyring()
        .args(connect)
        .args(["--tenant-id", TENANT])
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("connect starts");
    let mut stderr = std::io::BufReader::new(child.stderr.take().expect("stderr"));
    let mut line = String::new();
    while !line.contains("enter the code") {
        line.clear();
        assert!(std::io::BufRead::read_line(&mut stderr, &mut line).expect("stderr") > 0, "no code shown");
    }
    let code = line.split("enter the code ").nth(1).and_then(|rest| rest.split_whitespace().next()).expect("a code");
    provider.approve_device_code(code, commerce_e2e::oidc::ADMIN_USER);
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut stderr, &mut rest).expect("stderr");
    assert!(child.wait().expect("connect ends").success(), "{rest}");
    assert!(!rest.contains("Graph"), "the Graph token came with the sign-in: {rest}");
    let args = ["--graph-endpoint", graph.url.as_str(), "subscriptions", "list", "--self-service", "-o", "json"];
    let listed = sandbox.run_command(sandbox.command_in_keyring(), &args, "");
    listed.assert_ok();
    assert_eq!(listed.json().as_array().unwrap().len(), 2, "{listed:#?}");
    sandbox.run_command(sandbox.command_in_keyring(), &["disconnect"], "").assert_ok();
}
