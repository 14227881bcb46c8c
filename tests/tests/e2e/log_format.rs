//! `--log-format json`: every stderr line of `--verbose`, every warning and notice, and a
//! failed command's error line are one JSON object each, with `level` and `message` and
//! the request fields; the default stays text.

use commerce_e2e::{Run, Sandbox};
use serde_json::Value;

/// Every stderr line of `run`, each parsed as JSON (panics on a line that is not).
fn json_lines(run: &Run) -> Vec<Value> {
    run.stderr
        .lines()
        .map(|line| {
            serde_json::from_str(line).unwrap_or_else(|e| panic!("not a JSON line ({e}): {line:?} in {run:#?}"))
        })
        .collect()
}

#[test]
fn verbose_request_and_retry_lines_and_the_error_line_are_json_objects() {
    let sb = Sandbox::new();
    let svc = sb.serve(&sb.path("store.db"), &["--simulate-throttle", "1", "--simulate-retry-after", "0"]);
    let run =
        sb.against(&svc.url).run(&["--verbose", "--log-format", "json", "--max-retries", "1", "policies", "list"]);
    assert_eq!(run.code, 7, "{run:#?}");
    let lines = json_lines(&run);
    let retrying = lines.iter().find(|l| l["message"] == "retrying").expect("a retry line");
    assert_eq!((retrying["level"].as_str(), retrying["method"].as_str()), (Some("DEBUG"), Some("GET")));
    assert_eq!(retrying["path"], "/v1.0/policies");
    assert_eq!(retrying["why"], "429");
    let request = lines.iter().find(|l| l["message"] == "request").expect("a request line");
    assert_eq!(request["status"], 429);
    assert!(request["correlation_id"].as_str().is_some_and(|id| id.len() == 36), "{request}");
    let error = lines.last().unwrap();
    assert_eq!((error["level"].as_str(), error["exitCode"].as_u64()), (Some("ERROR"), Some(7)));
    assert!(error["message"].as_str().unwrap().contains("throttling"), "{error}");
}

#[test]
fn the_environment_chooses_json_for_notices_and_usage_errors_and_text_stays_the_default() {
    let sb = Sandbox::new();
    let mut command = sb.command();
    command.env("COMMERCE_POLICY_LOG_FORMAT", "json");
    let implicit = sb.run_command(command, &["policies", "list", "-o", "json"], "");
    implicit.assert_ok().json();
    let notice = &json_lines(&implicit)[0];
    assert_eq!(notice["level"], "WARN");
    assert!(notice["message"].as_str().unwrap().starts_with("no tenant connected"), "{notice}");

    let usage = sb.run(&["--log-format", "json", "policies", "lst"]);
    assert_eq!(json_lines(&usage)[0]["exitCode"], 2, "{usage:#?}");
    let plain = sb.run(&["--endpoint", "local", "policies", "get", "NoSuchPolicy"]);
    plain.assert_fails_with(5);
    assert!(plain.stderr.starts_with("commerce-policy: reading policy NoSuchPolicy failed"), "{plain:#?}");
    sb.run(&["--log-format", "yaml", "policies", "list"]).assert_fails_with(2);
}
