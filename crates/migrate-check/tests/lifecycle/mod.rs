//! The throwaway database's life: dropped after Ctrl-C, stale ones swept,
//! kept with --keep; plus the reports a CI run uses (JUnit, GitHub) and drift.

use std::process::Stdio;
use std::time::{Duration, Instant};

use shipshape_testkit::cli as tk;
use shipshape_testkit::pg;

use crate::{check_status, checked_run, errors, fixture, json, serial, throwaways, tool_on_server};

#[test]
fn ctrl_c_drops_the_throwaway_database_and_exits_130() {
    let _guard = serial();
    let scratch = tempfile::tempdir().unwrap();
    std::fs::write(
        scratch.path().join("1_slow.up.sql"),
        // One long statement: Ctrl-C must cancel it, not wait it out.
        "CREATE TABLE slow (id int);\nSELECT pg_sleep(60);\n",
    )
    .unwrap();
    std::fs::write(scratch.path().join("1_slow.down.sql"), "DROP TABLE slow;\n").unwrap();
    let before = throwaways();
    let child = tool_on_server()
        .arg(scratch.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Wait until the run has created its database, then interrupt it.
    let started = Instant::now();
    while throwaways().len() == before.len() {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "no throwaway database appeared"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let status = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let output = child.wait_with_output().unwrap();
    let run = tk::Run::from_output(&output);
    assert_eq!(run.code, Some(130), "{}", run.snapshot());
    assert!(run.stderr.contains("interrupted"), "{}", run.stderr);
    assert_eq!(throwaways(), before, "throwaway database left after SIGINT");
}

#[test]
fn stale_marked_databases_are_swept_and_others_left_alone() {
    let _guard = serial();
    let server = pg::server();
    let stale = pg::unique_name("migrate_check_stale");
    let fresh = pg::unique_name("migrate_check_fresh");
    let foreign = pg::unique_name("migrate_check_foreign");
    for name in [&stale, &fresh, &foreign] {
        server.psql("postgres", &format!("CREATE DATABASE \"{name}\""));
    }
    let _cleanup: Vec<_> = [&stale, &fresh, &foreign]
        .iter()
        .map(|n| server.adopt_database(n))
        .collect();
    let old = "2001-01-01T00:00:00Z";
    let now = chrono_now();
    server.psql(
        "postgres",
        &format!(
            "COMMENT ON DATABASE \"{stale}\" IS 'migrate-check throwaway database; created {old} by x (pid 1 on h); safe to drop'"
        ),
    );
    server.psql(
        "postgres",
        &format!(
            "COMMENT ON DATABASE \"{fresh}\" IS 'migrate-check throwaway database; created {now} by x (pid 1 on h); safe to drop'"
        ),
    );
    server.psql(
        "postgres",
        &format!("COMMENT ON DATABASE \"{foreign}\" IS 'somebody else''s database'"),
    );
    let dir = fixture("fixtures/stack/migrations/updown");
    let run = tk::run(
        tool_on_server()
            .arg(&dir)
            .args(["--only", "history,upgrade"]),
    );
    assert_eq!(run.code, Some(0), "{}", run.snapshot());
    assert!(
        run.stderr
            .contains(&format!("dropped stale throwaway database {stale}")),
        "{}",
        run.stderr
    );
    let left = throwaways();
    assert!(!left.contains(&stale), "{left:?}");
    assert!(left.contains(&fresh), "{left:?}");
    assert!(left.contains(&foreign), "{left:?}");
}

fn chrono_now() -> String {
    let out = std::process::Command::new("date")
        .args(["-u", "+%Y-%m-%dT%H:%M:%SZ"])
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

#[test]
fn keep_prints_the_database_and_drift_compares_with_it() {
    let _guard = serial();
    let server = pg::server();
    let dir = fixture("fixtures/stack/migrations/updown");
    let run = tk::run(
        tool_on_server()
            .arg(&dir)
            .args(["--keep", "--only", "upgrade"]),
    );
    assert_eq!(run.code, Some(0), "{}", run.snapshot());
    let name = run.stdout.lines().last().unwrap().trim().to_owned();
    assert!(name.starts_with("migrate_check_"), "{}", run.snapshot());
    let kept = server.adopt_database(&name);
    assert!(throwaways().contains(&name));
    // Marked as ours, with creator and time, so a later run may sweep it.
    let comment = server.psql(
        "postgres",
        &format!(
            "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = '{name}'"
        ),
    );
    assert!(
        comment.starts_with("migrate-check throwaway database; created 20")
            && comment.contains(" by "),
        "{comment}"
    );
    // In JSON the name is a field, and stdout stays one document.
    let run = tk::run(
        tool_on_server()
            .arg(&dir)
            .args(["--keep", "--only", "history", "--format", "json"]),
    );
    assert_eq!(run.code, Some(0), "{}", run.snapshot());
    assert!(
        json(&run)["database"].is_null(),
        "history needs no database"
    );
    let run = tk::run(
        tool_on_server()
            .arg(&dir)
            .args(["--keep", "--only", "upgrade", "--format", "json"]),
    );
    let other = json(&run)["database"].as_str().unwrap().to_owned();
    let _other = server.adopt_database(&other);
    assert!(other.starts_with("migrate_check_"), "{}", run.stdout);

    // The kept database is at head: no drift.
    let run = checked_run(tool_on_server().arg(&dir).args([
        "--only",
        "drift",
        "--compare-to",
        &kept.url(),
        "--format",
        "json",
    ]));
    assert_eq!(run.code, Some(0), "{}", run.snapshot());
    assert_eq!(check_status(&json(&run), "drift"), "passed");

    // A hand-made change is drift, named by object.
    kept.psql("ALTER TABLE projects ADD COLUMN hotfix text; DROP INDEX projects_active_idx;");
    let run = checked_run(tool_on_server().arg(&dir).args([
        "--only",
        "drift",
        "--compare-to",
        &kept.url(),
        "--format",
        "json",
    ]));
    assert_eq!(run.code, Some(1), "{}", run.snapshot());
    let value = json(&run);
    let drift = errors(&value, "drift");
    assert!(
        drift.iter().any(|(m, _)| m.contains(
            "column public.projects.hotfix exists in the database but not in the migrations"
        )),
        "{drift:?}"
    );
    assert!(
        drift.iter().any(|(m, _)| m.contains(
            "index projects_active_idx on public.projects is in the migrations but missing from the database"
        )),
        "{drift:?}"
    );
    if let Some(password) = &server.password {
        assert!(!run.stdout.contains(password.as_str()));
        assert!(!run.stderr.contains(password.as_str()));
    }
}

#[test]
fn junit_has_a_case_per_check_and_migration() {
    let _guard = serial();
    let scratch = tempfile::tempdir().unwrap();
    let junit = scratch.path().join("reports/migrate-check.xml");
    std::fs::create_dir_all(junit.parent().unwrap()).unwrap();
    let dir = fixture("fixtures/migrate-check/down-forgets-index");
    let run = checked_run(
        tool_on_server()
            .arg(&dir)
            .arg("--junit")
            .arg(&junit)
            .args(["--format", "github"]),
    );
    assert_eq!(run.code, Some(1), "{}", run.snapshot());
    assert!(
        run.stdout.contains("::error file=")
            && run
                .stdout
                .contains("20240302080000_account_activity.down.sql"),
        "{}",
        run.stdout
    );
    let xml = std::fs::read_to_string(&junit).unwrap();
    assert!(xml.starts_with("<?xml"), "{xml}");
    assert!(
        xml.contains("<testsuite name=\"stairway\" tests=\"3\" failures=\"1\""),
        "{xml}"
    );
    assert!(
        xml.contains("name=\"20240302080000_account_activity\""),
        "{xml}"
    );
    assert!(xml.contains("accounts_created_idx"), "{xml}");
    assert!(
        xml.contains("<testsuite name=\"upgrade\" tests=\"3\" failures=\"0\""),
        "{xml}"
    );
}

#[test]
fn from_starts_the_stairway_at_a_version() {
    let _guard = serial();
    let dir = fixture("fixtures/stack/migrations/updown");
    let run = checked_run(tool_on_server().arg(&dir).args([
        "--from",
        "20240105090000",
        "--only",
        "upgrade,stairway",
        "--format",
        "json",
    ]));
    assert_eq!(run.code, Some(0), "{}", run.snapshot());
    let value = json(&run);
    let stairway = value["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "stairway")
        .unwrap();
    assert_eq!(stairway["steps"].as_array().unwrap().len(), 4);
    let run = tk::run(tool_on_server().arg(&dir).args(["--from", "1999"]));
    assert_eq!(run.code, Some(2), "{}", run.snapshot());
}

#[test]
fn a_role_without_createdb_fails_prerequisites() {
    let _guard = serial();
    let server = pg::server();
    let role = server.create_role("mc_nocreatedb", "NOCREATEDB");
    let dir = fixture("fixtures/stack/migrations/updown");
    let run = checked_run(
        crate::tool()
            .env(
                "DATABASE_URL",
                server.url_as(&role.name, Some(&role.password), "postgres"),
            )
            .arg(&dir)
            .args(["--format", "json"]),
    );
    assert_eq!(run.code, Some(1), "{}", run.snapshot());
    let value = json(&run);
    assert_eq!(check_status(&value, "prerequisites"), "failed");
    let found = errors(&value, "prerequisites");
    assert!(
        found
            .iter()
            .any(|(m, _)| m.contains("may not create databases")),
        "{found:?}"
    );
    assert!(!run.stdout.contains(&role.password));
}

#[test]
fn in_place_needs_consent_and_an_empty_database_and_leaves_it_empty() {
    let _guard = serial();
    let server = pg::server();
    let target = server.create_database("mc_inplace");
    let dir = fixture("fixtures/stack/migrations/updown");

    // Without --allow-destructive, or without --yes and no terminal: nothing happens.
    let run = tk::run(
        crate::tool()
            .arg(&dir)
            .arg("--in-place")
            .args(["--database-url", &target.url()]),
    );
    assert_eq!(run.code, Some(2), "{}", run.snapshot());
    let run = tk::run(
        crate::tool()
            .arg(&dir)
            .args(["--in-place", "--allow-destructive"])
            .args(["--database-url", &target.url()]),
    );
    assert_eq!(run.code, Some(2), "{}", run.snapshot());
    assert!(run.stderr.contains("--yes"), "{}", run.stderr);
    // DATABASE_URL alone is not enough for a destructive run.
    let run = tk::run(
        crate::tool()
            .env("DATABASE_URL", target.url())
            .arg(&dir)
            .args(["--in-place", "--allow-destructive", "--yes"]),
    );
    assert_eq!(run.code, Some(2), "{}", run.snapshot());

    let run = checked_run(
        crate::tool()
            .arg(&dir)
            .args([
                "--in-place",
                "--allow-destructive",
                "--yes",
                "--format",
                "json",
            ])
            .args(["--database-url", &target.url()]),
    );
    assert_eq!(run.code, Some(0), "{}", run.snapshot());
    assert_eq!(check_status(&json(&run), "stairway"), "passed");
    let left = target.psql(
        "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public'",
    );
    assert_eq!(left, "0", "the database was not emptied again");

    // A database with data is refused, and keeps its data.
    target.psql("CREATE TABLE precious (id int); INSERT INTO precious VALUES (1);");
    let run = tk::run(
        crate::tool()
            .arg(&dir)
            .args(["--in-place", "--allow-destructive", "--yes"])
            .args(["--database-url", &target.url()]),
    );
    assert_eq!(run.code, Some(2), "{}", run.snapshot());
    assert!(
        run.stderr.contains("needs an empty database"),
        "{}",
        run.stderr
    );
    assert_eq!(target.psql("SELECT count(*) FROM precious"), "1");
}

#[test]
fn a_configured_template_provides_extensions_and_must_exist() {
    let _guard = serial();
    let server = pg::server();
    let template = server.create_database("mc_template");
    template.psql("CREATE EXTENSION IF NOT EXISTS citext");
    let scratch = tempfile::tempdir().unwrap();
    std::fs::write(
        scratch.path().join("1_emails.up.sql"),
        "CREATE TABLE emails (address citext PRIMARY KEY);\n",
    )
    .unwrap();
    std::fs::write(
        scratch.path().join("1_emails.down.sql"),
        "DROP TABLE emails;\n",
    )
    .unwrap();

    // From template0 the extension is missing and the up fails.
    let run = checked_run(
        tool_on_server()
            .arg(scratch.path())
            .args(["--format", "json"]),
    );
    assert_eq!(run.code, Some(1), "{}", run.snapshot());
    assert_eq!(check_status(&json(&run), "upgrade"), "failed");

    // From the template (config key) it is there, and part of the empty
    // schema, so reset does not call it left behind.
    std::fs::write(
        scratch.path().join("shipshape.toml"),
        format!("[migrate-check]\ntemplate = '{}'\n", template.name),
    )
    .unwrap();
    let run = checked_run(
        tool_on_server()
            .current_dir(scratch.path())
            .arg(scratch.path())
            .args(["--format", "json"]),
    );
    assert_eq!(run.code, Some(0), "{}", run.snapshot());
    let value = json(&run);
    for check in ["upgrade", "stairway", "reset"] {
        assert_eq!(check_status(&value, check), "passed", "{check}");
    }
    // The template itself is untouched.
    assert_eq!(
        template.psql("SELECT count(*) FROM pg_class WHERE relname = 'emails'"),
        "0"
    );

    // A template that does not exist fails prerequisites (flag over config).
    let run = checked_run(
        tool_on_server()
            .current_dir(scratch.path())
            .arg(scratch.path())
            .args(["--template", "mc_no_such_template", "--format", "json"]),
    );
    assert_eq!(run.code, Some(1), "{}", run.snapshot());
    let value = json(&run);
    assert_eq!(check_status(&value, "prerequisites"), "failed");
    assert!(
        errors(&value, "prerequisites")
            .iter()
            .any(|(m, _)| m.contains("template database \"mc_no_such_template\" does not exist")),
        "{value}"
    );
}
