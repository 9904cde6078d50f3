//! Confirming a destructive step (pg-restore replacing a database,
//! migrate-check --in-place): on a terminal the operator sees what will
//! happen and types the database name; without a terminal `--yes` is
//! required, so a pipeline never destroys a database by accident.

use std::io::BufRead as _;

use crate::{Printer, UsageError};

/// Ask for `name` to be typed (or refuse). `lines` are shown before the
/// prompt; `action` completes "refusing to …".
pub fn confirm_name(
    printer: &Printer,
    yes: bool,
    action: &str,
    name: &str,
    lines: &[String],
) -> anyhow::Result<()> {
    if yes {
        return Ok(());
    }
    if !printer.stdin_is_terminal() {
        return Err(UsageError::new(format!(
            "refusing to {action} without confirmation: stdin is not a terminal; nothing was changed\n  \
             hint: pass --yes to confirm in scripts and pipelines"
        ))
        .into());
    }
    for line in lines {
        printer.stderr_line(line);
    }
    printer.stderr_line(&format!(
        "Type the database name ({name}) to continue, anything else to stop:"
    ));
    let mut answer = String::new();
    std::io::stdin().lock().read_line(&mut answer)?;
    if answer.trim_end_matches(['\n', '\r']) != name {
        return Err(UsageError::new("not confirmed; nothing was changed").into());
    }
    Ok(())
}
