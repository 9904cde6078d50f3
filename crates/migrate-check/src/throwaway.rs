//! The throwaway database every check runs in: created from a template,
//! marked with `COMMENT ON DATABASE`, dropped `WITH (FORCE)` when the
//! [`Throwaway`] is dropped (on success, failure and Ctrl-C alike), and
//! swept when a killed run left one behind.

use rand::Rng as _;
use shipshape_pg::quote::quote_ident;
use shipshape_pg::throwaway;
use shipshape_pg::{ConnectionSettings, Db, PgError};

/// Every throwaway database's name starts with this.
pub const PREFIX: &str = "migrate_check_";
/// The tool name in the marker comment (crates/pg's `throwaway::mark`).
pub const TOOL: &str = "migrate-check";

/// A created throwaway database.
#[derive(Debug)]
pub struct Throwaway {
    /// The server settings (maintenance database) it was created through.
    server: ConnectionSettings,
    pub name: String,
    template: String,
    /// Keep it at the end (`--keep`).
    pub keep: bool,
    dropped: bool,
    /// `--in-place`: an existing (empty) database the user named; it is
    /// emptied again instead of dropped, and never re-created.
    existing: bool,
}

/// A random name: `migrate_check_` + 12 lowercase hex digits.
pub fn random_name() -> String {
    let n: u64 = rand::rng().random();
    format!("{PREFIX}{:012x}", n & 0xffff_ffff_ffff)
}

impl Throwaway {
    /// Create and mark a new throwaway database.
    pub fn create(admin: &mut Db, template: &str, keep: bool) -> Result<Self, PgError> {
        let server = admin.settings().clone();
        let name = random_name();
        admin.execute(&format!(
            "CREATE DATABASE {} TEMPLATE {}",
            quote_ident(&name),
            quote_ident(template)
        ))?;
        let mut created = Self {
            server,
            name,
            template: template.to_owned(),
            keep,
            dropped: false,
            existing: false,
        };
        if let Err(err) = throwaway::mark(admin, TOOL, &created.name) {
            created.drop_now();
            return Err(err);
        }
        Ok(created)
    }

    /// Use an existing database (`--in-place`): `settings` names it.
    pub fn existing(settings: &ConnectionSettings, keep: bool) -> Self {
        Self {
            server: settings.clone(),
            name: settings.database.clone(),
            template: String::new(),
            keep,
            dropped: false,
            existing: true,
        }
    }

    /// Remove every schema, extension and object from an existing database
    /// (it was verified empty before the run), leaving an empty `public`.
    fn empty_existing(&self) -> Result<(), PgError> {
        let mut db = Db::connect(&self.server)?;
        let result = db.execute(EMPTY_DATABASE_SQL);
        db.close();
        result
    }

    /// Connection settings for the throwaway database.
    pub fn settings(&self) -> ConnectionSettings {
        self.server.with_database(&self.name)
    }

    /// Drop and re-create it empty (after a failed step left it dirty).
    pub fn recreate(&mut self) -> Result<(), PgError> {
        if self.existing {
            return self.empty_existing();
        }
        let mut admin = Db::connect(&self.server)?;
        admin.drop_database(&self.name, true)?;
        admin.execute(&format!(
            "CREATE DATABASE {} TEMPLATE {}",
            quote_ident(&self.name),
            quote_ident(&self.template)
        ))?;
        throwaway::mark(&mut admin, TOOL, &self.name)?;
        admin.close();
        Ok(())
    }

    /// Drop it now (idempotent). Errors are returned for reporting.
    pub fn drop_now(&mut self) -> Option<String> {
        if self.dropped {
            return None;
        }
        self.dropped = true;
        if self.existing {
            return self.empty_existing().err().map(|e| e.to_string());
        }
        let result = Db::connect(&self.server).and_then(|mut admin| {
            let r = admin.drop_database(&self.name, true);
            admin.close();
            r
        });
        result.err().map(|e| e.to_string())
    }
}

impl Drop for Throwaway {
    fn drop(&mut self) {
        if !self.keep {
            // Errors cannot be reported from Drop; `drop_now` is called
            // explicitly on the normal paths, so this only covers early returns.
            let _ = self.drop_now();
        }
    }
}

/// Empties a database: every extension but plpgsql, every schema but the
/// system ones, then a fresh `public`.
const EMPTY_DATABASE_SQL: &str = r#"
DO $$
DECLARE
    name text;
BEGIN
    FOR name IN SELECT extname FROM pg_extension WHERE extname <> 'plpgsql' LOOP
        EXECUTE format('DROP EXTENSION IF EXISTS %I CASCADE', name);
    END LOOP;
    FOR name IN SELECT nspname FROM pg_namespace
                WHERE nspname NOT IN ('pg_catalog', 'information_schema')
                  AND nspname NOT LIKE 'pg\_toast%' AND nspname NOT LIKE 'pg\_temp\_%' LOOP
        EXECUTE format('DROP SCHEMA IF EXISTS %I CASCADE', name);
    END LOOP;
    CREATE SCHEMA public;
END
$$;
"#;

/// Drop marked throwaway databases a killed run left (older than
/// crates/pg's `STALE_AFTER`). Returns the names dropped and warnings for
/// those that could not be.
pub fn sweep(admin: &mut Db) -> Result<(Vec<String>, Vec<String>), PgError> {
    throwaway::sweep_stale(admin, TOOL, PREFIX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_prefixed_and_distinct() {
        let (a, b) = (random_name(), random_name());
        assert!(a.starts_with(PREFIX) && a.len() == PREFIX.len() + 12, "{a}");
        assert_ne!(a, b);
    }
}
