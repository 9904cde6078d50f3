//! `--pre-swap` / `--post-swap`: commands split into words and run without
//! a shell, with the names involved in the environment, through core's
//! runner — the same as pg-backup's hooks: no password variables
//! (`DATABASE_URL`, `PGPASSWORD`, …), null stdin, a process group of their
//! own, stopped after [`TIMEOUT`] or on Ctrl-C.

use std::time::Duration;

use shipshape_core::command::{self, ChildCommand, Output};

/// How long a hook may run.
pub const TIMEOUT: Duration = Duration::from_secs(120);

/// Check that a hook command splits into words (an unterminated quote is a
/// usage error before anything is restored).
pub fn validate(origin: &str, text: &str) -> Result<(), shipshape_core::UsageError> {
    command::split(text, origin).map(drop)
}

/// Run a hook; a failing hook is an error.
pub fn run(which: &str, text: &str, env: &[(&str, &str)]) -> anyhow::Result<()> {
    let words = command::split(text, &format!("--{which}"))?;
    let mut hook = ChildCommand::new(words);
    hook.env = env
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    hook.timeout = TIMEOUT;
    // stdout belongs to pg-restore's report; a hook's chatter goes to stderr.
    hook.output = Output::Stderr;
    let program = hook.program().to_owned();
    let finished = hook.run().map_err(|err| match err {
        command::RunError::Interrupted(i) => anyhow::Error::from(i),
        other => anyhow::Error::from(other).context(format!("the {which} hook {program:?}")),
    })?;
    if !finished.success {
        anyhow::bail!("the {which} hook {program:?} failed ({})", finished.status);
    }
    Ok(())
}
