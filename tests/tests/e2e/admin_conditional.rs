//! The binary's administration writes are conditional: a take-over, a cancel and a license
//! change send `If-Match` with the version the binary read, so a change made in between is
//! refused rather than overwritten. A recording proxy between the binary and a real `serve`
//! shows the headers on the wire.

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::{Arc, Mutex};

use crate::admin_support::{POWER_BI_PRO, Tenant, upn};

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
