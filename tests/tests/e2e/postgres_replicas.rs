//! Several `serve` replicas on one PostgreSQL database (the test cluster of
//! COMMERCE_POLICY_TEST_POSTGRES, tests/postgres/cluster.sh): `If-Match` decided by the
//! database across replicas, a replica SIGKILLed during a burst (no acknowledged write lost,
//! every mail delivered — at least once, the notification id in Message-ID as the dedupe key),
//! and PostgreSQL restarted under load (503 with Retry-After, then recovery without a restart).

use std::collections::HashSet;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use commerce_e2e::postgres::{self, Cluster};
use commerce_e2e::{Sandbox, Service};
use serde_json::{Value, json};

use crate::admin_mail::{Api, SmtpSink, directory, free_port, smtp_flags, wait_for};
use crate::service_ops::{metrics, sample};

const VALUE: &str = "/v1.0/policies/AllowSelfServicePurchase/products/CFQ7TTC0KP0P";

fn http() -> reqwest::blocking::Client {
    reqwest::blocking::Client::builder().timeout(Duration::from_secs(15)).build().expect("client")
}

/// `n` replicas of `serve` over the database at `db`, started at the same time: the first
/// start of a fresh database migrates it, under the advisory lock, while the others wait.
fn replicas(sb: &Sandbox, db: &str, n: usize, extra: &[&str]) -> Vec<Service> {
    std::thread::scope(|scope| {
        let starting: Vec<_> = (0..n).map(|_| scope.spawn(|| sb.serve(Path::new(db), extra))).collect();
        starting.into_iter().map(|s| s.join().expect("a replica starts")).collect()
    })
}

/// The value's ETag and policy value, as `service` reads them.
fn read(http: &reqwest::blocking::Client, service: &str) -> (String, String) {
    let response = http.get(format!("{service}{VALUE}")).send().expect("GET answers");
    let etag = response.headers()["etag"].to_str().expect("etag").to_string();
    let body: Value = response.json().expect("json");
    (etag, body["policyValue"].as_str().expect("value").to_string())
}

/// One writer's PUT: the value flipped from what it read, with the ETag it read.
struct Write {
    status: u16,
    sent_etag: String,
    correlation_id: String,
}

fn flip(http: &reqwest::blocking::Client, service: &str, etag: &str, value: &str, i: usize) -> Write {
    let next = if value == "Enabled" { "Disabled" } else { "Enabled" };
    let correlation_id = format!("00000000-0000-4000-8000-{i:012}");
    let response = http
        .put(format!("{service}{VALUE}"))
        .header("If-Match", etag)
        .header("x-ms-correlation-id", &correlation_id)
        .json(&json!({ "policyValue": next }))
        .send()
        .expect("PUT answers");
    Write { status: response.status().as_u16(), sent_etag: etag.to_string(), correlation_id }
}

#[test]
fn three_replicas_never_accept_two_writes_from_one_version_and_lose_none() {
    let Some(url) = postgres::url("three_replicas_never_accept_two_writes_from_one_version") else { return };
    let sb = Sandbox::new();
    let db = sb.database(&url, "replicas");
    let services = replicas(&sb, &db, 3, &[]);
    let http = http();
    let (stale, stale_value) = read(&http, &services[0].url);
    // Even writers read first (a fresh ETag, unless another write lands in between); odd
    // writers send the ETag read before the burst (stale once any write was accepted).
    let writes: Vec<Write> = std::thread::scope(|scope| {
        let writers: Vec<_> = (0..100)
            .map(|i| {
                let (http, service, stale, stale_value) = (&http, &services[i % 3].url, &stale, &stale_value);
                scope.spawn(move || {
                    let (etag, value) =
                        if i % 2 == 0 { read(http, service) } else { (stale.clone(), stale_value.clone()) };
                    flip(http, service, &etag, &value, i)
                })
            })
            .collect();
        writers.into_iter().map(|w| w.join().expect("writer")).collect()
    });
    assert!(writes.iter().all(|w| w.status == 200 || w.status == 412), "only 200 and 412");
    let accepted: Vec<&Write> = writes.iter().filter(|w| w.status == 200).collect();
    assert!(!accepted.is_empty() && accepted.len() < 100, "some accepted, some refused: {}", accepted.len());
    let from: HashSet<&str> = accepted.iter().map(|w| w.sent_etag.as_str()).collect();
    assert_eq!(from.len(), accepted.len(), "two writes were accepted from one version");
    let audit: Value =
        http.get(format!("{}/v1.0/audit?limit=1000", services[2].url)).send().expect("audit").json().expect("json");
    let logged: Vec<&str> =
        audit["items"].as_array().expect("items").iter().filter_map(|e| e["correlationId"].as_str()).collect();
    assert_eq!(logged.len(), accepted.len(), "one audit entry per acknowledged write");
    for w in &accepted {
        assert!(
            logged.contains(&w.correlation_id.as_str()),
            "acknowledged write {} not in the audit",
            w.correlation_id
        );
    }
    let ids: Vec<i64> = audit["items"].as_array().expect("items").iter().filter_map(|e| e["id"].as_i64()).collect();
    assert!(ids.windows(2).all(|w| w[0] == w[1] + 1), "audit ids newest first without gaps: {ids:?}");
}

/// `buyer`'s `n` subscriptions of one license each.
fn subscriptions(api: &Api, buyer: &str, n: usize) -> Vec<String> {
    (0..n)
        .map(|_| {
            let sub =
                api.post("/purchases", Some(buyer), json!({ "productId": crate::admin_mail::PRODUCT, "quantity": 1 }));
            sub["id"].as_str().expect("id").to_string()
        })
        .collect()
}

/// The Message-IDs of the mail the sink accepted (the notification ids).
pub(crate) fn message_ids(sink: &SmtpSink) -> Vec<String> {
    sink.messages()
        .iter()
        .filter_map(|m| {
            m.lines().find_map(|l| l.strip_prefix("Message-ID: <").or_else(|| l.strip_prefix("Message-Id: <")))
        })
        .filter_map(|id| id.split('@').next().map(str::to_string))
        .collect()
}

#[test]
fn a_replica_killed_during_a_burst_loses_no_acknowledged_change_and_no_mail() {
    let Some(url) = postgres::url("a_replica_killed_during_a_burst") else { return };
    let sb = Sandbox::new();
    let db = sb.database(&url, "burst");
    let port = free_port();
    let sink = SmtpSink::start(port, &sb.path("mail"));
    let mut flags = smtp_flags(port);
    flags.extend(["--mail-lease".to_string(), "2s".to_string()]);
    let flags: Vec<&str> = flags.iter().map(String::as_str).collect();
    let mut services: Vec<Option<Service>> = replicas(&sb, &db, 3, &flags).into_iter().map(Some).collect();
    let apis: Vec<Api> = services.iter().map(|s| Api::new(s.as_ref().expect("running"))).collect();
    directory(&apis[1]);
    let subs = subscriptions(&apis[1], "ann@contoso.test", 24);
    let body = json!({ "cancel": { "reason": "Other", "reasonText": "burst" } });
    // Take-overs spread over the replicas; replica 0 is killed a third into the burst.
    let answers: Vec<(usize, Option<u16>)> = std::thread::scope(|scope| {
        let takers: Vec<_> = subs
            .iter()
            .enumerate()
            .map(|(i, sub)| {
                let (apis, body) = (&apis, &body);
                scope.spawn(move || {
                    let path = format!("/subscriptions/{sub}/takeOver");
                    let r = apis[i % 3].http.post(format!("{}{path}", apis[i % 3].url)).json(body).send();
                    (i, r.ok().map(|r| r.status().as_u16()))
                })
            })
            .collect();
        std::thread::sleep(Duration::from_millis(150));
        services[0].take().expect("replica 0").kill();
        takers.into_iter().map(|t| t.join().expect("taker")).collect()
    });
    for (i, status) in &answers {
        match status {
            Some(200) => {}
            // Unanswered (the killed replica): the client retries on another replica, which
            // either does it or finds it done already.
            None => {
                let (status, _) = apis[1].send(
                    reqwest::Method::POST,
                    &format!("/subscriptions/{}/takeOver", subs[*i]),
                    None,
                    Some(body.clone()),
                );
                assert!(status == 200 || status == 409, "retry of {}: {status}", subs[*i]);
            }
            other => panic!("take-over {i}: {other:?}"),
        }
    }
    for sub in &subs {
        assert_eq!(apis[2].get(&format!("/subscriptions/{sub}"))["status"], "Deleted", "{sub}");
    }
    let notifications = apis[2].notifications();
    assert_eq!(notifications.len(), subs.len(), "one mail per take-over: {notifications:?}");
    let ids: HashSet<String> = notifications.iter().map(|n| n["id"].as_str().expect("id").to_string()).collect();
    let delivered = wait_for(Duration::from_secs(30), "every notification's mail", || {
        let got: HashSet<String> = message_ids(&sink).into_iter().collect();
        ids.is_subset(&got).then_some(got)
    });
    assert_eq!(delivered, ids, "mail only for the outbox's notifications");
}

#[test]
fn postgresql_restarted_under_load_answers_503_with_retry_after_then_recovers() {
    if postgres::url("postgresql_restarted_under_load").is_none() {
        return;
    }
    let cluster = Cluster::start();
    let sb = Sandbox::new();
    let service = sb.serve(Path::new(&cluster.url), &["--statement-timeout", "1s"]);
    let http = http();
    let stop = AtomicBool::new(false);
    let seen: Vec<(u16, bool)> = std::thread::scope(|scope| {
        let load = scope.spawn(|| {
            let mut seen = Vec::new();
            while !stop.load(Ordering::Relaxed) {
                let r = http.get(format!("{}{VALUE}", service.url)).send().expect("an answer within the timeout");
                seen.push((r.status().as_u16(), r.headers().contains_key("retry-after")));
                std::thread::sleep(Duration::from_millis(20));
            }
            seen
        });
        // Stops the load when this closure ends, by success or by a failed assertion.
        struct Stop<'a>(&'a AtomicBool);
        impl Drop for Stop<'_> {
            fn drop(&mut self) {
                self.0.store(true, Ordering::Relaxed);
            }
        }
        let stopper = Stop(&stop);
        let answer = || {
            let r = http.get(format!("{}{VALUE}", service.url)).send().expect("an answer within the timeout");
            (r.status().as_u16(), r.headers().contains_key("retry-after"))
        };
        wait_for(Duration::from_secs(10), "a first answer", || (answer().0 == 200).then_some(()));
        cluster.ctl("stop");
        let down = wait_for(Duration::from_secs(10), "503 while PostgreSQL is down", || {
            let (status, retry_after) = answer();
            (status != 200).then_some((status, retry_after))
        });
        assert_eq!(down, (503, true), "503 with Retry-After while PostgreSQL is down");
        cluster.ctl("start");
        wait_for(Duration::from_secs(20), "recovery after PostgreSQL is back", || (answer().0 == 200).then_some(()));
        drop(stopper);
        load.join().expect("load")
    });
    assert!(seen.iter().all(|(s, _)| *s == 200 || *s == 503), "only 200 and 503 under load: {seen:?}");
    assert!(seen.iter().filter(|(s, _)| *s == 503).all(|(_, retry)| *retry), "every 503 has Retry-After");
    let (etag, value) = read(&http, &service.url);
    assert_eq!(flip(&http, &service.url, &etag, &value, 1).status, 200, "writes work again");
}

#[test]
fn a_database_of_a_newer_layout_is_refused_and_passwords_stay_out_of_messages() {
    let Some(url) = postgres::url("a_database_of_a_newer_layout_is_refused") else { return };
    let sb = Sandbox::new();
    let db = sb.database(&url, "newer");
    let with_password = db.replacen("://postgres@", "://postgres:s3cret-pw@", 1);
    let log = sb.path("serve.log");
    let service = sb.serve_logged(Path::new(&with_password), &[], &log);
    assert!(!service.url.contains("s3cret"));
    service.kill();
    assert!(!std::fs::read_to_string(&log).expect("log").contains("s3cret-pw"), "the password was logged");
    postgres::psql(&db, "UPDATE commerce_schema SET version = 99");
    let run = sb.run(&["serve", "--listen", "127.0.0.1:0", "--store", &with_password, "--connect-retries", "0"]);
    assert_ne!(run.code, 0);
    assert_eq!(run.stderr.trim_end().lines().count(), 1, "{run:#?}");
    assert!(run.stderr.contains("newer") && run.stderr.contains("99"), "{}", run.stderr);
    assert!(!run.stderr.contains("s3cret-pw"), "{}", run.stderr);
    let down = "postgres://postgres:s3cret-pw@127.0.0.1:1/none";
    let run = sb.run(&["serve", "--listen", "127.0.0.1:0", "--store", down, "--connect-retries", "0"]);
    assert_ne!(run.code, 0);
    assert!(run.stderr.contains("cannot be reached") && !run.stderr.contains("s3cret-pw"), "{}", run.stderr);
}

/// A database of layout 3 (before the kept answers of retried changes) is brought to layout 4
/// at start, keeping its values.
#[test]
fn a_layout_3_database_is_migrated_to_4_keeping_its_values() {
    let Some(url) = postgres::url("a_layout_3_database_is_migrated_to_4") else { return };
    let sb = Sandbox::new();
    let db = sb.database(&url, "layout3");
    let service = sb.serve(Path::new(&db), &[]);
    let (etag, value) = read(&http(), &service.url);
    assert_eq!(flip(&http(), &service.url, &etag, &value, 0).status, 200);
    service.kill();
    postgres::psql(&db, "DROP TABLE answered; UPDATE commerce_schema SET version = 3");
    let service = sb.serve(Path::new(&db), &[]);
    assert_ne!(read(&http(), &service.url).1, value, "the value written at layout 3 is kept");
    assert_eq!(postgres::psql(&db, "SELECT version FROM commerce_schema"), "4");
    assert_eq!(postgres::psql(&db, "SELECT count(*) FROM answered"), "0");
}

#[test]
fn a_path_or_a_sqlite_prefix_stays_sqlite_and_pool_options_are_checked() {
    let sb = Sandbox::new();
    let file = sb.path("prefixed.db");
    let service = sb.serve(Path::new(&format!("sqlite:{}", file.display())), &[]);
    assert_eq!(read(&http(), &service.url).1, "Enabled");
    service.kill();
    assert!(file.exists(), "sqlite:PATH is a SQLite file at PATH");
    for (flag, value) in [("--pool-size", "0"), ("--statement-timeout", "1ms"), ("--connect-retries", "1001")] {
        let run = sb.run(&["serve", "--listen", "127.0.0.1:0", "--store", "postgres://u@127.0.0.1:1/db", flag, value]);
        run.assert_fails_with(2);
        assert!(run.stderr.contains(flag), "{}", run.stderr);
    }
}

/// Over PostgreSQL the read cache works and follows the database: a repeated read is a cache
/// hit, a write through one replica is read through the other within the 100 ms bound, and a
/// database another replica migrated to a newer layout makes `/readyz` answer 503.
#[test]
fn replicas_cache_reads_see_each_others_writes_and_check_the_layout() {
    let Some(url) = postgres::url("replicas_cache_reads_see_each_others_writes") else { return };
    let sb = Sandbox::new();
    let db = sb.database(&url, "cache");
    let services = replicas(&sb, &db, 2, &[]);
    let (a, b) = (&services[0].url, &services[1].url);
    let http = http();
    let (_, before) = read(&http, b);
    read(&http, b);
    let hits = sample(&metrics(&services[1]), "commerce_policy_read_cache_hits_total");
    assert!(hits.is_some_and(|n| n >= 1.0), "the second read came from the cache: {hits:?}");
    let (etag, _) = read(&http, a);
    assert_eq!(flip(&http, a, &etag, &before, 0).status, 200);
    wait_for(Duration::from_secs(3), "replica B to read replica A's write", || {
        (read(&http, b).1 != before).then_some(())
    });

    let ready = |service: &str| http.get(format!("{service}/readyz")).send().expect("readyz").status().as_u16();
    assert_eq!((ready(a), ready(b)), (200, 200));
    let layout = postgres::psql(&db, "SELECT version FROM commerce_schema");
    postgres::psql(&db, "UPDATE commerce_schema SET version = 99");
    assert_eq!((ready(a), ready(b)), (503, 503), "a newer layout is not this replica's");
    postgres::psql(&db, &format!("UPDATE commerce_schema SET version = {layout}"));
    assert_eq!((ready(a), ready(b)), (200, 200));
}
