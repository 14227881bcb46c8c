//! Where the administration commands run: the embedded local default (the README's quick
//! tour, command for command), and never Microsoft's licensing service, which has no API for
//! them — there each command says so in one line, before any request.

use crate::admin_support::*;

/// Every administration command that changes something or reads what only our service
/// keeps, with arguments that would pass its own checks. (`subscriptions list|get` and
/// `licenses list|export` read a tenant through Microsoft Graph: tests/e2e/graph_*.rs.)
const SUB: &str = "6f1f3c1e-8d2a-4c55-9a57-0c2b1f6c9d10";
fn every_command() -> Vec<Vec<&'static str>> {
    vec![
        vec!["users", "add", "--upn", "a@contoso.test", "--display-name", "A"],
        vec!["users", "list"],
        vec!["purchase", "--product-id", POWER_BI_PRO, "--quantity", "1", "--as", "a@contoso.test"],
        vec!["subscriptions", "add", "--product-id", POWER_BI_PRO, "--quantity", "1"],
        vec!["subscriptions", "cancel", SUB],
        vec!["subscriptions", "take-over", SUB, "--move-to", "7f1f3c1e-8d2a-4c55-9a57-0c2b1f6c9d10", "--what-if"],
        vec!["subscriptions", "take-over", SUB, "--cancel", "--reason", "NotApproved"],
        vec!["licenses", "assign", "--subscription", SUB, "--user", "a@contoso.test"],
        vec!["licenses", "unassign", "--subscription", SUB, "--user", "a@contoso.test"],
        vec!["centralize", "--product-id", POWER_BI_PRO, "--to", SUB],
        vec!["notifications", "list"],
    ]
}

#[test]
fn against_microsofts_service_every_command_names_the_admin_center_before_any_request() {
    let t = Tenant::local();
    // Microsoft's host stands in for a port where nothing listens: a request would be exit 7.
    let mut import = vec!["users", "import"];
    let file = t.sb.path("u.csv");
    std::fs::write(&file, "upn,displayName\na@contoso.test,A\n").unwrap();
    import.push(file.to_str().unwrap());
    for args in every_command().into_iter().chain([import]) {
        for how in [&["--endpoint", "microsoft"][..], &["--access-token", "not-a-real-token"][..]] {
            let mut all = how.to_vec();
            all.extend(&args);
            let mut command = t.sb.command();
            command.env("COMMERCE_POLICY_MICROSOFT_ENDPOINT", "http://127.0.0.1:1");
            let run = t.sb.run_command(command, &all, "");
            run.assert_fails_with(2);
            assert!(
                run.stderr.contains("Microsoft 365 admin center")
                    && run.stderr.contains("Billing > Your products")
                    && run.stderr.contains("Self-service"),
                "{args:?}: {run:#?}"
            );
        }
    }
    let run = t.sb.run(&["--endpoint", "https://licensing.m365.microsoft.com/", "notifications", "list"]);
    run.assert_fails_with(2);
    assert!(run.stderr.contains("admin center"), "{run:#?}");
}

#[test]
fn readme_quick_tour_on_the_embedded_default() {
    let t = Tenant::local();
    t.run(&["users", "add", "--upn", "ann@contoso.test", "--display-name", "Ann", "--mail", "ann@contoso.test"])
        .assert_ok();
    t.run(&["users", "add", "--upn", "cat@contoso.test", "--display-name", "Cat"]).assert_ok();
    let bought = t.json(Some("ann@contoso.test"), &["purchase", "--product-id", POWER_BI_PRO, "--quantity", "2"]);
    let sub = id_of(&bought);
    t.run(&["licenses", "assign", "--subscription", &sub, "--user", "cat@contoso.test", "--as", "ann@contoso.test"])
        .assert_ok();
    let seen = t.run(&["subscriptions", "list", "--self-service"]);
    assert!(seen.assert_ok().stdout.contains("ann@contoso.test") && seen.stdout.contains(&sub), "{seen:#?}");
    let central = t.central(POWER_BI_PRO, 5);
    t.run(&["subscriptions", "take-over", &sub, "--move-to", &central]).assert_ok();
    assert_eq!(assigned(&t.subscription(&central)), ["cat@contoso.test"]);
    assert_eq!(t.subscription(&sub)["Status"], "Deleted");
    let mails = t.run(&["notifications", "list"]);
    assert!(mails.assert_ok().stdout.contains("ann@contoso.test"), "{mails:#?}");
}

#[test]
fn with_a_tenant_connection_the_commands_name_the_admin_center_before_signing_in() {
    let provider = commerce_e2e::Provider::start();
    let t = Tenant::serve();
    // The connection's endpoint is Microsoft's licensing host, here a service on loopback.
    let command = || {
        let mut command = t.sb.command();
        command.env("COMMERCE_POLICY_MICROSOFT_ENDPOINT", t.url());
        command.env("COMMERCE_POLICY_CLIENT_SECRET", commerce_e2e::oidc::WRITER_CLIENT_SECRET);
        command
    };
    let app = ["--tenant-id", commerce_e2e::oidc::TENANT, "--client-id", commerce_e2e::oidc::WRITER_CLIENT_ID];
    let mut connect = vec!["connect", "--authority", provider.authority(), "--client-secret"];
    connect.extend(app);
    t.sb.run_command(command(), &connect, "").assert_ok();
    drop(provider);
    // The provider is gone: a command that tried to sign in would fail with 3 or 7.
    let run = t.sb.run_command(command(), &["subscriptions", "cancel", SUB], "");
    run.assert_fails_with(2);
    assert!(run.stderr.contains("Billing > Your products"), "{run:#?}");
}

#[test]
fn a_purchase_the_policy_refuses_on_the_embedded_default_is_exit_4() {
    let t = Tenant::local();
    t.add_users(&["ann"]);
    t.set_policy(POWER_BI_PRO, "Disabled");
    let run = t.run_as(&upn("ann"), &["purchase", "--product-id", POWER_BI_PRO, "--quantity", "1"]);
    run.assert_fails_with(4);
    assert!(run.stderr.contains("AllowSelfServicePurchase"), "{run:#?}");
}

/// `audit --administration` shows the administration's log, newest first: a take-over as its
/// steps (licenses assigned in the target, the source cancelled, the purchaser's mail queued)
/// under one correlation id, with the subject before and after; the policy log stays apart.
#[test]
fn audit_administration_lists_a_take_over_step_by_step_under_one_correlation_id() {
    let t = Tenant::serve();
    t.add_users(&["ann", "bob"]);
    let sub = t.buy("ann", POWER_BI_PRO, 2);
    t.assign_as("ann", &sub, &["bob"]);
    let central = t.central(POWER_BI_PRO, 5);
    let outcome = t.json(None, &["subscriptions", "take-over", &sub, "--move-to", &central]);
    let correlation_id = outcome["CorrelationId"].as_str().expect("the outcome's correlation id").to_string();

    let log = t.json(None, &["audit", "--administration", "--limit", "10"]);
    let steps: Vec<(&str, &str)> = log
        .as_array()
        .expect("a list")
        .iter()
        .filter(|e| e["CorrelationId"] == correlation_id.as_str())
        .map(|e| (e["Action"].as_str().unwrap_or_default(), e["SubjectId"].as_str().unwrap_or_default()))
        .collect();
    assert_eq!(steps.len(), 3, "{log:#}");
    assert!(
        steps.contains(&("Assign", central.as_str())) && steps.contains(&("TakeOverMove", sub.as_str())),
        "{steps:?}"
    );
    assert!(steps.iter().any(|(action, _)| *action == "QueueMail"), "{steps:?}");
    let moved = log.as_array().unwrap().iter().find(|e| e["Action"] == "TakeOverMove").expect("the take-over");
    assert_eq!(moved["Before"]["assignedUsers"], serde_json::json!([upn("bob")]), "{moved:#}");
    assert_eq!(moved["Before"]["status"], "Active", "{moved:#}");

    let policy_log = t.json(None, &["audit"]);
    assert_eq!(policy_log, serde_json::json!([]), "no policy changed");
    let csv = t.run(&["audit", "--administration", "-o", "csv"]).assert_ok().stdout.clone();
    assert!(csv.lines().next().is_some_and(|h| h.contains("Action") && h.contains("Before")), "{csv}");
}
