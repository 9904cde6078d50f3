//! migrate-check on each major version: the example stack's history in all
//! four layouts (updown, dbmate, diesel and Alembic through the real
//! `alembic`) passes every check, in a throwaway database that is gone
//! afterwards.

use shipshape_testkit::cli::{self, workspace_root};

use crate::support::{cluster, tool};

fn every_layout_passes(major: u32) {
    let server = cluster(major);
    let root = workspace_root();
    let venv = root.join("target/migrate-check-venv/bin");
    assert!(
        venv.join("alembic").is_file(),
        "Alembic missing: run scripts/deps/migrate-check.sh (make test does)"
    );
    let path = format!(
        "{}:{}",
        venv.display(),
        cli::search_path().to_string_lossy()
    );
    for layout in ["updown", "dbmate", "diesel", "alembic"] {
        let dir = root.join("fixtures/stack/migrations").join(layout);
        let before = server.databases_with_prefix("migrate_check_");
        let run = cli::run(
            tool("migrate-check")
                .env("DATABASE_URL", server.url("postgres"))
                .env("PATH", &path)
                .arg(&dir)
                .args(["--format", "json"]),
        );
        assert_eq!(run.code, Some(0), "{layout} on {major}: {}", run.snapshot());
        let value: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
        assert_eq!(value["layout"], layout);
        assert_eq!(value["migrations"], 8, "{layout} on {major}");
        for check in value["checks"].as_array().unwrap() {
            let status = check["status"].as_str().unwrap();
            let name = check["name"].as_str().unwrap();
            let expected = if name == "drift" { "skipped" } else { "passed" };
            assert_eq!(
                status, expected,
                "{name} of {layout} on {major}: {}",
                run.stdout
            );
        }
        assert_eq!(
            server.databases_with_prefix("migrate_check_"),
            before,
            "{layout} on {major} left a throwaway database"
        );
    }
}

#[test]
fn on_14() {
    every_layout_passes(14);
}

#[test]
fn on_15() {
    every_layout_passes(15);
}

#[test]
fn on_16() {
    every_layout_passes(16);
}

#[test]
fn on_17() {
    every_layout_passes(17);
}

#[test]
fn on_18() {
    every_layout_passes(18);
}
