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
