//! Windows PowerShell 5.1 on a UTF-8 console writes a byte order mark into a child's stdin
//! before its first write: the binary reads past one, for product ids, a client secret and a
//! baseline alike.

use commerce_e2e::Sandbox;
use commerce_e2e::oidc::{self, Provider};

const BOM: &str = "\u{feff}";

#[test]
fn product_ids_on_stdin_after_a_byte_order_mark_are_all_updated() {
    let sb = Sandbox::new();
    let local = sb.against("local");
    let update = ["product-policies", "update", "--product-id", "-", "--value", "Disabled", "-o", "json"];
    let run = local.run_with_stdin(&update, &format!("{BOM}CFQ7TTC0H9MP\r\nCFQ7TTC0HD33\r\n"));
    let results = run.assert_ok().json();
    assert_eq!(results.as_array().map(Vec::len), Some(2), "{run:#?}");
    assert!(results.as_array().unwrap().iter().all(|r| r["Status"] == "Updated"), "{run:#?}");
}

#[test]
fn a_baseline_on_stdin_after_a_byte_order_mark_is_read() {
    let sb = Sandbox::new();
    let baseline = r#"{"policyId": "AllowSelfServicePurchase", "products": {"CFQ7TTC0H9MP": "Disabled"}}"#;
    let run = sb.against("local").run_with_stdin(&["plan", "--file", "-", "-o", "json"], &format!("{BOM}{baseline}"));
    assert_eq!(run.assert_ok().json().as_array().map(Vec::len), Some(1), "{run:#?}");
}

#[test]
fn a_client_secret_on_stdin_after_a_byte_order_mark_signs_in() {
    let (provider, sb) = (Provider::start(), Sandbox::new());
    let service = sb.serve(&sb.path("service.db"), &[]);
    let args = [
        "connect",
        "--authority",
        provider.authority(),
        "--endpoint",
        &service.url,
        "--tenant-id",
        oidc::TENANT,
        "--client-id",
        oidc::READER_CLIENT_ID,
        "--client-secret",
        "-o",
        "json",
    ];
    let run = sb.run_with_stdin(&args, &format!("{BOM}{}\r\n", oidc::READER_CLIENT_SECRET));
    assert_eq!(run.assert_ok().json()["TenantId"], oidc::TENANT, "{run:#?}");
}
