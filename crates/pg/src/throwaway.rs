//! A uniquely named database on the same server, dropped when done: where
//! `pg-backup --verify-restore` restores a backup to prove it, and where
//! pg-restore or migrate-check can do their trial runs.

use crate::client::Db;
use crate::error::PgError;
use crate::quote::quote_ident;
use crate::settings::ConnectionSettings;

/// A database this process created. Dropped (with `FORCE` on PostgreSQL 13+)
/// by [`ThrowawayDatabase::drop_now`] or, best effort, on drop.
#[derive(Debug)]
pub struct ThrowawayDatabase {
    maintenance: ConnectionSettings,
    pub name: String,
    force: bool,
    dropped: bool,
}

impl ThrowawayDatabase {
    /// Create `<prefix>_<pid>_<unix time>` (cut to PostgreSQL's 63-byte limit)
    /// from `template0`, through the maintenance database of `settings`.
    pub fn create(settings: &ConnectionSettings, prefix: &str) -> Result<Self, PgError> {
        let suffix = format!(
            "_{}_{}",
            std::process::id(),
            chrono::Utc::now().timestamp_micros()
        );
        let mut head: String = prefix.to_owned();
        while head.len() + suffix.len() > 63 {
            head.pop();
        }
        let name = format!("{head}{suffix}");
        let maintenance = settings.maintenance();
        let mut db = Db::connect(&maintenance)?;
        let force = db.server_major()? >= 13;
        db.execute(&format!(
            "CREATE DATABASE {} TEMPLATE template0",
            quote_ident(&name)
        ))?;
        db.close();
        Ok(Self {
            maintenance,
            name,
            force,
            dropped: false,
        })
    }

    /// Settings that connect to the throwaway database.
    pub fn settings(&self) -> ConnectionSettings {
        self.maintenance.with_database(&self.name)
    }

    /// Drop it now, reporting failure.
    pub fn drop_now(mut self) -> Result<(), PgError> {
        self.dropped = true;
        drop_database(&self.maintenance, &self.name, self.force)
    }
}

impl Drop for ThrowawayDatabase {
    fn drop(&mut self) {
        if !self.dropped {
            let _ = drop_database(&self.maintenance, &self.name, self.force);
        }
    }
}

fn drop_database(maintenance: &ConnectionSettings, name: &str, force: bool) -> Result<(), PgError> {
    let mut db = Db::connect(maintenance)?;
    let force = if force { " WITH (FORCE)" } else { "" };
    let result = db.execute(&format!(
        "DROP DATABASE IF EXISTS {}{force}",
        quote_ident(name)
    ));
    db.close();
    result
}
