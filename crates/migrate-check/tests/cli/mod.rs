//! Command-line behaviour that needs no database.

use shipshape_testkit::cli as tk;

use crate::{fixture, tool};

#[test]
fn help_lists_checks_examples_and_exit_codes() {
    let run = tk::run(tool().arg("--help"));
    assert_eq!(run.code, Some(0), "{}", run.snapshot());
    for needle in [
        "Exit codes:",
        "130",
        "Examples:",
        "stairway",
        "--junit",
        "--compare-to",
    ] {
        assert!(
            run.stdout.contains(needle),
            "{needle} missing:\n{}",
            run.stdout
        );
    }
}

#[test]
fn version_exits_0() {
    let run = tk::run(tool().arg("--version"));
    assert_eq!(run.code, Some(0));
    assert!(run.stdout.starts_with("migrate-check "), "{}", run.stdout);
}

#[test]
fn unknown_flag_is_a_usage_error() {
    let run = tk::run(tool().arg("--no-such-flag"));
    assert_eq!(run.code, Some(2), "{}", run.snapshot());
    assert!(run.stderr.contains("--no-such-flag"));
}

#[test]
fn unknown_check_names_the_valid_ones() {
    let dir = fixture("fixtures/stack/migrations/updown");
    // --only: the hidden alias of --select, kept for one release.
    let run = tk::run(tool().arg(&dir).args(["--only", "stairway,stairwy"]));
    insta::assert_snapshot!(run.snapshot());
    let run = tk::run(
        tool()
            .arg(&dir)
            .args(["--select", "stairway", "--ignore", "stairway"]),
    );
    assert_eq!(run.code, Some(2), "{}", run.snapshot());
    assert!(
        run.stderr.contains("leave no check to run"),
        "{}",
        run.stderr
    );
}

#[test]
fn list_checks_and_explain_read_the_registry() {
    let run = tk::run(tool().arg("--list-checks"));
    insta::assert_snapshot!(run.snapshot());
    let run = tk::run(tool().args(["--explain", "locks"]));
    assert_eq!(run.code, Some(0), "{}", run.snapshot());
    assert!(
        run.stdout.starts_with("locks (warning by default)"),
        "{}",
        run.stdout
    );
}

#[test]
fn missing_directory_is_a_usage_error() {
    let scratch = tempfile::tempdir().unwrap();
    let run = tk::run(tool().current_dir(scratch.path()));
    assert_eq!(run.code, Some(2), "{}", run.snapshot());
    assert!(
        run.stderr.contains("no migrations directory"),
        "{}",
        run.stderr
    );
    let run = tk::run(tool().current_dir(scratch.path()).arg("nope"));
    assert_eq!(run.code, Some(2), "{}", run.snapshot());
    assert!(
        run.stderr.contains("nope is not a directory"),
        "{}",
        run.stderr
    );
}

#[test]
fn undetectable_layout_asks_for_layout() {
    let scratch = tempfile::tempdir().unwrap();
    std::fs::write(scratch.path().join("notes.txt"), "hello").unwrap();
    let run = tk::run(tool().arg(scratch.path()));
    assert_eq!(run.code, Some(2), "{}", run.snapshot());
    assert!(run.stderr.contains("--layout"), "{}", run.stderr);
}

#[test]
fn drift_without_compare_to_is_a_usage_error() {
    let dir = fixture("fixtures/stack/migrations/updown");
    let run = tk::run(tool().arg(&dir).args(["--only", "drift"]));
    assert_eq!(run.code, Some(2), "{}", run.snapshot());
    assert!(run.stderr.contains("--compare-to"), "{}", run.stderr);
}

#[test]
fn config_errors_name_the_key() {
    let scratch = tempfile::tempdir().unwrap();
    std::fs::write(
        scratch.path().join("shipshape.toml"),
        "[migrate-check]\ndir = 'migrations'\nlayuot = 'updown'\n",
    )
    .unwrap();
    let run = tk::run(tool().current_dir(scratch.path()));
    assert_eq!(run.code, Some(2), "{}", run.snapshot());
    assert!(
        run.stderr.contains("layuot") && run.stderr.contains("line 3"),
        "{}",
        run.stderr
    );
}

#[test]
fn print_config_redacts_the_database_url() {
    let scratch = tempfile::tempdir().unwrap();
    let secret = "pw-never-printed";
    std::fs::write(
        scratch.path().join("shipshape.toml"),
        format!(
            "[migrate-check]\ndir = 'db'\nlayout = 'dbmate'\nirreversible = ['20240101000000']\n\
             database_url = 'postgres://app:{secret}@db/app'\n\n[migrate-check.env]\nPOSTGRES_SERVER = '{{host}}'\n"
        ),
    )
    .unwrap();
    let run = tk::run(tool().current_dir(scratch.path()).arg("--print-config"));
    assert_eq!(run.code, Some(0), "{}", run.snapshot());
    assert!(!run.stdout.contains(secret), "{}", run.stdout);
    assert!(run.stdout.contains("layout = \"dbmate\""), "{}", run.stdout);
    assert!(run.stdout.contains("POSTGRES_SERVER"), "{}", run.stdout);
}

#[test]
fn unreachable_server_exits_3_without_the_password() {
    let dir = fixture("fixtures/stack/migrations/updown");
    let secret = "pw-not-in-output";
    let run = tk::run(tool().arg(&dir).env(
        "DATABASE_URL",
        format!("postgres://app:{secret}@127.0.0.1:1/postgres"),
    ));
    assert_eq!(run.code, Some(3), "{}", run.snapshot());
    assert!(!run.stderr.contains(secret), "{}", run.stderr);
    assert!(run.stderr.contains("127.0.0.1:1"), "{}", run.stderr);
}
