//! Integration tests for `pg-backup`: one test binary per crate.

#![allow(clippy::unwrap_used, clippy::print_stderr)] // test code: a panic is a failed test

use shipshape_testkit::cli;

fn tool() -> std::process::Command {
    cli::command(env!("CARGO_BIN_EXE_pg-backup"))
}

#[test]
fn help_lists_exit_codes_and_exits_0() {
    let run = cli::run(tool().arg("--help"));
    assert_eq!(run.code, Some(0), "{}", run.snapshot());
    assert!(run.stdout.contains("Exit codes:"), "{}", run.stdout);
    assert!(run.stdout.contains("130"), "{}", run.stdout);
    assert!(run.stdout.contains("Examples:"), "{}", run.stdout);
}

#[test]
fn version_exits_0() {
    let run = cli::run(tool().arg("--version"));
    assert_eq!(run.code, Some(0));
    assert!(run.stdout.starts_with("pg-backup "), "{}", run.stdout);
}

#[test]
fn unknown_flag_is_a_usage_error() {
    let run = cli::run(tool().arg("--no-such-flag"));
    assert_eq!(run.code, Some(2), "{}", run.snapshot());
    assert!(run.stderr.contains("--no-such-flag"));
}

#[test]
fn unimplemented_behaviour_exits_2_and_says_so() {
    let run = cli::run(tool().arg("something"));
    assert_eq!(run.code, Some(2), "{}", run.snapshot());
    assert!(run.stderr.contains("not implemented yet"), "{}", run.stderr);
}
