//! Rendering records for people (a table), scripts (JSON) and spreadsheets (CSV). Records
//! are serialized once to JSON objects; the table and CSV are made from those, so all three
//! formats carry the same properties with MSCommerce's names.

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
            _ => self.write(&format!("Endpoint: {}\n\n{}", self.endpoint, table_text(values))),
        }
    }

    /// Writes text as it is: JUnit reports, baseline files, summaries.
    pub fn write(&self, text: &str) -> Result<(), CliError> {
        let mut out = std::io::stdout().lock();
        let written = out
            .write_all(text.as_bytes())
            .and_then(|()| if text.ends_with('\n') { Ok(()) } else { out.write_all(b"\n") });
        match written.and_then(|()| out.flush()) {
            // A closed pipe (`| head`) is the reader's choice, not a failure.
            Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
                Err(CliError::Other(format!("could not write the output: {e}")))
            }
            _ => Ok(()),
        }
    }
}

fn junit_only() -> CliError {
    CliError::Usage("--output junit is for plan and apply: use table, json or csv here".into())
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
    let rows: Vec<Vec<String>> = values.iter().map(|v| columns.iter().map(|c| cell(v, c)).collect()).collect();
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
        writer.write_record(columns.iter().map(|c| cell(v, c))).map_err(fail)?;
    }
    let bytes = writer.into_inner().map_err(|e| CliError::Other(format!("could not render CSV: {e}")))?;
    Ok(String::from_utf8_lossy(&bytes).into_owned())
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
    fn empty_table_says_so() {
        assert_eq!(table_text(&[]), "(none)\n");
    }
}
