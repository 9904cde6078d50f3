//! `--on-success` / `--on-failure`: run a user's command after a backup,
//! without a shell, with the outcome in `PG_BACKUP_*` environment variables
//! (so a cron job can ping a health check or send a notification). A hook
//! that fails or hangs is reported as a warning and never changes the
//! backup's own result; it is stopped after [`TIMEOUT`].

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use shipshape_core::Printer;

use crate::sys;

/// How long a hook may run.
pub const TIMEOUT: Duration = Duration::from_secs(120);

/// Variables removed from a hook's environment: connection settings that
/// may carry the password.
const SECRET_ENV: [&str; 4] = ["DATABASE_URL", "PGPASSWORD", "PGPASSFILE", "PGSERVICEFILE"];

/// The outcome handed to a hook.
#[derive(Debug, Default, Clone)]
pub struct Outcome {
    pub success: bool,
    pub database: String,
    pub file: Option<String>,
    pub manifest: Option<String>,
    pub size_bytes: Option<u64>,
    pub duration_seconds: f64,
    pub exit_code: u8,
    pub error: Option<String>,
}

impl Outcome {
    /// The variables a hook receives.
    pub fn env(&self) -> Vec<(&'static str, String)> {
        let mut env = vec![
            (
                "PG_BACKUP_STATUS",
                if self.success { "success" } else { "failure" }.to_owned(),
            ),
            ("PG_BACKUP_DATABASE", self.database.clone()),
            (
                "PG_BACKUP_DURATION_SECONDS",
                format!("{:.3}", self.duration_seconds),
            ),
            ("PG_BACKUP_EXIT_CODE", self.exit_code.to_string()),
        ];
        if let Some(file) = &self.file {
            env.push(("PG_BACKUP_FILE", file.clone()));
        }
        if let Some(manifest) = &self.manifest {
            env.push(("PG_BACKUP_MANIFEST", manifest.clone()));
        }
        if let Some(size) = self.size_bytes {
            env.push(("PG_BACKUP_SIZE_BYTES", size.to_string()));
        }
        if let Some(error) = &self.error {
            env.push(("PG_BACKUP_ERROR", error.clone()));
        }
        env
    }
}

/// Run `words` (already split) with the outcome in its environment. Its
/// stdout and stderr go to our stderr, keeping our stdout clean for data.
pub fn run(printer: &Printer, label: &str, words: &[String], outcome: &Outcome) {
    let Some((program, args)) = words.split_first() else {
        return;
    };
    let mut cmd = Command::new(program);
    // A hook never sees the database password (nor where it came from).
    for var in SECRET_ENV {
        cmd.env_remove(var);
    }
    cmd.args(args)
        .envs(outcome.env())
        .stdin(Stdio::null())
        .stdout(std::io::stderr())
        .stderr(std::io::stderr());
    std::os::unix::process::CommandExt::process_group(&mut cmd, 0);
    printer.detail(&format!("running {label} hook: {program}"));
    let mut child = match cmd.spawn() {
        Ok(child) => child,
        Err(err) => {
            printer.warning(&format!(
                "{label} hook {program} could not be started: {err}"
            ));
            return;
        }
    };
    let started = Instant::now();
    loop {
        match child.try_wait() {
            Ok(Some(status)) if status.success() => return,
            Ok(Some(status)) => {
                printer.warning(&format!("{label} hook {program} failed ({status})"));
                return;
            }
            Ok(None) if started.elapsed() > TIMEOUT => {
                sys::kill_group(child.id());
                let _ = child.wait();
                printer.warning(&format!(
                    "{label} hook {program} did not finish within {}s and was stopped",
                    TIMEOUT.as_secs()
                ));
                return;
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(20)),
            Err(err) => {
                printer.warning(&format!("{label} hook {program}: {err}"));
                return;
            }
        }
    }
}
