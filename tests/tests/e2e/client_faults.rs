//! The client under faults: answers lost on the way back, a service restarted mid-batch, the
//! emulator's stress setting, answers without end, a damaged local store, and Ctrl-C. The
//! faults are real: a proxy thread that swallows answers, a raw server thread that never
//! stops sending, `kill -9`, SIGINT, a row changed with SQLite.

use std::collections::HashSet;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use commerce_e2e::{Run, Sandbox, write_catalog};
use serde_json::Value;

/// Waits for `child` at most `limit`; a child still running then is killed and the test fails.
fn finish_within(mut child: Child, limit: Duration) -> Run {
    let started = Instant::now();
    while child.try_wait().expect("child state").is_none() {
        if started.elapsed() > limit {
            let _ = child.kill();
            let out = child.wait_with_output().expect("child output");
            panic!("still running after {limit:?}: {}", String::from_utf8_lossy(&out.stderr));
        }
        thread::sleep(Duration::from_millis(20));
    }
    let out = child.wait_with_output().expect("child output");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// Starts the binary with `args`, output piped.
fn start(sb: &Sandbox, args: &[&str]) -> Child {
    sb.command()
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("binary starts")
}

/// Runs the binary with `args`, failing the test if it takes longer than `limit`.
fn run_within(sb: &Sandbox, args: &[&str], limit: Duration) -> Run {
    finish_within(start(sb, args), limit)
}

/// A process killed (SIGKILL) and waited for when dropped, so none outlives its test.
struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// `serve` on an explicit address, so a test can start it again on the same port; returns
/// once it listens.
fn serve_on(sb: &Sandbox, port: u16, extra: &[&str]) -> Killed {
    let store = sb.path("store.db");
    let listen = format!("127.0.0.1:{port}");
    let mut child = sb
        .command()
        .args(["serve", "--listen", &listen, "--store", store.to_str().unwrap()])
        .args(extra)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("serve starts");
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
    assert!(line.contains("listening"), "serve did not start: {line:?}");
    Killed(child)
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// A proxy in front of `upstream` that forwards everything, except that it swallows the
/// answer to the first PUT of each request line: the service carries out the write, the
/// client never hears of it and times out. Returns the proxy's URL.
fn proxy_losing_first_put_answers(upstream: &str) -> String {
    let upstream = upstream.trim_start_matches("http://").to_string();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let seen = Arc::new(Mutex::new(HashSet::new()));
    thread::spawn(move || {
        for client in listener.incoming().flatten() {
            let Ok(server) = TcpStream::connect(&upstream) else { continue };
            let swallow = Arc::new(AtomicBool::new(false));
            let (seen, swallow_up) = (seen.clone(), swallow.clone());
            let (mut from_client, mut to_server) = (client.try_clone().unwrap(), server.try_clone().unwrap());
            thread::spawn(move || {
                let mut buf = [0u8; 16 * 1024];
                while let Ok(n @ 1..) = from_client.read(&mut buf) {
                    let text = String::from_utf8_lossy(&buf[..n]);
                    if let Some(line) = text.lines().next().filter(|l| l.starts_with("PUT "))
                        && seen.lock().unwrap().insert(line.to_string())
                    {
                        swallow_up.store(true, Ordering::SeqCst);
                    }
                    if to_server.write_all(&buf[..n]).is_err() {
                        break;
                    }
                }
                let _ = to_server.shutdown(Shutdown::Both);
                let _ = from_client.shutdown(Shutdown::Both);
            });
            let (mut from_server, mut to_client) = (server, client);
            thread::spawn(move || {
                let mut buf = [0u8; 16 * 1024];
                while let Ok(n @ 1..) = from_server.read(&mut buf) {
                    if !swallow.load(Ordering::SeqCst) && to_client.write_all(&buf[..n]).is_err() {
                        break;
                    }
                }
                let _ = to_client.shutdown(Shutdown::Both);
            });
        }
    });
    url
}

/// A raw HTTP server that answers every request with `head` and then body bytes made by
/// `chunk`, without end, until the client goes away. Returns its URL.
fn endless_server(head: &'static str, chunk: Vec<u8>) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    thread::spawn(move || {
        for mut conn in listener.incoming().flatten() {
            let chunk = chunk.clone();
            thread::spawn(move || {
                let mut request = Vec::new();
                let mut byte = [0u8; 1];
                while !request.ends_with(b"\r\n\r\n") && conn.read(&mut byte).is_ok_and(|n| n == 1) {
                    request.push(byte[0]);
                }
                if conn.write_all(head.as_bytes()).is_err() {
                    return;
                }
                while conn.write_all(&chunk).is_ok() {}
            });
        }
    });
    url
}

fn statuses(results: &Value) -> Vec<&str> {
    results.as_array().unwrap().iter().map(|r| r["Status"].as_str().unwrap()).collect()
}

fn audit(sb: &Sandbox, url: &str) -> Vec<Value> {
    let run = sb.against(url).run(&["audit", "--limit", "1000", "-o", "json"]);
    run.assert_ok().json().as_array().unwrap().clone()
}

#[test]
fn a_retried_write_whose_lost_answer_committed_is_reported_updated() {
    let sb = Sandbox::new();
    let svc = sb.serve(&sb.path("store.db"), &[]);
    let proxy = proxy_losing_first_put_answers(&svc.url);
    let cli = sb.against(&proxy);

    let update = cli.run(&[
        "--timeout",
        "1s",
        "product-policies",
        "update",
        "--product-id",
        "CFQ7TTC0H9MP",
        "--value",
        "Disabled",
        "-o",
        "json",
    ]);
    let result = &update.assert_ok().json()[0];
    assert_eq!(result["Status"], "Updated", "{update:#?}");

    let baseline = sb.path("baseline.json");
    std::fs::write(&baseline, r#"{"policyId":"AllowSelfServicePurchase","products":{"CFQ7TTC0HDB1":"Disabled"}}"#)
        .unwrap();
    let apply = cli.run(&["--timeout", "1s", "apply", "-f", baseline.to_str().unwrap(), "-o", "json"]);
    let applied = &apply.assert_ok().json()[0];
    assert_eq!(applied["Status"], "Updated", "{apply:#?}");

    let entries = audit(&sb, &svc.url);
    assert_eq!(entries.len(), 2, "each write was carried out once: {entries:#?}");
    let ids: HashSet<&str> = entries.iter().map(|e| e["CorrelationId"].as_str().unwrap()).collect();
    assert!(ids.contains(result["CorrelationId"].as_str().unwrap()), "{entries:#?} {result:#?}");
    assert!(ids.contains(applied["CorrelationId"].as_str().unwrap()), "{entries:#?} {applied:#?}");
}

#[test]
fn two_concurrent_runs_report_as_many_updates_as_the_service_made() {
    let sb = Sandbox::new();
    write_catalog(&sb.path("catalog.json"), 10, 0);
    let catalog = sb.path("catalog.json");
    let svc = sb.serve(&sb.path("store.db"), &["--catalog", catalog.to_str().unwrap()]);
    let proxy = proxy_losing_first_put_answers(&svc.url);
    let args = ["--endpoint", &proxy, "--timeout", "1s", "product-policies", "update", "--all", "--value", "Disabled"];
    let runs = [start(&sb, &[&args[..], &["-o", "json"]].concat()), start(&sb, &[&args[..], &["-o", "json"]].concat())];
    let mut updated = 0;
    for child in runs {
        let run = finish_within(child, Duration::from_secs(60));
        updated += statuses(&run.assert_ok().json()).iter().filter(|s| **s == "Updated").count();
    }
    let entries = audit(&sb, &svc.url);
    assert_eq!(entries.len(), 10, "{entries:#?}");
    assert_eq!(updated, entries.len(), "Updated results over both runs against the audit log");
}

#[test]
fn a_service_restarted_during_a_bulk_update_loses_no_change() {
    let sb = Sandbox::new();
    write_catalog(&sb.path("catalog.json"), 25, 0);
    let catalog = sb.path("catalog.json");
    let serve_args = ["--catalog", catalog.to_str().unwrap(), "--simulate-latency", "1s"];
    let port = free_port();
    let first = serve_on(&sb, port, &serve_args);
    let url = format!("http://127.0.0.1:{port}");
    let update = start(
        &sb,
        &["--endpoint", &url, "product-policies", "update", "--all", "--value", "Disabled", "--concurrency", "25"],
    );
    // The list takes a second; then every PUT waits a second in the service: kill it then.
    thread::sleep(Duration::from_millis(1500));
    drop(first);
    let _second = serve_on(&sb, port, &serve_args);
    let run = finish_within(update, Duration::from_secs(60));
    run.assert_ok();
    assert!(run.stdout.contains("25 products: 25 updated"), "{run:#?}");
    let list = sb.against(&url).run(&["product-policies", "list", "-o", "json"]).assert_ok().json();
    assert!(list.as_array().unwrap().iter().all(|p| p["PolicyValue"] == "Disabled"), "{list:#?}");
}

#[test]
fn the_emulators_stress_setting_completes_within_the_default_retry_budget() {
    let sb = Sandbox::new();
    write_catalog(&sb.path("catalog.json"), 60, 0);
    let catalog = sb.path("catalog.json");
    let svc = sb.serve(
        &sb.path("store.db"),
        &[
            "--catalog",
            catalog.to_str().unwrap(),
            "--simulate-throttle",
            "0.5",
            "--simulate-errors",
            "0.2",
            "--simulate-retry-after",
            "0",
        ],
    );
    let run = run_within(
        &sb,
        &["--endpoint", &svc.url, "product-policies", "update", "--all", "--value", "Disabled"],
        Duration::from_secs(100),
    );
    run.assert_ok();
    let summary = run.stdout.lines().last().unwrap_or_default();
    assert!(summary.starts_with("60 products: 60 updated ("), "{run:#?}");
    assert!(summary.ends_with(" retries)") && !summary.contains("(0 retries)"), "{summary}");
}

#[test]
fn an_answer_without_end_fails_quickly_with_one_line() {
    let sb = Sandbox::new();
    let huge = endless_server(
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 3000000000\r\n\r\n",
        vec![b' '; 64 * 1024],
    );
    let mut chunk = format!("{:x}\r\n", 64 * 1024).into_bytes();
    chunk.extend(std::iter::repeat_n(b' ', 64 * 1024));
    chunk.extend(b"\r\n");
    let endless = endless_server(
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n",
        chunk,
    );
    for url in [huge, endless] {
        let run = run_within(&sb, &["--endpoint", &url, "policies", "list"], Duration::from_secs(30));
        run.assert_fails_with(1);
        assert!(
            run.stderr.contains(&format!("the answer of GET {url}/v1.0/policies is larger than 16 MiB")),
            "{run:#?}"
        );
    }
}

#[test]
fn a_damaged_row_in_the_local_store_fails_at_once_naming_the_store() {
    let sb = Sandbox::new();
    sb.run(&["--endpoint", "local", "product-policies", "list"]).assert_ok();
    let store = sb.path("data").join("local.db");
    let db = rusqlite::Connection::open(&store).unwrap();
    db.execute("UPDATE scoped_values SET value='Maybe' WHERE target_id='CFQ7TTC0H9MP'", []).unwrap();
    drop(db);
    // Retrying it as a network failure took 15 s: a bound of 5 s tells the two apart.
    let run = run_within(&sb, &["--endpoint", "local", "product-policies", "list"], Duration::from_secs(5));
    run.assert_fails_with(1);
    assert!(run.stderr.contains(&format!("the local store {}", store.display())), "{run:#?}");
    assert!(run.stderr.contains("'Maybe'") && !run.stderr.contains("network"), "{run:#?}");
    assert!(run.stderr.contains("for product CFQ7TTC0H9MP"), "the line names the row: {run:#?}");
}

#[cfg(unix)]
#[test]
fn ctrl_c_during_a_bulk_update_prints_what_was_done_and_exits_130() {
    let sb = Sandbox::new();
    write_catalog(&sb.path("catalog.json"), 10, 0);
    let catalog = sb.path("catalog.json");
    let svc = sb.serve(&sb.path("store.db"), &["--catalog", catalog.to_str().unwrap(), "--simulate-latency", "1s"]);
    let update = start(
        &sb,
        &[
            "--endpoint",
            &svc.url,
            "product-policies",
            "update",
            "--all",
            "--value",
            "Disabled",
            "--concurrency",
            "2",
            "-o",
            "json",
        ],
    );
    // The list answers after a second, then two PUTs a second: interrupt in the second round.
    thread::sleep(Duration::from_millis(2500));
    Command::new("kill").args(["-INT", &update.id().to_string()]).status().unwrap();
    let run = finish_within(update, Duration::from_secs(30));
    assert_eq!(run.code, 130, "{run:#?}");
    assert!(run.stderr.contains("interrupted: "), "{run:#?}");
    let results = run.json();
    let found = statuses(&results);
    assert_eq!(found.len(), 10, "{results:#}");
    assert!(found.contains(&"Updated") && found.contains(&"NotAttempted"), "{found:?}");
    assert!(found.iter().all(|s| matches!(*s, "Updated" | "NotAttempted")), "{found:?}");
    let list = sb.against(&svc.url).run(&["product-policies", "list", "-o", "json"]).assert_ok().json();
    for result in results.as_array().unwrap() {
        let id = &result["ProductId"];
        let now = list.as_array().unwrap().iter().find(|p| &p["ProductId"] == id).unwrap();
        assert_eq!(now["PolicyValue"], result["PolicyValue"], "{id}: {result:#}");
    }
}
