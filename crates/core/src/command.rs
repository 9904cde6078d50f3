//! Running a user's command: the one runner behind pg-backup's and
//! pg-restore's hooks and migrate-check's migration commands.
//!
//! - The command line is split into words the way a POSIX shell splits plain
//!   words and quotes ([`split`]), without running a shell: nothing in the
//!   string can do more than name a program and its arguments.
//! - The child's environment is cleaned first ([`Scrub`]): a hook never sees
//!   the database password, a migration tool never sees a connection setting
//!   from the user's shell that could point it at another database.
//! - stdin is closed, the child runs in a process group of its own, and the
//!   whole group is killed on timeout and on Ctrl-C, so a wrapper's children
//!   do not outlive the tool.
//! - Output is captured on threads (a chatty child cannot block on a full
//!   pipe) or sent to our stderr, keeping stdout clean for data.

use std::ffi::OsString;
use std::io::Read as _;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::error::{Interrupted, UsageError};

/// The variable that may hold the passphrase of passphrase-encrypted
/// backups (pg-backup and pg-restore read it; no child may).
pub const BACKUP_PASSPHRASE_VAR: &str = "PG_BACKUP_PASSPHRASE";

/// Secrets that are not the database's: the object store's and the backup
/// passphrase. Not even pg_dump, psql or pg_restore see them.
pub const NON_DATABASE_SECRET_VARS: [&str; 3] = [
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    BACKUP_PASSPHRASE_VAR,
];

/// Variables that carry a secret (or say where one is): removed from every
/// child's environment unless the tool sets them itself, together with
/// [`NON_DATABASE_SECRET_VARS`] (see [`is_secret_var`]).
pub const SECRET_VARS: [&str; 4] = ["DATABASE_URL", "PGPASSWORD", "PGPASSFILE", "PGSERVICEFILE"];

/// Is `name` one of [`SECRET_VARS`] or [`NON_DATABASE_SECRET_VARS`]?
pub fn is_secret_var(name: &str) -> bool {
    SECRET_VARS.contains(&name) || NON_DATABASE_SECRET_VARS.contains(&name)
}

/// Prefixes of variables through which a migration tool's settings may name
/// a database: libpq's `PG*`, pydantic-style `POSTGRES_*`, SQLAlchemy's and
/// the common `DB_*`, plus `DATABASE_URL` itself.
pub const CONNECTION_VAR_PREFIXES: [&str; 4] = ["PG", "POSTGRES_", "SQLALCHEMY_", "DB_"];

/// Which inherited variables a child must not see.
#[derive(Debug, Clone)]
pub enum Scrub {
    /// [`SECRET_VARS`] (hooks).
    Secrets,
    /// [`SECRET_VARS`] and every connection variable
    /// ([`is_connection_var`]) except the names in `pass`.
    Connections { pass: Vec<String> },
}

impl Scrub {
    /// Should the inherited variable `name` be removed?
    pub fn removes(&self, name: &str) -> bool {
        match self {
            Self::Secrets => is_secret_var(name),
            Self::Connections { pass } => {
                !pass.iter().any(|p| p == name) && (is_secret_var(name) || is_connection_var(name))
            }
        }
    }
}

/// A variable that could tell a program which database to use.
pub fn is_connection_var(name: &str) -> bool {
    name == "DATABASE_URL"
        || CONNECTION_VAR_PREFIXES
            .iter()
            .any(|prefix| name.starts_with(prefix))
}

/// Where the child's stdout and stderr go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Output {
    /// Read into [`Finished`].
    Capture,
    /// Both to our stderr (hooks: their chatter is diagnostics).
    Stderr,
}

/// A command to run.
#[derive(Debug, Clone)]
pub struct ChildCommand {
    /// Program and arguments, already split.
    pub argv: Vec<String>,
    pub cwd: Option<PathBuf>,
    /// Variables set for the child, after scrubbing (they always win).
    pub env: Vec<(String, String)>,
    pub scrub: Scrub,
    pub timeout: Duration,
    pub output: Output,
}

/// What a finished child produced.
#[derive(Debug)]
pub struct Finished {
    pub success: bool,
    /// "exit 3" or "killed by a signal", for messages.
    pub status: String,
    pub stdout: String,
    pub stderr: String,
}

/// Why a child did not finish.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error("cannot run {program}: {source}")]
    Spawn {
        program: String,
        source: std::io::Error,
    },
    #[error("{program} did not finish within {seconds}s and was stopped")]
    Timeout { program: String, seconds: u64 },
    #[error(transparent)]
    Interrupted(#[from] Interrupted),
    #[error("waiting for {program}: {source}")]
    Wait {
        program: String,
        source: std::io::Error,
    },
}

impl ChildCommand {
    /// `argv` with secrets scrubbed, output captured and a 120 s timeout.
    pub fn new(argv: Vec<String>) -> Self {
        Self {
            argv,
            cwd: None,
            env: Vec::new(),
            scrub: Scrub::Secrets,
            timeout: Duration::from_secs(120),
            output: Output::Capture,
        }
    }

    /// The program's name, for messages.
    pub fn program(&self) -> &str {
        self.argv.first().map_or("", String::as_str)
    }

    /// Run to completion, timeout or Ctrl-C. A Ctrl-C that arrived before
    /// the start does not stop the child (an on-failure hook still runs
    /// after an interrupted backup); the timeout bounds it either way.
    pub fn run(&self) -> Result<Finished, RunError> {
        let program = self.program().to_owned();
        let mut child = self.spawn()?;
        let out = reader(child.stdout.take().map(|p| Box::new(p) as Pipe));
        let err = reader(child.stderr.take().map(|p| Box::new(p) as Pipe));
        let interrupted_before = crate::interrupt::requested();
        let started = Instant::now();
        let status = loop {
            match child.try_wait() {
                Ok(Some(status)) => break status,
                Ok(None) => {}
                Err(source) => {
                    stop(&mut child);
                    return Err(RunError::Wait { program, source });
                }
            }
            if !interrupted_before && crate::interrupt::requested() {
                stop(&mut child);
                return Err(RunError::Interrupted(Interrupted));
            }
            if started.elapsed() > self.timeout {
                stop(&mut child);
                return Err(RunError::Timeout {
                    program,
                    seconds: self.timeout.as_secs(),
                });
            }
            std::thread::sleep(Duration::from_millis(10));
        };
        Ok(Finished {
            success: status.success(),
            status: status
                .code()
                .map_or_else(|| "killed by a signal".to_owned(), |c| format!("exit {c}")),
            stdout: out.join().unwrap_or_default(),
            stderr: err.join().unwrap_or_default(),
        })
    }

    fn spawn(&self) -> Result<Child, RunError> {
        let Some((program, args)) = self.argv.split_first() else {
            return Err(RunError::Spawn {
                program: String::new(),
                source: std::io::Error::new(std::io::ErrorKind::InvalidInput, "empty command"),
            });
        };
        let mut cmd = Command::new(program);
        cmd.args(args).stdin(Stdio::null());
        for (name, _) in std::env::vars_os() {
            if self.scrub.removes(&name.to_string_lossy()) {
                cmd.env_remove(&name);
            }
        }
        cmd.envs(self.env.iter().map(|(k, v)| (OsString::from(k), v)));
        if let Some(cwd) = &self.cwd {
            cmd.current_dir(cwd);
        }
        match self.output {
            Output::Capture => cmd.stdout(Stdio::piped()).stderr(Stdio::piped()),
            Output::Stderr => cmd.stdout(std::io::stderr()).stderr(std::io::stderr()),
        };
        std::os::unix::process::CommandExt::process_group(&mut cmd, 0);
        cmd.spawn().map_err(|source| RunError::Spawn {
            program: program.clone(),
            source,
        })
    }
}

type Pipe = Box<dyn std::io::Read + Send>;

fn reader(pipe: Option<Pipe>) -> std::thread::JoinHandle<String> {
    std::thread::spawn(move || {
        let mut text = Vec::new();
        if let Some(mut pipe) = pipe {
            let _ = pipe.read_to_end(&mut text);
        }
        String::from_utf8_lossy(&text).into_owned()
    })
}

/// Kill the child's whole process group and reap the child.
fn stop(child: &mut Child) {
    crate::sys::kill_group(child.id());
    let _ = child.kill();
    let _ = child.wait();
}

/// Split `text` into words. Single quotes keep everything literally; double
/// quotes keep everything except `\"` and `\\`; outside quotes a backslash
/// escapes the next character. `origin` (a flag or config key) names the
/// setting in errors.
pub fn split(text: &str, origin: &str) -> Result<Vec<String>, UsageError> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut in_word = false;
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        match c {
            '\'' => {
                in_word = true;
                single_quoted(&mut chars, &mut word).ok_or_else(|| unterminated(origin, "'"))?;
            }
            '"' => {
                in_word = true;
                double_quoted(&mut chars, &mut word).ok_or_else(|| unterminated(origin, "\""))?;
            }
            '\\' => {
                in_word = true;
                if let Some(c) = chars.next() {
                    word.push(c);
                }
            }
            c if c.is_whitespace() => {
                if in_word {
                    words.push(std::mem::take(&mut word));
                    in_word = false;
                }
            }
            c => {
                in_word = true;
                word.push(c);
            }
        }
    }
    if in_word {
        words.push(word);
    }
    if words.is_empty() {
        return Err(UsageError::new(format!("{origin} is empty")));
    }
    Ok(words)
}

/// Read up to the closing `'`; None when there is none.
fn single_quoted(chars: &mut std::str::Chars<'_>, word: &mut String) -> Option<()> {
    loop {
        match chars.next()? {
            '\'' => return Some(()),
            c => word.push(c),
        }
    }
}

/// Read up to the closing `"`, honouring `\"` and `\\`; None when unclosed.
fn double_quoted(chars: &mut std::str::Chars<'_>, word: &mut String) -> Option<()> {
    loop {
        match chars.next()? {
            '"' => return Some(()),
            '\\' => match chars.next()? {
                c @ ('"' | '\\') => word.push(c),
                c => {
                    word.push('\\');
                    word.push(c);
                }
            },
            c => word.push(c),
        }
    }
}

fn unterminated(origin: &str, quote: &str) -> UsageError {
    UsageError::new(format!(
        "{origin} has an unterminated {quote} quote; the command is split into words without a shell"
    ))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn splits_like_a_shell_without_running_one() {
        assert_eq!(
            split("docker exec -i db pg_dump", "x").unwrap(),
            ["docker", "exec", "-i", "db", "pg_dump"]
        );
        assert_eq!(
            split(r#"curl -d 'a b' "c \"d\"" e\ f ''"#, "x").unwrap(),
            ["curl", "-d", "a b", "c \"d\"", "e f", ""]
        );
        assert_eq!(split("echo $HOME;rm", "x").unwrap(), ["echo", "$HOME;rm"]);
    }

    #[test]
    fn errors_name_the_origin() {
        assert!(
            split("  ", "--pg-dump")
                .unwrap_err()
                .message
                .contains("--pg-dump is empty")
        );
        let err = split("a 'b", "--on-success").unwrap_err().message;
        assert!(
            err.contains("--on-success") && err.contains("unterminated"),
            "{err}"
        );
        assert!(split("a \"b\\\"", "x").is_err());
    }

    #[test]
    fn scrubbing_connections_keeps_what_is_passed() {
        let scrub = Scrub::Connections {
            pass: vec!["PGSSLROOTCERT".into()],
        };
        for name in [
            "DATABASE_URL",
            "PGHOST",
            "POSTGRES_DB",
            "SQLALCHEMY_URL",
            "DB_HOST",
        ] {
            assert!(scrub.removes(name), "{name}");
        }
        for name in ["PATH", "HOME", "PGSSLROOTCERT", "PYTHONPATH", "DEBUG"] {
            assert!(!scrub.removes(name), "{name}");
        }
        assert!(Scrub::Secrets.removes("PGPASSWORD"));
        assert!(!Scrub::Secrets.removes("PGHOST"));
    }

    #[test]
    fn runs_with_a_clean_environment_and_captures_output() {
        let mut command = ChildCommand::new(vec![
            "sh".into(),
            "-c".into(),
            "echo \"${PGPASSWORD-unset} $MINE\"; echo err >&2; exit 3".into(),
        ]);
        command.env.push(("MINE".into(), "set".into()));
        let finished = command.run().unwrap();
        // The test process may or may not have PGPASSWORD; the child never does.
        assert_eq!(finished.stdout, "unset set\n");
        assert_eq!(finished.stderr, "err\n");
        assert!(!finished.success);
        assert_eq!(finished.status, "exit 3");
    }

    #[test]
    fn a_hanging_child_is_stopped_with_its_group() {
        let dir = tempfile::tempdir().unwrap();
        let pid_file = dir.path().join("pid");
        let script = format!("sleep 30 & echo $! > {}; wait", pid_file.display());
        let mut command = ChildCommand::new(vec!["sh".into(), "-c".into(), script]);
        command.timeout = Duration::from_millis(300);
        let err = command.run().unwrap_err();
        assert!(matches!(err, RunError::Timeout { .. }), "{err}");
        let grandchild = std::fs::read_to_string(&pid_file).unwrap();
        let proc = PathBuf::from(format!("/proc/{}", grandchild.trim()));
        let deadline = Instant::now() + Duration::from_secs(5);
        // Killed, it may linger as a zombie until init reaps it.
        while proc.exists() && !is_zombie(&proc) && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
        }
        assert!(
            !proc.exists() || is_zombie(&proc),
            "the background sleep survived"
        );
    }

    fn is_zombie(proc: &std::path::Path) -> bool {
        std::fs::read_to_string(proc.join("stat")).is_ok_and(|stat| {
            stat.rsplit(')')
                .next()
                .is_some_and(|rest| rest.trim_start().starts_with('Z'))
        })
    }
}
