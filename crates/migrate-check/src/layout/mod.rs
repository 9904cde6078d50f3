//! Migration directory layouts: how a directory of files becomes an ordered
//! list of [`Migration`]s.

pub mod alembic;
pub mod dbmate;
pub mod diesel;
pub mod updown;

use std::fmt;
use std::path::{Path, PathBuf};

use crate::checks::Check;
use crate::sql::{self, Statement};

/// The supported layouts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Layout {
    /// `<version>_<name>.up.sql` + `.down.sql` (sqlx, golang-migrate)
    Updown,
    /// `<version>_<name>.sql` with `-- migrate:up` / `-- migrate:down`
    Dbmate,
    /// `<version>_<name>/up.sql` + `down.sql`
    Diesel,
    /// an `alembic.ini` project, driven through the alembic command
    Alembic,
    /// any other tool, through configured up/down/current commands
    Command,
}

impl Layout {
    pub fn name(self) -> &'static str {
        match self {
            Self::Updown => "updown",
            Self::Dbmate => "dbmate",
            Self::Diesel => "diesel",
            Self::Alembic => "alembic",
            Self::Command => "command",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        [
            Self::Updown,
            Self::Dbmate,
            Self::Diesel,
            Self::Alembic,
            Self::Command,
        ]
        .into_iter()
        .find(|l| l.name() == text)
    }
}

impl fmt::Display for Layout {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// How a SQL script is run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TxMode {
    /// In its own transaction (the default).
    Wrapped,
    /// Statement by statement outside a transaction; the reason is shown as a note.
    Outside(String),
    /// The file has its own BEGIN/COMMIT; sent as written.
    SelfManaged,
}

/// One direction of a SQL migration.
#[derive(Debug, Clone)]
pub struct Script {
    /// The file, as shown to the user.
    pub file: String,
    /// Line in `file` where this script's text starts (dbmate sections).
    pub first_line: u32,
    pub sql: String,
    pub statements: Vec<Statement>,
    pub mode: TxMode,
}

impl Script {
    /// `explicit_no_tx` comes from the file (`-- no-transaction`, dbmate
    /// `transaction:false`, diesel `run_in_transaction = false`).
    pub fn new(file: String, first_line: u32, sql: String, explicit_no_tx: Option<&str>) -> Self {
        // Editors on Windows like to start files with a byte-order mark,
        // which PostgreSQL would reject as a syntax error.
        let sql = match sql.strip_prefix('\u{feff}') {
            Some(rest) => rest.to_owned(),
            None => sql,
        };
        let statements = sql::split(&sql);
        let mode = if let Some(reason) = explicit_no_tx {
            TxMode::Outside(reason.to_owned())
        } else if let Some(reason) = statements.iter().find_map(sql::needs_no_transaction) {
            TxMode::Outside(format!(
                "contains {reason}, which PostgreSQL refuses inside a transaction block"
            ))
        } else if statements.iter().any(sql::is_transaction_control) {
            TxMode::SelfManaged
        } else {
            TxMode::Wrapped
        };
        Self {
            file,
            first_line,
            sql,
            statements,
            mode,
        }
    }

    /// Holds only comments (nothing to run, nothing to undo).
    pub fn is_empty(&self) -> bool {
        self.statements.is_empty()
    }

    /// True when the first lines carry a `-- no-transaction` marker.
    pub fn has_no_transaction_marker(sql: &str) -> bool {
        sql.lines()
            .map(str::trim)
            .take_while(|l| l.is_empty() || l.starts_with("--"))
            .any(|l| {
                let l = l.trim_start_matches('-').trim().to_ascii_lowercase();
                l == "no-transaction" || l == "no_transaction" || l == "+goose no transaction"
            })
    }
}

/// One migration.
#[derive(Debug, Clone)]
pub struct Migration {
    /// The version (or Alembic revision id).
    pub version: String,
    /// `20240311080000_project_status`: what messages call it.
    pub id: String,
    /// The file diagnostics point at (the up file, the dbmate file, the
    /// Alembic revision file).
    pub file: String,
    pub up: Option<Script>,
    pub down: Option<Script>,
    /// Alembic: the revision(s) this one follows.
    pub parents: Vec<String>,
    /// Alembic: the revision file declares a downgrade that does something.
    pub has_down: bool,
}

impl Migration {
    /// The up does nothing (only comments): it needs no down.
    pub fn up_is_empty(&self) -> bool {
        self.up.as_ref().is_some_and(Script::is_empty)
    }
}

/// A problem found while reading the directory (a `prerequisites` or
/// `history` failure, not a crash).
#[derive(Debug, Clone)]
pub struct Problem {
    pub check: Check,
    pub file: Option<String>,
    pub message: String,
    pub help: Option<String>,
}

impl Problem {
    pub fn new(check: Check, message: impl Into<String>) -> Self {
        Self {
            check,
            file: None,
            message: message.into(),
            help: None,
        }
    }

    #[must_use]
    pub fn file(mut self, file: impl Into<String>) -> Self {
        self.file = Some(file.into());
        self
    }

    #[must_use]
    pub fn help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }
}

/// What reading a directory produced.
#[derive(Debug, Default)]
pub struct Loaded {
    pub migrations: Vec<Migration>,
    pub problems: Vec<Problem>,
    /// Alembic: the directory holding `alembic.ini` (commands run there).
    pub alembic_root: Option<PathBuf>,
    /// Alembic: the ini file.
    pub alembic_ini: Option<PathBuf>,
}

/// Which layouts the files in `dir` look like, most specific first.
pub fn detect(dir: &Path) -> Vec<Layout> {
    let mut found = Vec::new();
    if dir.join("alembic.ini").is_file()
        || (dir.join("env.py").is_file() && dir.join("versions").is_dir())
    {
        found.push(Layout::Alembic);
    }
    let Ok(entries) = fs_err::read_dir(dir) else {
        return found;
    };
    let (mut updown, mut dbmate, mut diesel) = (false, false, false);
    for entry in entries.flatten() {
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().into_owned();
        if path.is_dir() {
            diesel |= path.join("up.sql").is_file();
        } else if name.ends_with(".up.sql") || name.ends_with(".down.sql") {
            updown = true;
        } else if name.ends_with(".sql") {
            dbmate |= fs_err::read_to_string(&path).is_ok_and(|t| t.contains("-- migrate:up"));
        }
    }
    if updown {
        found.push(Layout::Updown);
    }
    if dbmate {
        found.push(Layout::Dbmate);
    }
    if diesel {
        found.push(Layout::Diesel);
    }
    found
}

/// Split `20240311080000_project_status` into version and name. The version
/// is everything before the first `_`; it must contain a digit.
pub fn split_version(stem: &str) -> Option<(String, String)> {
    let (version, name) = stem.split_once('_').unwrap_or((stem, ""));
    if version.is_empty() || !version.chars().any(|c| c.is_ascii_digit()) {
        return None;
    }
    if !version.chars().all(|c| c.is_ascii_digit() || c == '-') {
        return None;
    }
    Some((version.to_owned(), name.to_owned()))
}

/// The numeric order of a version (`2024-03-11-080000` orders as
/// `20240311080000`): by digit count, then digits.
pub fn version_key(version: &str) -> (usize, String) {
    let digits: String = version
        .chars()
        .filter(char::is_ascii_digit)
        .collect::<String>()
        .trim_start_matches('0')
        .to_owned();
    (digits.len(), digits)
}

/// Sort SQL migrations by version and report duplicates.
pub fn order(migrations: &mut [Migration], problems: &mut Vec<Problem>) {
    migrations.sort_by(|a, b| {
        version_key(&a.version)
            .cmp(&version_key(&b.version))
            .then(a.id.cmp(&b.id))
    });
    for pair in migrations.windows(2) {
        if version_key(&pair[0].version) == version_key(&pair[1].version) {
            problems.push(
                Problem::new(
                    Check::History,
                    format!(
                        "version {} is used twice: {} and {}",
                        pair[1].version, pair[0].file, pair[1].file
                    ),
                )
                .file(pair[1].file.clone())
                .help("give each migration a unique version; the order of equal versions is undefined"),
            );
        }
    }
}

/// A path as shown in messages: relative to the current directory when it is below it.
pub fn display(path: &Path) -> String {
    let cwd = std::env::current_dir().unwrap_or_default();
    path.strip_prefix(&cwd)
        .unwrap_or(path)
        .display()
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_split_and_order_numerically() {
        assert_eq!(
            split_version("20240311080000_project_status"),
            Some(("20240311080000".into(), "project_status".into()))
        );
        assert_eq!(split_version("README"), None);
        assert_eq!(
            split_version("2024-03-11-080000_x").unwrap().0,
            "2024-03-11-080000"
        );
        assert!(version_key("9") < version_key("10"));
        assert!(version_key("0002") < version_key("10"));
    }

    #[test]
    fn order_sorts_numerically_and_reports_a_version_used_twice() {
        let migration = |id: &str| Migration {
            version: split_version(id).unwrap().0,
            id: id.to_owned(),
            file: format!("{id}.up.sql"),
            up: None,
            down: None,
            parents: Vec::new(),
            has_down: true,
        };
        let mut migrations = vec![
            migration("10_c"),
            migration("2_b"),
            migration("002_a"),
            migration("1_x"),
        ];
        let mut problems = Vec::new();
        order(&mut migrations, &mut problems);
        let ids: Vec<&str> = migrations.iter().map(|m| m.id.as_str()).collect();
        assert_eq!(ids, ["1_x", "002_a", "2_b", "10_c"]);
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert_eq!(problems[0].check, Check::History);
        assert!(
            problems[0]
                .message
                .contains("used twice: 002_a.up.sql and 2_b.up.sql"),
            "{}",
            problems[0].message
        );
    }

    #[test]
    fn no_transaction_marker_is_read_from_leading_comments() {
        assert!(Script::has_no_transaction_marker(
            "-- no-transaction\nCREATE INDEX CONCURRENTLY i ON t (x);"
        ));
        assert!(!Script::has_no_transaction_marker(
            "CREATE TABLE t ();\n-- no-transaction\n"
        ));
    }

    #[test]
    fn a_byte_order_mark_is_dropped_and_concurrently_runs_outside_a_transaction() {
        let script = Script::new(
            "x.up.sql".into(),
            1,
            "\u{feff}CREATE INDEX CONCURRENTLY i ON t (x);".into(),
            None,
        );
        assert!(script.sql.starts_with("CREATE"), "{:?}", script.sql);
        assert!(
            matches!(script.mode, TxMode::Outside(_)),
            "{:?}",
            script.mode
        );
        let plain = Script::new("y.up.sql".into(), 1, "CREATE TABLE t ();".into(), None);
        assert_eq!(plain.mode, TxMode::Wrapped);
    }
}
