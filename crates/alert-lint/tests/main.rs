//! Integration tests for `alert-lint`: one test binary per crate.
//!
//! - `cli`: command line, inputs, config, suppression, exit codes.
//! - `checks`: every check's bad fixture, human and JSON output snapshotted.
//! - `differential`: against the real promtool and amtool.
//! - `positions`: a finding points at the token at fault.
//! - `precision`: the cross-file and heuristic checks stay quiet where they cannot know.
//! - `props`: no panic on arbitrary YAML or PromQL.

#![allow(clippy::unwrap_used, clippy::print_stderr)] // test code: a panic is a failed test

mod checks;
mod cli;
mod differential;
mod positions;
mod precision;
mod props;

use std::path::PathBuf;
use std::process::Command;

use shipshape_testkit::cli as testcli;

pub fn tool() -> Command {
    testcli::command(env!("CARGO_BIN_EXE_alert-lint"))
}

pub fn fixtures() -> PathBuf {
    testcli::workspace_root().join("fixtures")
}
