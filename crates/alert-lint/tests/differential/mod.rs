//! Differential tests against the real tools: over a corpus of good and
//! broken files, alert-lint reports an error exactly when `promtool check
//! rules` / `amtool check-config` reject the file. Debian ships promtool
//! 2.42 and amtool 0.25 (scripts/deps/alert-lint.sh installs them), so
//! alert-lint runs with those target versions. Without the binaries the
//! tests are skipped with a message saying how to get them.

mod current;

use std::path::{Path, PathBuf};
use std::process::Command;

use shipshape_testkit::cli;

use crate::{fixtures, tool};

fn available(binary: &str) -> bool {
    Command::new(binary)
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

fn skip(binary: &str) -> bool {
    if available(binary) {
        return false;
    }
    eprintln!(
        "SKIPPED: {binary} not found on PATH; run scripts/deps/alert-lint.sh (installs Debian's prometheus and prometheus-alertmanager)"
    );
    true
}

fn yaml_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yml"))
        .collect();
    files.sort();
    files
}

/// Rule files among the per-check bad fixtures.
fn bad_fixtures(prefix: Option<&str>, marker: &str) -> Vec<PathBuf> {
    yaml_files(&fixtures().join("alert-lint/bad"))
        .into_iter()
        .filter(|p| {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            let text = std::fs::read_to_string(p).unwrap_or_default();
            prefix.is_none_or(|pre| name.starts_with(pre))
                && text.lines().any(|l| l.starts_with(marker))
        })
        .collect()
}

fn compare(files: &[PathBuf], reference: &[&str], ours: &[&str]) {
    let mut mismatches = Vec::new();
    for file in files {
        let theirs = Command::new(reference[0])
            .args(&reference[1..])
            .arg(file)
            .output()
            .unwrap();
        let run = cli::run(tool().arg("--no-config").args(ours).arg(file));
        let they_reject = !theirs.status.success();
        let we_reject = run.code == Some(1);
        assert!(
            matches!(run.code, Some(0 | 1)),
            "{}: {}",
            file.display(),
            run.snapshot()
        );
        if they_reject != we_reject {
            mismatches.push(format!(
                "{}: {} {}, alert-lint {}\n{}\n{}",
                file.display(),
                reference.join(" "),
                if they_reject { "rejects" } else { "accepts" },
                if we_reject { "rejects" } else { "accepts" },
                String::from_utf8_lossy(&theirs.stdout),
                run.stdout
            ));
        }
    }
    assert!(
        mismatches.is_empty(),
        "{} of {} files disagree:\n{}",
        mismatches.len(),
        files.len(),
        mismatches.join("\n")
    );
}

#[test]
fn rule_files_agree_with_promtool_2_42() {
    if skip("promtool") {
        return;
    }
    let mut files = yaml_files(&fixtures().join("alert-lint/differential/rules"));
    files.extend(bad_fixtures(None, "groups:"));
    files.push(fixtures().join("stack/monitoring/alert_rules.yml"));
    assert!(files.len() > 40, "{}", files.len());
    // Both outcomes must be represented, or the test proves nothing.
    assert!(files.iter().any(|f| f.to_string_lossy().contains("good-")));
    assert!(files.iter().any(|f| f.to_string_lossy().contains("bad-")));
    compare(
        &files,
        &["promtool", "check", "rules"],
        &["--prometheus-version", "2.42"],
    );
}

#[test]
fn alertmanager_configs_agree_with_amtool_0_25() {
    if skip("amtool") {
        return;
    }
    let mut files = yaml_files(&fixtures().join("alert-lint/differential/alertmanager"));
    files.extend(bad_fixtures(Some("am-"), "route:"));
    files.push(fixtures().join("stack/monitoring/alertmanager.yml"));
    files.push(fixtures().join("alert-lint/bad/am-template/alertmanager.yml"));
    assert!(files.len() > 25, "{}", files.len());
    compare(
        &files,
        &["amtool", "check-config"],
        &["--alertmanager-version", "0.25"],
    );
}

#[test]
fn prometheus_configs_agree_with_promtool_check_config_2_42() {
    if skip("promtool") {
        return;
    }
    let mut files = yaml_files(&fixtures().join("alert-lint/differential/prometheus"));
    files.extend(bad_fixtures(None, "scrape_configs:"));
    assert!(files.len() > 10, "{}", files.len());
    compare(
        &files,
        &["promtool", "check", "config", "--syntax-only"],
        &["--prometheus-version", "2.42"],
    );
}
