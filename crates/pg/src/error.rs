//! What can go wrong talking to PostgreSQL, in words an operator can act on.

use std::path::PathBuf;

/// A PostgreSQL failure. Messages never contain a password.
#[derive(Debug, thiserror::Error)]
pub enum PgError {
    #[error(
        "cannot connect to PostgreSQL at {target}: {reason}\n  \
         hint: is the server running there? Check --database-url, DATABASE_URL or PGHOST/PGPORT"
    )]
    Unreachable { target: String, reason: String },

    #[error(
        "authentication failed for user \"{user}\" at {target}\n  \
         hint: check the password in --database-url, DATABASE_URL or PGPASSWORD (not shown), and pg_hba.conf"
    )]
    AuthFailed { user: String, target: String },

    #[error(
        "database \"{database}\" does not exist on {target}\n  \
         hint: check the database name, or create it with: createdb {database}"
    )]
    DatabaseMissing { database: String, target: String },

    #[error("permission denied: {message}\n  hint: {hint}")]
    PermissionDenied { message: String, hint: String },

    #[error("query failed on database \"{database}\": {message}")]
    Query { database: String, message: String },

    #[error(
        "no usable {program} found: need major version {needed} or newer ({why}); {found}\n  \
         hint: {}", client_hint(*needed)
    )]
    ProgramMissing {
        program: String,
        needed: u32,
        /// Why that version: the server's, or the dump's producer.
        why: String,
        found: String,
    },

    #[error(
        "{program} is version {version}, too old: need major version {needed} or newer ({why})\n  \
         hint: {}", client_hint(*needed)
    )]
    ProgramTooOld {
        program: String,
        version: String,
        needed: u32,
        why: String,
    },

    #[error(
        "{} is psql {version}, which does not know the \\restrict command of this dump \
         (written by pg_dump {dumped_by}; pg_dump writes it since the releases of August 2025, CVE-2025-8714); \
         nothing was changed\n  \
         hint: use {needed}: the PostgreSQL (PGDG) client package of that line, \
         then point --pg-bin-dir (or pg_bin_dir in shipshape.toml) at its bin directory", path.display()
    )]
    RestrictUnknown {
        path: PathBuf,
        version: String,
        dumped_by: String,
        needed: String,
    },

    #[error("cannot run {path}: {source}")]
    ProgramFailed {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// Where to get client programs of `major`, and how to point a tool at them.
fn client_hint(major: u32) -> String {
    format!(
        "install the PostgreSQL {major} client programs (PGDG packages, https://www.postgresql.org/download/; \
         Debian/Ubuntu: apt-get install postgresql-client-{major}) and point --pg-bin-dir \
         (or pg_bin_dir in shipshape.toml) at their bin directory"
    )
}
