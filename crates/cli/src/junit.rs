//! JUnit XML reports, so CI systems show drift and failed changes as failed tests natively.

/// One test case: a product, passed or failed with a message.
pub struct Case {
    /// The suite (the policy) the case belongs to.
    pub suite: String,
    pub name: String,
    pub failure: Option<String>,
}

/// The report: one `<testsuite>` per suite, in the order suites first appear.
pub fn report(title: &str, cases: &[Case]) -> String {
    let mut suites: Vec<&str> = Vec::new();
    for case in cases {
        if !suites.contains(&case.suite.as_str()) {
            suites.push(&case.suite);
        }
    }
    let failures = cases.iter().filter(|c| c.failure.is_some()).count();
    let mut xml = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    xml += &format!("<testsuites name=\"{}\" tests=\"{}\" failures=\"{failures}\">\n", escape(title), cases.len());
    for suite in suites {
        let members: Vec<&Case> = cases.iter().filter(|c| c.suite == suite).collect();
        let failed = members.iter().filter(|c| c.failure.is_some()).count();
        xml += &format!(
            "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{failed}\" errors=\"0\" skipped=\"0\">\n",
            escape(suite),
            members.len()
        );
        for case in members {
            let head = format!("    <testcase classname=\"{}\" name=\"{}\"", escape(suite), escape(&case.name));
            match &case.failure {
                None => xml += &format!("{head}/>\n"),
                Some(message) => {
                    xml += &format!(
                        "{head}>\n      <failure message=\"{0}\" type=\"drift\">{0}</failure>\n    </testcase>\n",
                        escape(message)
                    );
                }
            }
        }
        xml += "  </testsuite>\n";
    }
    xml + "</testsuites>\n"
}

fn escape(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '&' => "&amp;".to_string(),
            '<' => "&lt;".to_string(),
            '>' => "&gt;".to_string(),
            '"' => "&quot;".to_string(),
            '\'' => "&apos;".to_string(),
            c if (c as u32) < 0x20 && !matches!(c, '\t' | '\n' | '\r') => " ".to_string(),
            c => c.to_string(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_and_escapes() {
        let cases = [
            Case { suite: "P".into(), name: "A & B <x>".into(), failure: None },
            Case { suite: "P".into(), name: "C".into(), failure: Some("is \"Enabled\"".into()) },
        ];
        let xml = report("plan", &cases);
        assert!(xml.contains("<testsuites name=\"plan\" tests=\"2\" failures=\"1\">"));
        assert!(xml.contains("name=\"A &amp; B &lt;x&gt;\"/>"));
        assert!(xml.contains("message=\"is &quot;Enabled&quot;\""));
        assert_eq!(xml.matches("<testsuite ").count(), 1);
    }
}
