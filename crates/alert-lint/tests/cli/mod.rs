//! The command line end to end: inputs, kinds, config, suppression, exit codes.

use std::path::Path;

use shipshape_testkit::cli;

use crate::{fixtures, tool};

struct Scene {
    dir: tempfile::TempDir,
}

impl Scene {
    fn new() -> Self {
        Self {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    fn write(&self, name: &str, text: &str) {
        let path = self.dir.path().join(name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).unwrap();
        }
        std::fs::write(path, text).unwrap();
    }

    fn run(&self, args: &[&str]) -> cli::Run {
        cli::run(tool().current_dir(self.dir.path()).args(args))
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }
}

const GOOD_RULES: &str = r#"groups:
  - name: api
    rules:
      - alert: ApiDown
        expr: up{job="api"} == 0
        for: 5m
        labels:
          severity: critical
        annotations:
          summary: API is down
          description: "{{ $labels.instance }} is down"
"#;

const NO_FOR: &str = r#"groups:
  - name: api
    rules:
      - alert: ApiDown
        expr: up{job="api"} == 0
        labels:
          severity: critical
        annotations:
          summary: API is down
          description: "{{ $labels.instance }} is down"
"#;

#[test]
fn help_lists_exit_codes_and_examples() {
    let run = cli::run(tool().arg("--help"));
    assert_eq!(run.code, Some(0), "{}", run.snapshot());
    assert!(run.stdout.contains("Exit codes:"), "{}", run.stdout);
    assert!(run.stdout.contains("130"), "{}", run.stdout);
    assert!(run.stdout.contains("Examples:"), "{}", run.stdout);
}

#[test]
fn version_exits_0() {
    let run = cli::run(tool().arg("--version"));
    assert_eq!(run.code, Some(0));
    assert!(run.stdout.starts_with("alert-lint "), "{}", run.stdout);
}

#[test]
fn unknown_flag_is_a_usage_error() {
    let run = cli::run(tool().arg("--no-such-flag"));
    assert_eq!(run.code, Some(2), "{}", run.snapshot());
}

#[test]
fn the_example_stack_lints_clean_for_every_target_version() {
    let stack = fixtures().join("stack/monitoring");
    for versions in [
        vec![],
        vec![
            "--prometheus-version",
            "2.42",
            "--alertmanager-version",
            "0.25",
        ],
    ] {
        let mut cmd = tool();
        cmd.current_dir(fixtures().join("stack"))
            .arg("--no-config")
            .args(&versions)
            .arg("monitoring/");
        let run = cli::run(&mut cmd);
        assert_eq!(run.code, Some(0), "{}", run.snapshot());
        assert_eq!(
            run.stdout, "alert-lint: no problems found (ok)\n",
            "{versions:?}"
        );
        assert!(stack.join("alert_rules.yml").exists());
    }
    // With no path, monitoring/ is linted.
    let run = cli::run(
        tool()
            .current_dir(fixtures().join("stack"))
            .arg("--no-config"),
    );
    assert_eq!(run.code, Some(0), "{}", run.snapshot());
    let json = cli::run(tool().current_dir(fixtures().join("stack")).args([
        "--no-config",
        "--format",
        "json",
    ]));
    insta::assert_snapshot!("stack_json", json.snapshot());
}

#[test]
fn rule_files_of_a_linted_prometheus_yml_are_linted_too() {
    let run = cli::run(tool().current_dir(fixtures().join("stack")).args([
        "--no-config",
        "--format",
        "json",
        "monitoring/prometheus.yml",
        "monitoring/alertmanager.yml",
    ]));
    assert_eq!(run.code, Some(0), "{}", run.snapshot());
    let json: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    let files = json["files"].as_array().unwrap();
    assert_eq!(files.len(), 3, "{}", run.stdout);
    assert_eq!(files[2]["path"], "monitoring/alert_rules.yml");
    assert_eq!(files[2]["kind"], "rules");
    // Cross-file checks see the followed rules: breaking a route shows up.
    let scene = Scene::new();
    for name in ["prometheus.yml", "alert_rules.yml", "alertmanager.yml"] {
        let text = std::fs::read_to_string(fixtures().join("stack/monitoring").join(name)).unwrap();
        scene.write(
            &format!("m/{name}"),
            &text.replace("team: database", "team: databse"),
        );
    }
    let run = scene.run(&["--no-config", "m/prometheus.yml", "m/alertmanager.yml"]);
    assert!(run.stdout.contains("[dead-route]"), "{}", run.stdout);
}

#[test]
fn scrape_config_files_are_followed_for_job_names() {
    let scene = Scene::new();
    scene.write(
        "prometheus.yml",
        "global:\n  scrape_interval: 15s\nrule_files: [rules.yml]\nscrape_config_files: ['scrape/*.yml']\nalerting:\n  alertmanagers:\n    - static_configs:\n        - targets: [am:9093]\n",
    );
    scene.write(
        "scrape/api.yml",
        "scrape_configs:\n  - job_name: api\n    static_configs: [{targets: ['api:1']}]\n",
    );
    let rules = format!(
        "{GOOD_RULES}{}",
        GOOD_RULES
            .trim_start_matches("groups:\n  - name: api\n    rules:\n")
            .replace("ApiDown", "ApixDown")
            .replace("job=\"api\"", "job=\"apix\"")
    );
    scene.write("rules.yml", &rules);
    let run = scene.run(&["--no-config", "--format", "json", "prometheus.yml"]);
    let json: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    let codes: Vec<(&str, &str)> = json["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| (d["code"].as_str().unwrap(), d["message"].as_str().unwrap()))
        .collect();
    assert_eq!(json["files"].as_array().unwrap().len(), 3, "{}", run.stdout);
    assert_eq!(codes.len(), 1, "{codes:?}");
    assert_eq!(codes[0].0, "unknown-job", "{codes:?}");
    assert!(codes[0].1.contains("apix"), "{codes:?}");
}

#[test]
fn explain_prints_the_check_and_unknown_ids_are_usage_errors() {
    let run = cli::run(tool().args(["--explain", "rate-window"]));
    insta::assert_snapshot!("explain_rate_window", run.snapshot());
    let run = cli::run(tool().args(["--explain", "rate-windw"]));
    assert_eq!(run.code, Some(2), "{}", run.snapshot());
    assert!(
        run.stderr.contains("did you mean \"rate-window\""),
        "{}",
        run.stderr
    );
}

#[test]
fn stdin_is_read_with_dash() {
    let run = cli::run_with_stdin(
        tool()
            .args(["--no-config", "-"])
            .current_dir(std::env::temp_dir()),
        NO_FOR,
    );
    assert_eq!(run.code, Some(0), "{}", run.snapshot());
    assert!(run.stdout.contains("<stdin>"), "{}", run.stdout);
    assert!(run.stdout.contains("[missing-for]"), "{}", run.stdout);
}

#[test]
fn prometheus_rule_objects_in_multi_document_helm_output() {
    let scene = Scene::new();
    scene.write(
        "rendered.yaml",
        r#"---
# Source: chart/templates/configmap.yaml
apiVersion: v1
kind: ConfigMap
metadata:
  name: unrelated
data:
  groups: not-a-rule-file
---
# Source: chart/templates/rules.yaml
apiVersion: monitoring.coreos.com/v1
kind: PrometheusRule
metadata:
  name: api
spec:
  groups:
    - name: api
      partial_response_strategy: warn
      rules:
        - alert: ApiDown
          expr: up{job="api"} == 0
          labels:
            severity: critical
          annotations:
            summary: API is down
            description: down
"#,
    );
    let run = scene.run(&["--no-config", "--format", "json", "rendered.yaml"]);
    let json: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(
        json["files"][0]["kind"], "prometheus-rule",
        "{}",
        run.stdout
    );
    let codes: Vec<&str> = json["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["code"].as_str().unwrap())
        .collect();
    assert_eq!(codes, vec!["missing-for"], "{}", run.stdout);
    assert_eq!(json["diagnostics"][0]["line"], 20);
}

#[test]
fn directories_are_walked_and_unrelated_yaml_is_skipped() {
    let scene = Scene::new();
    scene.write("monitoring/rules/api.yml", GOOD_RULES);
    scene.write(
        "monitoring/docker-compose.yml",
        "services:\n  web:\n    image: nginx\n",
    );
    scene.write("monitoring/notes.txt", "groups: [");
    let run = scene.run(&["--no-config", "--format", "json"]);
    assert_eq!(run.code, Some(0), "{}", run.snapshot());
    let json: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(json["files"].as_array().unwrap().len(), 1, "{}", run.stdout);
    // Named explicitly, an unrecognised file is an error.
    let run = scene.run(&["--no-config", "monitoring/docker-compose.yml"]);
    assert_eq!(run.code, Some(1), "{}", run.snapshot());
    assert!(run.stdout.contains("[unknown-file-kind]"), "{}", run.stdout);
    // --kind forces it.
    let run = scene.run(&[
        "--no-config",
        "--kind",
        "rules",
        "monitoring/docker-compose.yml",
    ]);
    assert!(run.stdout.contains("[unknown-field]"), "{}", run.stdout);
}

#[test]
fn a_file_that_is_not_utf8_is_a_finding_not_a_crash() {
    let scene = Scene::new();
    std::fs::write(
        scene.path().join("latin1.yml"),
        b"groups:\n  - name: caf\xe9\n",
    )
    .unwrap();
    let run = scene.run(&["--no-config", "latin1.yml"]);
    assert_eq!(run.code, Some(1), "{}", run.snapshot());
    assert!(run.stdout.contains("not valid UTF-8"), "{}", run.stdout);
}

#[test]
fn globs_are_expanded() {
    let scene = Scene::new();
    scene.write("rules/a.yml", GOOD_RULES);
    scene.write("rules/b.yml", NO_FOR);
    let run = scene.run(&["--no-config", "rules/*.yml"]);
    assert_eq!(run.code, Some(0), "{}", run.snapshot());
    assert!(run.stdout.contains("rules/b.yml"), "{}", run.stdout);
    let run = scene.run(&["--no-config", "nothing/*.yml"]);
    assert_eq!(run.code, Some(2), "{}", run.snapshot());
}

#[test]
fn missing_paths_are_usage_errors() {
    let scene = Scene::new();
    let run = scene.run(&["--no-config"]);
    assert_eq!(run.code, Some(2), "{}", run.snapshot());
    assert!(run.stderr.contains("monitoring/"), "{}", run.stderr);
    let run = scene.run(&["--no-config", "nope.yml"]);
    assert_eq!(run.code, Some(2), "{}", run.snapshot());
    assert!(run.stderr.contains("nope.yml"), "{}", run.stderr);
}

#[test]
fn strict_and_fail_on_make_warnings_count() {
    let scene = Scene::new();
    // One warning (severity-label) and one note (missing-for).
    scene.write("rules.yml", &NO_FOR.replace("critical", "page"));
    assert_eq!(scene.run(&["--no-config", "rules.yml"]).code, Some(0));
    assert_eq!(
        scene.run(&["--no-config", "--strict", "rules.yml"]).code,
        Some(1)
    );
    assert_eq!(
        scene
            .run(&["--no-config", "--fail-on", "warning", "rules.yml"])
            .code,
        Some(1)
    );
    // `strict` in the config too; the warning stays a warning.
    scene.write("shipshape.toml", "[alert-lint]\nstrict = true\n");
    let run = scene.run(&["--format", "json", "rules.yml"]);
    assert_eq!(run.code, Some(1), "{}", run.snapshot());
    let json: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    let severity_label = json["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["code"] == "severity-label")
        .unwrap();
    assert_eq!(severity_label["severity"], "warning", "{}", run.stdout);
    assert_eq!(json["ok"], false);
}

#[test]
fn select_and_ignore_choose_checks_and_disable_is_an_alias() {
    let scene = Scene::new();
    scene.write("rules.yml", NO_FOR);
    let codes = |args: &[&str]| -> Vec<String> {
        let mut all = vec!["--no-config", "--format", "json"];
        all.extend(args);
        all.push("rules.yml");
        let run = scene.run(&all);
        let json: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
        let mut codes: Vec<String> = json["diagnostics"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d["code"].as_str().unwrap().to_owned())
            .collect();
        codes.dedup();
        codes
    };
    assert!(codes(&[]).contains(&"missing-for".to_owned()));
    assert_eq!(codes(&["--select", "missing-for"]), ["missing-for"]);
    assert!(codes(&["--select", "missing-for", "--ignore", "missing-for"]).is_empty());
    assert!(!codes(&["--ignore", "missing-for"]).contains(&"missing-for".to_owned()));
    assert!(!codes(&["--disable", "missing-for"]).contains(&"missing-for".to_owned()));
    let run = scene.run(&["--no-config", "--ignore", "mising-for", "rules.yml"]);
    assert_eq!(run.code, Some(2), "{}", run.snapshot());
    assert!(
        run.stderr
            .contains("--ignore: unknown rule \"mising-for\"; did you mean \"missing-for\"?"),
        "{}",
        run.stderr
    );
}

#[test]
fn comments_disable_checks_per_rule_and_per_file() {
    let scene = Scene::new();
    let per_rule = NO_FOR.replace(
        "      - alert: ApiDown\n",
        "      # alert-lint: disable=missing-for\n      - alert: ApiDown\n",
    );
    scene.write("rule.yml", &per_rule);
    let run = scene.run(&["--no-config", "rule.yml"]);
    assert_eq!(
        run.stdout,
        "alert-lint: no problems found (ok)\n",
        "{}",
        run.snapshot()
    );
    let per_file = format!("# alert-lint: disable=missing-for\n{NO_FOR}");
    scene.write("file.yml", &per_file);
    let run = scene.run(&["--no-config", "file.yml"]);
    assert_eq!(
        run.stdout,
        "alert-lint: no problems found (ok)\n",
        "{}",
        run.snapshot()
    );
    // A comment above the second rule does not reach into the first.
    let two = format!(
        "{NO_FOR}{}",
        NO_FOR
            .trim_start_matches("groups:\n  - name: api\n    rules:\n")
            .replace(
                "      - alert: ApiDown\n",
                "      # alert-lint: disable=missing-for\n      - alert: ApiGone\n"
            )
    );
    scene.write("two.yml", &two);
    let run = scene.run(&["--no-config", "--format", "json", "two.yml"]);
    let json: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    let diagnostics = json["diagnostics"].as_array().unwrap();
    assert_eq!(diagnostics.len(), 1, "{}", run.stdout);
    assert_eq!(diagnostics[0]["subject"], "api/ApiDown", "{}", run.stdout);
    // A typo in the id is pointed out.
    scene.write(
        "typo.yml",
        &format!("# alert-lint: disable=missing-fr\n{NO_FOR}"),
    );
    let run = scene.run(&["--no-config", "typo.yml"]);
    assert!(run.stderr.contains("missing-fr"), "{}", run.snapshot());
    assert!(run.stdout.contains("[missing-for]"), "{}", run.snapshot());
}

#[test]
fn config_relevels_disables_and_sets_paths() {
    let scene = Scene::new();
    scene.write("mon/rules.yml", NO_FOR);
    scene.write(
        "shipshape.toml",
        "[alert-lint]\npaths = ['mon']\n\n[alert-lint.severity]\nmissing-for = 'error'\n",
    );
    let run = scene.run(&[]);
    assert_eq!(run.code, Some(1), "{}", run.snapshot());
    assert!(
        run.stdout
            .contains("error    alert \"ApiDown\" has no `for`"),
        "{}",
        run.stdout
    );
    scene.write(
        "shipshape.toml",
        "[alert-lint]\npaths = ['mon']\ndisable = ['missing-for']\n",
    );
    let run = scene.run(&[]);
    assert_eq!(
        run.stdout,
        "alert-lint: no problems found (ok)\n",
        "{}",
        run.snapshot()
    );
    // The flag wins over the file for versions.
    scene.write(
        "shipshape.toml",
        "[alert-lint]\nprometheus_version = '2.42'\n",
    );
    let run = scene.run(&["--print-config", "--prometheus-version", "3.1", "mon"]);
    assert!(
        run.stdout.contains("prometheus_version = \"3.1\""),
        "{}",
        run.stdout
    );
}

#[test]
fn config_overrides_apply_per_file() {
    let scene = Scene::new();
    scene.write("mon/legacy/old.yml", NO_FOR);
    scene.write("mon/new.yml", &NO_FOR.replace("ApiDown", "ApiGone"));
    scene.write(
        "shipshape.toml",
        "[alert-lint]\npaths = ['mon']\n\n[[alert-lint.overrides]]\nfiles = ['mon/legacy/*.yml']\ndisable = ['missing-for']\n\n[[alert-lint.overrides]]\nfiles = ['mon/new.yml']\nseverity = { missing-for = 'error' }\n",
    );
    let run = scene.run(&["--format", "json"]);
    assert_eq!(run.code, Some(1), "{}", run.snapshot());
    let json: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    let diagnostics = json["diagnostics"].as_array().unwrap();
    assert_eq!(diagnostics.len(), 1, "{}", run.stdout);
    assert_eq!(diagnostics[0]["file"], "mon/new.yml");
    assert_eq!(diagnostics[0]["severity"], "error");
    scene.write(
        "shipshape.toml",
        "[[alert-lint.overrides]]\nfiles = ['x']\ndisable = ['no-such-check']\n",
    );
    let run = scene.run(&["mon"]);
    assert_eq!(run.code, Some(2), "{}", run.snapshot());
    assert!(
        run.stderr
            .contains("overrides[0].ignore: unknown rule \"no-such-check\""),
        "{}",
        run.stderr
    );
}

#[test]
fn config_errors_exit_2_naming_the_problem() {
    let scene = Scene::new();
    scene.write("rules.yml", GOOD_RULES);
    scene.write("shipshape.toml", "[alert-lint]\ndisable = ['missing-fr']\n");
    let run = scene.run(&["rules.yml"]);
    assert_eq!(run.code, Some(2), "{}", run.snapshot());
    assert!(
        run.stderr.contains("did you mean \"missing-for\""),
        "{}",
        run.stderr
    );
    scene.write("shipshape.toml", "[alert-lint]\nscrape_interval = '15'\n");
    let run = scene.run(&["rules.yml"]);
    assert_eq!(run.code, Some(2), "{}", run.snapshot());
    assert!(run.stderr.contains("scrape_interval"), "{}", run.stderr);
    scene.write("shipshape.toml", "[alert-lint]\nsevertiy = {}\n");
    let run = scene.run(&["rules.yml"]);
    assert_eq!(run.code, Some(2), "{}", run.snapshot());
    let run = scene.run(&["--no-config", "--prometheus-version", "three", "rules.yml"]);
    assert_eq!(run.code, Some(2), "{}", run.snapshot());
}

#[test]
fn target_versions_decide_which_fields_are_legal() {
    let scene = Scene::new();
    let rules = GOOD_RULES.replace(
        "        for: 5m\n",
        "        for: 5m\n        keep_firing_for: 10m\n",
    );
    scene.write("rules.yml", &rules);
    assert_eq!(scene.run(&["--no-config", "rules.yml"]).code, Some(0));
    let run = scene.run(&["--no-config", "--prometheus-version", "2.41", "rules.yml"]);
    assert_eq!(run.code, Some(1), "{}", run.snapshot());
    assert!(
        run.stdout.contains("needs Prometheus 2.42 or later"),
        "{}",
        run.stdout
    );
    let grouped = GOOD_RULES.replace(
        "  - name: api\n",
        "  - name: api\n    labels:\n      team: api\n",
    );
    scene.write("grouped.yml", &grouped);
    assert_eq!(scene.run(&["--no-config", "grouped.yml"]).code, Some(0));
    assert_eq!(
        scene
            .run(&["--no-config", "--prometheus-version", "2.53", "grouped.yml"])
            .code,
        Some(1)
    );
    let vm = GOOD_RULES.replace("  - name: api\n", "  - name: api\n    concurrency: 2\n");
    scene.write("vm.yml", &vm);
    assert_eq!(scene.run(&["--no-config", "vm.yml"]).code, Some(1));
    assert_eq!(
        scene
            .run(&["--no-config", "--dialect", "vmalert", "vm.yml"])
            .code,
        Some(0)
    );
}

#[test]
fn rate_windows_use_the_scrape_interval_of_the_selected_jobs() {
    let scene = Scene::new();
    scene.write(
        "prometheus.yml",
        "global:\n  scrape_interval: 15s\nrule_files: [rules.yml]\nalerting:\n  alertmanagers:\n    - static_configs:\n        - targets: [am:9093]\nscrape_configs:\n  - job_name: api\n    static_configs: [{targets: ['api:1']}]\n  - job_name: batch\n    scrape_interval: 1m\n    static_configs: [{targets: ['batch:1']}]\n",
    );
    let rules = GOOD_RULES.replace(
        "up{job=\"api\"} == 0",
        "rate(errors_total{job=\"api\"}[2m]) > 1 or rate(errors_total{job=\"batch\"}[2m]) > 1 or rate(errors_total{job=~\"api|batch\"}[2m]) > 1",
    );
    scene.write("rules.yml", &rules);
    let run = scene.run(&[
        "--no-config",
        "--format",
        "json",
        "--disable",
        "job-without-up-alert",
        ".",
    ]);
    let json: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    let windows: Vec<&str> = json["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["code"] == "rate-window")
        .map(|d| d["message"].as_str().unwrap())
        .collect();
    assert_eq!(windows.len(), 2, "{}", run.stdout);
    assert!(windows.iter().all(|m| m.contains("(1m)")), "{windows:?}");
}

#[test]
fn github_format_annotates_with_positions() {
    let scene = Scene::new();
    scene.write("rules.yml", NO_FOR);
    let run = scene.run(&["--no-config", "--format", "github", "rules.yml"]);
    assert!(
        run.stdout.contains("::notice file=rules.yml,line=4,col=16"),
        "{}",
        run.stdout
    );
    assert!(scene.path().exists());
}

/// The check ids a JSON run reported, sorted.
fn codes(run: &cli::Run) -> Vec<String> {
    let json: serde_json::Value = serde_json::from_str(&run.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", run.snapshot()));
    let mut codes: Vec<String> = json["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["code"].as_str().unwrap().to_owned())
        .collect();
    codes.sort();
    codes
}

#[test]
fn rule_policies_come_from_the_config() {
    let scene = Scene::new();
    let rules = GOOD_RULES
        .replace("severity: critical", "severity: page")
        .replace(
            "up{job=\"api\"} == 0",
            "rate(errors_total{job=\"api\"}[1m]) > 1",
        )
        + "      - record: errors_rate\n        expr: sum(rate(errors_total[5m]))\n";
    scene.write("rules.yml", &rules);
    let lint = |extra: &[&str]| {
        let mut args = vec!["--format", "json", "rules.yml"];
        args.extend_from_slice(extra);
        scene.run(&args)
    };
    // Defaults: severities critical/warning/info, no runbook_url required,
    // level:metric:operations names, a 15s scrape interval (1m = 4 × 15s is
    // long enough).
    scene.write("shipshape.toml", "[alert-lint]\n");
    assert_eq!(
        codes(&lint(&[])),
        ["record-naming", "severity-label"],
        "defaults"
    );
    scene.write(
        "shipshape.toml",
        "[alert-lint]\nseverities = ['page', 'ticket']\nrunbook_url_required = true\nrecord_name_pattern = '^[a-z_]+$'\nscrape_interval = '30s'\n",
    );
    let run = lint(&[]);
    assert_eq!(
        codes(&run),
        ["missing-annotation", "rate-window"],
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("runbook_url"), "{}", run.stdout);
    assert!(run.stdout.contains("(30s)"), "{}", run.stdout);
    // The flag wins over the file.
    assert_eq!(
        codes(&lint(&["--scrape-interval", "15s"])),
        ["missing-annotation"]
    );
}

#[test]
fn empty_rule_files_are_valid_named_or_followed() {
    let scene = Scene::new();
    let empties = [
        ("empty.yml", ""),
        ("comments.yml", "# placeholder\n"),
        ("null.yml", "null\n"),
        ("braces.yml", "{}\n"),
        ("groups.yml", "groups: []\n"),
        ("bom.yml", "\u{feff}"),
    ];
    for (name, text) in empties {
        scene.write(name, text);
        let run = scene.run(&["--no-config", "--format", "json", name]);
        assert_eq!(run.code, Some(0), "{name}: {}", run.snapshot());
        let json: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
        assert_eq!(json["files"][0]["kind"], "rules", "{name}: {}", run.stdout);
        assert_eq!(
            json["diagnostics"].as_array().unwrap().len(),
            0,
            "{name}: {}",
            run.stdout
        );
    }
    scene.write(
        "prometheus.yml",
        "rule_files: [empty.yml, comments.yml, null.yml]\nscrape_configs: []\n",
    );
    let run = scene.run(&[
        "--no-config",
        "--disable",
        "no-alertmanager",
        "prometheus.yml",
    ]);
    assert_eq!(run.code, Some(0), "{}", run.snapshot());
    // Something that really is another kind of file still is reported, and
    // the message says what it looks like.
    scene.write(
        "deploy.yml",
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: x}\n",
    );
    let run = scene.run(&["--no-config", "deploy.yml"]);
    assert_eq!(run.code, Some(1), "{}", run.snapshot());
    assert!(
        run.stdout.contains("a Kubernetes Deployment object"),
        "{}",
        run.stdout
    );
}

#[test]
fn a_bom_does_not_change_the_verdict_and_only_the_first_document_is_read() {
    let scene = Scene::new();
    scene.write("plain.yml", GOOD_RULES);
    scene.write("bom.yml", &format!("\u{feff}{GOOD_RULES}"));
    let plain = scene.run(&["--no-config", "plain.yml"]);
    let bom = scene.run(&["--no-config", "bom.yml"]);
    assert_eq!(
        plain.code,
        bom.code,
        "{}\n{}",
        plain.snapshot(),
        bom.snapshot()
    );
    assert_eq!(plain.stdout.replace("plain.yml", "bom.yml"), bom.stdout);
    // The second document is ignored (with a warning), as Prometheus does.
    scene.write(
        "multi.yml",
        &format!(
            "{GOOD_RULES}---\ngroups:\n- name: x\n  rules:\n  - record: a\n    expr: 'sum('\n"
        ),
    );
    let run = scene.run(&["--no-config", "multi.yml"]);
    assert_eq!(run.code, plain.code, "{}", run.snapshot());
    assert!(run.stdout.contains("[multi-document]"), "{}", run.stdout);
    assert!(!run.stdout.contains("[promql-syntax]"), "{}", run.stdout);
}

#[test]
fn inhibit_equal_is_not_claimed_missing_when_the_source_keeps_its_series_labels() {
    let scene = Scene::new();
    let alerts = r#"groups:
  - name: node
    rules:
      - alert: FilesystemFull
        expr: node_filesystem_avail_bytes{fstype!="tmpfs"} / node_filesystem_size_bytes < 0.02
        for: 5m
        labels: {severity: critical}
        annotations: {summary: full, description: "{{ $labels.mountpoint }}"}
      - alert: FilesystemAlmostFull
        expr: node_filesystem_avail_bytes{fstype!="tmpfs"} / node_filesystem_size_bytes < 0.1
        for: 5m
        labels: {severity: warning}
        annotations: {summary: almost full, description: "{{ $labels.mountpoint }}"}
      - alert: DiskErrorsTotal
        expr: sum(rate(node_disk_io_errors_total[5m])) > 0
        for: 5m
        labels: {severity: critical, kind: disk}
        annotations: {summary: errors, description: errors}
"#;
    let am = |equal: &str, source: &str| {
        format!(
            "route:\n  receiver: ops\nreceivers:\n  - name: ops\n    webhook_configs: [{{url: 'http://alert-router:8080/hook'}}]\ninhibit_rules:\n  - source_matchers: [{source}]\n    target_matchers: [severity=\"warning\"]\n    equal: [{equal}]\n"
        )
    };
    scene.write("rules.yml", alerts);
    scene.write(
        "am.yml",
        &am("mountpoint, instance", "severity=\"critical\""),
    );
    let run = scene.run(&["--no-config", "rules.yml", "am.yml"]);
    assert!(
        !run.stdout.contains("[inhibit-equal-missing]"),
        "{}",
        run.stdout
    );
    // An internal webhook URL is not an inline secret.
    assert!(!run.stdout.contains("[am-inline-secret]"), "{}", run.stdout);
    // When every source aggregated the label away, it is certainly missing.
    scene.write("am.yml", &am("mountpoint", "kind=\"disk\""));
    let run = scene.run(&["--no-config", "rules.yml", "am.yml"]);
    assert!(
        run.stdout.contains("[inhibit-equal-missing]"),
        "{}",
        run.stdout
    );
}

#[test]
fn webhook_urls_that_carry_a_secret_are_still_reported() {
    let scene = Scene::new();
    for (url, secret) in [
        ("http://alert-router:8080/hook", false),
        ("https://alerts.internal.example.com/api/v1/notify", false),
        ("https://hooks.slack.com/services/T000/B000/XXXXXXXX", true),
        ("https://discord.com/api/webhooks/1/abc", true),
        ("https://relay.example.com/hook?token=abc", true),
        ("https://user:pw@relay.example.com/hook", true),
        (
            "https://relay.example.com/h/3f9a1c7e5b2d4f6a8c0e1b3d5f7a9c1e",
            true,
        ),
    ] {
        scene.write(
            "am.yml",
            &format!("route:\n  receiver: ops\nreceivers:\n  - name: ops\n    webhook_configs: [{{url: '{url}'}}]\n"),
        );
        let run = scene.run(&["--no-config", "am.yml"]);
        assert_eq!(
            run.stdout.contains("[am-inline-secret]"),
            secret,
            "{url}: {}",
            run.stdout
        );
    }
}

#[test]
fn every_finding_inside_a_rule_names_the_rule() {
    let scene = Scene::new();
    scene.write(
        "rules.yml",
        "groups:\n  - name: database\n    rules:\n      - alert: DatabaseDown\n        expr: up{job=\"db\"} == 0\n        for: 5\n        labels: [severity]\n        anotations: {}\n      - alert: Broken\n        record: also:a:record\n        expr: 'sum(up'\n        annotations: {summary: '{{ $labels.job '}\n",
    );
    let run = scene.run(&["--no-config", "--format", "json", "rules.yml"]);
    assert_eq!(run.code, Some(1), "{}", run.snapshot());
    let json: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    let diagnostics = json["diagnostics"].as_array().unwrap();
    for code in [
        "invalid-duration",
        "wrong-type",
        "unknown-field",
        "rule-kind",
        "promql-syntax",
    ] {
        assert!(
            diagnostics.iter().any(|d| d["code"] == code),
            "{code}: {}",
            run.stdout
        );
    }
    for d in diagnostics {
        let subject = d["subject"].as_str().unwrap_or_default();
        assert!(
            subject == "database/DatabaseDown" || subject == "database/Broken",
            "{d}"
        );
    }
}

#[test]
fn a_file_given_twice_or_also_found_in_its_directory_is_linted_once() {
    let scene = Scene::new();
    scene.write("m/rules.yml", GOOD_RULES);
    scene.write("m/other.yml", GOOD_RULES);
    let run = scene.run(&[
        "--no-config",
        "--format",
        "json",
        "m/rules.yml",
        "m",
        "m/rules.yml",
        "-",
    ]);
    let json: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    let paths: Vec<&str> = json["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["path"].as_str().unwrap())
        .collect();
    assert_eq!(
        paths,
        ["m/rules.yml", "m/other.yml", "<stdin>"],
        "{}",
        run.stdout
    );
}

#[test]
fn paths_in_the_config_file_are_relative_to_it() {
    let scene = Scene::new();
    scene.write("conf/shipshape.toml", "[alert-lint]\npaths = ['mon']\n");
    scene.write("conf/mon/rules.yml", NO_FOR);
    let run = scene.run(&["--config", "conf/shipshape.toml", "--format", "json"]);
    assert_eq!(run.code, Some(0), "{}", run.snapshot());
    let json: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(
        json["files"][0]["path"], "conf/mon/rules.yml",
        "{}",
        run.stdout
    );
}
