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

/// `PG_RESTORE_*` variables are read as their flags: flag > variable >
/// shipshape.toml > default, an empty variable is unset, and a bad value is
/// exit 2 naming the variable.
#[test]
fn environment_variables_sit_between_flags_and_the_file() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("shipshape.toml"),
        "[pg-restore]\njobs = 3\nkeep_previous = 4\ndir = 'from-file'\nfrom = 's3://file/x'\n",
    )
    .unwrap();
    let print = |env: &[(&str, &str)], args: &[&str]| {
        let mut cmd = tool();
        cmd.current_dir(dir.path()).arg("--print-config").args(args);
        for (k, v) in env {
            cmd.env(k, v);
        }
        cli::run(&mut cmd)
    };
    let file = print(&[], &[]);
    assert!(
        file.stdout.contains("jobs = 3") && file.stdout.contains("keep_previous = 4"),
        "{}",
        file.snapshot()
    );
    let vars = [
        ("PG_RESTORE_JOBS", "5"),
        ("PG_RESTORE_KEEP_PREVIOUS", "6"),
        ("PG_RESTORE_DIR", "/from-env"),
        ("PG_RESTORE_FROM", "s3://env/y"),
    ];
    let env = print(&vars, &[]);
    for line in [
        "jobs = 5",
        "keep_previous = 6",
        "dir = \"/from-env\"",
        "from = \"s3://env/y\"",
    ] {
        assert!(env.stdout.contains(line), "{line}: {}", env.snapshot());
    }
    let flags = print(
        &vars,
        &[
            "--jobs",
            "7",
            "--keep-previous",
            "8",
            "--dir",
            "/from-flag",
            "--from",
            "s3://flag/z",
        ],
    );
    for line in [
        "jobs = 7",
        "keep_previous = 8",
        "dir = \"/from-flag\"",
        "from = \"s3://flag/z\"",
    ] {
        assert!(flags.stdout.contains(line), "{line}: {}", flags.snapshot());
    }
    // Empty counts as unset: the file's value.
    let empty = print(&[("PG_RESTORE_JOBS", ""), ("PG_RESTORE_DIR", "")], &[]);
    assert!(
        empty.stdout.contains("jobs = 3") && empty.stdout.contains("from-file"),
        "{}",
        empty.snapshot()
    );
    let bad = print(&[("PG_RESTORE_JOBS", "four")], &[]);
    assert_eq!(bad.code, Some(2), "{}", bad.snapshot());
    assert!(bad.stderr.contains("PG_RESTORE_JOBS"), "{}", bad.stderr);
    // The variable also sets what prune keeps.
    let bad = print(&[("PG_RESTORE_KEEP_PREVIOUS", "-1")], &["prune"]);
    assert_eq!(bad.code, Some(2), "{}", bad.snapshot());
    assert!(
        bad.stderr.contains("PG_RESTORE_KEEP_PREVIOUS"),
        "{}",
        bad.stderr
    );
}
