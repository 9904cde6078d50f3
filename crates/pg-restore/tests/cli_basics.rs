//! Flags, help, config, exit codes without a server.

use shipshape_testkit::cli;

use super::tool;

#[test]
fn help_lists_exit_codes_and_examples() {
    let run = cli::run(tool().arg("--help"));
    assert_eq!(run.code, Some(0), "{}", run.snapshot());
    assert!(run.stdout.contains("Exit codes:"), "{}", run.stdout);
    assert!(run.stdout.contains("130"), "{}", run.stdout);
    assert!(run.stdout.contains("Examples:"), "{}", run.stdout);
    assert!(run.stdout.contains("rollback"), "{}", run.stdout);
}

#[test]
fn version_exits_0() {
    let run = cli::run(tool().arg("--version"));
    assert_eq!(run.code, Some(0));
    assert!(run.stdout.starts_with("pg-restore "), "{}", run.stdout);
}

#[test]
fn unknown_flag_is_a_usage_error() {
    let run = cli::run(tool().arg("--no-such-flag"));
    assert_eq!(run.code, Some(2), "{}", run.snapshot());
    assert!(run.stderr.contains("--no-such-flag"));
}

#[test]
fn no_file_is_a_usage_error() {
    let run = cli::run(&mut tool());
    assert_eq!(run.code, Some(2), "{}", run.snapshot());
}

#[test]
fn missing_file_is_a_usage_error_and_names_it() {
    let run = cli::run(tool().args(["list", "/nonexistent/backup.sql.gz"]));
    insta::assert_snapshot!(run.snapshot(), @r"
    exit: 2
    ----- stdout -----
    ----- stderr -----
    error: /nonexistent/backup.sql.gz does not exist
    ");
}

#[test]
fn a_file_that_is_not_a_dump_is_refused_with_exit_1() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("notes.sql");
    std::fs::write(&path, "SELECT 1;\n").unwrap();
    let run = cli::run(tool().arg("list").arg(&path));
    assert_eq!(run.code, Some(1), "{}", run.snapshot());
    assert!(run.stdout.contains("not-a-dump"), "{}", run.snapshot());
}

#[test]
fn print_config_shows_every_key_with_the_url_redacted() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("shipshape.toml"),
        "[pg-restore]\ndatabase_url = 'postgres://u:hunter2@h/d'\nkeep_previous = 3\njobs = 4\n",
    )
    .unwrap();
    let run = cli::run(tool().current_dir(dir.path()).arg("--print-config"));
    assert_eq!(run.code, Some(0), "{}", run.snapshot());
    assert!(!run.stdout.contains("hunter2"), "{}", run.stdout);
    assert!(run.stdout.contains("keep_previous = 3"), "{}", run.stdout);
    assert!(run.stdout.contains("jobs = 4"), "{}", run.stdout);
}

#[test]
fn unknown_config_key_exits_2() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("shipshape.toml"),
        "[pg-restore]\nkeep_previuos = 3\n",
    )
    .unwrap();
    let run = cli::run(tool().current_dir(dir.path()).args(["list", "x"]));
    assert_eq!(run.code, Some(2), "{}", run.snapshot());
    assert!(run.stderr.contains("keep_previuos"), "{}", run.stderr);
}
