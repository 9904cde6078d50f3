//! The example stack's history in every SQL layout passes every check.

use crate::{check_status, checked_run, fixture, json, serial, tool_on_server};

fn passes(layout: &str) {
    let _guard = serial();
    let dir = fixture(&format!("fixtures/stack/migrations/{layout}"));
    let run = checked_run(tool_on_server().arg(&dir).args(["--format", "json"]));
    assert_eq!(run.code, Some(0), "{}", run.snapshot());
    let value = json(&run);
    assert_eq!(value["layout"], layout);
    assert_eq!(value["migrations"], 8);
    for check in [
        "prerequisites",
        "history",
        "upgrade",
        "stairway",
        "reset",
        "locks",
    ] {
        assert_eq!(
            check_status(&value, check),
            "passed",
            "{check}: {}",
            run.stdout
        );
    }
    assert_eq!(check_status(&value, "drift"), "skipped");
    // The CONCURRENTLY migration ran outside a transaction, with a note.
    let upgrade = value["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "upgrade")
        .unwrap();
    let steps = upgrade["steps"].as_array().unwrap();
    assert_eq!(steps.len(), 8);
    assert!(
        steps[5]["note"]
            .as_str()
            .unwrap_or_default()
            .contains("outside a transaction"),
        "{}",
        run.stdout
    );
    // Lock hints: ADD COLUMN locks projects; a volatile default rewrites it.
    let diagnostics = value["diagnostics"].as_array().unwrap();
    let has = |severity: &str, text: &str| {
        diagnostics.iter().any(|d| {
            d["code"] == "locks"
                && d["severity"] == severity
                && d["message"].as_str().unwrap().contains(text)
        })
    };
    assert!(
        has("warning", "project_public_id rewrites public.projects"),
        "{}",
        run.stdout
    );
    assert!(
        has(
            "info",
            "project_budget takes an ACCESS EXCLUSIVE lock on public.projects"
        ),
        "{}",
        run.stdout
    );
}

#[test]
fn updown_layout_passes() {
    passes("updown");
}

#[test]
fn dbmate_layout_passes() {
    passes("dbmate");
}

#[test]
fn diesel_layout_passes() {
    passes("diesel");
}

#[test]
fn human_output_shows_every_check_with_timing() {
    let _guard = serial();
    let dir = fixture("fixtures/stack/migrations/updown");
    let run = checked_run(tool_on_server().arg(&dir));
    assert_eq!(run.code, Some(0), "{}", run.snapshot());
    for line in [
        "passed   prerequisites",
        "passed   stairway",
        "passed   reset",
        "skipped  drift",
        "20240108090000_project_public_id",
    ] {
        assert!(run.stdout.contains(line), "{line} missing:\n{}", run.stdout);
    }
    assert!(run.stdout.contains(" ms "), "{}", run.stdout);
}

#[test]
fn strict_locks_turn_hints_into_failures() {
    let _guard = serial();
    let dir = fixture("fixtures/stack/migrations/updown");
    let run = checked_run(tool_on_server().arg(&dir).args([
        "--only",
        "upgrade,locks",
        "--strict-locks",
        "--format",
        "json",
    ]));
    assert_eq!(run.code, Some(1), "{}", run.snapshot());
    let value = json(&run);
    assert_eq!(check_status(&value, "locks"), "failed");
    assert_eq!(check_status(&value, "stairway"), "skipped");
}

fn copy_dir(from: &std::path::Path, to: &std::path::Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

#[test]
fn command_layout_discovers_the_history_and_catches_a_bad_down() {
    let _guard = serial();
    let scratch = tempfile::tempdir().unwrap();
    let dir = scratch.path().join("tool");
    copy_dir(&fixture("fixtures/migrate-check/command-layout"), &dir);
    let config = dir.join("shipshape.toml");
    let run = checked_run(
        tool_on_server()
            .arg("--config")
            .arg(&config)
            .arg(&dir)
            .args(["--format", "json"]),
    );
    assert_eq!(run.code, Some(0), "{}", run.snapshot());
    let value = json(&run);
    assert_eq!(value["layout"], "command");
    assert_eq!(value["migrations"], 2);
    assert_eq!(check_status(&value, "stairway"), "passed");

    std::fs::write(dir.join("sql/2_invoice_paid.down.sql"), "SELECT 1;\n").unwrap();
    let run = checked_run(
        tool_on_server()
            .arg("--config")
            .arg(&config)
            .arg(&dir)
            .args(["--format", "json"]),
    );
    assert_eq!(run.code, Some(1), "{}", run.snapshot());
    let value = json(&run);
    let stairway = crate::errors(&value, "stairway");
    assert!(
        stairway.iter().any(|(m, _)| m
            .contains("down of 2 did not reverse: column public.invoices.paid_at still exists")),
        "{stairway:?}"
    );
}

#[test]
fn a_dbmate_project_is_found_in_db_migrations_from_its_root() {
    let _guard = serial();
    let scratch = tempfile::tempdir().unwrap();
    let migrations = scratch.path().join("db/migrations");
    std::fs::create_dir_all(&migrations).unwrap();
    for entry in std::fs::read_dir(fixture("fixtures/stack/migrations/dbmate")).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), migrations.join(entry.file_name())).unwrap();
    }
    let run = checked_run(tool_on_server().current_dir(scratch.path()).args([
        "--only",
        "history,upgrade",
        "--format",
        "json",
    ]));
    assert_eq!(run.code, Some(0), "{}", run.snapshot());
    let value = json(&run);
    assert_eq!(value["layout"], "dbmate");
    assert_eq!(value["directory"], "db/migrations");
    // The throwaway database is named in JSON, and on stderr only when asked.
    assert!(
        value["throwaway_database"]
            .as_str()
            .is_some_and(|n| n.starts_with("migrate_check_")),
        "{}",
        run.stdout
    );
    assert!(
        !run.stderr.contains("throwaway database:"),
        "{}",
        run.stderr
    );
    let run = checked_run(tool_on_server().current_dir(scratch.path()).args([
        "--only",
        "history,upgrade",
        "--verbose",
    ]));
    assert_eq!(run.code, Some(0), "{}", run.snapshot());
    assert!(
        run.stderr.contains("throwaway database: migrate_check_"),
        "{}",
        run.stderr
    );
}
