//! The exit codes every shipshape tool uses, in one place.

/// How a tool run ended. The numeric values are a public contract: scripts,
/// Makefiles and CI steps branch on them, so they never change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ExitCode {
    /// Everything checked out (warnings may have been printed).
    Ok = 0,
    /// The run worked and found problems: validation errors, lint errors,
    /// a failed verification or migration check.
    Findings = 1,
    /// The command line or the configuration is wrong; nothing was done.
    Usage = 2,
    /// Something outside the tool failed: the database is unreachable, an I/O
    /// error, a child process (pg_dump, psql, alembic) failed.
    Runtime = 3,
    /// Interrupted by SIGINT/SIGTERM; cleanup has run.
    Interrupted = 130,
}

impl ExitCode {
    pub fn code(self) -> u8 {
        self as u8
    }

    /// `Findings` when `problems` is true, else `Ok`.
    pub fn findings_if(problems: bool) -> Self {
        if problems { Self::Findings } else { Self::Ok }
    }
}

impl From<ExitCode> for std::process::ExitCode {
    fn from(code: ExitCode) -> Self {
        std::process::ExitCode::from(code.code())
    }
}

/// The table of exit codes that ends every tool's `--help`.
pub const EXIT_CODES_HELP: &str = "\
Exit codes:
  0    ok (warnings may have been printed)
  1    checks found problems
  2    usage or configuration error; nothing was done
  3    runtime failure (database unreachable, I/O error, child process failed)
  130  interrupted (Ctrl-C / SIGTERM), after cleanup";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numeric_values_are_the_documented_contract() {
        assert_eq!(ExitCode::Ok.code(), 0);
        assert_eq!(ExitCode::Findings.code(), 1);
        assert_eq!(ExitCode::Usage.code(), 2);
        assert_eq!(ExitCode::Runtime.code(), 3);
        assert_eq!(ExitCode::Interrupted.code(), 130);
    }
}
