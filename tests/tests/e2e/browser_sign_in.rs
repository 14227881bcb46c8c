//! `connect --browser` end to end: the real binary listens for the redirect on a loopback
//! port, a real headless Chromium (tests/oidc/browse.mjs) signs in on the OpenID provider's
//! pages, the binary exchanges the code (PKCE), and later commands renew the kept sign-in.
//! A made-up `state`, a declined consent and a browser that never comes back are refused.

use std::io::{BufRead, BufReader, Read};
use std::process::{Child, ChildStderr, Stdio};
use std::time::Duration;

use commerce_e2e::oidc::{self, Consent, Provider};
use commerce_e2e::{Run, Sandbox};

/// Where commands would go; `connect` itself never calls it.
const NO_SERVICE: &str = "http://127.0.0.1:9";

/// A `connect --browser` waiting for the browser, with the sign-in page it printed.
struct Waiting {
    child: Child,
    stderr: BufReader<ChildStderr>,
    printed: String,
    page: String,
}

impl Waiting {
    /// Starts `connect --browser` (no browser launched) and reads the page it asks to open.
    fn start(sandbox: &Sandbox, provider: &Provider, endpoint: &str, extra: &[&str], keyring: bool) -> Self {
        let mut command = if keyring { sandbox.command_in_keyring() } else { sandbox.command() };
        let flags = ["--authority", provider.authority(), "--tenant-id", oidc::TENANT, "--endpoint", endpoint];
        let mut child = command
            .args(["connect", "--browser", "-o", "json"])
            .args(flags)
            .args(extra)
            .env("COMMERCE_POLICY_BROWSER", "none")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("connect starts");
        let mut stderr = BufReader::new(child.stderr.take().expect("stderr"));
        let mut line = String::new();
        while !line.contains("open this page") {
            line.clear();
            assert!(stderr.read_line(&mut line).expect("stderr") > 0, "connect ended without a sign-in page");
        }
        let page = line.split_whitespace().last().expect("the page's URL").to_string();
        Self { child, stderr, printed: line, page }
    }

    /// The redirect URI the binary listens on, as it told the provider.
    fn redirect_uri(&self) -> String {
        let url = reqwest::Url::parse(&self.page).expect("the sign-in page is a URL");
        let uri = url.query_pairs().find(|(k, _)| k == "redirect_uri").map(|(_, v)| v.into_owned());
        uri.expect("the sign-in page carries redirect_uri")
    }

    /// Waits for `connect` to end; stderr holds everything it printed (keyctl's greeting aside).
    fn finish(mut self) -> Run {
        let mut rest = String::new();
        self.stderr.read_to_string(&mut rest).expect("stderr");
        let out = self.child.wait_with_output().expect("connect finishes");
        let stderr = format!("{}{rest}", self.printed);
        Run {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: stderr
                .lines()
                .filter(|l| !l.starts_with("Joined session keyring"))
                .map(|l| format!("{l}\n"))
                .collect(),
        }
    }
}

/// A refused `connect --browser`: exit 3, the page it printed, then one line that says why;
/// no connection saved.
fn assert_refused(sandbox: &Sandbox, run: &Run, why: &str) {
    assert_eq!(run.code, 3, "{run:#?}");
    let lines: Vec<&str> = run.stderr.trim_end().lines().collect();
    assert_eq!(lines.len(), 2, "the page, then one line: {run:#?}");
    assert!(lines[1].contains(why), "{run:#?}");
    assert!(!sandbox.path("data/connection.json").exists(), "nothing saved: {run:#?}");
}

fn keyctl_present() -> bool {
    let present = std::process::Command::new("keyctl").arg("--version").output().is_ok();
    assert!(present || std::env::var_os("CI").is_none(), "CI installs keyutils (keyctl)");
    present
}

#[test]
fn a_person_signs_in_in_a_browser_and_later_commands_renew_the_sign_in() {
    if !oidc::chromium_available() || !keyctl_present() {
        return;
    }
    // Two-second tokens: past half their life, a command renews with the kept refresh token.
    let (provider, sandbox) = (Provider::start_with(Some(Duration::from_secs(2)), None), Sandbox::new());
    let (issuer, jwks) = (provider.issuer(), provider.jwks_url());
    let auth = ["--auth", "jwt", "--issuer", &issuer, "--audience", oidc::LICENSING_RESOURCE, "--jwks-url", &jwks];
    let service = sandbox.serve(&sandbox.path("service.db"), &auth);

    let waiting = Waiting::start(&sandbox, &provider, &service.url, &[], true);
    assert!(waiting.redirect_uri().starts_with("http://localhost:"), "{}", waiting.page);
    let page = oidc::browse(&waiting.page, oidc::ADMIN_USER, Consent::Give).expect("the browser signs in");
    assert!(page.contains("You can close this window"), "{page}");
    let connected = waiting.finish();
    connected.assert_ok();
    let answer = connected.json();
    assert_eq!((answer["Account"].as_str(), answer["SignIn"].as_str()), (Some(oidc::ADMIN_USER), Some("browser")));
    assert_eq!(answer["TenantId"], oidc::TENANT);
    assert_eq!(answer["CredentialStore"], "the Linux kernel keyring");
    let saved = std::fs::read_to_string(sandbox.path("data/connection.json")).expect("the connection is saved");
    assert!(saved.contains(r#""flow": "browser""#), "{saved}");

    let in_keyring = |args: &[&str]| sandbox.run_command(sandbox.command_in_keyring(), args, "");
    std::thread::sleep(Duration::from_secs(1));
    let listed = in_keyring(&["product-policies", "list", "-o", "json"]);
    listed.assert_ok();
    assert!(listed.json().as_array().is_some_and(|a| !a.is_empty()), "{listed:#?}");
    in_keyring(&["disconnect"]).assert_ok();
}

#[test]
fn a_redirect_with_a_made_up_state_is_refused_and_nothing_is_saved() {
    let (provider, sandbox) = (Provider::start(), Sandbox::new());
    let waiting = Waiting::start(&sandbox, &provider, NO_SERVICE, &[], false);
    let forged = format!("{}/?code=stolen-code&state=made-up", waiting.redirect_uri());
    let answer = reqwest::blocking::get(forged).expect("the loopback answers");
    assert_eq!(answer.status(), reqwest::StatusCode::BAD_REQUEST);
    assert!(answer.text().unwrap_or_default().contains("nothing was signed in"));
    assert_refused(&sandbox, &waiting.finish(), "state does not match");
}

#[test]
fn a_declined_consent_is_refused_in_one_line() {
    if !oidc::chromium_available() {
        return;
    }
    let (provider, sandbox) = (Provider::start(), Sandbox::new());
    // One's own app, not consented yet: the browser shows the consent page, and declines.
    let waiting = Waiting::start(&sandbox, &provider, NO_SERVICE, &["--client-id", oidc::BROWSER_CLIENT_ID], false);
    let page = oidc::browse(&waiting.page, oidc::ADMIN_USER, Consent::Decline).expect("the browser declines");
    assert!(page.contains("did not complete"), "{page}");
    let run = waiting.finish();
    assert_refused(
        &sandbox,
        &run,
        "the sign-in was declined in the browser (access_denied: End-User aborted interaction)",
    );
}

#[test]
fn a_browser_that_never_comes_back_times_out() {
    let (provider, sandbox) = (Provider::start(), Sandbox::new());
    let waiting = Waiting::start(&sandbox, &provider, NO_SERVICE, &["--browser-timeout", "1s"], false);
    assert_refused(&sandbox, &waiting.finish(), "no sign-in came back from the browser within 1 second");
    // --browser-timeout belongs to --browser.
    sandbox.run(&["connect", "--browser-timeout", "1s"]).assert_fails_with(2);
}
