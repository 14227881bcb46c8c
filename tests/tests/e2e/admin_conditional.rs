//! The binary's administration writes are conditional: a take-over, a cancel and a license
//! change send `If-Match` with the version the binary read, so a change made in between is
//! refused rather than overwritten. A recording proxy between the binary and a real `serve`
//! shows the headers on the wire.

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::{Arc, Mutex};

use crate::admin_support::{POWER_BI_PRO, Tenant, assigned, upn};

/// Forwards every connection to `target` and keeps what clients sent.
struct RecordingProxy {
    url: String,
    sent: Arc<Mutex<Vec<u8>>>,
}

impl RecordingProxy {
    fn start(target: &str) -> Self {
        let target = target.trim_start_matches("http://").to_string();
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let url = format!("http://{}", listener.local_addr().expect("addr"));
        let sent = Arc::new(Mutex::new(Vec::new()));
        let record = sent.clone();
        std::thread::spawn(move || {
            for client in listener.incoming().flatten() {
                let Ok(server) = TcpStream::connect(&target) else { continue };
                let record = record.clone();
                let (mut from_client, mut to_server) =
                    (client.try_clone().expect("clone"), server.try_clone().expect("clone"));
                std::thread::spawn(move || {
                    let mut buf = [0u8; 8192];
                    while let Ok(n @ 1..) = from_client.read(&mut buf) {
                        record.lock().unwrap().extend_from_slice(&buf[..n]);
                        if to_server.write_all(&buf[..n]).is_err() {
                            break;
                        }
                    }
                    let _ = to_server.shutdown(Shutdown::Write);
                });
                let (mut from_server, mut to_client) = (server, client);
                std::thread::spawn(move || {
                    let _ = std::io::copy(&mut from_server, &mut to_client);
                    let _ = to_client.shutdown(Shutdown::Write);
                });
            }
        });
        Self { url, sent }
    }

    /// The request heads clients sent whose request line has `path_part`, lower-cased.
    fn requests_to(&self, path_part: &str) -> Vec<String> {
        let sent = String::from_utf8_lossy(&self.sent.lock().unwrap()).to_ascii_lowercase();
        let part = path_part.to_ascii_lowercase();
        sent.split("\r\n\r\n")
            .filter(|head| head.lines().any(|l| l.contains(" http/1.1") && l.contains(&part)))
            .map(str::to_string)
            .collect()
    }
}

#[test]
fn take_over_cancel_and_license_changes_send_if_match_with_the_version_read() {
    let t = Tenant::serve();
    t.add_users(&["ann", "bob"]);
    let sub = t.buy("ann", POWER_BI_PRO, 3);
    let central = t.central(POWER_BI_PRO, 5);
    let proxy = RecordingProxy::start(t.url());
    let through = |args: &[&str]| t.sb.against(&proxy.url).run(args);

    through(&["licenses", "assign", "--subscription", &sub, "--user", &upn("bob"), "--as", &upn("ann")]).assert_ok();
    through(&["subscriptions", "take-over", &sub, "--move-to", &central]).assert_ok();
    let other = t.buy("ann", POWER_BI_PRO, 1);
    through(&["subscriptions", "cancel", &other, "--reason", "NoLongerNeeded", "--as", &upn("ann")]).assert_ok();

    for (what, path) in [("assign", "/assign"), ("take-over", "/takeover"), ("cancel", "/cancel")] {
        let heads = proxy.requests_to(path);
        assert_eq!(heads.len(), 1, "one {what} request: {heads:#?}");
        assert!(heads[0].lines().any(|l| l.starts_with("if-match: \"v")), "{what} sends If-Match: {}", heads[0]);
    }
}

/// A client that lost the answer to a purchase retries it with the same correlation id (ours
/// keeps it across retries): the store answers the subscription the first attempt made, on
/// SQLite and on PostgreSQL; another request buys again.
#[test]
fn a_purchase_retried_with_its_correlation_id_buys_once() {
    let t = Tenant::serve();
    t.add_users(&["ann"]);
    let http = reqwest::blocking::Client::new();
    let buy = |correlation_id: &str| -> String {
        let answer = http
            .post(format!("{}/v1.0/purchases", t.url()))
            .header("x-ms-correlation-id", correlation_id)
            .header("x-commerce-acting-user", upn("ann"))
            .json(&serde_json::json!({ "productId": POWER_BI_PRO, "quantity": 2 }))
            .send()
            .expect("the purchase answers");
        assert!(answer.status().is_success(), "{}", answer.status());
        answer.json::<serde_json::Value>().expect("json")["id"].as_str().expect("an id").to_string()
    };
    let first = buy("00000000-0000-4000-8000-00000000a001");
    assert_eq!(buy("00000000-0000-4000-8000-00000000a001"), first, "the retry answers the same subscription");
    assert_ne!(buy("00000000-0000-4000-8000-00000000a002"), first, "another request buys again");
    let bought = t.json(None, &["subscriptions", "list", "--self-service"]);
    assert_eq!(bought.as_array().map(Vec::len), Some(2), "{bought}");
}

/// A take-over or a centralize whose answer was lost, retried with its correlation id, is
/// answered what the first attempt did — not 409 for the subscription that attempt cancelled
/// — and changes nothing more (no second mail); another request is answered as before. On
/// SQLite and on PostgreSQL.
#[test]
fn a_take_over_or_centralize_retried_with_its_correlation_id_answers_what_it_did() {
    let t = Tenant::serve();
    t.add_users(&["ann", "bob", "cara"]);
    let sub = t.buy("ann", POWER_BI_PRO, 2);
    t.assign_as("ann", &sub, &["bob"]);
    let central = t.central(POWER_BI_PRO, 10);
    let http = reqwest::blocking::Client::new();
    let etag = http.get(format!("{}/v1.0/subscriptions/{sub}", t.url())).send().expect("GET").headers()["etag"].clone();
    let post = |path: &str, correlation_id: &str, body: serde_json::Value| -> (u16, serde_json::Value) {
        let answer = http
            .post(format!("{}/v1.0{path}", t.url()))
            .header("x-ms-correlation-id", correlation_id)
            .header("if-match", etag.clone())
            .json(&body)
            .send()
            .expect("the change answers");
        (answer.status().as_u16(), answer.json().expect("json"))
    };
    let mails = t.notifications().len();
    let take_over =
        |id: &str| post(&format!("/subscriptions/{sub}/takeOver"), id, serde_json::json!({ "moveTo": central }));
    let (status, first) = take_over("00000000-0000-4000-8000-00000000b001");
    assert_eq!(status, 200, "{first}");
    assert_eq!(first["moved"].as_array().map(Vec::len), Some(1), "bob moved: {first}");
    assert_eq!(take_over("00000000-0000-4000-8000-00000000b001"), (200, first.clone()), "the retry's answer");
    let (status, other) = take_over("00000000-0000-4000-8000-00000000b002");
    assert_eq!(status, 409, "another request finds the subscription cancelled: {other}");
    assert_eq!(t.notifications().len(), mails + 1, "one mail for one take-over");

    let bought = t.buy("cara", POWER_BI_PRO, 1);
    t.assign_as("cara", &bought, &["cara"]);
    let centralize =
        |id: &str| post("/centralize", id, serde_json::json!({ "productId": POWER_BI_PRO, "to": central }));
    let (status, first) = centralize("00000000-0000-4000-8000-00000000c001");
    assert_eq!((status, first["moved"].as_array().map(Vec::len)), (200, Some(1)), "{first}");
    assert_eq!(centralize("00000000-0000-4000-8000-00000000c001"), (200, first), "the retry's answer");
    let (status, other) = centralize("00000000-0000-4000-8000-00000000c002");
    assert_eq!((status, other["moved"].as_array().map(Vec::len)), (200, Some(0)), "nothing left to move: {other}");
}

/// `If-Match` on assign, unassign and cancel, decided by the store (SQLite, and PostgreSQL in
/// CI): a stale tag is 412 and changes nothing; a change already in effect — a retry whose
/// answer was lost, sent with the tag read before it — is 200 (RFC 9110 §13.1.1).
#[test]
fn a_stale_if_match_refuses_assign_unassign_and_cancel_unless_already_done() {
    let t = Tenant::serve();
    t.add_users(&["ann", "bob"]);
    let sub = t.buy("ann", POWER_BI_PRO, 2);
    let http = reqwest::blocking::Client::new();
    let url = format!("{}/v1.0/subscriptions/{sub}", t.url());
    let tag = || http.get(&url).send().expect("GET").headers()["etag"].to_str().expect("tag").to_string();
    let send = |action: &str, tag: &str, body: serde_json::Value| -> u16 {
        let answer = http
            .post(format!("{url}/{action}"))
            .header("if-match", tag)
            .header("x-commerce-acting-user", upn("ann"))
            .json(&body)
            .send()
            .expect("the change answers");
        answer.status().as_u16()
    };
    let (bob, reason) =
        (serde_json::json!({ "users": [upn("bob")] }), serde_json::json!({ "reason": "NoLongerNeeded" }));
    let first = tag();
    assert_eq!(send("assign", &first, bob.clone()), 200);
    assert_eq!(send("assign", &first, bob.clone()), 200, "the retry: bob holds one already");
    assert_eq!(send("unassign", &first, bob.clone()), 412, "a change from a stale tag");
    assert_eq!(assigned(&t.subscription(&sub)), [upn("bob")], "nothing changed");
    assert_eq!(send("cancel", &first, reason.clone()), 412, "a cancel from a stale tag");
    assert_eq!(t.subscription(&sub)["Status"], "Active");
    let fresh = tag();
    assert_eq!(send("cancel", &fresh, reason.clone()), 200);
    assert_eq!(send("cancel", &fresh, reason), 200, "the retry: cancelled already");
    assert_eq!(t.subscription(&sub)["Status"], "Deleted");
}
