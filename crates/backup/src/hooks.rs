//! `--on-success` / `--on-failure`: run a user's command after a backup,
//! without a shell, with the outcome in `PG_BACKUP_*` environment variables
//! (so a cron job can ping a health check or send a notification). A hook
//! that fails or hangs is reported as a warning and never changes the
//! backup's own result; it is stopped after [`TIMEOUT`].

use std::time::Duration;

use shipshape_core::Printer;
use shipshape_core::command::{ChildCommand, Output};

/// How long a hook may run.
pub const TIMEOUT: Duration = Duration::from_secs(120);

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

/// Run `words` (already split) with the outcome in its environment, through
/// core's runner: no password variables, null stdin, its own process group,
/// stopped after [`TIMEOUT`]. Its stdout and stderr go to our stderr,
/// keeping our stdout clean for data.
pub fn run(printer: &Printer, label: &str, words: &[String], outcome: &Outcome) {
    let Some(program) = words.first() else {
        return;
    };
    let mut command = ChildCommand::new(words.to_vec());
    command.env = outcome
        .env()
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect();
    command.timeout = TIMEOUT;
    command.output = Output::Stderr;
    printer.detail(&format!("running {label} hook: {program}"));
    match command.run() {
        Ok(finished) if finished.success => {}
        Ok(finished) => {
            printer.warning(&format!(
                "{label} hook {program} failed ({})",
                finished.status
            ));
        }
        Err(err) => printer.warning(&format!("{label} hook: {err}")),
    }
}
