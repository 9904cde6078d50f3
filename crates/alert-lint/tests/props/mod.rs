//! Property tests: whatever the input, alert-lint's library never panics —
//! arbitrary bytes as YAML, YAML-shaped text built from the pieces rule
//! files are made of, PromQL-shaped text, and Go-template-shaped text.

use proptest::prelude::*;

use alert_lint::checks::{Cx, run_all};
use alert_lint::settings::Settings;
use alert_lint::workspace::{FileKind, Workspace};

fn lint(text: &str, kind: Option<FileKind>) {
    let settings = Settings::default();
    let mut ws = Workspace::default();
    let mut findings = Vec::new();
    ws.add(
        "input.yml".into(),
        None,
        text.to_owned(),
        kind,
        true,
        &settings,
        &mut findings,
    );
    let cx = Cx {
        ws: &ws,
        settings: &settings,
    };
    run_all(&cx, &mut findings);
    for f in &findings {
        assert!(f.line >= 1 || f.check == "yaml-syntax", "{f:?}");
    }
}

const YAML_PIECES: &[&str] = &[
    "groups:",
    "- name: g",
    "  rules:",
    "  - alert: A",
    "    expr: up == 0",
    "    for: 5m",
    "    labels:",
    "      severity: critical",
    "    annotations:",
    "      summary: '{{ $value }}'",
    "route:",
    "  receiver: r",
    "  routes:",
    "  - matchers: [a=\"b\"]",
    "receivers:",
    "- name: r",
    "  email_configs:",
    "  - to: x",
    "inhibit_rules:",
    "- equal: [a]",
    "scrape_configs:",
    "- job_name: j",
    "rule_files: ['*.yml']",
    "&a",
    "*a",
    "<<: *a",
    "{",
    "}",
    "[",
    "]",
    "\t",
    "'",
    "\"",
    "---",
    "- ",
    ":",
    "#",
    "|",
    ">",
    "? ",
    "!!str",
    "~",
    "kind: PrometheusRule",
    "spec:",
];

const PROMQL_PIECES: &[&str] = &[
    "up",
    "rate(",
    "sum",
    " by (",
    "job",
    ")",
    "[5m]",
    "[",
    ":",
    "]",
    "{",
    "}",
    "job=\"a\"",
    "=~\"^x$\"",
    ",",
    " > ",
    " == bool ",
    " and ",
    " or ",
    " unless ",
    "0.5",
    "1e3",
    "histogram_quantile(",
    "absent(",
    "label_replace(",
    "\"",
    "offset 5m",
    "@ 100",
    "-",
    "+",
    "*",
    "/",
    "(",
    "topk(3,",
    "count_values(\"v\",",
    " on(a) group_left(b) ",
    "__name__",
    "sort_by_label(",
    "holt_winters(",
];

const TEMPLATE_PIECES: &[&str] = &[
    "{{",
    "}}",
    "{{-",
    "-}}",
    " $labels.job ",
    " $value ",
    " | humanize ",
    " if ",
    " else ",
    " end ",
    " range ",
    " with ",
    " $x := ",
    " $x = ",
    "\"s\"",
    "`raw`",
    "(",
    ")",
    " printf ",
    " . ",
    "/*",
    "*/",
    " define \"t\" ",
    " template \"t\" ",
    " break ",
    " query ",
    "'c'",
    " 1.5e3 ",
    " -1 ",
    ".Labels.x",
];

fn joined(pieces: &'static [&'static str], sep: &'static str) -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(pieces), 0..40).prop_map(move |v| v.join(sep))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, .. ProptestConfig::default() })]

    #[test]
    fn arbitrary_text_never_panics(text in "\\PC{0,300}") {
        lint(&text, None);
    }

    #[test]
    fn yaml_shaped_text_never_panics(text in joined(YAML_PIECES, "\n")) {
        lint(&text, None);
        lint(&text, Some(FileKind::Rules));
        lint(&text, Some(FileKind::Alertmanager));
        lint(&text, Some(FileKind::Prometheus));
    }

    #[test]
    fn promql_shaped_exprs_never_panic(expr in joined(PROMQL_PIECES, "")) {
        let _ = alert_lint::promql::parse(&expr);
        let rule = format!(
            "groups:\n- name: g\n  rules:\n  - alert: A\n    expr: {}\n    annotations:\n      summary: '{{{{ $labels.job }}}}'\n",
            serde_json::to_string(&expr).unwrap()
        );
        lint(&rule, None);
    }

    #[test]
    fn template_shaped_text_never_panics(text in joined(TEMPLATE_PIECES, "")) {
        let _ = alert_lint::template::check(&text, (3, 0));
    }

    #[test]
    fn matcher_text_never_panics(text in "\\PC{0,60}") {
        let _ = alert_lint::alertmanager::parse_matcher_list(&text, false);
        let _ = alert_lint::alertmanager::parse_matcher_list(&text, true);
    }
}
