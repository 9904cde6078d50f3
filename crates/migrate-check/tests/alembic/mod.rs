//! The Alembic layout, driven through the real alembic command installed by
//! scripts/deps/migrate-check.sh into target/migrate-check-venv.

use std::path::PathBuf;
use std::sync::OnceLock;

use crate::{check_status, checked_run, errors, fixture, json, root, serial, tool_on_server};

/// The virtualenv's bin directory, installing it when missing (the script
/// is idempotent and quick when everything is there).
fn venv_bin() -> &'static PathBuf {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| {
        let bin = root().join("target/migrate-check-venv/bin");
        if !bin.join("alembic").is_file() {
            let status = std::process::Command::new("sh")
                .arg(root().join("scripts/deps/migrate-check.sh"))
                .status()
                .unwrap();
            assert!(status.success(), "scripts/deps/migrate-check.sh failed");
        }
        bin
    })
}

fn path_with_venv() -> String {
    format!(
        "{}:{}",
        venv_bin().display(),
        std::env::var("PATH").unwrap_or_default()
    )
}

#[test]
fn the_stack_alembic_project_passes() {
    let _guard = serial();
    let dir = fixture("fixtures/stack/migrations/alembic");
    let run = checked_run(
        tool_on_server()
            .env("PATH", path_with_venv())
            .arg(&dir)
            .args(["--format", "json"]),
    );
    assert_eq!(run.code, Some(0), "{}", run.snapshot());
    let value = json(&run);
    assert_eq!(value["layout"], "alembic");
    assert_eq!(value["migrations"], 8);
    for check in ["prerequisites", "history", "upgrade", "stairway", "reset"] {
        assert_eq!(
            check_status(&value, check),
            "passed",
            "{check}: {}",
            run.stdout
        );
    }
}

#[test]
fn two_heads_fail_history_and_nothing_runs() {
    let _guard = serial();
    let dir = fixture("fixtures/migrate-check/alembic-two-heads");
    let run = checked_run(
        tool_on_server()
            .env("PATH", path_with_venv())
            .arg(&dir)
            .args(["--format", "json"]),
    );
    assert_eq!(run.code, Some(1), "{}", run.snapshot());
    let value = json(&run);
    let history = errors(&value, "history");
    assert!(
        history.iter().any(|(m, _)| m.contains("2 heads")
            && m.contains("0002_status")
            && m.contains("0002_total")),
        "{history:?}"
    );
    assert_eq!(check_status(&value, "upgrade"), "skipped");
}

#[test]
fn a_downgrade_losing_not_null_and_default_is_named_via_alembic_command_config() {
    let _guard = serial();
    // alembic_command and env from the config file: python -m alembic from
    // the virtualenv, and an env var built from placeholders.
    let scratch = tempfile::tempdir().unwrap();
    let python = venv_bin().join("python");
    std::fs::write(
        scratch.path().join("shipshape.toml"),
        format!(
            "[migrate-check]\ndir = '{}'\nalembic_command = ['{}', '-m', 'alembic']\n\n\
             [migrate-check.env]\nAPP_DB_NAME = '{{database}}'\n",
            fixture("fixtures/migrate-check/alembic-loses-not-null").display(),
            python.display()
        ),
    )
    .unwrap();
    let run = checked_run(
        tool_on_server()
            .current_dir(scratch.path())
            .args(["--format", "json"]),
    );
    assert_eq!(run.code, Some(1), "{}", run.snapshot());
    let value = json(&run);
    let stairway = errors(&value, "stairway");
    assert!(
        stairway.iter().any(|(m, f)| m.contains(
            "down of 0002_owner_bigint did not reverse: column public.item.owner_id: default was lost (was 0); NOT NULL was lost"
        ) && f.ends_with("0002_owner_bigint.py")),
        "{stairway:?}"
    );
    // Column order is reported, at lower severity.
    let warnings: Vec<&str> = value["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["severity"] == "warning" && d["code"] == "stairway")
        .map(|d| d["message"].as_str().unwrap())
        .collect();
    assert!(
        warnings
            .iter()
            .any(|m| m.contains("column order of public.item")),
        "{warnings:?}"
    );
}
