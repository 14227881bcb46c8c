//! Versions on the wire: a store version is the entity tag `"v<version>"`; `If-Match` is read
//! into the versions a write may replace (RFC 9110 §13.1.1: `*`, or a list of tags).

use crate::store::Expected;

/// The entity tag of a version.
pub(crate) fn etag(version: u64) -> String {
    format!("\"v{version}\"")
}

/// The versions an `If-Match` header allows; no header allows any. A tag that is not one of
/// ours (a weak tag, another service's) names no version, so it cannot match.
pub(crate) fn expected(if_match: Option<&str>) -> Expected {
    let Some(header) = if_match else { return Expected::Any };
    let tags: Vec<&str> = header.split(',').map(str::trim).collect();
    if tags.contains(&"*") {
        return Expected::Any;
    }
    Expected::OneOf(tags.iter().filter_map(|t| t.strip_prefix("\"v")?.strip_suffix('"')?.parse().ok()).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_round_trip_and_lists_and_stars_are_read() {
        assert_eq!(etag(3), "\"v3\"");
        assert_eq!(expected(None), Expected::Any);
        assert_eq!(expected(Some("*")), Expected::Any);
        assert_eq!(expected(Some("\"v2\", \"v3\"")), Expected::OneOf(vec![2, 3]));
        assert_eq!(expected(Some("W/\"v2\", \"x\"")), Expected::OneOf(vec![]), "not ours: matches nothing");
    }
}
