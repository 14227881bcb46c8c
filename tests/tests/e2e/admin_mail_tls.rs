//! The outbox over `smtps://` with a login, against the real SMTP server of the mail tests
//! speaking TLS from the first byte with a certificate of a test CA (trusted through
//! `SSL_CERT_FILE`, as an operator would name a private CA): the mail arrives, sent by the
//! user of `COMMERCE_POLICY_SMTP_USERNAME`, and the password never reaches the log.

use commerce_e2e::Sandbox;
use commerce_e2e::tls::server_certificate;
use serde_json::json;

use crate::admin_mail::{Api, FROM, SmtpSink, directory, free_port};

#[test]
fn mail_goes_over_smtps_with_a_login_and_the_password_stays_out_of_the_log() {
    let sb = Sandbox::new();
    let certificate = server_certificate(sb.dir.path(), "smtp", &["127.0.0.1"]);
    let (cert, key) = (certificate.cert.to_str().expect("path"), certificate.key.to_str().expect("path"));
    let port = free_port();
    let password = "TESTONLY-smtp-password-8c1f";
    let sink = SmtpSink::start_with(port, &sb.path("mail"), &["--tls", cert, key, "--auth", "mailer", password]);

    let mut command = sb.command();
    command
        .env("COMMERCE_POLICY_SMTP_USERNAME", "mailer")
        .env("COMMERCE_POLICY_SMTP_PASSWORD", password)
        .env("SSL_CERT_FILE", &certificate.ca)
        .env("RUST_LOG", "debug");
    let log = sb.path("serve.log");
    let smtp = format!("smtps://127.0.0.1:{port}");
    let flags = ["--smtp", smtp.as_str(), "--smtp-from", FROM];
    let service = sb.serve_by(command, &sb.path("store.db"), &flags, Some(log.clone()));
    let api = Api::new(&service);
    directory(&api);
    let sub = api.bought("ann@contoso.test", 1, &["bob@contoso.test"]);
    api.post(&format!("/subscriptions/{sub}/takeOver"), None, json!({ "cancel": { "reason": "NotApproved" } }));

    let mail = sink.wait_for(1);
    assert!(mail[0].contains("X-Authenticated-As: mailer"), "sent after the login: {}", mail[0]);
    assert!(mail[0].contains("To: ann.mail@contoso.test"), "{}", mail[0]);
    api.delivered(1);
    service.kill();
    let logged = std::fs::read_to_string(&log).expect("the log");
    assert!(logged.lines().count() > 3, "the debug log was written: {logged}");
    assert!(!logged.contains(password), "the SMTP password was logged");
}
