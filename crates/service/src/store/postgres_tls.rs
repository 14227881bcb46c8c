//! TLS to PostgreSQL, as the URL's libpq parameters ask: `sslmode=require`, `verify-ca` or
//! `verify-full` connect over rustls and always check the server's certificate and its name
//! (what libpq calls verify-full: a managed PostgreSQL's certificate chains to a public CA);
//! `sslrootcert=FILE` names the CAs to trust instead of the system's (`sslrootcert=system`:
//! the system's). No `sslmode`, `prefer` and `disable` connect in plain text, as before: a
//! connection is either verified or plainly not encrypted, never encrypted to anyone.

use std::sync::Arc;

use percent_encoding::percent_decode_str;
use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;
use tokio_postgres_rustls::MakeRustlsConnect;

use crate::store::StoreError;

/// A URL for tokio-postgres (which knows `disable`, `prefer` and `require` only) and the TLS
/// connector its parameters ask for, `None` for plain text.
pub(super) fn split(url: &str) -> Result<(String, Option<MakeRustlsConnect>), StoreError> {
    let Some((base, query)) = url.split_once('?') else { return Ok((url.to_string(), None)) };
    let (mut kept, mut verified, mut roots) = (Vec::new(), false, None);
    for pair in query.split('&') {
        match pair.split_once('=') {
            Some(("sslmode", "require" | "verify-ca" | "verify-full")) => verified = true,
            Some(("sslmode", _)) => kept.push(pair),
            Some(("sslrootcert", file)) => roots = Some(file),
            _ => kept.push(pair),
        }
    }
    if roots.is_some() && !verified {
        let why = "sslrootcert needs sslmode=verify-full (or require): without it the connection is plain text";
        return Err(StoreError::Unknown(why.to_string()));
    }
    if verified {
        kept.push("sslmode=require");
    }
    let url = if kept.is_empty() { base.to_string() } else { format!("{base}?{}", kept.join("&")) };
    let tls = if verified { Some(connector(roots)?) } else { None };
    Ok((url, tls))
}

/// A rustls connector trusting `roots` (a PEM file of CA certificates) or the system's.
fn connector(roots: Option<&str>) -> Result<MakeRustlsConnect, StoreError> {
    let mut store = rustls::RootCertStore::empty();
    let certificates = match roots {
        Some(file) if file != "system" => ca_file(&percent_decode_str(file).decode_utf8_lossy())?,
        _ => rustls_native_certs::load_native_certs().certs,
    };
    let (added, _) = store.add_parsable_certificates(certificates);
    if added == 0 {
        let whose = roots.map_or("the system has no CA certificates".to_string(), |f| format!("{f} holds none"));
        return Err(StoreError::Unknown(format!("no CA to check the server's certificate by: {whose}")));
    }
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| StoreError::Unknown(e.to_string()))?
        .with_root_certificates(store)
        .with_no_client_auth();
    Ok(MakeRustlsConnect::new(config))
}

fn ca_file(file: &str) -> Result<Vec<CertificateDer<'static>>, StoreError> {
    let unreadable = |e: &dyn std::fmt::Display| StoreError::Unknown(format!("sslrootcert {file}: {e}"));
    let certificates = CertificateDer::pem_file_iter(file).map_err(|e| unreadable(&e))?;
    certificates.collect::<Result<Vec<_>, _>>().map_err(|e| unreadable(&e))
}

/// What rustls said when a failure to connect is the certificate's (not trusted, or for
/// another name): retrying cannot mend it, so start-up stops at once.
pub(super) fn certificate_refusal(error: &(dyn std::error::Error + 'static)) -> Option<String> {
    let mut next = Some(error);
    while let Some(e) = next {
        let inner = e.downcast_ref::<std::io::Error>().and_then(|io| io.get_ref()).map(|i| i as &dyn std::error::Error);
        if let Some(tls) = [Some(e), inner].into_iter().flatten().find_map(|e| e.downcast_ref::<rustls::Error>()) {
            return Some(tls.to_string());
        }
        next = e.source();
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_unless_asked_and_verified_when_asked() {
        let (url, tls) = split("postgres://u@db/c").unwrap();
        assert_eq!((url.as_str(), tls.is_none()), ("postgres://u@db/c", true));
        let (url, tls) = split("postgres://u@db/c?sslmode=prefer&application_name=x").unwrap();
        assert_eq!((url.as_str(), tls.is_none()), ("postgres://u@db/c?sslmode=prefer&application_name=x", true));
        for mode in ["require", "verify-ca", "verify-full"] {
            let (url, tls) = split(&format!("postgres://u@db/c?sslmode={mode}&sslrootcert=system")).unwrap();
            assert_eq!((url.as_str(), tls.is_some()), ("postgres://u@db/c?sslmode=require", true));
        }
    }

    #[test]
    fn a_root_file_without_tls_or_unreadable_is_refused_in_one_line() {
        let refused = split("postgres://u@db/c?sslrootcert=/ca.pem").err().unwrap().to_string();
        assert!(refused.contains("needs sslmode=verify-full"), "{refused}");
        let missing = split("postgres://u@db/c?sslmode=verify-full&sslrootcert=%2Fno%2Fca.pem");
        let missing = missing.err().unwrap().to_string();
        assert!(missing.starts_with("sslrootcert /no/ca.pem: "), "{missing}");
        assert!(!missing.contains('\n'), "{missing}");
    }
}
