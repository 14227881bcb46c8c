//! PostgreSQL for the end-to-end tests: the cluster that `.ci/run` starts with
//! tests/postgres/cluster.sh (its URL in COMMERCE_POLICY_TEST_POSTGRES), a fresh database per
//! store, and private clusters for tests that restart PostgreSQL. With
//! COMMERCE_POLICY_TEST_STORE=postgres, [`crate::Sandbox::serve`] runs the service over a
//! database of that cluster instead of a SQLite file, so the same tests cover both stores.

use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use std::process::Command;

/// The variable that holds the shared test cluster's URL.
pub const URL_VARIABLE: &str = "COMMERCE_POLICY_TEST_POSTGRES";

/// Whether `serve` in the sandbox uses PostgreSQL (COMMERCE_POLICY_TEST_STORE=postgres).
pub fn selected() -> bool {
    std::env::var("COMMERCE_POLICY_TEST_STORE").is_ok_and(|v| v == "postgres")
}

/// The shared cluster's URL; `None` (with a note on stderr) when it is not set, which fails
/// the test instead under CI=true, so CI can never skip the PostgreSQL tests silently.
pub fn url(test: &str) -> Option<String> {
    match std::env::var(URL_VARIABLE) {
        Ok(url) if !url.is_empty() => Some(url),
        _ if std::env::var("CI").is_ok_and(|v| v == "true") => {
            panic!(
                "{test}: {URL_VARIABLE} is not set under CI=true: .ci/run starts PostgreSQL (tests/postgres/cluster.sh)"
            )
        }
        _ => {
            eprintln!("skipped {test}: {URL_VARIABLE} is not set (source tests/postgres/cluster.sh start)");
            None
        }
    }
}

/// `url` with its database replaced by `database`.
pub fn with_database(url: &str, database: &str) -> String {
    let (server, _) = url.rsplit_once('/').expect("a URL with a database");
    format!("{server}/{database}")
}

/// Runs `sql` with psql against `url`; panics with psql's message when it fails.
pub fn psql(url: &str, sql: &str) -> String {
    let out = Command::new("psql")
        .args(["-X", "-q", "-t", "-A", "-v", "ON_ERROR_STOP=1", url, "-c", sql])
        .output()
        .expect("psql runs");
    assert!(out.status.success(), "psql {sql}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// A new, empty database on the cluster at `url`, named after `key`; answers its URL.
pub fn fresh_database(url: &str, key: &str) -> String {
    let mut hasher = DefaultHasher::new();
    key.hash(&mut hasher);
    let name = format!("e2e_{:016x}", hasher.finish());
    let exists = psql(url, &format!("SELECT 1 FROM pg_database WHERE datname = '{name}'"));
    if exists.is_empty() {
        psql(url, &format!("CREATE DATABASE {name}"));
    }
    with_database(url, &name)
}

/// Drops the database at `url` (connections to it are ended first).
pub fn drop_database(url: &str) {
    let Some((_, name)) = url.rsplit_once('/') else { return };
    let Ok(server) = std::env::var(URL_VARIABLE) else { return };
    let _ = Command::new("psql")
        .args(["-X", "-q", &server, "-c", &format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")])
        .output();
}

/// A PostgreSQL cluster of one test's own (tests/postgres/cluster.sh), stopped and removed
/// when dropped: for tests that restart PostgreSQL without disturbing the others.
pub struct Cluster {
    pub url: String,
    dir: PathBuf,
}

fn script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("postgres/cluster.sh")
}

impl Cluster {
    pub fn start() -> Self {
        let out = Command::new("bash").arg(script()).arg("print").output().expect("cluster.sh runs");
        assert!(out.status.success(), "cluster.sh: {}", String::from_utf8_lossy(&out.stderr));
        let text = String::from_utf8_lossy(&out.stdout);
        let (url, dir) = text.trim().split_once(' ').expect("URL and folder");
        Self { url: url.to_string(), dir: PathBuf::from(dir) }
    }

    /// The cluster's folder (its data directory is `data` inside), owned by the server's user.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// `pg_ctl stop` / `start` / `restart` (fast shutdown: connections are cut).
    pub fn ctl(&self, action: &str) {
        let status =
            Command::new("bash").arg(script()).arg("ctl").arg(&self.dir).arg(action).status().expect("cluster.sh");
        assert!(status.success(), "pg_ctl {action}");
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let _ = Command::new("bash").arg(script()).arg("stop").arg(&self.dir).status();
    }
}
