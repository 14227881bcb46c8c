//! A small harness for end-to-end tests: the real `commerce-policy` binary, a real
//! `commerce-policy serve` on an ephemeral loopback port, a real store in a temp folder.

pub mod graph;
pub mod oidc;
pub mod postgres;
pub mod powershell;
pub mod tls;

pub use oidc::{Provider, TestCertificate, write_test_certificate};

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;

use serde_json::Value;
use tempfile::TempDir;

/// The binary under test, built once per test run so it is never stale.
pub fn binary() -> &'static Path {
    static BINARY: OnceLock<PathBuf> = OnceLock::new();
    BINARY.get_or_init(|| {
        let status = Command::new(env!("CARGO"))
            .args(["build", "--quiet", "-p", "commerce-cli", "--bin", "commerce-policy"])
            .status()
            .expect("cargo runs");
        assert!(status.success(), "building commerce-policy failed");
        // Test executables live in target/<profile>/deps; the binary one level up.
        let exe = std::env::current_exe().expect("test executable path");
        let dir = exe.parent().and_then(Path::parent).expect("target/<profile>");
        dir.join(format!("commerce-policy{}", std::env::consts::EXE_SUFFIX))
    })
}

/// What one run of the binary did.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// stdout as JSON; panics with the run's output if it is not.
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| panic!("stdout is not JSON ({e}): {self:#?}"))
    }

    pub fn assert_ok(&self) -> &Self {
        assert_eq!(self.code, 0, "expected success: {self:#?}");
        self
    }

    /// Asserts the exit code and that stderr is exactly one line (no panic, no backtrace).
    pub fn assert_fails_with(&self, code: i32) -> &Self {
        assert_eq!(self.code, code, "exit code: {self:#?}");
        assert_eq!(self.stderr.trim_end().lines().count(), 1, "one line on stderr: {self:#?}");
        assert!(!self.stderr.contains("panicked"), "{self:#?}");
        self
    }
}

/// The variables by which a pipeline says it runs one (CI, Azure Pipelines, GitHub, GitLab).
pub const PIPELINE_VARIABLES: [&str; 4] = ["CI", "TF_BUILD", "GITHUB_ACTIONS", "GITLAB_CI"];

/// A sandbox: its own data folder, so the embedded default store is private to the test,
/// and its own name in the OS credential store.
pub struct Sandbox {
    pub dir: TempDir,
    keyring_service: String,
    /// PostgreSQL databases made for this sandbox (their URLs), dropped with it.
    databases: std::sync::Mutex<Vec<String>>,
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        for url in self.databases.get_mut().map(std::mem::take).unwrap_or_default() {
            postgres::drop_database(&url);
        }
    }
}

impl Default for Sandbox {
    fn default() -> Self {
        Self::new()
    }
}

impl Sandbox {
    pub fn new() -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let name = dir.path().file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        Self { dir, keyring_service: format!("commerce-policy-test-{name}"), databases: Default::default() }
    }

    /// A new database on the PostgreSQL cluster at `url`, named after `key` in this sandbox
    /// (the same key, the same database), dropped with the sandbox; answers its URL.
    pub fn database(&self, url: &str, key: &str) -> String {
        let db = postgres::fresh_database(url, &self.path(key).to_string_lossy());
        let mut made = self.databases.lock().unwrap_or_else(|p| p.into_inner());
        if !made.contains(&db) {
            made.push(db.clone());
        }
        db
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// The binary, with this sandbox's data folder, no endpoint from the environment, and
    /// none of the variables that say "a pipeline" (the suite runs in one, and they make the
    /// binary refuse its implicit local default): a test that means them sets them.
    pub fn command(&self) -> Command {
        let mut command = Command::new(binary());
        for name in PIPELINE_VARIABLES {
            command.env_remove(name);
        }
        command
            .env("COMMERCE_POLICY_DATA_DIR", self.dir.path().join("data"))
            .env_remove("COMMERCE_POLICY_ENDPOINT")
            .env_remove("COMMERCE_POLICY_STORE")
            .env_remove("COMMERCE_POLICY_OUTPUT")
            .env_remove("COMMERCE_POLICY_ACCESS_TOKEN")
            .env_remove("COMMERCE_POLICY_CLIENT_SECRET")
            .env_remove("COMMERCE_POLICY_MICROSOFT_ENDPOINT")
            .env_remove("COMMERCE_POLICY_KEYRING")
            .env("COMMERCE_POLICY_KEYRING_SERVICE", &self.keyring_service)
            .env_remove("RUST_LOG");
        command
    }

    /// The binary inside a new session keyring (`keyctl session -`, Debian's `keyutils`),
    /// so the Linux kernel keyring is usable, as in a login session.
    pub fn command_in_keyring(&self) -> Command {
        let template = self.command();
        let mut command = Command::new("keyctl");
        command.args(["session", "-"]).arg(template.get_program());
        for (key, value) in template.get_envs() {
            match value {
                Some(value) => command.env(key, value),
                None => command.env_remove(key),
            };
        }
        command
    }

    /// Runs `command` with `args` and `stdin`; keyctl's own greeting is left out of stderr.
    pub fn run_command(&self, mut command: Command, args: &[&str], stdin: &str) -> Run {
        let mut child = command
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("binary starts (is keyctl installed?)");
        child.stdin.take().expect("stdin").write_all(stdin.as_bytes()).expect("stdin written");
        let out = child.wait_with_output().expect("binary finishes");
        let stderr = String::from_utf8_lossy(&out.stderr);
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

    /// Runs the binary with `args`.
    pub fn run(&self, args: &[&str]) -> Run {
        self.run_with_stdin(args, "")
    }

    /// Runs the binary with `args`, feeding `stdin`.
    pub fn run_with_stdin(&self, args: &[&str], stdin: &str) -> Run {
        self.run_command(self.command(), args, stdin)
    }

    /// The binary pointed at `endpoint` (a service's URL, or `local`): each run passes
    /// `--endpoint <endpoint>` before its own arguments.
    pub fn against(&self, endpoint: &str) -> Cli<'_> {
        Cli { sandbox: self, endpoint: endpoint.to_string() }
    }

    /// Starts `serve` on an ephemeral loopback port over `store`, with extra flags.
    pub fn serve(&self, store: &Path, extra: &[&str]) -> Service {
        self.serve_with(store, extra, None, None)
    }

    /// As [`Sandbox::serve`], with `RUST_LOG=debug` and stderr written to `log`, for tests
    /// that read what the service logs.
    pub fn serve_logged(&self, store: &Path, extra: &[&str], log: &Path) -> Service {
        self.serve_with(store, extra, Some(log.to_path_buf()), Some("debug"))
    }

    /// As [`Sandbox::serve`], its log (at the service's own level) kept for [`Service::log`].
    pub fn serve_keeping_log(&self, store: &Path, extra: &[&str]) -> Service {
        static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let log = self.path(&format!("serve-{}.log", NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)));
        self.serve_with(store, extra, Some(log), None)
    }

    /// What `serve --store` gets for `store`: the SQLite file, or with the PostgreSQL store
    /// selected (COMMERCE_POLICY_TEST_STORE=postgres) a database of its own on the test
    /// cluster, the same each time the same file is named (a restarted `serve` keeps its data).
    fn store_arg(&self, store: &Path) -> std::ffi::OsString {
        let url = store.to_str().is_some_and(|s| s.starts_with("postgres://"));
        if !postgres::selected() || url {
            return store.into();
        }
        let cluster = postgres::url("the PostgreSQL run of the suite").expect("the test cluster");
        self.database(&cluster, &store.to_string_lossy()).into()
    }

    fn serve_with(&self, store: &Path, extra: &[&str], log: Option<PathBuf>, log_level: Option<&str>) -> Service {
        let mut command = self.command();
        if let Some(level) = log_level {
            command.env("RUST_LOG", level);
        }
        self.serve_by(command, store, extra, log)
    }

    /// As [`Sandbox::serve`], by `command` (from [`Sandbox::command`], with variables of the
    /// test's own), stderr written to `log`.
    pub fn serve_by(&self, mut command: Command, store: &Path, extra: &[&str], log: Option<PathBuf>) -> Service {
        let stderr = match &log {
            Some(path) => Stdio::from(std::fs::File::create(path).expect("log file")),
            None => Stdio::null(),
        };
        let mut child = command
            .args(["serve", "--listen", "127.0.0.1:0", "--store"])
            .arg(self.store_arg(store))
            .args(extra)
            .stdout(Stdio::piped())
            .stderr(stderr)
            .spawn()
            .expect("serve starts");
        let stdout = child.stdout.take().expect("stdout");
        let mut line = String::new();
        BufReader::new(stdout).read_line(&mut line).expect("serve prints its address");
        let url = line
            .split_whitespace()
            .find(|w| w.starts_with("http://"))
            .unwrap_or_else(|| panic!("no address in {line:?}"))
            .to_string();
        Service { child, url, log }
    }
}

/// A sandbox's binary pointed at one endpoint, so a test names what it runs against once.
pub struct Cli<'s> {
    sandbox: &'s Sandbox,
    endpoint: String,
}

impl Cli<'_> {
    /// Runs `commerce-policy --endpoint <endpoint> <args>`.
    pub fn run(&self, args: &[&str]) -> Run {
        self.run_with_stdin(args, "")
    }

    /// As [`Cli::run`], feeding `stdin`.
    pub fn run_with_stdin(&self, args: &[&str], stdin: &str) -> Run {
        let mut all = vec!["--endpoint", self.endpoint.as_str()];
        all.extend_from_slice(args);
        self.sandbox.run_with_stdin(&all, stdin)
    }
}

/// A running `commerce-policy serve`; killed when dropped.
pub struct Service {
    child: Child,
    pub url: String,
    log: Option<PathBuf>,
}

impl Service {
    /// Stops the service the hard way (SIGKILL): nothing gets to flush.
    pub fn kill(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Asks the service to stop (SIGTERM) and waits; returns its exit code.
    #[cfg(unix)]
    pub fn terminate(mut self) -> Option<i32> {
        let _ = Command::new("kill").arg("-TERM").arg(self.child.id().to_string()).status();
        self.child.wait().ok().and_then(|s| s.code())
    }

    /// SIGTERM, then waits at most `deadline` for the process to exit: `None` if it did not.
    #[cfg(unix)]
    pub fn terminate_within(&mut self, deadline: std::time::Duration) -> Option<std::process::ExitStatus> {
        let _ = Command::new("kill").arg("-TERM").arg(self.child.id().to_string()).status();
        let start = std::time::Instant::now();
        while start.elapsed() < deadline {
            if let Some(status) = self.child.try_wait().expect("wait") {
                return Some(status);
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        None
    }

    /// A raw connection to the service, with a read timeout so a test cannot hang on it.
    pub fn connect(&self) -> std::net::TcpStream {
        let stream = std::net::TcpStream::connect(self.url.trim_start_matches("http://")).expect("connects");
        stream.set_read_timeout(Some(std::time::Duration::from_secs(8))).expect("read timeout");
        stream
    }

    /// What the service has logged so far (for services started with a kept log).
    pub fn log(&self) -> String {
        self.log.as_ref().and_then(|path| std::fs::read_to_string(path).ok()).unwrap_or_default()
    }
}

impl Drop for Service {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A catalogue of `n` made-up products (ids `TEST00000001`…), the first `trials` of which
/// offer trials, written to `path`.
pub fn write_catalog(path: &Path, n: usize, trials: usize) {
    let products: Vec<Value> = (1..=n)
        .map(|i| {
            serde_json::json!({ "id": format!("TEST{i:08}"), "name": format!("Test product {i}"), "trials": i <= trials })
        })
        .collect();
    let catalog = serde_json::json!({
        "source": "generated for tests",
        "policies": [{ "id": "AllowSelfServicePurchase", "description": "test", "defaultValue": "Enabled" }],
        "products": products,
        "offerTypes": [{ "id": "SaaS", "name": "Software as a Service" }]
    });
    std::fs::write(path, serde_json::to_vec_pretty(&catalog).expect("json")).expect("catalog written");
}
