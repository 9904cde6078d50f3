//! Error types that carry an exit code, and the one function that maps any
//! error to the exit code of the run.

use std::io;

use crate::config::ConfigError;
use crate::exit::ExitCode;
use crate::interrupt::WaitError;

/// The user asked for something impossible (bad flag combination, missing
/// argument, a file that is not what the flag expects). Exit code 2.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct UsageError {
    pub message: String,
}

impl UsageError {
    pub fn new(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
        }
    }
}

/// A run that failed after building its report (a restore refused by its
/// sanity check, say): the report carries the findings and the facts
/// (`"changed": false`), and the one error path in [`crate::run::main`]
/// prints it in the chosen format and exits with `code`.
#[derive(Debug, thiserror::Error)]
#[error("{}", summary(.report))]
pub struct ReportedFailure {
    pub report: Box<crate::report::Report>,
    pub code: ExitCode,
}

impl ReportedFailure {
    /// A runtime failure (exit 3) described by `report`.
    pub fn runtime(report: crate::report::Report) -> Self {
        Self {
            report: Box::new(report),
            code: ExitCode::Runtime,
        }
    }
}

fn summary(report: &crate::report::Report) -> String {
    report
        .diagnostics
        .iter()
        .find(|d| d.severity == crate::diagnostic::Severity::Error)
        .map_or_else(|| format!("{} failed", report.tool), |d| d.message.clone())
}

/// The run stopped because of SIGINT/SIGTERM, after cleaning up. Exit code 130.
#[derive(Debug, thiserror::Error)]
#[error("interrupted")]
pub struct Interrupted;

/// What an error means for the exit code, decided by walking its cause chain.
pub fn exit_code_for(error: &anyhow::Error) -> ExitCode {
    for cause in error.chain() {
        // `WaitError::Interrupted` is transparent, so the chain shows the
        // `WaitError`, not the `Interrupted` inside it.
        if cause.is::<Interrupted>()
            || matches!(cause.downcast_ref(), Some(WaitError::Interrupted(_)))
        {
            return ExitCode::Interrupted;
        }
        if cause.is::<UsageError>() || cause.is::<ConfigError>() || cause.is::<clap::Error>() {
            return ExitCode::Usage;
        }
    }
    ExitCode::Runtime
}

/// True when the error is a write to a closed pipe (`tool | head`), which a
/// command-line tool should treat as a quiet end, not a failure to report.
pub fn is_broken_pipe(error: &anyhow::Error) -> bool {
    error.chain().any(|cause| {
        cause
            .downcast_ref::<io::Error>()
            .is_some_and(|e| e.kind() == io::ErrorKind::BrokenPipe)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use anyhow::Context as _;

    #[test]
    fn usage_errors_map_to_2_even_when_wrapped() {
        let err = anyhow::Error::new(UsageError::new("bad")).context("while parsing");
        assert_eq!(exit_code_for(&err), ExitCode::Usage);
    }

    #[test]
    fn interrupted_maps_to_130() {
        let err = anyhow::Error::new(Interrupted).context("dumping");
        assert_eq!(exit_code_for(&err), ExitCode::Interrupted);
    }

    #[test]
    fn interrupted_wait_maps_to_130() {
        let err =
            anyhow::Error::new(WaitError::Interrupted(Interrupted)).context("running pg_dump");
        assert_eq!(exit_code_for(&err), ExitCode::Interrupted);
        let io = anyhow::Error::new(WaitError::Io(io::Error::other("gone")));
        assert_eq!(exit_code_for(&io), ExitCode::Runtime);
    }

    #[test]
    fn anything_else_is_a_runtime_failure() {
        let err = Err::<(), _>(io::Error::other("disk on fire"))
            .context("writing /backups/x")
            .unwrap_err();
        assert_eq!(exit_code_for(&err), ExitCode::Runtime);
        assert!(!is_broken_pipe(&err));
    }

    #[test]
    fn broken_pipe_is_recognised_through_context() {
        let err = Err::<(), _>(io::Error::from(io::ErrorKind::BrokenPipe))
            .context("writing stdout")
            .unwrap_err();
        assert!(is_broken_pipe(&err));
    }
}
