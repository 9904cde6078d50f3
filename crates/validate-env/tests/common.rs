//! Helpers shared by the test modules.

use std::path::{Path, PathBuf};
use std::process::Command;

use shipshape_testkit::cli::{self, Run};

/// The binary, run from the workspace root in a clean environment.
pub fn tool() -> Command {
    let mut cmd = cli::command(env!("CARGO_BIN_EXE_validate-env"));
    cmd.current_dir(cli::workspace_root());
    cmd
}

pub fn run(args: &[&str]) -> Run {
    cli::run(tool().args(args))
}

pub fn run_stdin(args: &[&str], stdin: &str) -> Run {
    cli::run_with_stdin(tool().args(args), stdin)
}

pub fn json(run: &Run) -> serde_json::Value {
    serde_json::from_str(&run.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", run.snapshot()))
}

/// `(code, line)` of every diagnostic in a JSON report.
pub fn codes(run: &Run) -> Vec<(String, u64)> {
    json(run)["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["code"].as_str().unwrap().to_owned(),
                d["line"].as_u64().unwrap_or(0),
            )
        })
        .collect()
}

pub const SCHEMA: &str = "fixtures/stack/env.schema.toml";

/// A temporary directory with files, for cases that need their own input.
pub struct Scene {
    pub dir: tempfile::TempDir,
}

impl Scene {
    pub fn new() -> Self {
        Self {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    pub fn write(&self, name: &str, text: &str) -> PathBuf {
        let path = self.dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        path
    }

    pub fn path(&self, name: &str) -> String {
        self.dir.path().join(name).display().to_string()
    }

    pub fn run(&self, args: &[&str]) -> Run {
        let mut cmd = cli::command(env!("CARGO_BIN_EXE_validate-env"));
        cmd.current_dir(self.dir.path());
        cli::run(cmd.args(args))
    }

    pub fn root(&self) -> &Path {
        self.dir.path()
    }
}

/// The filled-in production file with some lines replaced.
pub fn production_with(replacements: &[(&str, &str)]) -> String {
    let path = cli::workspace_root().join("fixtures/stack/.env.production");
    let mut text = std::fs::read_to_string(path).unwrap();
    for (key, line) in replacements {
        let prefix = format!("{key}=");
        let mut found = false;
        text = text
            .lines()
            .map(|l| {
                if l.starts_with(&prefix) {
                    found = true;
                    (*line).to_owned()
                } else {
                    l.to_owned()
                }
            })
            .collect::<Vec<_>>()
            .join("\n");
        text.push('\n');
        if !found {
            text.push_str(line);
            text.push('\n');
        }
    }
    text
}

pub fn stack_schema() -> String {
    cli::workspace_root().join(SCHEMA).display().to_string()
}
