//! The test OpenID provider (tests/oidc) and its harness work as Entra does for our clients.

use commerce_e2e::oidc::*;
use commerce_e2e::{Provider, Sandbox, write_test_certificate};

#[test]
fn discovery_is_entra_shaped() {
    let provider = Provider::start();
    let doc: serde_json::Value =
        reqwest::blocking::get(provider.discovery_url()).and_then(|r| r.json()).expect("discovery document");
    assert_eq!(doc["issuer"], provider.issuer());
    assert_eq!(doc["token_endpoint"], provider.token_endpoint());
    assert_eq!(doc["jwks_uri"], provider.jwks_url());
    assert_eq!(doc["device_authorization_endpoint"], provider.device_authorization_endpoint());
    assert!(provider.issuer().contains(TENANT));
}

#[test]
fn client_credentials_tokens_carry_audience_and_roles() {
    let provider = Provider::start();
    let token = provider.client_credentials_token(WRITER_CLIENT_ID, WRITER_CLIENT_SECRET);
    let writer = claims(&token);
    assert_eq!(writer["aud"], LICENSING_RESOURCE);
    assert_eq!(writer["iss"], provider.issuer());
    assert_eq!(writer["tid"], TENANT);
    assert_eq!((&writer["appid"], &writer["azp"]), (&WRITER_CLIENT_ID.into(), &WRITER_CLIENT_ID.into()));
    assert_eq!(writer["roles"], serde_json::json!([ROLE_WRITE]));
    assert!(writer["oid"].as_str().is_some_and(|o| o.len() == 36));

    let reader = claims(&provider.client_credentials_token(READER_CLIENT_ID, READER_CLIENT_SECRET));
    assert_eq!(reader["roles"], serde_json::json!([ROLE_READ]));
    let none = claims(&provider.client_credentials_token(NO_ROLES_CLIENT_ID, NO_ROLES_CLIENT_SECRET));
    assert_eq!(none["roles"], serde_json::json!([]));
    let graph = claims(&provider.client_credentials_token_for(WRITER_CLIENT_ID, WRITER_CLIENT_SECRET, GRAPH_SCOPE));
    assert_eq!(graph["aud"], "00000003-0000-0000-c000-000000000000");

    let (ok, answer) = provider.token_request(&[
        ("client_id", WRITER_CLIENT_ID),
        ("client_secret", "wrong"),
        ("grant_type", "client_credentials"),
        ("scope", LICENSING_SCOPE),
    ]);
    assert!(!ok, "a wrong secret is refused: {answer}");
}

#[test]
fn device_code_approval_yields_delegated_tokens_that_refresh() {
    let provider = Provider::start();
    let code = provider.start_device_code();
    let (ok, pending) = provider.redeem_device_code(&code.device_code);
    assert!(!ok);
    assert_eq!(pending["error"], "authorization_pending");

    provider.approve_device_code(&code.user_code, ADMIN_USER);
    let (ok, tokens) = provider.redeem_device_code(&code.device_code);
    assert!(ok, "{tokens}");
    let admin = claims(tokens["access_token"].as_str().expect("access token"));
    assert_eq!(admin["aud"], LICENSING_RESOURCE);
    assert_eq!(admin["upn"], ADMIN_USER);
    assert_eq!(admin["preferred_username"], ADMIN_USER);
    assert_eq!(admin["wids"], serde_json::json!([GLOBAL_ADMINISTRATOR]));
    assert_eq!(admin["appid"], DEVICE_CLIENT_ID);

    let refresh = tokens["refresh_token"].as_str().expect("a refresh token (offline_access)");
    let (ok, renewed) = provider.refresh(refresh);
    assert!(ok, "{renewed}");
    assert_eq!(claims(renewed["access_token"].as_str().expect("token"))["upn"], ADMIN_USER);

    let reader = claims(&provider.user_token(READER_USER));
    assert_eq!(reader["wids"], serde_json::json!([GLOBAL_READER]));
}

#[test]
fn federated_and_certificate_assertions_are_accepted() {
    let sandbox = Sandbox::new();
    let cert = write_test_certificate(sandbox.dir.path(), "app");
    assert!(std::fs::metadata(&cert.pfx).expect("pfx").len() > 1000);
    let provider = Provider::start_with(None, Some(&cert.cert_pem));

    let assertion = provider.federated_token(FEDERATED_CLIENT_ID);
    let token = provider.assertion_token(FEDERATED_CLIENT_ID, &assertion);
    assert_eq!(claims(&token)["roles"], serde_json::json!([ROLE_WRITE]));
    assert_eq!(claims(&token)["appid"], FEDERATED_CLIENT_ID);

    let assertion = certificate_assertion(&cert, CERTIFICATE_CLIENT_ID, &provider.token_endpoint());
    let token = provider.assertion_token(CERTIFICATE_CLIENT_ID, &assertion);
    assert_eq!(claims(&token)["appid"], CERTIFICATE_CLIENT_ID);

    // The certificate client's key is the certificate: an assertion signed by another key fails.
    let (ok, _) = provider.token_request(&[
        ("client_id", CERTIFICATE_CLIENT_ID),
        ("grant_type", "client_credentials"),
        ("scope", LICENSING_SCOPE),
        ("client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"),
        ("client_assertion", &provider.federated_token(CERTIFICATE_CLIENT_ID)),
    ]);
    assert!(!ok, "an assertion not signed by the certificate's key is refused");
}

#[test]
fn short_lived_tokens_expire_when_told() {
    let provider = Provider::start_with(Some(std::time::Duration::from_secs(2)), None);
    let reader = claims(&provider.client_credentials_token(READER_CLIENT_ID, READER_CLIENT_SECRET));
    let lifetime = reader["exp"].as_i64().expect("exp") - reader["iat"].as_i64().expect("iat");
    assert_eq!(lifetime, 2);
}
