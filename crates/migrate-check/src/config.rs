//! The `[migrate-check]` table of `shipshape.toml`.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use shipshape_core::Secret;
use shipshape_core::config::ToolConfig;

/// Every key of `[migrate-check]` (documented in docs/configuration.md).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// The migrations directory (or the directory of `alembic.ini`).
    pub dir: Option<String>,
    /// `updown`, `dbmate`, `diesel`, `alembic` or `command`; auto-detected when unset.
    pub layout: Option<String>,
    /// Template for the throwaway database (default `template0`).
    pub template: Option<String>,
    /// How to run Alembic, e.g. `["python", "-m", "alembic"]` (default `["alembic"]`).
    pub alembic_command: Option<Vec<String>>,
    /// Environment for migration commands; values may use `{url}`, `{host}`,
    /// `{port}`, `{user}`, `{password}`, `{database}`.
    pub env: BTreeMap<String, String>,
    /// Connection variables (`DATABASE_URL`, `PG*`, `POSTGRES_*`,
    /// `SQLALCHEMY_*`, `DB_*`) that migration commands may inherit from our
    /// environment; every other one is removed before they start.
    pub pass_env: Vec<String>,
    /// Versions declared to have no down.
    pub irreversible: Vec<String>,
    /// `command` layout: apply the next migration.
    pub up_command: Option<Vec<String>>,
    /// `command` layout: revert the last applied migration.
    pub down_command: Option<Vec<String>>,
    /// `command` layout: print the current version (empty output = base).
    pub current_command: Option<Vec<String>>,
    /// `command` layout: the table in which the tool records applied
    /// versions (default: the first of the common tools' tables found).
    pub version_table: Option<String>,
    /// Checks to run (default: all that apply).
    pub select: Option<Vec<String>>,
    /// The old name of `select`, still read.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub only: Option<Vec<String>>,
    /// Checks to skip (`ignore` here names relations, below).
    pub skip: Vec<String>,
    /// Make warnings fail the run (they stay warnings).
    pub strict: Option<bool>,
    /// Extra relations left out of every comparison (bookkeeping tables of
    /// the common migration tools are always left out).
    pub ignore: Vec<String>,
    /// Treat lock and rewrite hints as errors.
    pub strict_locks: Option<bool>,
    /// Seconds a migration command may run before it is stopped (default 600).
    pub command_timeout: Option<u64>,
    /// Fallback server URL when neither --database-url, DATABASE_URL nor PG* is set.
    pub database_url: Option<Secret<String>>,
}

impl ToolConfig for Config {
    const TABLE: &'static str = "migrate-check";
}
