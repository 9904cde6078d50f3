//! Everything the shipshape tools share: how they read `shipshape.toml`, how
//! they describe what they found ([`Diagnostic`]), how they print it (human,
//! JSON, GitHub annotations, SARIF), and how they end ([`ExitCode`]).
//!
//! A tool's `main.rs` is one line, [`run::main`]; everything else flows from
//! its `run` function returning `anyhow::Result<ExitCode>`.

pub mod cli;
pub mod command;
pub mod config;
pub mod diagnostic;
pub mod error;
pub mod exit;
pub mod human;
pub mod interrupt;
pub mod printer;
pub mod progress;
pub mod prompt;
pub mod render;
pub mod report;
pub mod rule;
pub mod run;
pub mod secret;
pub mod selection;
pub mod sys;
pub mod version;

pub use cli::{ColorWhen, GlobalArgs, OutputFormat};
pub use diagnostic::{Diagnostic, Severity};
pub use error::{Interrupted, ReportedFailure, UsageError};
pub use exit::ExitCode;
pub use printer::Printer;
pub use progress::Progress;
pub use report::Report;
pub use rule::{Registry, Rule};
pub use secret::{Secret, redact_url};
pub use selection::{FileSelection, RuleDocs, RuleSelection, Selection};
