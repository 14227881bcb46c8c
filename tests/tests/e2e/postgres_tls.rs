//! TLS to PostgreSQL: a private cluster with `ssl=on` and a certificate of a test CA.
//! `sslmode=verify-full&sslrootcert=CA` connects encrypted; a certificate the client cannot
//! trust, or one for another name, stops `serve` at once with one line (no retries); asking
//! for TLS of a server without it is refused, never answered in plain text.

use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

use commerce_e2e::Sandbox;
use commerce_e2e::postgres::{self, Cluster};
use commerce_e2e::tls::server_certificate;

/// Gives the cluster a server certificate for `names`, issued by a new test CA; restarts it
/// with `ssl=on` and answers the CA's PEM file.
fn enable_tls(cluster: &Cluster, sb: &Sandbox, names: &[&str]) -> PathBuf {
    let certificate = server_certificate(sb.dir.path(), "postgres", names);
    let (cert_file, key_file) = (cluster.dir().join("server.crt"), cluster.dir().join("server.key"));
    std::fs::copy(&certificate.cert, &cert_file).expect("certificate copied");
    std::fs::copy(&certificate.key, &key_file).expect("key copied");

    // The server reads its key only when its own user owns it and no one else may read it.
    let owner = std::fs::metadata(cluster.dir()).expect("cluster folder");
    for file in [&cert_file, &key_file] {
        std::os::unix::fs::chown(file, Some(owner.uid()), Some(owner.gid())).expect("chown to the server's user");
        std::fs::set_permissions(file, std::fs::Permissions::from_mode(0o600)).expect("chmod 600");
    }
    let set = |name: &str, value: &Path| format!("ALTER SYSTEM SET {name} = '{}'", value.display());
    postgres::psql(&cluster.url, &set("ssl_cert_file", &cert_file));
    postgres::psql(&cluster.url, &set("ssl_key_file", &key_file));
    postgres::psql(&cluster.url, "ALTER SYSTEM SET ssl = on");
    cluster.ctl("restart");
    certificate.ca
}

/// How many of commerce-policy's connections to the cluster are encrypted, and how many not.
fn connections(cluster: &Cluster) -> (u32, u32) {
    let sql = "SELECT count(*) FILTER (WHERE ssl), count(*) FILTER (WHERE NOT ssl) FROM pg_stat_ssl \
               JOIN pg_stat_activity USING (pid) WHERE application_name = 'commerce-policy'";
    let counts = postgres::psql(&cluster.url, sql);
    let (encrypted, plain) = counts.split_once('|').expect("two counts");
    (encrypted.parse().expect("count"), plain.parse().expect("count"))
}

/// `serve` over `store`, which must fail to start: its stderr, checked to be one line.
fn refused(sb: &Sandbox, store: &str) -> String {
    let run = sb.run(&["serve", "--listen", "127.0.0.1:0", "--store", store]);
    assert_ne!(run.code, 0, "{run:#?}");
    assert_eq!(run.stderr.trim_end().lines().count(), 1, "one line, no retries: {run:#?}");
    run.stderr
}

#[test]
fn tls_to_postgresql_is_verified_and_refused_in_one_line_when_it_cannot_be() {
    let Some(shared) = postgres::url("tls_to_postgresql_is_verified") else { return };
    let sb = Sandbox::new();
    let cluster = Cluster::start();
    let ca = enable_tls(&cluster, &sb, &["127.0.0.1"]);

    let verified = format!("{}?sslmode=verify-full&sslrootcert={}", cluster.url, ca.display());
    let service = sb.serve(Path::new(&verified), &[]);
    let answer = sb.against(&service.url).run(&["product-policies", "list", "-o", "json"]);
    assert_eq!(answer.code, 0, "{answer:#?}");
    let (encrypted, plain) = connections(&cluster);
    assert!(encrypted >= 1 && plain == 0, "encrypted {encrypted}, plain {plain}");
    service.kill();

    // The test CA is not among the system's roots.
    let untrusted = refused(&sb, &format!("{}?sslmode=require", cluster.url));
    assert!(untrusted.contains("certificate was refused") && untrusted.contains("sslrootcert"), "{untrusted}");
    // The certificate names 127.0.0.1, not localhost.
    let by_name = verified.replacen("127.0.0.1", "localhost", 1);
    let wrong_name = refused(&sb, &by_name);
    assert!(
        wrong_name.contains("certificate was refused") && wrong_name.contains("not valid for name"),
        "{wrong_name}"
    );

    // The shared cluster has no TLS: asking for it is refused, not answered in plain text.
    let no_tls = format!("{shared}?sslmode=require&sslrootcert={}", ca.display());
    let run = sb.run(&["serve", "--listen", "127.0.0.1:0", "--store", &no_tls, "--connect-retries", "0"]);
    assert_ne!(run.code, 0, "{run:#?}");
    assert!(run.stderr.contains("does not support TLS"), "{}", run.stderr);
}
