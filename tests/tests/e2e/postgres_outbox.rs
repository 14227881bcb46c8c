//! The PostgreSQL outbox's lease, forced to lapse: replica A takes a notification and is
//! SIGKILLed while it is surely mid-delivery (its SMTP server accepted the connection and
//! never answers), and replica B delivers it once A's lease has lapsed, not before, with the
//! notification id as Message-ID (the dedupe key of at-least-once delivery). The burst test in
//! postgres_replicas.rs kills a replica too, but cannot tell whether the kill landed mid-delivery.

use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::time::{Duration, SystemTime};

use commerce_e2e::postgres;
use commerce_e2e::{Sandbox, Service};
use serde_json::json;

use crate::admin_mail::{Api, PRODUCT, SmtpSink, directory, free_port, smtp_flags, wait_for};
use crate::postgres_replicas::message_ids;

/// Short, so the test waits little for the lapse; the same for both replicas.
const LEASE: &str = "2s";

/// `serve` over `db`, delivering through the SMTP server on `smtp_port`, with the short lease
/// (its log kept for [`Service::log`]).
fn replica(sb: &Sandbox, db: &str, smtp_port: u16) -> Service {
    let mut flags = smtp_flags(smtp_port);
    flags.extend(["--mail-lease".to_string(), LEASE.to_string()]);
    let flags: Vec<&str> = flags.iter().map(String::as_str).collect();
    sb.serve_keeping_log(Path::new(db), &flags)
}

/// A purchase taken over by cancel through `api`: one mail to its purchaser in the outbox.
fn queue_one_mail(api: &Api) {
    directory(api);
    let sub = api.post("/purchases", Some("ann@contoso.test"), json!({ "productId": PRODUCT, "quantity": 1 }));
    let sub = sub["id"].as_str().expect("id");
    api.post(&format!("/subscriptions/{sub}/takeOver"), None, json!({ "cancel": { "reason": "TooExpensive" } }));
}

/// The notification's state, attempts and lease (Unix ms) as the database has them.
fn row(db: &str, id: &str) -> (String, u32, i64) {
    let row = postgres::psql(db, &format!("SELECT state, attempts, lease_until FROM notifications WHERE id = '{id}'"));
    let mut fields = row.split('|');
    let mut next = || fields.next().unwrap_or_else(|| panic!("a row: {row}")).to_string();
    (next(), next().parse().expect("attempts"), next().parse().expect("Unix ms"))
}

/// Waits for the service to connect to the stalling SMTP listener, which then never greets:
/// the connection, kept open, holds the service in the middle of a delivery.
fn stalled_connection(listener: &TcpListener) -> TcpStream {
    listener.set_nonblocking(true).expect("nonblocking");
    wait_for(Duration::from_secs(10), "replica A to connect to its SMTP server", || listener.accept().ok()).0
}

/// Now, in Unix ms: the clock of the lease and of the sink's X-Received-At.
fn unix_millis() -> i64 {
    let now = SystemTime::now().duration_since(SystemTime::UNIX_EPOCH).expect("after 1970");
    i64::try_from(now.as_millis()).expect("ms fit")
}

/// The value of `mail`'s header `name` (its first line only).
fn header<'m>(mail: &'m str, name: &str) -> Option<&'m str> {
    mail.lines().find_map(|l| l.strip_prefix(name).and_then(|rest| rest.strip_prefix(": ")))
}

#[test]
fn a_replica_killed_mid_delivery_lets_its_lease_lapse_and_another_delivers_the_mail_after_it() {
    let Some(url) = postgres::url("a_replica_killed_mid_delivery_lets_its_lease_lapse") else { return };
    let sb = Sandbox::new();
    let db = sb.database(&url, "lease");
    let stalling = TcpListener::bind("127.0.0.1:0").expect("bind");
    let a = replica(&sb, &db, stalling.local_addr().expect("addr").port());
    let api = Api::new(&a);
    queue_one_mail(&api);
    let _held = stalled_connection(&stalling);

    // A claims the row before it connects: the lease is taken and A is mid-delivery.
    let notification = api.notifications().pop().expect("the take-over's notification");
    let id = notification["id"].as_str().expect("id");
    let row = postgres::psql(&db, &format!("SELECT state, attempts, lease_until FROM notifications WHERE id = '{id}'"));
    let (state_attempts, lease_until) = row.rsplit_once('|').expect("a row");
    assert_eq!(state_attempts, "Pending|0", "A has not delivered it yet: {row}");
    let lease_until: i64 = lease_until.parse().expect("Unix ms");
    assert!(lease_until > 0, "A holds the lease: {row}");
    a.kill();

    let port = free_port();
    let sink = SmtpSink::start(port, &sb.path("mail"));
    let b = replica(&sb, &db, port);
    if unix_millis() >= lease_until {
        eprintln!("note: B started after A's lease lapsed, so this run did not see B wait for it");
    }
    let mail = wait_for(Duration::from_secs(10), "replica B to deliver the mail", || sink.messages().pop());
    let received: i64 = header(&mail, "X-Received-At").expect("receipt time").parse().expect("Unix ms");
    assert!(received >= lease_until, "B delivered at {received}, before A's lease lapsed at {lease_until}");

    assert_eq!(message_ids(&sink), [id], "the notification id is the Message-ID");
    let recipient = notification["recipient"].as_str().expect("recipient");
    assert_eq!(header(&mail, "To"), Some(recipient), "{mail}");
    assert_eq!(header(&mail, "Subject"), notification["subject"].as_str(), "{mail}");
    // SMTP lines end in CRLF, and the DATA's end adds one.
    let body = notification["body"].as_str().expect("body").replace('\n', "\r\n");
    let text = mail.split_once("\r\n\r\n").map(|(_, text)| text.trim_end());
    assert_eq!(text, Some(body.trim_end()), "the notification's body");

    let api = Api::new(&b);
    let delivered = wait_for(Duration::from_secs(10), "B to mark the mail delivered", || {
        api.notifications().pop().filter(|n| n["state"] == "Delivered")
    });
    assert_eq!(delivered["attempts"], 1, "A's attempt died with it, B's is the one: {delivered}");
    assert_eq!(sink.messages().len(), 1, "delivered once");
}

/// A replica whose lease lapsed mid-delivery, and whose delivery then fails, leaves the row to
/// the replica that claimed it after the lapse: the failure is not counted and the other's
/// lease stays, so no third replica is handed the mail while the second delivers it.
#[test]
fn a_late_failure_after_the_lease_lapsed_leaves_the_next_replicas_claim_alone() {
    let Some(url) = postgres::url("a_late_failure_after_the_lease_lapsed") else { return };
    let sb = Sandbox::new();
    let db = sb.database(&url, "late-failure");
    let (stalling_a, stalling_b) =
        (TcpListener::bind("127.0.0.1:0").expect("bind"), TcpListener::bind("127.0.0.1:0").expect("bind"));
    let a = replica(&sb, &db, stalling_a.local_addr().expect("addr").port());
    let api = Api::new(&a);
    queue_one_mail(&api);
    let held_by_a = stalled_connection(&stalling_a);
    let notification = api.notifications().pop().expect("the take-over's notification");
    let id = notification["id"].as_str().expect("id");
    let (_, _, lease_of_a) = row(&db, id);

    // B claims the row once A's lease lapsed, and stalls in its own delivery.
    let b = replica(&sb, &db, stalling_b.local_addr().expect("addr").port());
    let _held_by_b = stalled_connection(&stalling_b);
    let (_, _, lease_of_b) = row(&db, id);
    assert!(lease_of_b > lease_of_a, "B claimed it after A's lease: {lease_of_a} then {lease_of_b}");

    // A's server hangs up: A's delivery fails, after its lease lapsed.
    drop(held_by_a);
    wait_for(Duration::from_secs(10), "A to record its failed delivery", || {
        a.log().contains("mail not delivered").then_some(())
    });
    assert_eq!(row(&db, id), ("Pending".to_string(), 0, lease_of_b), "B's claim stands, A's failure is not counted");
    drop(b);
}
