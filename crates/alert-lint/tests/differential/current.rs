//! Differential tests for the current upstream versions (Prometheus 3.14,
//! Alertmanager 0.34), which are not installed here: every file's expected
//! verdict is written down from upstream's own tests and loaders
//! (rulefmt_test.go, config_test.go, the notifiers' UnmarshalYAML), either
//! in its name (`good-`/`bad-` under fixtures/alert-lint/differential/current)
//! or, for the generated cases below, next to the case. The same files are
//! also run against Debian's promtool 2.42 / amtool 0.25 with the matching
//! `--*-version`, so each file is checked against two versions.

use std::path::{Path, PathBuf};
use std::process::Command;

use shipshape_testkit::cli;

use crate::{fixtures, tool};

/// One file and the verdict current upstream gives it.
struct Case {
    name: String,
    kind: &'static str,
    text: String,
    accepted: bool,
}

fn case(
    name: impl Into<String>,
    kind: &'static str,
    text: impl Into<String>,
    accepted: bool,
) -> Case {
    Case {
        name: name.into(),
        kind,
        text: text.into(),
        accepted,
    }
}

fn written_cases() -> Vec<Case> {
    let mut out = Vec::new();
    for kind in ["rules", "alertmanager"] {
        let dir = fixtures()
            .join("alert-lint/differential/current")
            .join(kind);
        let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        files.sort();
        for path in files {
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            let bytes = std::fs::read(&path).unwrap();
            let text = String::from_utf8(bytes).unwrap();
            assert!(
                name.starts_with("good-") || name.starts_with("bad-"),
                "{name}: must say its verdict"
            );
            out.push(case(name.clone(), kind, text, name.starts_with("good-")));
        }
    }
    out
}

const ROUTE: &str = "route:\n  receiver: team\n";

fn am_with_global(global: &str, receiver: &str) -> String {
    format!("global:\n{global}{ROUTE}receivers:\n- name: team\n{receiver}")
}

/// Global secrets and their `_file` forms (config.go, 0.34): either alone
/// is fine, both is an error.
fn generated_global_pairs(out: &mut Vec<Case>) {
    let pairs = [
        ("slack_api_url", "https://hooks.slack.com/services/T/B/x"),
        ("slack_app_token", "xoxb-1"),
        ("opsgenie_api_key", "k"),
        ("victorops_api_key", "k"),
        ("smtp_auth_password", "p"),
        ("smtp_auth_secret", "s"),
        ("rocketchat_token", "t"),
        ("rocketchat_token_id", "t"),
        ("telegram_bot_token", "1:a"),
        ("wechat_api_secret", "s"),
        ("mattermost_webhook_url", "https://mm.example.com/hooks/x"),
    ];
    for (key, value) in pairs {
        let inline = format!("  {key}: {value}\n");
        let file = format!("  {key}_file: /run/secrets/{key}\n");
        out.push(case(
            format!("gen-global-{key}"),
            "alertmanager",
            am_with_global(&inline, ""),
            true,
        ));
        out.push(case(
            format!("gen-global-{key}_file"),
            "alertmanager",
            am_with_global(&file, ""),
            true,
        ));
        out.push(case(
            format!("gen-global-{key}-both"),
            "alertmanager",
            am_with_global(&format!("{inline}{file}"), ""),
            false,
        ));
    }
}

/// Each integration: a minimal valid config, the empty config, and each
/// setting with its `_file` form twice (notifiers' UnmarshalYAML, 0.34).
fn generated_integrations(out: &mut Vec<Case>) {
    let minimal: &[(&str, &str)] = &[
        (
            "email",
            "to: a@example.com\n  from: b@example.com\n  smarthost: smtp.example.com:587",
        ),
        ("pagerduty", "routing_key: k"),
        ("slack", "api_url: https://hooks.slack.com/services/T/B/x"),
        ("webhook", "url: http://alert-router:8080/hook"),
        ("opsgenie", "api_key: k"),
        ("wechat", "api_secret: s\n  corp_id: c"),
        ("pushover", "user_key: u\n  token: t"),
        ("victorops", "api_key: k\n  routing_key: r"),
        ("sns", "topic_arn: arn:aws:sns:eu-west-1:1:t"),
        ("telegram", "bot_token: 1:a\n  chat_id: 42"),
        (
            "webex",
            "room_id: r\n  http_config:\n    authorization:\n      credentials: c",
        ),
        (
            "discord",
            "webhook_url: https://discord.com/api/webhooks/1/x",
        ),
        (
            "msteams",
            "webhook_url: https://example.webhook.office.com/x",
        ),
        (
            "msteamsv2",
            "webhook_url: https://example.webhook.office.com/x",
        ),
        (
            "jira",
            "api_url: https://example.atlassian.net\n  project: OPS\n  issue_type: Bug",
        ),
        ("rocketchat", "token_id: i\n  token: t"),
        ("mattermost", "webhook_url: https://mm.example.com/hooks/x"),
        (
            "incidentio",
            "url: https://api.incident.io/v2/alert_events/http/x",
        ),
    ];
    for (kind, body) in minimal {
        let body = body.replace("\n  ", "\n    ");
        let good = format!("{ROUTE}receivers:\n- name: team\n  {kind}_configs:\n  - {body}\n");
        out.push(case(
            format!("gen-{kind}-minimal"),
            "alertmanager",
            good,
            true,
        ));
        // Every integration requires something no global here provides.
        let empty = format!("{ROUTE}receivers:\n- name: team\n  {kind}_configs: [{{}}]\n");
        out.push(case(
            format!("gen-{kind}-empty"),
            "alertmanager",
            empty,
            false,
        ));
        let unknown = format!(
            "{ROUTE}receivers:\n- name: team\n  {kind}_configs:\n  - {body}\n    no_such_setting: 1\n"
        );
        out.push(case(
            format!("gen-{kind}-unknown-field"),
            "alertmanager",
            unknown,
            false,
        ));
    }
    let file_pairs: &[(&str, &str, &str)] = &[
        ("pagerduty", "routing_key: k", "routing_key_file: /run/k"),
        ("pagerduty", "service_key: k", "service_key_file: /run/k"),
        (
            "slack",
            "api_url: https://hooks.slack.com/services/T/B/x",
            "api_url_file: /run/u",
        ),
        ("slack", "app_token: xoxb-1", "app_token_file: /run/t"),
        ("webhook", "url: http://h/x", "url_file: /run/u"),
        ("opsgenie", "api_key: k", "api_key_file: /run/k"),
        (
            "wechat",
            "api_secret: s\n    corp_id: c",
            "api_secret_file: /run/s",
        ),
        (
            "pushover",
            "user_key: u\n    token: t",
            "user_key_file: /run/u",
        ),
        (
            "pushover",
            "user_key: u\n    token: t",
            "token_file: /run/t",
        ),
        (
            "victorops",
            "api_key: k\n    routing_key: r",
            "api_key_file: /run/k",
        ),
        (
            "telegram",
            "bot_token: 1:a\n    chat_id: 4",
            "bot_token_file: /run/t",
        ),
        (
            "telegram",
            "bot_token: 1:a\n    chat_id: 4",
            "chat_id_file: /run/c",
        ),
        (
            "discord",
            "webhook_url: https://discord.com/api/webhooks/1/x",
            "webhook_url_file: /run/u",
        ),
        (
            "msteams",
            "webhook_url: https://x.webhook.office.com/x",
            "webhook_url_file: /run/u",
        ),
        (
            "msteamsv2",
            "webhook_url: https://x.webhook.office.com/x",
            "webhook_url_file: /run/u",
        ),
        (
            "rocketchat",
            "token_id: i\n    token: t",
            "token_file: /run/t",
        ),
        (
            "rocketchat",
            "token_id: i\n    token: t",
            "token_id_file: /run/i",
        ),
        (
            "mattermost",
            "webhook_url: https://mm.example.com/hooks/x",
            "webhook_url_file: /run/u",
        ),
        (
            "incidentio",
            "url: https://api.incident.io/x",
            "url_file: /run/u",
        ),
        (
            "incidentio",
            "url: https://api.incident.io/x\n    alert_source_token: t",
            "alert_source_token_file: /run/t",
        ),
    ];
    for (i, (kind, body, file)) in file_pairs.iter().enumerate() {
        let text = format!(
            "{ROUTE}receivers:\n- name: team\n  {kind}_configs:\n  - {}\n    {file}\n",
            body.to_owned()
        );
        out.push(case(
            format!("gen-{kind}-both-{i}"),
            "alertmanager",
            text,
            false,
        ));
    }
}

/// Legacy regex maps with a null value, and root-route settings.
fn generated_routes(out: &mut Vec<Case>) {
    let intervals = "time_intervals:\n- name: t\n  time_intervals:\n  - weekdays: [monday]\n";
    for (key, accepted) in [
        ("mute_time_intervals", false),
        ("active_time_intervals", false),
    ] {
        let root = format!(
            "route:\n  receiver: team\n  {key}: [t]\nreceivers:\n- name: team\n{intervals}"
        );
        out.push(case(
            format!("gen-root-{key}"),
            "alertmanager",
            root,
            accepted,
        ));
        let child = format!(
            "route:\n  receiver: team\n  routes:\n  - receiver: team\n    {key}: [t]\nreceivers:\n- name: team\n{intervals}"
        );
        out.push(case(
            format!("gen-child-{key}"),
            "alertmanager",
            child,
            true,
        ));
    }
    for value in ["", " null", " ~", " \"\"", " \"a|b\""] {
        let accepted = !matches!(value, "" | " null" | " ~");
        let route = format!(
            "route:\n  receiver: team\n  routes:\n  - receiver: team\n    match_re:\n      service:{value}\nreceivers:\n- name: team\n"
        );
        out.push(case(
            format!("gen-match_re{value}"),
            "alertmanager",
            route,
            accepted,
        ));
        for (side, other) in [("source", "target"), ("target", "source")] {
            let inhibit = format!(
                "{ROUTE}receivers:\n- name: team\ninhibit_rules:\n- {side}_match_re:\n    service:{value}\n  {other}_match:\n    severity: warning\n"
            );
            out.push(case(
                format!("gen-{side}_match_re{value}"),
                "alertmanager",
                inhibit,
                accepted,
            ));
        }
    }
    for (key, value, accepted) in [
        ("labels", "{team: db}", true),
        ("lables", "{team: db}", false),
        ("continue", "true", true),
        ("group_by", "['...']", true),
        ("repeat_interval", "0s", false),
    ] {
        let text = format!(
            "route:\n  receiver: team\n  routes:\n  - receiver: team\n    {key}: {value}\nreceivers:\n- name: team\n"
        );
        out.push(case(
            format!("gen-route-{key}"),
            "alertmanager",
            text,
            accepted,
        ));
    }
    for key in [
        "global",
        "route",
        "inhibit_rules",
        "receivers",
        "templates",
        "mute_time_intervals",
        "time_intervals",
        "tracing",
        "event_recorder",
        "silences",
        "cluster",
    ] {
        let known = !matches!(key, "silences" | "cluster");
        let text = match key {
            "route" | "receivers" => format!("{ROUTE}receivers:\n- name: team\n"),
            _ => format!("{ROUTE}receivers:\n- name: team\n{key}:\n"),
        };
        out.push(case(format!("gen-top-{key}"), "alertmanager", text, known));
    }
}

/// Rule files: empty forms, and names, functions and templates per 3.14.
fn generated_rules(out: &mut Vec<Case>) {
    for (name, text) in [
        ("empty", ""),
        ("newline", "\n"),
        ("comment", "# nothing here\n"),
        ("null", "null\n"),
        ("tilde", "~\n"),
        ("braces", "{}\n"),
        ("groups-empty", "groups: []\n"),
        ("groups-null", "groups: ~\n"),
        ("bom-comment", "\u{feff}# nothing\n"),
        ("doc-start", "---\n"),
    ] {
        out.push(case(format!("gen-empty-{name}"), "rules", text, true));
    }
    let rule = |body: &str| format!("groups:\n- name: g\n  rules:\n  - {body}\n");
    for (name, expr, accepted) in [
        ("utf8-metric", r#"'{"my.metric"} > 1'"#, true),
        ("utf8-label", r#"'up{"a.b"="c"} == 0'"#, true),
        ("utf8-by", r#"'sum by ("a.b") (up) > 1'"#, true),
        ("utf8-on", r#"'up == on ("a.b") group_left up'"#, true),
        ("holt-winters", "'holt_winters(x[5m], 0.5, 0.5) > 1'", false),
        (
            "des",
            "'double_exponential_smoothing(x[5m], 0.5, 0.5) > 1'",
            false,
        ),
        ("mad", "'mad_over_time(x[5m]) > 1'", false),
        ("info", "'info(up) > 1'", false),
        ("limitk", "'limitk(2, up) > 1'", false),
        ("limit-ratio", "'limit_ratio(0.5, up) > 1'", false),
        ("ts-of-max", "'ts_of_max_over_time(x[5m]) > 1'", false),
        ("first-over-time", "'first_over_time(x[5m]) > 1'", true),
        ("histogram-avg", "'histogram_avg(rate(h[5m])) > 1'", true),
        (
            "histogram-stddev",
            "'histogram_stddev(rate(h[5m])) > 1'",
            true,
        ),
        ("unitless-range", "'rate(x[5]) > 1'", false),
        ("unknown-function", "'nosuch(x) > 1'", false),
        ("string-result", r#"'"text"'"#, true),
    ] {
        out.push(case(
            format!("gen-expr-{name}"),
            "rules",
            rule(&format!("alert: A\n    expr: {expr}")),
            accepted,
        ));
    }
    for (name, record, accepted) in [
        ("legacy", "job:up:sum", true),
        ("dotted", "'my.metric:sum'", true),
        ("unicode", "'métrique'", true),
        ("space", "'a b'", true),
        ("braces", r#"'strawberry{flavor="sweet"}'"#, false),
        ("open-brace", "'a{'", false),
        ("empty", "''", false),
    ] {
        out.push(case(
            format!("gen-record-{name}"),
            "rules",
            rule(&format!("record: {record}\n    expr: sum(up)")),
            accepted,
        ));
    }
    for (name, template, accepted) in [
        ("now", "{{ now }}", true),
        ("to-duration", "{{ 60 | toDuration }}", true),
        ("url-query-escape", "{{ urlQueryEscape \"a b\" }}", true),
        ("to-time", "{{ 1 | toTime }}", true),
        ("strip-domain", "{{ \"a.b\" | stripDomain }}", true),
        ("humanize-duration", "{{ 60 | humanizeDuration }}", true),
        ("humanize-bytes", "{{ 1 | humanizeBytes }}", false),
        ("to-date", "{{ toDate 1 }}", false),
    ] {
        let body =
            format!("alert: A\n    expr: up == 0\n    annotations:\n      summary: '{template}'");
        out.push(case(
            format!("gen-template-{name}"),
            "rules",
            rule(&body),
            accepted,
        ));
    }
    for (name, group, accepted) in [
        ("labels", "labels:\n    team: db", true),
        ("labels-utf8", "labels:\n    \"team.name\": db", true),
        ("query-offset", "query_offset: 30s", true),
        ("query-offset-bad", "query_offset: 30", false),
        ("limit", "limit: 10", true),
        ("unknown", "partial_response_strategy: warn", false),
    ] {
        let text = format!(
            "groups:\n- name: g\n  {group}\n  rules:\n  - record: a:b:c\n    expr: sum(up)\n"
        );
        out.push(case(format!("gen-group-{name}"), "rules", text, accepted));
    }
}

fn all_cases() -> Vec<Case> {
    let mut cases = written_cases();
    generated_global_pairs(&mut cases);
    generated_integrations(&mut cases);
    generated_routes(&mut cases);
    generated_rules(&mut cases);
    cases
}

fn write(dir: &Path, case: &Case) -> PathBuf {
    let path = dir.join(format!(
        "{}.yml",
        case.name
            .trim_end_matches(".yml")
            .replace([' ', '"', '|'], "_")
    ));
    std::fs::write(&path, &case.text).unwrap();
    path
}

fn rejects(path: &Path, kind: &str, version: Option<&[&str]>) -> bool {
    let mut cmd = tool();
    cmd.args(["--no-config", "--kind", kind]);
    if let Some(v) = version {
        cmd.args(v);
    }
    let run = cli::run(cmd.arg(path));
    assert!(
        matches!(run.code, Some(0 | 1)),
        "{}: {}",
        path.display(),
        run.snapshot()
    );
    run.code == Some(1)
}

#[test]
fn current_upstream_verdicts() {
    let cases = all_cases();
    let dir = tempfile::tempdir().unwrap();
    let mut mismatches = Vec::new();
    for case in &cases {
        let path = write(dir.path(), case);
        if rejects(&path, case.kind, None) == case.accepted {
            mismatches.push(format!(
                "{} ({}): upstream {}",
                case.name,
                case.kind,
                if case.accepted { "accepts" } else { "rejects" }
            ));
        }
    }
    let agree = cases.len() - mismatches.len();
    eprintln!("current upstream: {agree} of {} files agree", cases.len());
    assert!(cases.len() >= 250, "{}", cases.len());
    assert!(cases.iter().any(|c| c.accepted) && cases.iter().any(|c| !c.accepted));
    assert!(
        mismatches.is_empty(),
        "{} of {} disagree:\n{}",
        mismatches.len(),
        cases.len(),
        mismatches.join("\n")
    );
}

fn available(binary: &str) -> bool {
    Command::new(binary)
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

/// The same cases against the installed old versions: whatever promtool
/// 2.42 / amtool 0.25 say is the expected verdict for those versions.
#[test]
fn same_cases_agree_with_promtool_2_42_and_amtool_0_25() {
    if !available("promtool") || !available("amtool") {
        eprintln!("SKIPPED: promtool/amtool not found on PATH; run scripts/deps/alert-lint.sh");
        return;
    }
    let cases = all_cases();
    let dir = tempfile::tempdir().unwrap();
    let mut mismatches = Vec::new();
    for case in &cases {
        let path = write(dir.path(), case);
        let (oracle, version): (&[&str], &[&str]) = match case.kind {
            "rules" => (
                &["promtool", "check", "rules"],
                &["--prometheus-version", "2.42"],
            ),
            _ => (
                &["amtool", "check-config"],
                &["--alertmanager-version", "0.25"],
            ),
        };
        let theirs = Command::new(oracle[0])
            .args(&oracle[1..])
            .arg(&path)
            .output()
            .unwrap();
        let they_reject = !theirs.status.success();
        if rejects(&path, case.kind, Some(version)) != they_reject {
            mismatches.push(format!(
                "{}: {} {}\n{}",
                case.name,
                oracle[0],
                if they_reject { "rejects" } else { "accepts" },
                String::from_utf8_lossy(&theirs.stdout).trim()
            ));
        }
    }
    eprintln!(
        "old versions: {} of {} files agree",
        cases.len() - mismatches.len(),
        cases.len()
    );
    assert!(
        mismatches.is_empty(),
        "{} of {} disagree:\n{}",
        mismatches.len(),
        cases.len(),
        mismatches.join("\n")
    );
}
