//! The throwaway database every check runs in: created from a template,
//! marked with `COMMENT ON DATABASE`, dropped `WITH (FORCE)` when the
//! [`Throwaway`] is dropped (on success, failure and Ctrl-C alike), and
//! swept when a killed run left one behind.

use chrono::{DateTime, Utc};
use rand::Rng as _;
use shipshape_pg::quote::{quote_ident, quote_literal};
use shipshape_pg::{ConnectionSettings, Db, PgError};

/// Every throwaway database's name starts with this.
pub const PREFIX: &str = "migrate_check_";
/// The comment that marks a database as ours; followed by ` created <RFC 3339> by …`.
pub const MARKER: &str = "migrate-check throwaway database;";
/// Marked databases older than this are left over from a killed run.
pub const STALE_AFTER: chrono::Duration = chrono::Duration::hours(1);

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

fn marker_text(settings: &ConnectionSettings, now: DateTime<Utc>) -> String {
    let host = std::env::var("HOSTNAME")
        .ok()
        .or_else(|| fs_err::read_to_string("/etc/hostname").ok())
        .map(|h| h.trim().to_owned())
        .unwrap_or_else(|| "unknown".to_owned());
    format!(
        "{MARKER} created {} by {} (pid {} on {host}); safe to drop",
        now.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        settings.user,
        std::process::id()
    )
}

/// The creation time recorded in a marker comment.
pub fn marker_time(comment: &str) -> Option<DateTime<Utc>> {
    let rest = comment.strip_prefix(MARKER)?.trim_start();
    let stamp = rest.strip_prefix("created ")?.split_whitespace().next()?;
    DateTime::parse_from_rfc3339(stamp)
        .ok()
        .map(|t| t.with_timezone(&Utc))
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
        let comment = marker_text(&created.server, Utc::now());
        if let Err(err) = admin.execute(&format!(
            "COMMENT ON DATABASE {} IS {}",
            quote_ident(&created.name),
            quote_literal(&comment)
        )) {
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

    pub fn is_existing(&self) -> bool {
        self.existing
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
        admin.execute(&format!(
            "DROP DATABASE IF EXISTS {} WITH (FORCE)",
            quote_ident(&self.name)
        ))?;
        admin.execute(&format!(
            "CREATE DATABASE {} TEMPLATE {}",
            quote_ident(&self.name),
            quote_ident(&self.template)
        ))?;
        let comment = marker_text(&self.server, Utc::now());
        admin.execute(&format!(
            "COMMENT ON DATABASE {} IS {}",
            quote_ident(&self.name),
            quote_literal(&comment)
        ))?;
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
            let r = admin.execute(&format!(
                "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                quote_ident(&self.name)
            ));
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

/// Drop marked throwaway databases older than [`STALE_AFTER`]. Returns the
/// names dropped and warnings for those that could not be.
pub fn sweep(admin: &mut Db) -> Result<(Vec<String>, Vec<String>), PgError> {
    let rows = admin.query_text(
        "SELECT datname::text, shobj_description(oid, 'pg_database') FROM pg_database \
         WHERE starts_with(datname, $1) ORDER BY 1",
        &[PREFIX],
    )?;
    let now = Utc::now();
    let mut dropped = Vec::new();
    let mut warnings = Vec::new();
    for row in rows {
        let (Some(Some(name)), Some(Some(comment))) = (row.first(), row.get(1)) else {
            continue;
        };
        let Some(created) = marker_time(comment) else {
            continue;
        };
        if now - created < STALE_AFTER {
            continue;
        }
        match admin.execute(&format!(
            "DROP DATABASE IF EXISTS {} WITH (FORCE)",
            quote_ident(name)
        )) {
            Ok(()) => dropped.push(name.clone()),
            Err(err) => warnings.push(format!(
                "could not drop stale throwaway database {name}: {err}"
            )),
        }
    }
    Ok((dropped, warnings))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn marker_round_trips_its_time() {
        let settings =
            ConnectionSettings::resolve_with(Some("postgres://u@h/db"), None, |_| None).unwrap();
        let now = DateTime::parse_from_rfc3339("2026-01-02T03:04:05Z")
            .unwrap()
            .with_timezone(&Utc);
        let text = marker_text(&settings, now);
        assert!(text.starts_with(MARKER), "{text}");
        assert_eq!(marker_time(&text), Some(now));
        assert_eq!(marker_time("some other comment"), None);
    }

    #[test]
    fn names_are_prefixed_and_distinct() {
        let (a, b) = (random_name(), random_name());
        assert!(a.starts_with(PREFIX) && a.len() == PREFIX.len() + 12, "{a}");
        assert_ne!(a, b);
    }
}
