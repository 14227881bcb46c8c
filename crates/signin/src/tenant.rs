//! Tenant ids as Entra ID takes them: a directory's GUID, one of its domain names, or one of
//! the well-known names. A tenant id becomes a segment of every sign-in URL, so it is checked
//! before it is used, and the URLs are built from segments, never by formatting strings.

use url::Url;

use crate::SignInError;

/// The names Entra ID accepts in place of a tenant: any work or school account, any
/// account at all, personal accounts only.
pub const WELL_KNOWN_TENANTS: [&str; 3] = ["organizations", "common", "consumers"];

/// Checks a tenant id: a GUID (`5c0e6d6a-9b1f-4e0a-8f3e-2d7c4b1a9e60`), a domain name
/// (`contoso.onmicrosoft.com`: labels of letters, digits and inner hyphens, split by dots),
/// or one of [`WELL_KNOWN_TENANTS`]. Nothing else can reach a URL: no `/`, `?`, `#`, `%`,
/// space or empty label. Blank stays blank (not given). Returns it trimmed.
pub fn parse_tenant_id(text: &str) -> Result<String, String> {
    let tenant = text.trim();
    let valid = tenant.is_empty()
        || is_guid(tenant)
        || is_domain_name(tenant)
        || WELL_KNOWN_TENANTS.iter().any(|w| w.eq_ignore_ascii_case(tenant));
    if valid {
        Ok(tenant.to_string())
    } else {
        Err(format!(
            "'{}' is not a tenant id: use the directory's GUID, a domain like contoso.onmicrosoft.com, or organizations",
            text.escape_debug()
        ))
    }
}

fn is_guid(s: &str) -> bool {
    s.len() == 36 && uuid::Uuid::try_parse(s).is_ok()
}

fn is_domain_name(s: &str) -> bool {
    let label = |l: &str| {
        (1..=63).contains(&l.len())
            && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
            && !l.starts_with('-')
            && !l.ends_with('-')
    };
    s.len() <= 253 && s.split('.').all(label)
}

/// `base` with `segments` appended as path segments, each percent-encoded as one segment
/// (a `/`, `?` or `..` in one cannot change where the request goes); `what` names `base`
/// in errors.
pub(crate) fn url_with_segments(what: &str, base: &str, segments: &[&str]) -> Result<Url, SignInError> {
    let mut url = parse_authority(base).map_err(|why| SignInError::Config(format!("{what}: {why}")))?;
    url.path_segments_mut()
        .map_err(|()| SignInError::Config(format!("{what} {base}: cannot hold a path")))?
        .pop_if_empty()
        .extend(segments);
    Ok(url)
}

/// Checks a sign-in host: an absolute http:// or https:// URL with no user name, query or
/// fragment (a path prefix, for a proxy, is fine). Returns it without a trailing `/`.
pub fn parse_authority(text: &str) -> Result<Url, String> {
    let url = Url::parse(text.trim()).map_err(|e| format!("'{}' is not a URL: {e}", text.escape_debug()))?;
    let fits = matches!(url.scheme(), "https" | "http")
        && url.host().is_some()
        && url.username().is_empty()
        && url.password().is_none()
        && url.query().is_none()
        && url.fragment().is_none();
    if fits {
        Ok(url)
    } else {
        Err(format!(
            "'{}' is not a sign-in host: use an https:// URL like https://login.microsoftonline.com, with no user name, query or fragment",
            text.escape_debug()
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn guids_domains_and_well_known_names_are_tenants() {
        for good in [
            "5c0e6d6a-9b1f-4e0a-8f3e-2d7c4b1a9e60",
            "contoso.onmicrosoft.com",
            "a-b.example",
            "contoso",
            "Organizations",
            " common ",
        ] {
            assert!(parse_tenant_id(good).is_ok(), "{good}");
        }
        assert_eq!(parse_tenant_id("").as_deref(), Ok(""), "blank is not given");
    }

    #[test]
    fn paths_queries_and_odd_names_are_not_tenants() {
        for bad in [
            "../../x?y=1",
            "..",
            "a/b.com",
            "a%2f.com",
            "x.com?y",
            "-a.com",
            "a-.com",
            "a..com",
            "a.com.",
            "ä.com",
            "{5c0e6d6a-9b1f-4e0a-8f3e-2d7c4b1a9e60}",
        ] {
            let err = parse_tenant_id(bad).unwrap_err();
            assert!(err.contains("is not a tenant id") && !err.contains('\n'), "{bad}: {err}");
        }
    }

    #[test]
    fn segments_are_encoded_one_by_one() {
        let url =
            url_with_segments("a", "https://login.example/", &["../../x?y=1", "oauth2", "v2.0", "token"]).unwrap();
        assert_eq!(url.as_str(), "https://login.example/..%2F..%2Fx%3Fy=1/oauth2/v2.0/token");
        let proxied = url_with_segments("a", "http://127.0.0.1:9/prefix", &["t", "oauth2"]).unwrap();
        assert_eq!(proxied.as_str(), "http://127.0.0.1:9/prefix/t/oauth2");
    }

    #[test]
    fn authorities_are_plain_http_urls() {
        assert!(parse_authority("https://login.microsoftonline.com").is_ok());
        for bad in ["login.microsoftonline.com", "ftp://x", "https://u:p@x", "https://x/?a=b", "https://x/#f", ""] {
            assert!(parse_authority(bad).is_err(), "{bad}");
        }
    }
}
