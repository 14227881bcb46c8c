//! Versions on the wire: a store version is the entity tag `"v<version>"`; `If-Match` is read
//! into the versions a write may replace (RFC 9110 §13.1.1: `*`, or a list of tags), and
//! `If-None-Match` into the versions it may not (§13.1.2).

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
    Expected::OneOf(versions(&tags))
}

/// The versions named by our entity tags among `tags`.
fn versions(tags: &[&str]) -> Vec<u64> {
    tags.iter().filter_map(|t| t.strip_prefix("\"v")?.strip_suffix('"')?.parse().ok()).collect()
}

/// What `If-Match` and `If-None-Match` together allow a write to replace. `If-None-Match: *`
/// asks to write only where nothing exists yet, and every policy value always exists: `None`,
/// the write must be refused (412). A weak tag matches too (§13.1.2 compares weakly).
pub(crate) fn expected_with(if_match: Option<&str>, if_none_match: Option<&str>) -> Option<Expected> {
    let matching = expected(if_match);
    let Some(header) = if_none_match else { return Some(matching) };
    let tags: Vec<&str> = header.split(',').map(|t| t.trim().trim_start_matches("W/")).collect();
    if tags.contains(&"*") {
        return None;
    }
    let none_of = Expected::NoneOf(versions(&tags));
    Some(match matching {
        Expected::Any => none_of,
        matching => Expected::Both(Box::new(matching), Box::new(none_of)),
    })
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
        assert_eq!(expected_with(None, Some("*")), None, "every value exists");
        assert_eq!(expected_with(None, Some("W/\"v2\"")), Some(Expected::NoneOf(vec![2])));
        assert!(!expected_with(Some("\"v2\""), Some("\"v2\"")).unwrap().allows(2));
    }
}
