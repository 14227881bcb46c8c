//! `licenses list|export` on a tenant: per SKU bought self-service, its licenses and the users
//! holding it (Graph cannot say from which subscription), and the export's CSV.

use commerce_e2e::graph::{GraphFixture, GraphOptions, GraphTenant, GraphUser, POWER_BI_PRO, guid};

/// Two purchases of Power BI Pro; a third user holds it too, and a name that needs quoting.
fn tenant() -> GraphTenant {
    let mut tenant = GraphTenant::with_purchases(2);
    tenant.users.push(GraphUser {
        id: guid(9, 60),
        upn: "jose@contoso.test".into(),
        display_name: "Muñoz, José".into(),
        mail: Some("jose@contoso.test".into()),
        skus: vec![POWER_BI_PRO.into()],
    });
    tenant
}

#[test]
fn licenses_per_product_with_users_and_purchasers_and_the_grouping_caveat() {
    let f = GraphFixture::start(tenant(), GraphOptions { page_size: 2, ..GraphOptions::default() });
    let run = f.run(&["licenses", "list", "--self-service", "-o", "json"]);
    run.assert_ok();
    let rows = run.json();
    let rows = rows.as_array().unwrap();
    assert_eq!(rows.len(), 1, "one row per product: {run:#?}");
    assert_eq!(rows[0]["ProductName"], "Power BI Pro");
    assert_eq!(rows[0]["TotalLicenses"], 1 + 2, "1 + 0 % 5 and 1 + 1 % 5");
    let users: Vec<&str> = rows[0]["Users"].as_array().unwrap().iter().map(|u| u.as_str().unwrap()).collect();
    assert_eq!(users, ["buyer0@contoso.test", "buyer1@contoso.test", "jose@contoso.test"], "over two pages");
    assert_eq!(rows[0]["Purchasers"].as_array().unwrap().len(), 2);
    assert!(rows[0]["Note"].as_str().unwrap().contains("only on a commerce-policy service"));
    assert!(run.stderr.contains("grouping by purchaser is available only on a commerce-policy service"), "{run:#?}");
}

#[test]
fn export_writes_the_same_csv_as_on_our_service() {
    let f = GraphFixture::start(tenant(), GraphOptions::default());
    let run = f.run(&["licenses", "export", "--subscription", &guid(1, 0)]);
    run.assert_ok();
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(lines[0], "UserPrincipalName,DisplayName,Mail,ProductId,ProductName,SubscriptionId,Purchaser");
    assert_eq!(lines.len(), 4, "{run:#?}");
    let jose = lines.iter().find(|l| l.starts_with("jose@")).unwrap();
    assert_eq!(
        *jose,
        format!(
            "jose@contoso.test,\"Muñoz, José\",jose@contoso.test,{POWER_BI_PRO},Power BI Pro,{},buyer0@contoso.test",
            guid(1, 0)
        )
    );
}

#[test]
fn take_over_still_says_only_the_admin_center_does_it() {
    let f = GraphFixture::start(tenant(), GraphOptions::default());
    let run = f.run(&["subscriptions", "take-over", &guid(1, 0), "--cancel", "--reason", "NoLongerNeeded"]);
    run.assert_fails_with(2);
    assert!(run.stderr.contains("admin center"), "{run:#?}");
    assert_eq!(f.graph.total(), 0);
}
