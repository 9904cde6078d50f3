//! Integration tests for `migrate-check`: one test binary per crate. Every
//! test that runs the tool against the server holds [`serial`], so the
//! number of throwaway databases can be counted before and after each run.

#![allow(clippy::unwrap_used, clippy::print_stderr)] // test code: a panic is a failed test

mod alembic;
mod broken;
mod cli;
mod guard;
mod layouts;
mod lifecycle;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Mutex, MutexGuard};

use shipshape_testkit::cli::{self as tk, Run};
use shipshape_testkit::pg;

static SERIAL: Mutex<()> = Mutex::new(());

/// Run database tests one at a time (databases are counted).
pub fn serial() -> MutexGuard<'static, ()> {
    SERIAL
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

pub fn tool() -> Command {
    tk::command(env!("CARGO_BIN_EXE_migrate-check"))
}

/// The tool connected to the test server (password through DATABASE_URL).
pub fn tool_on_server() -> Command {
    let mut cmd = tool();
    cmd.env("DATABASE_URL", pg::server().url("postgres"));
    cmd
}

pub fn root() -> &'static Path {
    tk::workspace_root()
}

pub fn fixture(path: &str) -> PathBuf {
    root().join(path)
}

/// Throwaway databases currently on the server.
pub fn throwaways() -> Vec<String> {
    pg::server().databases_with_prefix("migrate_check_")
}

/// Run the tool on the server and assert that it left no throwaway database.
pub fn checked_run(cmd: &mut Command) -> Run {
    let before = throwaways();
    let run = tk::run(cmd);
    let after = throwaways();
    assert_eq!(
        before,
        after,
        "throwaway databases left behind:\n{}",
        run.snapshot()
    );
    run
}

pub fn json(run: &Run) -> serde_json::Value {
    serde_json::from_str(&run.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", run.snapshot()))
}

/// The status of one check in JSON output.
pub fn check_status(value: &serde_json::Value, name: &str) -> String {
    value["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == name)
        .map(|c| c["status"].as_str().unwrap().to_owned())
        .unwrap()
}

/// Error findings of one check: (message, file).
pub fn errors(value: &serde_json::Value, code: &str) -> Vec<(String, String)> {
    value["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["code"] == code && d["severity"] == "error")
        .map(|d| {
            (
                d["message"].as_str().unwrap().to_owned(),
                d["file"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect()
}
