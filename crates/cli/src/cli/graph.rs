//! The flags that make `subscriptions list` a check in a pipeline (issue 12, docs/ci.md):
//! fail when users bought something, new since a date, outside the accepted products.

use clap::Args;

/// `subscriptions list --detailed-exitcode [--since DATE] [--allow-product P…]`.
#[derive(Debug, Clone, Args)]
pub struct DetectionArgs {
    /// Exit 8 when any subscription is listed (after --since and --allow-product): a
    /// pipeline step that fails when users bought something.
    #[arg(long)]
    pub detailed_exitcode: bool,
    /// Only subscriptions created on or after this date (YYYY-MM-DD, UTC, or an RFC 3339
    /// time), for new purchases only.
    #[arg(long, value_name = "DATE", value_parser = parse_since)]
    pub since: Option<String>,
    /// Leave out purchases of these products, which the organisation accepts: a product id,
    /// a SKU id or part number (on a tenant), or a product name; repeat the flag or separate
    /// them with commas.
    #[arg(long, value_name = "PRODUCT", value_delimiter = ',', num_args = 1..)]
    pub allow_product: Vec<String>,
}

/// A date or time as an RFC 3339 instant (a date is its midnight, UTC), which compares as
/// text with the instants Graph and our service give.
fn parse_since(text: &str) -> Result<String, String> {
    let text = text.trim();
    let bad = || format!("'{text}' is not a date: use YYYY-MM-DD (UTC) or an RFC 3339 time like 2026-12-01T00:00:00Z");
    let date = text.get(..10).ok_or_else(bad)?;
    let parts: Vec<&str> = date.split('-').collect();
    let numbers: Vec<u32> = parts.iter().filter_map(|p| p.parse().ok()).collect();
    let shape =
        parts.len() == 3 && numbers.len() == 3 && parts[0].len() == 4 && parts[1].len() == 2 && parts[2].len() == 2;
    if !shape || !(1..=12).contains(&numbers[1]) || !(1..=31).contains(&numbers[2]) {
        return Err(bad());
    }
    match &text[10..] {
        "" => Ok(format!("{date}T00:00:00Z")),
        rest if rest.starts_with('T') && rest.ends_with('Z') && rest.len() >= 9 => Ok(text.to_string()),
        _ => Err(bad()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn since_takes_a_date_or_a_utc_time() {
        assert_eq!(parse_since("2026-12-01").unwrap(), "2026-12-01T00:00:00Z");
        assert_eq!(parse_since("2026-12-01T10:00:00Z").unwrap(), "2026-12-01T10:00:00Z");
        for bad in ["yesterday", "2026-13-01", "2026-1-01", "2026-12-01T10:00"] {
            assert!(parse_since(bad).is_err(), "{bad}");
        }
    }
}
