//! The purchasers' mail, end to end: a real `serve` driven over HTTP, delivering through a
//! real SMTP server on loopback (aiosmtpd, tests/mail/smtp_sink.py, which writes every
//! message it accepts to a folder). A move, a cancel and a centralize each mail the right
//! purchaser; a server that is down at first gets the mail once it is up; a service killed
//! between the change and the delivery delivers after its restart, once.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use commerce_e2e::{Sandbox, Service};
use serde_json::{Value, json};

pub(crate) const PRODUCT: &str = "CFQ7TTC0HDB1";
const ACTING: &str = "x-commerce-acting-user";
pub(crate) const FROM: &str = "licensing@contoso.test";

/// The venv with aiosmtpd, made once per test run by the project's own setup script.
fn python() -> &'static Path {
    static PYTHON: OnceLock<PathBuf> = OnceLock::new();
    PYTHON.get_or_init(|| {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("workspace root").to_path_buf();
        let status = Command::new("bash").arg(root.join("tests/mail/setup.sh")).status().expect("bash runs");
        assert!(status.success(), "tests/mail/setup.sh could not install aiosmtpd");
        root.join("target/mail-venv/bin/python")
    })
}

/// A free loopback port (for a server started later: the tests that need one down at first).
pub(crate) fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").expect("bind").local_addr().expect("addr").port()
}

/// Waits for `done`, at most `within`: a bounded wait that fails the test when exceeded.
pub(crate) fn wait_for<T>(within: Duration, what: &str, mut done: impl FnMut() -> Option<T>) -> T {
    let start = Instant::now();
    loop {
        if let Some(value) = done() {
            return value;
        }
        assert!(start.elapsed() < within, "gave up waiting for {what} after {within:?}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// A real SMTP server on loopback and the folder of what it accepted; stopped when dropped.
pub(crate) struct SmtpSink {
    child: Child,
    folder: PathBuf,
}

impl SmtpSink {
    pub(crate) fn start(port: u16, folder: &Path) -> Self {
        Self::start_with(port, folder, &[])
    }

    /// With the sink's options: `--tls CERT KEY` (smtps), `--auth USER PASSWORD`.
    pub(crate) fn start_with(port: u16, folder: &Path, options: &[&str]) -> Self {
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("mail/smtp_sink.py");
        let mut child = Command::new(python())
            .arg(script)
            .arg(port.to_string())
            .arg(folder)
            .args(options)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("smtp sink starts");
        let mut line = String::new();
        std::io::BufRead::read_line(&mut std::io::BufReader::new(child.stdout.take().expect("stdout")), &mut line)
            .expect("sink says ready");
        assert_eq!(line.trim(), "ready", "the SMTP sink did not start");
        Self { child, folder: folder.to_path_buf() }
    }

    /// The messages accepted so far.
    pub(crate) fn messages(&self) -> Vec<String> {
        let Ok(entries) = std::fs::read_dir(&self.folder) else { return vec![] };
        let mut all: Vec<String> = entries
            .filter_map(|e| e.ok())
            .filter(|e| e.path().extension().is_some_and(|x| x == "eml"))
            .filter_map(|e| std::fs::read_to_string(e.path()).ok())
            // Quoted-printable soft line breaks, so a test can look for a phrase.
            .map(|m| m.replace("=\r\n", "").replace("=\n", ""))
            .collect();
        all.sort();
        all
    }

    /// Waits for `n` messages.
    pub(crate) fn wait_for(&self, n: usize) -> Vec<String> {
        wait_for(Duration::from_secs(30), &format!("{n} mail(s)"), || {
            let all = self.messages();
            (all.len() >= n).then_some(all)
        })
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The service's API over HTTP, as the admin or (`as_user`) as a user of the directory.
pub(crate) struct Api {
    pub(crate) url: String,
    pub(crate) http: reqwest::blocking::Client,
}

impl Api {
    pub(crate) fn new(service: &Service) -> Self {
        let http = reqwest::blocking::Client::builder().timeout(Duration::from_secs(20)).build().expect("client");
        Self { url: format!("{}/v1.0", service.url), http }
    }

    pub(crate) fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        user: Option<&str>,
        body: Option<Value>,
    ) -> (u16, Value) {
        let mut request = self.http.request(method, format!("{}{path}", self.url));
        if let Some(user) = user {
            request = request.header(ACTING, user);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().expect("the service answers");
        let status = response.status().as_u16();
        (status, response.json().unwrap_or(Value::Null))
    }

    pub(crate) fn post(&self, path: &str, user: Option<&str>, body: Value) -> Value {
        let (status, answer) = self.send(reqwest::Method::POST, path, user, Some(body));
        assert!((200..300).contains(&status), "POST {path}: {status} {answer}");
        answer
    }

    pub(crate) fn get(&self, path: &str) -> Value {
        let (status, answer) = self.send(reqwest::Method::GET, path, None, None);
        assert_eq!(status, 200, "GET {path}: {answer}");
        answer
    }

    fn add_user(&self, upn: &str, mail: &str) {
        let name = upn.split('@').next().unwrap_or(upn);
        self.post("/users", None, json!({ "userPrincipalName": upn, "displayName": name, "mail": mail }));
    }

    /// `buyer` buys `quantity` licenses and gives them to `holders`; the subscription's id.
    pub(crate) fn bought(&self, buyer: &str, quantity: u32, holders: &[&str]) -> String {
        let sub = self.post("/purchases", Some(buyer), json!({ "productId": PRODUCT, "quantity": quantity }));
        let id = sub["id"].as_str().expect("id").to_string();
        if !holders.is_empty() {
            self.post(&format!("/subscriptions/{id}/assign"), Some(buyer), json!({ "users": holders }));
        }
        id
    }

    pub(crate) fn central(&self, quantity: u32) -> String {
        let sub = self.post("/subscriptions", None, json!({ "productId": PRODUCT, "quantity": quantity }));
        sub["id"].as_str().expect("id").to_string()
    }

    pub(crate) fn notifications(&self) -> Vec<Value> {
        self.get("/notifications")["items"].as_array().cloned().unwrap_or_default()
    }

    /// Waits until the outbox holds `n` notifications, all delivered (the service marks a row
    /// just after the SMTP server accepted it).
    pub(crate) fn delivered(&self, n: usize) -> Vec<Value> {
        wait_for(Duration::from_secs(20), "the outbox to mark its mail delivered", || {
            let all = self.notifications();
            (all.len() == n && all.iter().all(|m| m["state"] == "Delivered")).then_some(all)
        })
    }
}

/// A directory of three users: two purchasers with mail addresses of their own, one user.
pub(crate) fn directory(api: &Api) {
    api.add_user("ann@contoso.test", "ann.mail@contoso.test");
    api.add_user("bob@contoso.test", "bob.mail@contoso.test");
    api.add_user("cy@contoso.test", "cy.mail@contoso.test");
}

pub(crate) fn smtp_flags(port: u16) -> Vec<String> {
    vec!["--smtp".into(), format!("smtp://127.0.0.1:{port}"), "--smtp-from".into(), FROM.into()]
}

fn serve_with_smtp(sb: &Sandbox, store: &Path, port: u16) -> Service {
    let flags = smtp_flags(port);
    let flags: Vec<&str> = flags.iter().map(String::as_str).collect();
    sb.serve(store, &flags)
}

fn addressed_to(mail: &str, to: &str) -> bool {
    mail.lines().any(|l| l.eq_ignore_ascii_case(&format!("To: {to}")))
}

/// A service delivering through a running SMTP sink, its directory filled. The fields drop
/// in order: the service and the sink stop before their folder goes.
struct Mailing {
    api: Api,
    _svc: Service,
    sink: SmtpSink,
    _sb: Sandbox,
}

fn mailing() -> Mailing {
    let sb = Sandbox::new();
    let port = free_port();
    let sink = SmtpSink::start(port, &sb.path("mail"));
    let svc = serve_with_smtp(&sb, &sb.path("store.db"), port);
    let api = Api::new(&svc);
    directory(&api);
    Mailing { api, _svc: svc, sink, _sb: sb }
}

#[test]
fn a_take_over_by_move_mails_its_purchaser_that_it_was_taken_over() {
    let Mailing { api, sink, .. } = &mailing();
    let sub = api.bought("ann@contoso.test", 3, &["bob@contoso.test", "cy@contoso.test"]);
    let to = api.central(5);
    api.post(&format!("/subscriptions/{sub}/takeOver"), None, json!({ "moveTo": to }));
    let mail = sink.wait_for(1);
    assert!(addressed_to(&mail[0], "ann.mail@contoso.test"), "{}", mail[0]);
    assert!(mail[0].contains(&format!("From: {FROM}")) && mail[0].contains("taken over"), "{}", mail[0]);
    api.delivered(1);

    // The audit log: the purchase by its buyer, the whole take-over under one correlation id.
    let audit = api.get("/audit/administration")["items"].as_array().cloned().unwrap_or_default();
    let purchase = audit.iter().find(|e| e["action"] == "Purchase").expect("the purchase is audited");
    assert_eq!(purchase["actor"], "ann@contoso.test");
    let take_over: Vec<&Value> = audit.iter().take_while(|e| e["correlationId"] == audit[0]["correlationId"]).collect();
    let actions: Vec<&str> = take_over.iter().filter_map(|e| e["action"].as_str()).collect();
    assert_eq!(actions, ["QueueMail", "TakeOverMove", "Assign"], "{audit:?}");
    assert_eq!(take_over[1]["before"]["assignedUsers"], json!(["bob@contoso.test", "cy@contoso.test"]));
    assert_eq!(take_over[1]["after"]["status"], "Deleted");
}

#[test]
fn a_take_over_by_cancel_mails_its_purchaser_the_reason() {
    let Mailing { api, sink, .. } = &mailing();
    let sub = api.bought("bob@contoso.test", 2, &["cy@contoso.test"]);
    let cancel = json!({ "cancel": { "reason": "Other", "reasonText": "bought by mistake" } });
    api.post(&format!("/subscriptions/{sub}/takeOver"), None, cancel);
    let mail = sink.wait_for(1);
    assert!(addressed_to(&mail[0], "bob.mail@contoso.test"), "{}", mail[0]);
    assert!(mail[0].contains("cancelled") && mail[0].contains("bought by mistake"), "{}", mail[0]);
}

#[test]
fn centralize_asks_each_purchaser_by_mail_to_cancel() {
    let Mailing { api, sink, .. } = &mailing();
    api.bought("ann@contoso.test", 2, &["ann@contoso.test"]);
    api.bought("bob@contoso.test", 2, &["bob@contoso.test", "cy@contoso.test"]);
    let to = api.central(3);
    let outcome = api.post("/centralize", None, json!({ "productId": PRODUCT, "to": to }));
    assert_eq!(outcome["moved"].as_array().map(Vec::len), Some(3));
    let mail = sink.wait_for(2);
    for purchaser in ["ann.mail@contoso.test", "bob.mail@contoso.test"] {
        let theirs: Vec<&String> = mail.iter().filter(|m| addressed_to(m, purchaser)).collect();
        assert_eq!(theirs.len(), 1, "one mail to {purchaser}: {mail:?}");
        assert!(theirs[0].contains("Please cancel"), "{}", theirs[0]);
    }
}

#[test]
fn mail_for_a_server_that_is_down_at_first_is_delivered_once_it_is_up() {
    let sb = Sandbox::new();
    let port = free_port();
    let svc = serve_with_smtp(&sb, &sb.path("store.db"), port);
    let api = Api::new(&svc);
    directory(&api);
    let sub = api.bought("ann@contoso.test", 1, &["ann@contoso.test"]);
    api.post(&format!("/subscriptions/{sub}/takeOver"), None, json!({ "cancel": { "reason": "TooExpensive" } }));
    wait_for(Duration::from_secs(20), "a failed delivery attempt", || {
        let n = api.notifications();
        (n[0]["attempts"].as_u64() >= Some(1) && n[0]["state"] == "Pending").then_some(())
    });
    let sink = SmtpSink::start(port, &sb.path("mail"));
    let mail = sink.wait_for(1);
    assert!(addressed_to(&mail[0], "ann.mail@contoso.test"), "{}", mail[0]);
}

#[test]
fn mail_of_a_change_before_a_sigkill_is_delivered_after_the_restart_exactly_once() {
    let sb = Sandbox::new();
    let store = sb.path("store.db");
    let svc = sb.serve(&store, &[]);
    let api = Api::new(&svc);
    directory(&api);
    let sub = api.bought("ann@contoso.test", 2, &["bob@contoso.test"]);
    let to = api.central(2);
    api.post(&format!("/subscriptions/{sub}/takeOver"), None, json!({ "moveTo": to }));
    assert_eq!(api.notifications()[0]["state"], "Pending", "no --smtp: the mail waits");
    svc.kill();

    let port = free_port();
    let sink = SmtpSink::start(port, &sb.path("mail"));
    let svc = serve_with_smtp(&sb, &store, port);
    let api = Api::new(&svc);
    let mail = sink.wait_for(1);
    assert!(addressed_to(&mail[0], "ann.mail@contoso.test"), "{}", mail[0]);
    let notifications = api.delivered(1);
    assert_eq!(notifications[0]["attempts"], 1, "{notifications:?}");
    let target = api.get(&format!("/subscriptions/{to}"));
    assert_eq!(target["assignedUsers"], json!(["bob@contoso.test"]), "the change happened once");
    assert_eq!(api.get(&format!("/subscriptions/{sub}"))["status"], "Deleted");
    assert_eq!(sink.messages().len(), 1);
}

#[test]
fn two_admins_taking_over_the_same_subscription_at_once_make_one_change_and_one_mail() {
    let sb = Sandbox::new();
    let svc = sb.serve(&sb.path("store.db"), &[]);
    let api = Api::new(&svc);
    directory(&api);
    let sub = api.bought("ann@contoso.test", 2, &["bob@contoso.test"]);
    let (first, second) = (api.central(2), api.central(2));
    let statuses: Vec<u16> = std::thread::scope(|scope| {
        let racers: Vec<_> = [first, second]
            .into_iter()
            .map(|to| {
                let (api, sub) = (&api, &sub);
                scope.spawn(move || {
                    let body = json!({ "moveTo": to });
                    api.send(reqwest::Method::POST, &format!("/subscriptions/{sub}/takeOver"), None, Some(body)).0
                })
            })
            .collect();
        racers.into_iter().map(|r| r.join().expect("racer")).collect()
    });
    let mut sorted = statuses.clone();
    sorted.sort();
    assert_eq!(sorted, vec![200, 409], "one wins, the other finds it taken over: {statuses:?}");
    assert_eq!(api.notifications().len(), 1);
}

#[test]
fn smtp_flags_are_checked_before_serving() {
    let sb = Sandbox::new();
    let store = sb.path("store.db");
    let store = store.to_str().expect("path");
    let serve = |extra: &[&str]| {
        let mut args = vec!["serve", "--listen", "127.0.0.1:0", "--store", store];
        args.extend_from_slice(extra);
        sb.run(&args)
    };
    let run = serve(&["--smtp", "smtp://127.0.0.1:2525"]);
    run.assert_fails_with(2);
    assert!(run.stderr.contains("--smtp-from"), "{}", run.stderr);
    let run = serve(&["--smtp", "ftp://127.0.0.1:2525", "--smtp-from", FROM]);
    run.assert_fails_with(2);
    assert!(run.stderr.contains("not smtp or smtps"), "{}", run.stderr);
    let run = serve(&["--smtp", "smtp://127.0.0.1:2525", "--smtp-from", "not an address"]);
    run.assert_fails_with(2);
    assert!(run.stderr.contains("--smtp-from not an address: not a mail address"), "{}", run.stderr);
}
