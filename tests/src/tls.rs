//! Certificates for the tests' TLS servers (PostgreSQL, SMTP): a test CA of its own and a
//! server certificate it issued, as PEM files, so a client trusts the server only by that CA.

use std::path::{Path, PathBuf};

/// The PEM files of one test CA and of a server certificate and key it issued for `names`
/// (names or IP addresses), written into `dir`.
pub struct TestServerCertificate {
    pub ca: PathBuf,
    pub cert: PathBuf,
    pub key: PathBuf,
}

/// A new test CA and a certificate for `names` issued by it, written as `NAME-ca.pem`,
/// `NAME.crt` and `NAME.key` into `dir`.
pub fn server_certificate(dir: &Path, name: &str, names: &[&str]) -> TestServerCertificate {
    let ca_key = rcgen::KeyPair::generate().expect("CA key");
    let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).expect("CA params");
    ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    ca_params.distinguished_name.push(rcgen::DnType::CommonName, "commerce-policy test CA");
    let ca = ca_params.self_signed(&ca_key).expect("CA certificate");
    let issuer = rcgen::Issuer::new(ca_params, ca_key);
    let key = rcgen::KeyPair::generate().expect("server key");
    let names: Vec<String> = names.iter().map(|n| n.to_string()).collect();
    let cert = rcgen::CertificateParams::new(names).expect("params").signed_by(&key, &issuer).expect("signed");
    let paths = TestServerCertificate {
        ca: dir.join(format!("{name}-ca.pem")),
        cert: dir.join(format!("{name}.crt")),
        key: dir.join(format!("{name}.key")),
    };
    std::fs::write(&paths.ca, ca.pem()).expect("CA written");
    std::fs::write(&paths.cert, cert.pem()).expect("certificate written");
    std::fs::write(&paths.key, key.serialize_pem()).expect("key written");
    paths
}
