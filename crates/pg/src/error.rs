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
        "no usable {program} found: need major version {needed} or newer; {found}\n  \
         hint: install the PostgreSQL {needed} client programs (Debian/Ubuntu: apt-get install postgresql-client-{needed}) \
         or point --pg-bin-dir at their bin directory"
    )]
    ProgramMissing {
        program: String,
        needed: u32,
        found: String,
    },

    #[error("cannot run {path}: {source}")]
    ProgramFailed {
        path: PathBuf,
        source: std::io::Error,
    },
}
