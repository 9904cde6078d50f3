//! All output goes through the [`Printer`]: data and reports to stdout,
//! progress and diagnostics about the run itself to stderr. Progress lines
//! are [`crate::progress::Progress`], made from the Printer; lines printed
//! while one is shown go above it.
//!
//! Colour is decided per stream by `anstream`: `--color always|never` wins;
//! with `auto`, `NO_COLOR` (set and non-empty) turns colour off, then
//! `CLICOLOR_FORCE` turns it on, else a stream is coloured only when it is a
//! terminal. (The `colored` crate decides once, globally, from stdout alone
//! and lets `CLICOLOR_FORCE` beat `NO_COLOR`, which is why it is not used.)

use std::io::{self, IsTerminal as _, Write as _};
use std::path::PathBuf;

use anstream::{AutoStream, ColorChoice};
use anstyle::{AnsiColor, Effects, Style};

use crate::cli::{ColorWhen, GlobalArgs, OutputFormat};
use crate::progress;
use crate::render::{self, RenderOptions};
use crate::report::Report;

/// Writes everything a tool prints.
#[derive(Debug, Clone)]
pub struct Printer {
    format: OutputFormat,
    choice: ColorChoice,
    quiet: bool,
    verbose: bool,
    step_summary: Option<PathBuf>,
}

impl Printer {
    pub fn new(args: &GlobalArgs) -> Self {
        Self {
            format: args.output_format(),
            choice: color_choice(args.color),
            quiet: args.quiet,
            verbose: args.verbose,
            step_summary: std::env::var_os("GITHUB_STEP_SUMMARY")
                .filter(|p| !p.is_empty())
                .map(PathBuf::from),
        }
    }

    pub fn format(&self) -> OutputFormat {
        self.format
    }

    pub fn is_quiet(&self) -> bool {
        self.quiet
    }

    pub fn is_verbose(&self) -> bool {
        self.verbose
    }

    /// True when stderr is a terminal: only then do progress lines make sense.
    pub fn stderr_is_terminal(&self) -> bool {
        io::stderr().is_terminal()
    }

    /// True when what goes to stderr is coloured (`--color`, then
    /// `NO_COLOR`, `CLICOLOR_FORCE`, is-a-terminal), for styles drawn
    /// outside anstream (the progress line).
    pub fn stderr_is_colored(&self) -> bool {
        let choice = match self.choice {
            ColorChoice::Auto => AutoStream::choice(&io::stderr()),
            chosen => chosen,
        };
        choice != ColorChoice::Never
    }

    /// True when stdin is a terminal (an operator could answer a prompt).
    pub fn stdin_is_terminal(&self) -> bool {
        io::stdin().is_terminal()
    }

    fn stdout(&self) -> AutoStream<io::Stdout> {
        AutoStream::new(io::stdout(), self.choice)
    }

    fn stderr(&self) -> AutoStream<io::Stderr> {
        AutoStream::new(io::stderr(), self.choice)
    }

    /// Data for stdout (a table, `KEY=value` lines, a JSON document). May
    /// contain ANSI styles; they are stripped when stdout is not coloured.
    pub fn data(&self, text: &str) -> io::Result<()> {
        // stdout may be the terminal the progress line is drawn on.
        progress::above(|| {
            let mut out = self.stdout();
            out.write_all(text.as_bytes())?;
            out.flush()
        })
    }

    /// A human summary of a run that succeeded ("restored app from …") on
    /// stdout; nothing with `--quiet`, which promises silence when all is
    /// well (cron mails any output).
    pub fn summary(&self, text: &str) -> io::Result<()> {
        if self.quiet {
            return Ok(());
        }
        self.data(text)
    }

    /// Render the report in the chosen format to stdout, and in GitHub
    /// Actions also append the step summary.
    pub fn report(&self, report: &Report) -> io::Result<()> {
        // Every code a tool emits is a registered rule (so SARIF can describe
        // it); the tools' tests run debug builds over their failure fixtures,
        // so a code that is not fails them here.
        debug_assert!(
            report.unregistered().is_empty(),
            "{} emitted codes that are not registered rules: {:?}",
            report.tool,
            report.unregistered()
        );
        let options = RenderOptions { quiet: self.quiet };
        let text = match self.format {
            OutputFormat::Human => render::human::render(report, options),
            OutputFormat::Json => render::json::render(report),
            OutputFormat::Github => render::github::render(report, options),
            OutputFormat::Sarif => render::sarif::render(report),
        };
        self.data(&text)?;
        if let (OutputFormat::Github, Some(path)) = (self.format, &self.step_summary) {
            let mut file = fs_err::OpenOptions::new()
                .create(true)
                .append(true)
                .open(path)?;
            file.write_all(render::github::step_summary(report).as_bytes())?;
        }
        Ok(())
    }

    /// A progress or status line on stderr ("dumping app …"); not in `--quiet`.
    pub fn status(&self, message: &str) {
        if !self.quiet {
            self.stderr_line(message);
        }
    }

    /// Detail only shown with `--verbose`.
    pub fn detail(&self, message: &str) {
        if self.verbose {
            let style = Style::new().effects(Effects::DIMMED);
            self.stderr_line(&format!("{style}{message}{style:#}"));
        }
    }

    /// A warning about the run on stderr; not in `--quiet`.
    pub fn warning(&self, message: &str) {
        if !self.quiet {
            let style = AnsiColor::Yellow.on_default().effects(Effects::BOLD);
            self.stderr_line(&format!("{style}warning{style:#}: {message}"));
        }
    }

    /// An error about the run on stderr; always shown.
    pub fn error(&self, message: &str) {
        let style = AnsiColor::Red.on_default().effects(Effects::BOLD);
        self.stderr_line(&format!("{style}error{style:#}: {message}"));
    }

    /// A line on stderr, ignoring failures: if stderr is gone there is
    /// nowhere left to report anything. Above the progress line, if shown.
    pub fn stderr_line(&self, message: &str) {
        progress::above(|| {
            let mut err = self.stderr();
            let _ = writeln!(err, "{message}");
        });
    }
}

/// `--color` mapped to anstream's choice; `auto` leaves the per-stream
/// decision (NO_COLOR, CLICOLOR_FORCE, is-a-terminal) to anstream.
pub fn color_choice(when: ColorWhen) -> ColorChoice {
    match when {
        ColorWhen::Auto => ColorChoice::Auto,
        ColorWhen::Always => ColorChoice::Always,
        ColorWhen::Never => ColorChoice::Never,
    }
}
