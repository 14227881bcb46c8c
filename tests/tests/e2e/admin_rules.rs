//! Issue 11's numbered rules, one test each, through the real binary against a real `serve`
//! on loopback (`--as` says which user of its directory acts).

use serde_json::Value;

use crate::admin_support::*;

/// A service with four users: ann and bob buy, cat and dan get licenses.
fn tenant() -> Tenant {
    let t = Tenant::serve();
    t.add_users(&["ann", "bob", "cat", "dan"]);
    t
}

#[test]
fn rule_1_enabled_allows_a_purchase_and_a_trial_which_belong_to_the_buyer() {
    let t = tenant();
    let bought = t.json(Some(&upn("ann")), &["purchase", "--product-id", POWER_BI_PRO, "--quantity", "3"]);
    assert_eq!(bought["OwnerType"], "User");
    assert_eq!(bought["Purchaser"], upn("ann"));
    assert_eq!((bought["Quantity"].as_u64(), bought["AvailableLicenses"].as_u64()), (Some(3), Some(3)));
    assert_eq!((bought["Status"].as_str(), bought["IsTrial"].as_bool()), (Some("Active"), Some(false)));
    assert!(bought["Price"].is_string() && bought["Currency"].is_string(), "{bought}");
    let trial = t.json(Some(&upn("bob")), &["purchase", "--product-id", VISIO_PLAN_1, "--quantity", "1", "--trial"]);
    assert_eq!((trial["IsTrial"].as_bool(), trial["Purchaser"].as_str()), (Some(true), Some(upn("bob").as_str())));
    // The buyer manages it: assigns its licenses and cancels it.
    let sub = id_of(&bought);
    t.assign_as("ann", &sub, &["cat", "dan"]);
    assert_eq!(assigned(&t.subscription(&sub)), upns(&["cat", "dan"]));
    t.run_as(&upn("ann"), &["subscriptions", "cancel", &sub]).assert_ok();
    assert_eq!(t.subscription(&sub)["Status"], "Deleted");
}

#[test]
fn rule_1_only_trials_refuses_a_paid_purchase_naming_the_policy() {
    let t = tenant();
    t.set_policy(VISIO_PLAN_1, "OnlyTrialsWithoutPaymentMethod");
    let paid = t.run_as(&upn("ann"), &["purchase", "--product-id", VISIO_PLAN_1, "--quantity", "2"]);
    paid.assert_fails_with(4);
    assert!(
        paid.stderr.contains("AllowSelfServicePurchase") && paid.stderr.contains("OnlyTrialsWithoutPaymentMethod"),
        "{paid:#?}"
    );
    t.run_as(&upn("ann"), &["purchase", "--product-id", VISIO_PLAN_1, "--quantity", "1", "--trial"]).assert_ok();
    assert_eq!(t.json(None, &["subscriptions", "list", "--self-service"]).as_array().unwrap().len(), 1);
}

#[test]
fn rule_1_disabled_refuses_a_purchase_and_a_trial() {
    let t = tenant();
    t.set_policy(VISIO_PLAN_1, "Disabled");
    for extra in [&[][..], &["--trial"][..]] {
        let mut args = vec!["purchase", "--product-id", VISIO_PLAN_1, "--quantity", "1"];
        args.extend_from_slice(extra);
        let run = t.run_as(&upn("ann"), &args);
        run.assert_fails_with(4);
        assert!(run.stderr.contains("AllowSelfServicePurchase") && run.stderr.contains("Disabled"), "{run:#?}");
    }
    assert_eq!(t.json(None, &["subscriptions", "list"]), Value::Array(vec![]));
}

#[test]
fn rule_2_self_service_subscriptions_list_filter_and_read_one() {
    let t = tenant();
    let ann = t.buy("ann", POWER_BI_PRO, 2);
    let bob = t.buy("bob", POWER_APPS, 1);
    t.assign_as("ann", &ann, &["cat"]);
    let central = t.central(POWER_BI_PRO, 5);
    let ids = |list: Value| -> Vec<String> {
        let mut ids: Vec<String> = list.as_array().unwrap().iter().map(id_of).collect();
        ids.sort();
        ids
    };
    let mut both = vec![ann.clone(), bob.clone()];
    both.sort();
    assert_eq!(ids(t.json(None, &["subscriptions", "list", "--self-service"])), both);
    assert_eq!(
        ids(t.json(None, &["subscriptions", "list", "--self-service", "--product-id", POWER_BI_PRO])),
        [ann.as_str()]
    );
    assert_eq!(ids(t.json(None, &["subscriptions", "list", "--purchaser", &upn("bob")])), [bob.as_str()]);
    assert_eq!(ids(t.json(None, &["subscriptions", "list", "--status", "Deleted"])), Vec::<String>::new());
    assert!(ids(t.json(None, &["subscriptions", "list"])).contains(&central));
    let one = t.subscription(&ann);
    for key in ["ProductName", "Purchaser", "Quantity", "ExpiresOn", "Price", "Currency", "AssignedUsers"] {
        assert!(!one[key].is_null(), "{key} in {one}");
    }
    assert_eq!((one["ProductName"].as_str(), assigned(&one)), (Some("Power BI Pro"), upns(&["cat"])));
    let table = t.run(&["subscriptions", "list", "--self-service"]);
    assert!(
        table.assert_ok().stdout.contains("Power BI Pro") && table.stdout.contains("cat@contoso.test"),
        "{table:#?}"
    );
}

#[test]
fn rule_3_licenses_one_row_per_product_with_users_by_purchaser() {
    let t = tenant();
    let ann = t.buy("ann", POWER_BI_PRO, 2);
    let bob = t.buy("bob", POWER_BI_PRO, 3);
    t.assign_as("ann", &ann, &["cat"]);
    t.assign_as("bob", &bob, &["dan", "bob"]);
    let rows = t.json(None, &["licenses", "list", "--self-service"]);
    let rows = rows.as_array().unwrap();
    assert_eq!(rows.len(), 1, "{rows:?}");
    let pro = &rows[0];
    assert_eq!(pro["ProductId"], POWER_BI_PRO);
    assert_eq!((pro["TotalLicenses"].as_u64(), pro["AssignedLicenses"].as_u64()), (Some(5), Some(3)));
    assert_eq!(pro["AvailableLicenses"].as_u64(), Some(2));
    let mut by_purchaser: Vec<(String, Vec<String>)> = pro["Purchasers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["UserPrincipalName"].as_str().unwrap().to_string(),
                assigned(&serde_json::json!({"AssignedUsers": p["Users"]})),
            )
        })
        .collect();
    by_purchaser.sort();
    assert_eq!(by_purchaser, [(upn("ann"), upns(&["cat"])), (upn("bob"), upns(&["bob", "dan"]))]);
    let table = t.run(&["licenses", "list", "--self-service", "--product-id", POWER_BI_PRO]);
    assert!(table.assert_ok().stdout.contains("Ann <ann@contoso.test>: cat@contoso.test"), "{table:#?}");
}

#[test]
fn rule_5_an_admin_cannot_assign_or_unassign_in_a_users_subscription() {
    let t = tenant();
    let ann = t.buy("ann", POWER_BI_PRO, 2);
    t.assign_as("ann", &ann, &["cat"]);
    for action in ["assign", "unassign"] {
        let run = t.run(&["licenses", action, "--subscription", &ann, "--user", &upn("cat")]);
        run.assert_fails_with(4);
        assert!(run.stderr.contains("take-over") || run.stderr.to_lowercase().contains("take it over"), "{run:#?}");
    }
    assert_eq!(assigned(&t.subscription(&ann)), upns(&["cat"]));
}

#[test]
fn rule_6_move_licenses_every_user_in_the_target_cancels_and_mails_in_one_operation() {
    let t = tenant();
    let ann = t.buy("ann", POWER_BI_PRO, 3);
    t.assign_as("ann", &ann, &["cat", "dan"]);
    let target = t.central(POWER_APPS, 5);
    let done = t.json(None, &["subscriptions", "take-over", &ann, "--move-to", &target]);
    assert_eq!(done["WhatIf"], false);
    assert_eq!(done["Cancelled"], serde_json::json!([ann]));
    assert_eq!(done["Moved"].as_array().unwrap().len(), 2, "{done}");
    assert_eq!(assigned(&t.subscription(&target)), upns(&["cat", "dan"]));
    let old = t.subscription(&ann);
    assert_eq!((old["Status"].as_str(), assigned(&old)), (Some("Deleted"), vec![]));
    let mails = t.notifications();
    assert_eq!(mails.len(), 1, "{mails:?}");
    assert_eq!((mails[0]["Kind"].as_str(), mails[0]["Recipient"].as_str()), (Some("Moved"), Some(upn("ann").as_str())));
    let correlation = done["CorrelationId"].as_str().unwrap();
    let url = format!("{}/v1.0/audit/administration?limit=100", t.url());
    let audit: Value = reqwest::blocking::get(url).expect("audit answers").json().expect("JSON");
    let actions: Vec<&str> = audit["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["correlationId"] == correlation)
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert!(actions.contains(&"TakeOverMove") && actions.contains(&"QueueMail"), "one correlation id: {audit}");
}

#[test]
fn rule_6_a_move_lacking_one_license_changes_nothing_and_mails_nobody() {
    let t = tenant();
    let ann = t.buy("ann", POWER_BI_PRO, 3);
    t.assign_as("ann", &ann, &["ann", "cat", "dan"]);
    let target = t.central(POWER_BI_PRO, 2);
    let (before, target_before) = (t.subscription(&ann), t.subscription(&target));
    let run = t.run(&["subscriptions", "take-over", &ann, "--move-to", &target]);
    run.assert_fails_with(6);
    assert!(run.stderr.contains('1') && run.stderr.contains("license"), "names how many are missing: {run:#?}");
    assert_eq!(t.subscription(&ann), before);
    assert_eq!(t.subscription(&target), target_before);
    assert_eq!(t.notifications(), Vec::<Value>::new());
}

#[test]
fn rule_6_what_if_says_what_would_move_be_cancelled_and_mailed_and_changes_nothing() {
    let t = tenant();
    let ann = t.buy("ann", POWER_BI_PRO, 2);
    t.assign_as("ann", &ann, &["cat"]);
    let target = t.central(POWER_BI_PRO, 2);
    let plan = t.json(None, &["subscriptions", "take-over", &ann, "--move-to", &target, "--what-if"]);
    assert_eq!(plan["WhatIf"], true);
    assert_eq!(plan["Moved"][0]["UserPrincipalName"], upn("cat"));
    assert_eq!(
        (plan["Moved"][0]["From"].as_str(), plan["Moved"][0]["To"].as_str()),
        (Some(ann.as_str()), Some(target.as_str()))
    );
    assert_eq!(plan["Cancelled"], serde_json::json!([ann]));
    assert_eq!(plan["Notifications"][0]["Recipient"], upn("ann"));
    let text = t.run(&["subscriptions", "take-over", &ann, "--move-to", &target, "--what-if"]);
    let out = &text.assert_ok().stdout;
    assert!(out.contains("would move cat@contoso.test") && out.contains(&format!("would cancel {ann}")), "{out}");
    assert!(out.contains("would mail ann@contoso.test"), "{out}");
    assert_eq!(t.subscription(&ann)["Status"], "Active");
    assert_eq!(t.notifications(), Vec::<Value>::new());
}

#[test]
fn rule_7_take_over_by_cancelling_removes_the_licenses_and_mails_the_purchaser() {
    let t = tenant();
    let ann = t.buy("ann", POWER_BI_PRO, 2);
    t.assign_as("ann", &ann, &["cat"]);
    let done = t.json(None, &["subscriptions", "take-over", &ann, "--cancel", "--reason", "NotApproved"]);
    assert_eq!(done["Cancelled"], serde_json::json!([ann]));
    let old = t.subscription(&ann);
    assert_eq!((old["Status"].as_str(), assigned(&old)), (Some("Deleted"), vec![]));
    let mails = t.notifications();
    assert_eq!((mails.len(), mails[0]["Kind"].as_str()), (1, Some("Cancelled")), "{mails:?}");
    assert_eq!(mails[0]["Recipient"], upn("ann"));
}

#[test]
fn rule_7_reason_other_needs_a_text_before_any_request() {
    let t = Tenant::local();
    let unused = "6f1f3c1e-8d2a-4c55-9a57-0c2b1f6c9d10";
    let run = t.sb.against("http://127.0.0.1:1").run(&[
        "subscriptions",
        "take-over",
        unused,
        "--cancel",
        "--reason",
        "Other",
    ]);
    run.assert_fails_with(2);
    assert!(run.stderr.contains("--reason-text"), "{run:#?}");
    let help = t.run(&["subscriptions", "take-over", "--help"]);
    for reason in ["BoughtCentrally", "NoLongerNeeded", "TooExpensive", "NotApproved", "Other"] {
        assert!(help.stdout.contains(reason), "{reason} in --help");
    }
    let bad = t.run(&["subscriptions", "take-over", unused, "--cancel", "--reason", "Bored"]);
    bad.assert_fails_with(2);
}

#[test]
fn rule_8_centralize_licenses_every_self_service_user_and_asks_purchasers_to_cancel() {
    let t = tenant();
    let ann = t.buy("ann", POWER_BI_PRO, 2);
    let bob = t.buy("bob", POWER_BI_PRO, 1);
    t.assign_as("ann", &ann, &["cat", "ann"]);
    t.assign_as("bob", &bob, &["dan"]);
    let central = t.central(POWER_BI_PRO, 3);
    let plan = t.json(None, &["centralize", "--product-id", POWER_BI_PRO, "--to", &central, "--what-if"]);
    assert_eq!((plan["WhatIf"].as_bool(), plan["Moved"].as_array().unwrap().len()), (Some(true), 3));
    assert_eq!(assigned(&t.subscription(&central)), Vec::<String>::new());
    let done = t.json(None, &["centralize", "--product-id", POWER_BI_PRO, "--to", &central]);
    assert_eq!(done["Cancelled"], serde_json::json!([]));
    assert_eq!(assigned(&t.subscription(&central)), upns(&["ann", "cat", "dan"]));
    for sub in [&ann, &bob] {
        assert_eq!(t.subscription(sub)["Status"], "Active", "stays until its purchaser cancels");
    }
    let mut asked: Vec<(String, String)> = t
        .notifications()
        .iter()
        .map(|n| (n["Kind"].as_str().unwrap().to_string(), n["Recipient"].as_str().unwrap().to_string()))
        .collect();
    asked.sort();
    assert_eq!(asked, [("AskedToCancel".into(), upn("ann")), ("AskedToCancel".into(), upn("bob"))]);
}

#[test]
fn rule_8_centralize_lacking_licenses_changes_nothing() {
    let t = tenant();
    let ann = t.buy("ann", POWER_BI_PRO, 2);
    t.assign_as("ann", &ann, &["cat", "dan"]);
    let central = t.central(POWER_BI_PRO, 1);
    t.run(&["centralize", "--product-id", POWER_BI_PRO, "--to", &central]).assert_fails_with(6);
    assert_eq!(assigned(&t.subscription(&central)), Vec::<String>::new());
    assert_eq!(t.notifications(), Vec::<Value>::new());
}

#[test]
fn rule_9_an_admin_adds_a_central_subscription_and_assigns_its_licenses() {
    let t = tenant();
    let added = t.json(None, &["subscriptions", "add", "--product-id", POWER_APPS, "--quantity", "4"]);
    assert_eq!((added["OwnerType"].as_str(), added["Purchaser"].as_str()), (Some("Tenant"), Some("")));
    let sub = id_of(&added);
    let users = format!("{},{}", upn("cat"), upn("dan"));
    let after = t.json(None, &["licenses", "assign", "--subscription", &sub, "--user", &users, "--user", &upn("ann")]);
    assert_eq!((assigned(&after), after["AvailableLicenses"].as_u64()), (upns(&["ann", "cat", "dan"]), Some(1)));
    let after = t.json(None, &["licenses", "unassign", "--subscription", &sub, "--user", &upn("dan")]);
    assert_eq!(assigned(&after), upns(&["ann", "cat"]));
}
