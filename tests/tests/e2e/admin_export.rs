//! `licenses export`: CSV a spreadsheet opens right — UTF-8 (a file with a byte order mark),
//! quoted cells for names with commas, non-ASCII names intact, formulas neutralised.

use crate::admin_support::*;

/// A tenant whose users' names need care in CSV; ann's and bob's subscriptions.
fn tenant() -> (Tenant, String, String) {
    let t = Tenant::serve();
    let add = |upn: &str, name: &str| {
        t.run(&["users", "add", "--upn", upn, "--display-name", name, "--mail", upn]).assert_ok();
    };
    add("ann@contoso.test", "Ann");
    add("bob@contoso.test", "Bob");
    add("jose@contoso.test", "Muñoz, José");
    add("zoe@contoso.test", "Zoë Łukasiewicz");
    add("eve@contoso.test", "=HYPERLINK(\"http://evil.test\")");
    let ann = t.buy("ann", POWER_BI_PRO, 3);
    let bob = t.buy("bob", POWER_APPS, 1);
    t.assign_as("ann", &ann, &["jose", "zoe", "eve"]);
    t.assign_as("bob", &bob, &["bob"]);
    (t, ann, bob)
}

#[test]
fn export_to_a_file_is_utf8_with_a_byte_order_mark_quoted_and_safe() {
    let (t, ann, bob) = tenant();
    let out = t.sb.path("users.csv");
    let subs = format!("{ann},{bob}");
    t.run(&["licenses", "export", "--subscription", &subs, "--out", out.to_str().unwrap()]).assert_ok();
    let bytes = std::fs::read(&out).unwrap();
    assert!(bytes.starts_with(&[0xEF, 0xBB, 0xBF]), "a byte order mark for Excel");
    let text = String::from_utf8(bytes[3..].to_vec()).expect("UTF-8");
    let mut lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.remove(0), "UserPrincipalName,DisplayName,Mail,ProductId,ProductName,SubscriptionId,Purchaser");
    assert_eq!(lines.len(), 4, "{text}");
    let jose = lines.iter().find(|l| l.starts_with("jose@")).expect("José exported");
    assert_eq!(
        *jose,
        format!(
            "jose@contoso.test,\"Muñoz, José\",jose@contoso.test,{POWER_BI_PRO},Power BI Pro,{ann},ann@contoso.test"
        )
    );
    assert!(text.contains("Zoë Łukasiewicz"), "{text}");
    assert!(text.contains("\"'=HYPERLINK(\"\"http://evil.test\"\")\""), "a formula is neutralised: {text}");
    assert!(
        lines.iter().any(|l| l.starts_with(&format!("bob@contoso.test,Bob,bob@contoso.test,{POWER_APPS}"))),
        "{text}"
    );
}

#[test]
fn export_to_stdout_is_csv_and_json_on_request() {
    let (t, ann, _) = tenant();
    let run = t.run(&["licenses", "export", "--subscription", &ann]);
    assert!(!run.assert_ok().stdout.starts_with('\u{feff}'), "no byte order mark in a pipe");
    assert_eq!(run.stdout.lines().count(), 4, "{}", run.stdout);
    let rows = t.json(None, &["licenses", "export", "--subscription", &ann]);
    let mut names: Vec<&str> = rows.as_array().unwrap().iter().map(|r| r["DisplayName"].as_str().unwrap()).collect();
    names.sort();
    assert_eq!(names, ["=HYPERLINK(\"http://evil.test\")", "Muñoz, José", "Zoë Łukasiewicz"], "JSON stays exact");
    t.run(&["licenses", "export", "--subscription", &ann, "-o", "table"]).assert_fails_with(2);
}

#[test]
fn export_of_an_unknown_subscription_is_not_found() {
    let (t, _, _) = tenant();
    let run = t.run(&["licenses", "export", "--subscription", "6f1f3c1e-8d2a-4c55-9a57-0c2b1f6c9d10"]);
    run.assert_fails_with(5);
    t.run(&["licenses", "export", "--subscription", "not-a-guid"]).assert_fails_with(2);
}

#[test]
fn export_of_many_subscriptions_from_stdin_asks_in_turns_under_the_uri_limit() {
    let t = Tenant::serve();
    t.add_users(&["ann"]);
    // 160 ids make a query of over 8 KiB, more than the service takes in one request.
    let client = reqwest::blocking::Client::new();
    let post = |path: &str, body: serde_json::Value| -> serde_json::Value {
        let request = client.post(format!("{}/v1.0{path}", t.url())).header("x-commerce-acting-user", upn("ann"));
        request.json(&body).send().and_then(|r| r.error_for_status()).and_then(|r| r.json()).expect("answered")
    };
    let ids: Vec<String> = (0..160)
        .map(|_| {
            let bought = post("/purchases", serde_json::json!({"productId": POWER_BI_PRO, "quantity": 1}));
            let id = bought["id"].as_str().unwrap().to_string();
            post(&format!("/subscriptions/{id}/assign"), serde_json::json!({"users": [upn("ann")]}));
            id
        })
        .collect();
    let run = t.sb.against(t.url()).run_with_stdin(&["licenses", "export", "--subscription", "-"], &ids.join("\n"));
    assert_eq!(run.assert_ok().stdout.lines().count(), 161, "a header and one row per subscription");
}
