//! The one place where a run becomes an exit code.

use clap::Parser;

use crate::cli::GlobalArgs;
use crate::error::{ReportedFailure, exit_code_for, is_broken_pipe};
use crate::exit::ExitCode;
use crate::interrupt;
use crate::printer::Printer;

/// A tool's parsed command line: it carries the shared flags.
pub trait ToolCli: Parser {
    fn global(&self) -> &GlobalArgs;
}

/// Parse the command line, run the tool, map the result to an exit code.
///
/// - `--help`/`--version` exit 0; clap's usage errors exit 2.
/// - `Ok(code)` is the tool's verdict.
/// - An error whose chain holds a broken pipe (`tool | head`) exits 0
///   quietly, as ripgrep does: the reader has all it wanted.
/// - A [`ReportedFailure`] prints its report in the chosen format (the
///   JSON document of a failed restore) and exits with its code.
/// - Any other error is printed on stderr with its causes, and mapped by
///   [`exit_code_for`]: usage/config → 2, interrupted → 130, else 3.
pub fn main<C: ToolCli>(run: impl FnOnce(C) -> anyhow::Result<ExitCode>) -> std::process::ExitCode {
    // As `C::try_parse()`, with the version that names the commit and build date.
    let mut command =
        crate::config::clap_env_flags(C::command().version(crate::version::version()));
    let argv: Vec<std::ffi::OsString> = std::env::args_os().collect();
    let parsed = command
        .try_get_matches_from_mut(&argv)
        .and_then(|mut matches| C::from_arg_matches_mut(&mut matches))
        .map_err(|err| {
            let err = err.format(&mut command);
            crate::config::name_env_origin(err, &command, &argv)
        });
    let cli = match parsed {
        Ok(cli) => cli,
        Err(err) => {
            let _ = err.print();
            let code = if err.use_stderr() {
                ExitCode::Usage
            } else {
                ExitCode::Ok
            };
            return code.into();
        }
    };
    interrupt::install();
    let printer = Printer::new(cli.global());
    match run(cli) {
        Ok(code) => code.into(),
        Err(err) if is_broken_pipe(&err) => ExitCode::Ok.into(),
        Err(err) if err.is::<ReportedFailure>() => {
            let Ok(failure) = err.downcast::<ReportedFailure>() else {
                return ExitCode::Runtime.into();
            };
            match printer.report(&failure.report) {
                Err(err) if err.kind() != std::io::ErrorKind::BrokenPipe => {
                    printer.error(&format!("writing the report: {err}"));
                }
                _ => {}
            }
            failure.code.into()
        }
        Err(err) => {
            let code = exit_code_for(&err);
            report_error(&printer, &err, code);
            code.into()
        }
    }
}

fn report_error(printer: &Printer, err: &anyhow::Error, code: ExitCode) {
    if code == ExitCode::Interrupted {
        printer.error("interrupted; cleanup done");
        return;
    }
    printer.error(&err.to_string());
    for cause in err.chain().skip(1) {
        printer.stderr_line(&format!("  caused by: {cause}"));
    }
}
