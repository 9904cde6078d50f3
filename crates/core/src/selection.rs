//! Choosing which rules a run reports, the same way in every tool that has
//! rules (ruff's convention): `--select` (only these), `--ignore` (not
//! these; wins over `--select`) and `--strict` (warnings fail the run), and
//! the same three keys in the tool's table of `shipshape.toml`.

use std::collections::BTreeSet;
use std::path::Path;

use clap::Args;

use crate::config::ConfigError;
use crate::diagnostic::Diagnostic;
use crate::error::UsageError;
use crate::rule::Registry;

/// The rule-selection flags; a tool with rules flattens this into its `Cli`.
/// The spellings of earlier releases (`--only`, `--skip`, `--disable`) are
/// hidden aliases for one release.
#[derive(Debug, Clone, Default, Args)]
pub struct RuleSelection {
    /// Report only these rules (ids, comma-separated or repeated) [default: all]
    #[arg(long, value_name = "ID,...", value_delimiter = ',', alias = "only")]
    pub select: Vec<String>,

    /// Do not report these rules (wins over --select)
    #[arg(long, value_name = "ID,...", value_delimiter = ',', aliases = ["skip", "disable"])]
    pub ignore: Vec<String>,

    /// Make warnings fail the run (exit 1); they stay warnings in the report
    // An Option so that a tool can read it from its own variable too
    // (validate-env: VALIDATE_ENV_STRICT, through clap's `env` on this flag).
    #[arg(long, num_args = 0, default_missing_value = "true",
        value_parser = clap::builder::BoolishValueParser::new())]
    pub strict: Option<bool>,
}

/// `--explain ID` and `--list-checks`, in every tool with rules.
#[derive(Debug, Clone, Default, Args)]
pub struct RuleDocs {
    /// Explain a rule (what it finds, why, how to fix) and exit
    #[arg(long, value_name = "ID")]
    pub explain: Option<String>,

    /// List every rule with its id, default severity and summary, and exit
    #[arg(long)]
    pub list_checks: bool,
}

impl RuleDocs {
    /// What to print instead of running, when one of the flags was given.
    pub fn text(&self, registry: &Registry, table: &str) -> Result<Option<String>, UsageError> {
        match (&self.explain, self.list_checks) {
            (Some(id), _) => registry.explain(id, table).map(Some),
            (None, true) => Ok(Some(registry.listing())),
            (None, false) => Ok(None),
        }
    }
}

/// The same settings from the tool's table of `shipshape.toml` (a tool
/// passes its old keys' values in here too).
#[derive(Debug, Clone, Copy, Default)]
pub struct FileSelection<'a> {
    pub select: Option<&'a [String]>,
    pub ignore: &'a [String],
    pub strict: Option<bool>,
    /// The file the values came from, for error messages.
    pub path: Option<&'a Path>,
    /// The tool's table, e.g. `validate-env`.
    pub table: &'static str,
}

/// What one run reports, every id checked against the tool's registry.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Selection {
    /// `None`: every rule.
    pub select: Option<BTreeSet<&'static str>>,
    pub ignore: BTreeSet<&'static str>,
    pub strict: bool,
}

impl Selection {
    /// Whether findings of rule `id` are reported.
    pub fn enabled(&self, id: &str) -> bool {
        !self.ignore.contains(id) && self.select.as_ref().is_none_or(|s| s.contains(id))
    }

    /// Drop the findings of rules not enabled.
    pub fn retain(&self, diagnostics: &mut Vec<Diagnostic>) {
        diagnostics.retain(|d| self.enabled(&d.code));
    }
}

impl RuleSelection {
    /// Flags (and their variables) over file: `--select` replaces
    /// the file's `select`, `--ignore` adds to its `ignore`. An unknown id is
    /// a usage error (flag) or a configuration error (file), both exit 2.
    pub fn resolve(
        &self,
        registry: &'static Registry,
        file: FileSelection<'_>,
    ) -> anyhow::Result<Selection> {
        let from_flag = |ids: &[String], flag: &str| -> anyhow::Result<Vec<&'static str>> {
            ids.iter()
                .map(|id| registry.lookup(id.trim(), flag).map(|r| r.id))
                .collect::<Result<_, _>>()
                .map_err(|m| UsageError::new(format!("{m} (see --list-checks)")).into())
        };
        let from_file = |ids: &[String], key: &str| -> anyhow::Result<Vec<&'static str>> {
            let what = format!("{key} in [{}]", file.table);
            ids.iter()
                .map(|id| registry.lookup(id.trim(), &what).map(|r| r.id))
                .collect::<Result<_, _>>()
                .map_err(|message| {
                    ConfigError::Invalid {
                        path: file
                            .path
                            .unwrap_or(Path::new(crate::config::DEFAULT_FILE))
                            .to_owned(),
                        message,
                    }
                    .into()
                })
        };
        let select = if !self.select.is_empty() {
            Some(from_flag(&self.select, "--select")?)
        } else {
            match file.select {
                Some(ids) => Some(from_file(ids, "select")?),
                None => None,
            }
        };
        let mut ignore: BTreeSet<&'static str> =
            from_file(file.ignore, "ignore")?.into_iter().collect();
        ignore.extend(from_flag(&self.ignore, "--ignore")?);
        Ok(Selection {
            select: select.map(|s| s.into_iter().collect()),
            ignore,
            strict: crate::config::layer(self.strict, None, file.strict, false),
        })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    crate::rules! {
        static RULES {
            A = ("missing-required", Error, "", "");
            B = ("weak-secret", Warning, "", "");
            C = ("placeholder", Error, "", "");
        }
    }

    fn strings(ids: &[&str]) -> Vec<String> {
        ids.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn ignore_wins_over_select_and_flags_over_file() {
        let flags = RuleSelection {
            select: strings(&["weak-secret", "placeholder"]),
            ignore: strings(&["placeholder"]),
            strict: None,
        };
        let file_select = strings(&["missing-required"]);
        let file = FileSelection {
            select: Some(&file_select),
            ..FileSelection::default()
        };
        let s = flags.resolve(&RULES, file).unwrap();
        assert!(s.enabled("weak-secret"));
        assert!(!s.enabled("placeholder"));
        assert!(!s.enabled("missing-required"));
    }

    #[test]
    fn file_ignore_adds_to_flag_ignore_and_strict_layers() {
        let file_ignore = strings(&["weak-secret"]);
        let file = FileSelection {
            ignore: &file_ignore,
            strict: Some(true),
            ..FileSelection::default()
        };
        let flags = RuleSelection {
            ignore: strings(&["placeholder"]),
            strict: Some(false),
            ..RuleSelection::default()
        };
        let s = flags.resolve(&RULES, file).unwrap();
        assert!(s.enabled("missing-required"));
        assert!(!s.enabled("weak-secret") && !s.enabled("placeholder"));
        assert!(!s.strict, "the flag (or its variable) overrides the file");
    }

    #[test]
    fn unknown_ids_are_usage_or_config_errors_with_a_suggestion() {
        let flags = RuleSelection {
            ignore: strings(&["weak-secrets"]),
            ..RuleSelection::default()
        };
        let err = flags.resolve(&RULES, FileSelection::default()).unwrap_err();
        assert_eq!(
            err.downcast_ref::<UsageError>().unwrap().message,
            "--ignore: unknown rule \"weak-secrets\"; did you mean \"weak-secret\"? (see --list-checks)"
        );
        let file_select = strings(&["nope"]);
        let file = FileSelection {
            select: Some(&file_select),
            table: "validate-env",
            ..FileSelection::default()
        };
        let err = RuleSelection::default().resolve(&RULES, file).unwrap_err();
        assert_eq!(
            err.to_string(),
            "invalid configuration in shipshape.toml: select in [validate-env]: unknown rule \"nope\""
        );
    }
}
