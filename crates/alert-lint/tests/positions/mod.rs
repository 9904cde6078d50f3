//! A finding's position is the token at fault — the value, the matcher, the
//! field — not the start of the rule, route or receiver it is in, so a
//! GitHub annotation lands where the fix is.

use shipshape_testkit::cli;

use crate::tool;

/// Lint `files` (name, text) together; every finding as (code, line, column).
pub fn findings(files: &[(&str, &str)], extra: &[&str]) -> Vec<(String, u64, u64, String)> {
    let dir = tempfile::tempdir().unwrap();
    let mut args = vec!["--no-config", "--format", "json"];
    args.extend_from_slice(extra);
    for (name, text) in files {
        std::fs::write(dir.path().join(name), text).unwrap();
        args.push(name);
    }
    let run = cli::run(tool().current_dir(dir.path()).args(&args));
    let json: serde_json::Value = serde_json::from_str(&run.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", run.snapshot()));
    json["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["code"].as_str().unwrap().to_owned(),
                d["line"].as_u64().unwrap(),
                d["column"].as_u64().unwrap(),
                d["message"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

/// (line, column) of every finding of `code`.
pub fn at(files: &[(&str, &str)], extra: &[&str], code: &str) -> Vec<(u64, u64)> {
    findings(files, extra)
        .into_iter()
        .filter(|f| f.0 == code)
        .map(|f| (f.1, f.2))
        .collect()
}

fn rule(expr_line: &str) -> String {
    format!("groups:\n  - name: g\n    rules:\n      - alert: A\n{expr_line}\n        for: 5m\n")
}

#[test]
fn promql_errors_point_into_the_expression() {
    // Plain scalar: the column of the value plus the parser's offset.
    let plain = rule("        expr: sum(rate(x[5m])) >");
    assert_eq!(at(&[("r.yml", &plain)], &[], "promql-syntax"), [(5, 32)]);
    let plain = rule("        expr: foo bar");
    assert_eq!(at(&[("r.yml", &plain)], &[], "promql-syntax"), [(5, 19)]);
    // Quoted: one more for the quote.
    let quoted = rule("        expr: \"x > > 1\"");
    assert_eq!(at(&[("r.yml", &quoted)], &[], "promql-syntax"), [(5, 20)]);
    // Block scalar: the line within the block.
    let block = rule("        expr: |\n          sum by (job) (x)\n            > > 1");
    assert_eq!(at(&[("r.yml", &block)], &[], "promql-syntax"), [(7, 15)]);
    // `by` without a label list, and a missing unit.
    let by = rule("        expr: sum(x) by job > 1");
    assert_eq!(at(&[("r.yml", &by)], &[], "promql-syntax"), [(5, 25)]);
    let unit = rule("        expr: rate(x[5m]) > 5 and rate(y[5]) > 1");
    assert_eq!(at(&[("r.yml", &unit)], &[], "promql-syntax"), [(5, 42)]);
}

#[test]
fn rule_findings_point_at_the_name_at_fault() {
    let both = "groups:\n  - name: g\n    rules:\n      - alert: A\n        record: a:b:c\n        expr: up == 0\n";
    assert_eq!(at(&[("r.yml", both)], &[], "rule-kind"), [(5, 17)]);
    let dup = "groups:\n  - name: g\n    rules:\n      - record: a:b:c\n        expr: up\n      - record: a:b:c\n        expr: up\n";
    assert_eq!(at(&[("r.yml", dup)], &[], "duplicate-rule"), [(6, 17)]);
}

const RULES: &str = r#"groups:
  - name: db
    rules:
      - alert: DatabaseDown
        expr: up{job="postgres"} == 0
        for: 5m
        labels:
          severity: critical
          team: database
        annotations:
          summary: down
"#;

#[test]
fn route_and_inhibit_findings_point_at_the_matcher_value() {
    let am = r#"route:
  receiver: ops
  routes:
    - matchers: [severity="critical", team="databse"]
      receiver: ops
    - match:
        team: storage
      receiver: ops
receivers:
  - name: ops
    webhook_configs:
      - url: http://alert-router:8080/hook
inhibit_rules:
  - source_matchers: [alertname="DatabaseDown", severity="page"]
    target_matchers: [severity="critical"]
    equal: [instance]
"#;
    let found = at(
        &[("rules.yml", RULES), ("alertmanager.yml", am)],
        &[],
        "dead-route",
    );
    assert_eq!(found, [(4, 45), (7, 15), (14, 59)]);
}

#[test]
fn integration_findings_point_at_the_offending_field() {
    let am = r#"route:
  receiver: ops
receivers:
  - name: ops
    telegram_configs:
      - bot_token_file: /run/secrets/token
        chat_id: 42
        parse_mode: Markdownv2
    email_configs:
      - to: ops@example.com
        smarthost: smtp.example.com:587
        from: am@example.com
        headers:
          Subject: a
          subject: b
"#;
    let found = at(&[("alertmanager.yml", am)], &[], "am-integration");
    assert_eq!(found, [(8, 21), (15, 11)]);
}
