//! Every check has a bad fixture under fixtures/alert-lint/bad/ (a file, or
//! a directory for cross-file checks) named by its id. Each is linted and
//! both the human and the JSON output are snapshotted; the check's id must
//! be among the findings.

use shipshape_testkit::cli;

use crate::{fixtures, tool};

fn lint(entry: &str, format: &str) -> cli::Run {
    let dir = fixtures().join("alert-lint/bad");
    let path = dir.join(entry);
    let mut args = vec![
        "--no-config".to_owned(),
        "--format".to_owned(),
        format.to_owned(),
    ];
    if path.is_file() {
        let text = std::fs::read_to_string(&path).unwrap();
        if let Some(extra) = text.lines().find_map(|l| l.strip_prefix("# args: ")) {
            args.extend(extra.split_whitespace().map(str::to_owned));
        }
    }
    args.push(entry.to_owned());
    cli::run(tool().current_dir(&dir).args(&args))
}

/// The id of every check, from `--list-checks`.
fn check_ids() -> Vec<String> {
    let run = cli::run(tool().arg("--list-checks"));
    assert_eq!(run.code, Some(0), "{}", run.snapshot());
    run.stdout
        .lines()
        .filter_map(|l| l.split_whitespace().next().map(str::to_owned))
        .collect()
}

fn entry_for(id: &str) -> String {
    let dir = fixtures().join("alert-lint/bad");
    if dir.join(id).is_dir() {
        id.to_owned()
    } else {
        format!("{id}.yml")
    }
}

#[test]
fn every_check_has_a_bad_fixture_that_triggers_it() {
    let ids = check_ids();
    assert!(ids.len() >= 50, "{ids:?}");
    for id in &ids {
        let entry = entry_for(id);
        assert!(
            fixtures().join("alert-lint/bad").join(&entry).exists(),
            "no bad fixture for {id}"
        );
        let run = lint(&entry, "json");
        let json: serde_json::Value = serde_json::from_str(&run.stdout)
            .unwrap_or_else(|e| panic!("{id}: not JSON ({e}): {}", run.snapshot()));
        let codes: Vec<&str> = json["diagnostics"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d["code"].as_str().unwrap())
            .collect();
        assert!(
            codes.contains(&id.as_str()),
            "{id} not reported: {}",
            run.snapshot()
        );
        let errors = json["summary"]["errors"].as_u64().unwrap();
        let expected = if errors > 0 { Some(1) } else { Some(0) };
        assert_eq!(
            run.code,
            expected,
            "{id}: exit code vs errors: {}",
            run.snapshot()
        );
        // Every finding has a position and a check id that --explain knows.
        for d in json["diagnostics"].as_array().unwrap() {
            assert!(d["line"].as_u64().unwrap() >= 1, "{id}: {d}");
            assert!(d["column"].as_u64().unwrap() >= 1, "{id}: {d}");
        }
    }
}

#[test]
fn snapshots_of_every_check() {
    for id in check_ids() {
        let entry = entry_for(&id);
        let human = lint(&entry, "human");
        insta::assert_snapshot!(format!("{id}-human"), human.snapshot());
        let json = lint(&entry, "json");
        insta::assert_snapshot!(format!("{id}-json"), json.snapshot());
    }
}

#[test]
fn every_check_can_be_explained() {
    for id in check_ids() {
        let run = cli::run(tool().args(["--explain", &id]));
        assert_eq!(run.code, Some(0), "{}", run.snapshot());
        assert!(run.stdout.starts_with(&id), "{}", run.stdout);
        assert!(run.stdout.contains("disable="), "{}", run.stdout);
    }
}

#[test]
fn sarif_lists_each_reported_check_once() {
    let run = lint("unrouted-alert", "sarif");
    let sarif: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    let rules = sarif["runs"][0]["tool"]["driver"]["rules"]
        .as_array()
        .unwrap();
    assert!(
        rules.iter().any(|r| r["id"] == "unrouted-alert"),
        "{}",
        run.stdout
    );
}

#[test]
fn docs_describe_every_check() {
    let docs = std::fs::read_to_string(
        shipshape_testkit::cli::workspace_root().join("docs/alert-lint.md"),
    )
    .unwrap();
    for id in check_ids() {
        assert!(
            docs.contains(&format!("### `{id}`")),
            "docs/alert-lint.md does not describe {id}"
        );
    }
}
