//! The checks that reason across files or guess (labels through recording
//! rules, shadowed routes, thresholds against units, label-value typos):
//! what they find, and that they stay quiet where alert-lint cannot know —
//! on the curated sets the other tests use, on the example stack, and in
//! the near misses below.

use shipshape_testkit::cli;

use crate::positions::findings;
use crate::{fixtures, tool};

/// The checks added for issue 18 part 2.
const NEW_CHECKS: &[&str] = &[
    "recorded-label-dropped",
    "am-shadowed-route",
    "threshold-unit",
];

fn codes(files: &[(&str, &str)]) -> Vec<String> {
    findings(files, &[]).into_iter().map(|f| f.0).collect()
}

/// Every `good-*` file of the differential corpus (rules, Alertmanager and
/// Prometheus configs written from upstream's tests) linted together, and
/// the example stack: none of the new checks reports anything there.
#[test]
fn no_new_findings_on_the_curated_sets() {
    let root = fixtures().join("alert-lint/differential");
    let mut paths = Vec::new();
    for dir in [
        "rules",
        "alertmanager",
        "prometheus",
        "current/rules",
        "current/alertmanager",
    ] {
        let mut names: Vec<_> = std::fs::read_dir(root.join(dir))
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| {
                p.file_name()
                    .unwrap()
                    .to_string_lossy()
                    .starts_with("good-")
                    && p.extension().is_some_and(|e| e == "yml" || e == "yaml")
            })
            .collect();
        names.sort();
        paths.extend(names);
    }
    assert!(paths.len() > 150, "{}", paths.len());
    let stack = fixtures().join("stack/monitoring");
    for set in [paths, vec![stack]] {
        let run = cli::run(tool().args(["--no-config", "--format", "json"]).args(&set));
        let json: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
        let new: Vec<&serde_json::Value> = json["diagnostics"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|d| NEW_CHECKS.contains(&d["code"].as_str().unwrap()))
            .collect();
        assert!(new.is_empty(), "{new:#?}");
    }
}

const RECORDING: &str = r#"groups:
  - name: r
    rules:
      - record: job:http_errors:ratio_rate5m
        expr: sum by (job) (rate(http_errors_total[5m])) / sum by (job) (rate(http_requests_total[5m]))
      - record: job:http_errors:rate5m
        expr: sum without (instance) (rate(http_errors_total[5m]))
      - record: instance:http_errors:rate5m
        expr: rate(http_errors_total[5m])
      - record: instance:http_errors:rate5m_labelled
        expr: sum by (job) (rate(http_errors_total[5m]))
        labels:
          instance: all
"#;

fn alert(expr: &str, description: &str) -> String {
    format!(
        "groups:\n  - name: a\n    rules:\n      - alert: A\n        expr: {expr}\n        for: 5m\n        labels:\n          severity: warning\n        annotations:\n          summary: s\n          description: \"{description}\"\n"
    )
}

#[test]
fn labels_are_followed_through_recording_rules() {
    let hit = |expr: &str| {
        let text = alert(expr, "{{ $labels.instance }} fails");
        codes(&[("rec.yml", RECORDING), ("alert.yml", &text)])
            .iter()
            .filter(|c| *c == "recorded-label-dropped")
            .count()
    };
    // `sum by (job)` and `sum without (instance)` drop it.
    assert_eq!(hit("job:http_errors:ratio_rate5m > 0.05"), 1);
    assert_eq!(hit("job:http_errors:rate5m > 1"), 1);
    // The recording rule keeps the series' own labels, or sets the label.
    assert_eq!(hit("instance:http_errors:rate5m > 1"), 0);
    assert_eq!(hit("instance:http_errors:rate5m_labelled > 1"), 0);
    // Not recorded in the linted set: alert-lint cannot know.
    assert_eq!(hit("job:other:ratio > 1"), 0);
    // The alert's own aggregation drops it: label-dropped's finding, not this one.
    let text = alert("sum(job:http_errors:rate5m) > 1", "{{ $labels.instance }}");
    let found = codes(&[("rec.yml", RECORDING), ("alert.yml", &text)]);
    assert!(found.contains(&"label-dropped".to_owned()), "{found:?}");
    assert!(
        !found.contains(&"recorded-label-dropped".to_owned()),
        "{found:?}"
    );
    // Suppressed inline.
    let text = alert("job:http_errors:rate5m > 1", "{{ $labels.instance }}").replace(
        "      - alert: A\n",
        "      - alert: A # alert-lint: disable=recorded-label-dropped\n",
    );
    assert!(
        !codes(&[("rec.yml", RECORDING), ("alert.yml", &text)])
            .contains(&"recorded-label-dropped".to_owned())
    );
}

fn routes(children: &str) -> String {
    format!(
        "route:\n  receiver: ops\n  routes:\n{children}receivers:\n  - name: ops\n    webhook_configs:\n      - url: http://alert-router:8080/hook\n  - name: db\n    webhook_configs:\n      - url: http://alert-router:8080/db\n"
    )
}

#[test]
fn shadowed_routes_follow_continue_semantics() {
    let shadowed = |children: &str| {
        findings(&[("alertmanager.yml", &routes(children))], &[])
            .into_iter()
            .filter(|f| f.0 == "am-shadowed-route")
            .map(|f| (f.1, f.2, f.3))
            .collect::<Vec<_>>()
    };
    // A regex that accepts the later route's value shadows it.
    let found = shadowed(
        "    - matchers: [severity=~\"critical|warning\"]\n      receiver: ops\n    - matchers: [team=\"db\", severity=\"critical\"]\n      receiver: db\n",
    );
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!((found[0].0, found[0].1), (6, 18));
    assert!(
        found[0]
            .2
            .contains("the route on line 4 (receiver \"ops\", {severity=~\"critical|warning\"})"),
        "{found:?}"
    );
    // A catch-all sibling shadows everything after it.
    let found =
        shadowed("    - receiver: ops\n    - matchers: [team=\"db\"]\n      receiver: db\n");
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(
        found[0].2.contains("no matchers: it catches every alert"),
        "{found:?}"
    );
    // `continue: true` lets alerts through; a more specific earlier route,
    // a different value, or a `!=` later route are not shadowed.
    for children in [
        "    - matchers: [severity=~\"critical|warning\"]\n      receiver: ops\n      continue: true\n    - matchers: [severity=\"critical\"]\n      receiver: db\n",
        "    - matchers: [team=\"db\", severity=\"critical\"]\n      receiver: db\n    - matchers: [team=\"db\"]\n      receiver: ops\n",
        "    - matchers: [severity=~\"critical|warning\"]\n      receiver: ops\n    - matchers: [severity=\"info\"]\n      receiver: db\n",
        "    - matchers: [severity=\"critical\"]\n      receiver: ops\n    - matchers: [severity!=\"critical\"]\n      receiver: db\n",
    ] {
        assert_eq!(shadowed(children), [], "{children}");
    }
}

#[test]
fn thresholds_are_checked_against_the_unit_only_when_clear() {
    let hit = |expr: &str| {
        let text = alert(expr, "d");
        findings(&[("alert.yml", &text)], &[])
            .into_iter()
            .filter(|f| f.0 == "threshold-unit")
            .map(|f| (f.1, f.2))
            .collect::<Vec<_>>()
    };
    let q =
        "histogram_quantile(0.99, sum by (le) (rate(http_request_duration_seconds_bucket[5m])))";
    assert_eq!(hit(&format!("{q} > 500")), [(5, 104)]);
    assert_eq!(hit("rate(grpc_server_handling_seconds_sum[5m]) / rate(grpc_server_handling_seconds_count[5m]) > 250").len(), 1);
    assert_eq!(hit("rate(http_request_duration_seconds_sum[5m]) / rate(http_request_duration_seconds_count[5m]) > 250").len(), 1);
    assert_eq!(
        hit("http_request_duration_seconds{quantile=\"0.99\"} > 300").len(),
        1
    );
    assert_eq!(hit("job:http_errors:ratio_rate5m > 1").len(), 1);
    assert_eq!(hit("max_over_time(cache_miss_ratio[10m]) >= 100").len(), 1);
    assert_eq!(hit("5 < avg(cache_miss_ratio)").len(), 1);
    // Plausible: seconds thresholds, ratios below 1, percentages computed
    // in the expression, durations that are not per request, timestamps,
    // ratios that may exceed 1.
    for expr in [
        &format!("{q} > 2") as &str,
        &format!("{q} * 1000 > 500"),
        "job:http_errors:ratio_rate5m > 0.05",
        "job:http_errors:ratio_rate5m >= 1",
        "job:http_errors:ratio_rate5m * 100 > 5",
        "backup_duration_seconds > 3600",
        "pg_replication_lag_seconds > 500",
        "time() - process_start_time_seconds > 600",
        "node_memory_overcommit_ratio > 2",
        "job:http_errors:ratio_rate5m < 5",
    ] {
        assert_eq!(hit(expr), [], "{expr}");
    }
}

#[test]
fn label_value_typos_are_reported_at_the_value_only_when_close() {
    let am = routes(
        "    - matchers: [team=\"database\"]\n      receiver: db\n    - matchers: [severity=~\"critical|warning\"]\n      receiver: ops\n",
    );
    let typos = |labels: &[(&str, &str)]| {
        let mut text = String::from("groups:\n  - name: g\n    rules:\n");
        for (i, (k, v)) in labels.iter().enumerate() {
            text.push_str(&format!(
                "      - alert: A{i}\n        expr: up == 0\n        for: 5m\n        labels:\n          {k}: {v}\n        annotations:\n          summary: s\n          description: d\n"
            ));
        }
        findings(&[("rules.yml", &text), ("alertmanager.yml", &am)], &[])
            .into_iter()
            .filter(|f| f.0 == "label-value-typo")
            .map(|f| (f.1, f.2, f.3))
            .collect::<Vec<_>>()
    };
    let found = typos(&[("team", "database"), ("team", "databse")]);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!((found[0].0, found[0].1), (16, 17));
    assert!(
        found[0].2.contains("probably a typo of \"database\""),
        "{found:?}"
    );
    assert_eq!(typos(&[("severity", "Critical")]).len(), 1);
    assert_eq!(
        typos(&[("severity", "warning"), ("severity", "warnng")]).len(),
        1
    );
    // From other alerts: the value more alerts use.
    assert_eq!(
        typos(&[
            ("service", "payments"),
            ("service", "payments"),
            ("service", "paymnts")
        ])
        .len(),
        1
    );
    // Routed values, far values, short values, digits and short segments
    // that differ on purpose, and templates say nothing.
    for labels in [
        &[("team", "database")][..],
        // Only the route differs: it may be the typo (dead-route says so).
        &[("team", "databse")],
        &[("team", "storage")],
        &[("severity", "info")],
        &[("tier", "p1"), ("tier", "p1"), ("tier", "p2")],
        &[
            ("region", "eu-west-1"),
            ("region", "eu-west-1"),
            ("region", "eu-west-2"),
        ],
        &[("team", "team-a"), ("team", "team-a"), ("team", "team-b")],
        &[("team", "api"), ("team", "api"), ("team", "app")],
        &[("team", "\"{{ $labels.team }}\"")],
    ] {
        assert_eq!(typos(labels), [], "{labels:?}");
    }
    // Suppressed inline.
    let text = "groups:\n  - name: g\n    rules:\n      - alert: A\n        expr: up == 0\n        for: 5m\n        labels:\n          team: databse # alert-lint: disable=label-value-typo\n";
    assert!(
        !codes(&[("rules.yml", text), ("alertmanager.yml", &am)])
            .contains(&"label-value-typo".to_owned())
    );
}
