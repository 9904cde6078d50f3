//! Running a tool binary the way a user would, minus the user's environment.

use std::ffi::OsStr;
use std::path::Path;
use std::process::{Command, Output, Stdio};

/// Variables kept from the test process; everything else (`NO_COLOR`,
/// `GITHUB_*`, `PG*`, `DATABASE_URL`, `CLICOLOR_FORCE` …) is removed so a
/// developer's shell cannot change a snapshot.
const KEPT: [&str; 3] = ["PATH", "HOME", "TMPDIR"];

/// A command for `binary` with a clean environment.
pub fn command(binary: impl AsRef<OsStr>) -> Command {
    let mut cmd = Command::new(binary);
    cmd.env_clear();
    for name in KEPT {
        if let Some(value) = std::env::var_os(name) {
            cmd.env(name, value);
        }
    }
    cmd.env("LANG", "C.UTF-8")
        .env("TZ", "UTC")
        .stdin(Stdio::null());
    cmd
}

/// What a run produced.
#[derive(Debug, Clone)]
pub struct Run {
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    pub fn from_output(output: &Output) -> Self {
        Self {
            code: output.status.code(),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }

    /// Exit code, stdout and stderr in one text, for insta snapshots.
    pub fn snapshot(&self) -> String {
        format!(
            "exit: {}\n----- stdout -----\n{}----- stderr -----\n{}",
            self.code
                .map_or_else(|| "signal".to_owned(), |c| c.to_string()),
            self.stdout,
            self.stderr
        )
    }

    /// The same, with `replace` pairs applied (temp paths, database names).
    pub fn snapshot_with(&self, replace: &[(&str, &str)]) -> String {
        let mut text = self.snapshot();
        for (from, to) in replace {
            if !from.is_empty() {
                text = text.replace(from, to);
            }
        }
        text
    }
}

/// Run to completion and capture.
pub fn run(cmd: &mut Command) -> Run {
    let output = cmd.output().expect("failed to start the tool binary");
    Run::from_output(&output)
}

/// Run with `stdin` fed from a string.
pub fn run_with_stdin(cmd: &mut Command, stdin: &str) -> Run {
    use std::io::Write as _;
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(stdin.as_bytes())
        .expect("write stdin");
    let output = child.wait_with_output().expect("wait");
    Run::from_output(&output)
}

/// The workspace root (for fixtures).
pub fn workspace_root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .and_then(Path::parent)
        .expect("workspace root")
}
