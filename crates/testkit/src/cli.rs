//! Running a tool binary the way a user would, minus the user's environment.

use std::ffi::{OsStr, OsString};
use std::path::Path;
use std::process::{Command, Output, Stdio};

/// Variables kept from the test process; everything else (`NO_COLOR`,
/// `GITHUB_*`, `PG*`, `DATABASE_URL`, `CLICOLOR_FORCE` …) is removed so a
/// developer's shell cannot change a snapshot.
const KEPT: [&str; 3] = ["PATH", "HOME", "TMPDIR"];

/// A command for `binary` with a clean environment. `PATH` is [`search_path`]:
/// the test server's client programs come first, as on the machine of a user
/// whose server is that version.
pub fn command(binary: impl AsRef<OsStr>) -> Command {
    let mut cmd = Command::new(binary);
    cmd.env_clear();
    for name in KEPT {
        if let Some(value) = std::env::var_os(name) {
            cmd.env(name, value);
        }
    }
    cmd.env("PATH", search_path());
    cmd.env("LANG", "C.UTF-8")
        .env("TZ", "UTC")
        .stdin(Stdio::null());
    cmd
}

/// The test process's `PATH` with the default test cluster's bin directory
/// (`target/pg/17/bin`, see [`crate::pg::default_client_bin_dir`]) in front,
/// so the tools' client-program discovery finds a `pg_dump` as new as the
/// server the way it would for a user. Tests that set `PATH` themselves
/// start from this.
pub fn search_path() -> OsString {
    let inherited = std::env::var_os("PATH").unwrap_or_default();
    let Some(bin) = crate::pg::default_client_bin_dir() else {
        return inherited;
    };
    let dirs = std::iter::once(bin).chain(std::env::split_paths(&inherited));
    std::env::join_paths(dirs).unwrap_or(inherited)
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
