//! Rendering records for people (a table), scripts (JSON) and spreadsheets (CSV). Records
//! are serialized once to JSON objects; the table and CSV are made from those, so all three
//! formats carry the same properties with MSCommerce's names.
//!
//! Text a service supplies is not trusted: a table shows control characters escaped (an
//! ANSI escape in a product name must not clear the screen), CSV neutralises cells a
//! spreadsheet would run as formulas (OWASP's CSV-injection advice), JSON stays exact.

use std::io::Write;

use serde::Serialize;
use serde_json::Value;

use crate::cli::Format;
use crate::error::CliError;

/// Writes records to stdout; `endpoint` is named above a table so people see who answered.
pub struct Printer {
    pub format: Format,
    pub endpoint: String,
}

impl Printer {
    /// Prints one record: a JSON object, or a one-row table or CSV.
    pub fn one<T: Serialize>(&self, record: &T) -> Result<(), CliError> {
        let value = to_value(record)?;
        match self.format {
            Format::Json => self.write(&json_text(&value)?),
            Format::Junit => Err(junit_only()),
            _ => self.rows(&[value]),
        }
    }

    /// Prints many records: a JSON array, a table or CSV.
    pub fn many<T: Serialize>(&self, records: &[T]) -> Result<(), CliError> {
        let values = records.iter().map(to_value).collect::<Result<Vec<_>, _>>()?;
        match self.format {
            Format::Json => self.write(&json_text(&Value::Array(values))?),
            Format::Junit => Err(junit_only()),
            _ => self.rows(&values),
        }
    }

    fn rows(&self, values: &[Value]) -> Result<(), CliError> {
        match self.format {
            Format::Csv => self.write(&csv_text(values)?),
            _ => self.write(&format!("Endpoint: {}\n\n{}", for_terminal(&self.endpoint), table_text(values))),
        }
    }

    /// Writes text as it is: JUnit reports, baseline files, summaries.
    pub fn write(&self, text: &str) -> Result<(), CliError> {
        write_stdout(text)
    }
}

/// Records as the text `format` prints (JSON, else CSV), for a file.
pub fn render_many<T: Serialize>(format: Format, records: &[T]) -> Result<String, CliError> {
    let values = records.iter().map(to_value).collect::<Result<Vec<_>, _>>()?;
    match format {
        Format::Json => json_text(&Value::Array(values)),
        _ => csv_text(&values),
    }
}

/// Writes text to stdout, ending it with a newline.
///
/// A reader that closed the pipe (`| head`) ends the command quietly with exit 141, the
/// code a Unix tool killed by SIGPIPE leaves, so `set -o pipefail` sees that not all was
/// read; any other write error (a full disk) is exit 1 with the reason. Never 0.
pub fn write_stdout(text: &str) -> Result<(), CliError> {
    let mut out = std::io::stdout().lock();
    let written =
        out.write_all(text.as_bytes()).and_then(|()| if text.ends_with('\n') { Ok(()) } else { out.write_all(b"\n") });
    match written.and_then(|()| out.flush()) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => std::process::exit(CLOSED_PIPE),
        Err(e) => Err(CliError::Other(format!("could not write the output: {e}"))),
    }
}

/// The exit code when stdout was closed before everything was written: 128 + SIGPIPE.
pub const CLOSED_PIPE: i32 = 141;

fn junit_only() -> CliError {
    CliError::Usage("--output junit is for plan, apply and subscriptions list: use table, json or csv here".into())
}

fn to_value<T: Serialize>(record: &T) -> Result<Value, CliError> {
    serde_json::to_value(record).map_err(|e| CliError::Other(format!("could not render the output: {e}")))
}

fn json_text(value: &Value) -> Result<String, CliError> {
    serde_json::to_string_pretty(value).map_err(|e| CliError::Other(format!("could not render the output: {e}")))
}

/// The column names: the keys of the first record, in order.
fn columns(values: &[Value]) -> Vec<String> {
    values.first().and_then(Value::as_object).map(|o| o.keys().cloned().collect()).unwrap_or_default()
}

/// The columns worth a person's screen: those with a value in some row.
fn filled_columns(values: &[Value]) -> Vec<String> {
    let mut columns = columns(values);
    columns.retain(|c| values.iter().any(|v| !cell(v, c).is_empty()));
    columns
}

/// A cell as the record has it (JSON's text, exactly).
fn cell(value: &Value, column: &str) -> String {
    match value.get(column) {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
    }
}

/// A PowerShell-style table: a header, a rule of dashes, aligned columns.
pub fn table_text(values: &[Value]) -> String {
    let columns = filled_columns(values);
    if columns.is_empty() {
        return "(none)\n".to_string();
    }
    let rows: Vec<Vec<String>> =
        values.iter().map(|v| columns.iter().map(|c| for_terminal(&cell(v, c))).collect()).collect();
    let widths: Vec<usize> = columns
        .iter()
        .enumerate()
        .map(|(i, c)| rows.iter().map(|r| r[i].chars().count()).chain([c.len()]).max().unwrap_or(0))
        .collect();
    let line = |cells: &[String]| -> String {
        let padded: Vec<String> = cells.iter().zip(&widths).map(|(c, w)| format!("{c:<w$}")).collect();
        padded.join("  ").trim_end().to_string() + "\n"
    };
    let rule: Vec<String> = columns.iter().map(|c| "-".repeat(c.len())).collect();
    let mut text = line(&columns);
    text.push_str(&line(&rule));
    for row in &rows {
        text.push_str(&line(row));
    }
    text
}

fn csv_text(values: &[Value]) -> Result<String, CliError> {
    let columns = columns(values);
    let mut writer = csv::Writer::from_writer(Vec::new());
    let fail = |e: csv::Error| CliError::Other(format!("could not render CSV: {e}"));
    if !columns.is_empty() {
        writer.write_record(&columns).map_err(fail)?;
    }
    for v in values {
        writer.write_record(columns.iter().map(|c| for_spreadsheet(cell(v, c)))).map_err(fail)?;
    }
    let bytes = writer.into_inner().map_err(|e| CliError::Other(format!("could not render CSV: {e}")))?;
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

/// Text for a terminal: control characters (ESC, CR, BEL …) and the invisible marks that
/// reorder text (bidi overrides) shown escaped, like `\u{1b}`, so they cannot act.
pub fn for_terminal(text: &str) -> String {
    let acts = |c: char| {
        c.is_control()
            || matches!(c, '\u{200e}' | '\u{200f}' | '\u{061c}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
    };
    if !text.chars().any(acts) {
        return text.to_string();
    }
    text.chars().map(|c| if acts(c) { c.escape_default().to_string() } else { c.to_string() }).collect()
}

/// A CSV cell a spreadsheet will not run: one starting with `=`, `+`, `-`, `@`, a tab or a
/// carriage return gets a leading `'` (OWASP's advice), so it shows as the text it is.
fn for_spreadsheet(cell: String) -> String {
    if cell.starts_with(['=', '+', '-', '@', '\t', '\r']) { format!("'{cell}") } else { cell }
}

/// `text` with the user name and password of every URL in it replaced by `***`
/// (`http://user:pass@host` → `http://***@host`), so credentials given in `--endpoint`
/// never reach a table header or an error line.
pub fn without_credentials(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find("://") {
        let (before, after) = rest.split_at(at + 3);
        out.push_str(before);
        let end =
            after.find(|c: char| matches!(c, '/' | '?' | '#') || c.is_whitespace() || c == ')').unwrap_or(after.len());
        let authority = &after[..end];
        match authority.rfind('@') {
            Some(i) => {
                out.push_str("***");
                out.push_str(&authority[i..]);
            }
            None => out.push_str(authority),
        }
        rest = &after[end..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn sample() -> Vec<Value> {
        vec![
            json!({"ProductName": "Power BI Pro", "ProductId": "CFQ7TTC0H9MP", "PolicyValue": "Enabled"}),
            json!({"ProductName": "Visio Plan 1", "ProductId": "CFQ7TTC0HD33", "PolicyValue": "Disabled"}),
        ]
    }

    #[test]
    fn table_aligns_columns_in_record_order() {
        let text = table_text(&sample());
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "ProductName   ProductId     PolicyValue");
        assert_eq!(lines[1], "-----------   ---------     -----------");
        assert_eq!(lines[2], "Power BI Pro  CFQ7TTC0H9MP  Enabled");
    }

    #[test]
    fn csv_has_a_header_and_quotes_when_needed() {
        let mut values = sample();
        values[0]["ProductName"] = json!("Power BI Premium (standalone), EU");
        let text = csv_text(&values).unwrap();
        assert_eq!(text.lines().next(), Some("ProductName,ProductId,PolicyValue"));
        assert!(text.contains("\"Power BI Premium (standalone), EU\""));
    }

    #[test]
    fn table_leaves_out_columns_that_are_empty_everywhere() {
        let values = vec![
            json!({"ProductId": "CFQ7TTC0H9MP", "Error": null}),
            json!({"ProductId": "CFQ7TTC0HD33", "Error": ""}),
        ];
        assert_eq!(table_text(&values).lines().next(), Some("ProductId"));
        assert_eq!(csv_text(&values).unwrap().lines().next(), Some("ProductId,Error"));
    }

    #[test]
    fn tables_escape_control_characters_and_csv_neutralises_formulas() {
        let values = vec![json!({"ProductName": "\u{1b}[2J=HYPERLINK(\"x\")\r", "ProductId": "=1+1"})];
        let table = table_text(&values);
        assert!(!table.contains('\u{1b}') && !table.contains('\r'), "{table:?}");
        assert!(table.contains("\\u{1b}[2J=HYPERLINK(\"x\")\\r"), "{table:?}");
        let csv = csv_text(&values).unwrap();
        assert!(csv.contains(",'=1+1"), "{csv:?}");
        for risky in ["=a", "+a", "-a", "@a", "\ta", "\ra"] {
            assert!(for_spreadsheet(risky.into()).starts_with('\''), "{risky:?}");
        }
        assert_eq!(for_spreadsheet("Power BI Pro".into()), "Power BI Pro");
        assert_eq!(for_terminal("Visio \u{202e}2 nalP"), "Visio \\u{202e}2 nalP");
    }

    #[test]
    fn credentials_in_urls_are_replaced() {
        assert_eq!(without_credentials("http://user:pass@127.0.0.1:8080"), "http://***@127.0.0.1:8080");
        assert_eq!(
            without_credentials("GET to https://u%40x:p@h/v1.0 failed (for url (http://a:b@c/d))"),
            "GET to https://***@h/v1.0 failed (for url (http://***@c/d))"
        );
        assert_eq!(without_credentials("local (/tmp/a@b/local.db)"), "local (/tmp/a@b/local.db)");
        assert_eq!(without_credentials("http://127.0.0.1:1/x@y"), "http://127.0.0.1:1/x@y");
    }

    #[test]
    fn empty_table_says_so() {
        assert_eq!(table_text(&[]), "(none)\n");
    }
}
