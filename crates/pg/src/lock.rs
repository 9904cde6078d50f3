//! The cross-tool advisory lock: pg-backup holds it while dumping a database
//! and pg-restore while replacing it, so a cron backup never interleaves
//! with a restore. It is taken on a connection to the maintenance database
//! (the target may be renamed or dropped meanwhile) and keyed on the target's
//! name, and it lasts as long as that connection.

use sha2::{Digest as _, Sha256};

use crate::client::Db;
use crate::error::PgError;
use crate::settings::ConnectionSettings;

/// The 64-bit advisory-lock key for a database name. Derived with SHA-256 of
/// a namespaced string so both tools (any version) compute the same key and
/// it does not collide with an application's own small-integer keys.
pub fn lock_key(database: &str) -> i64 {
    let digest = Sha256::digest(format!("shipshape:database:{database}").as_bytes());
    let mut bytes = [0u8; 8];
    bytes.copy_from_slice(&digest[..8]);
    i64::from_be_bytes(bytes)
}

/// A held lock; dropping it closes the connection, which releases it.
#[derive(Debug)]
pub struct DatabaseLock {
    db: Db,
    pub database: String,
}

impl DatabaseLock {
    /// Try once; `Ok(None)` when another session holds the lock.
    pub fn try_acquire(
        settings: &ConnectionSettings,
        database: &str,
    ) -> Result<Option<Self>, PgError> {
        let mut db = Db::connect(&settings.maintenance())?;
        let key = lock_key(database).to_string();
        let got = db.query_value("SELECT pg_try_advisory_lock($1::bigint)::text", &[&key])?;
        Ok((got.as_deref() == Some("true")).then(|| Self {
            db,
            database: database.to_owned(),
        }))
    }

    /// The pid and application of the session holding the lock, for messages.
    pub fn holder(
        settings: &ConnectionSettings,
        database: &str,
    ) -> Result<Option<String>, PgError> {
        let mut db = Db::connect(&settings.maintenance())?;
        let key = lock_key(database);
        // An advisory lock on a bigint is stored as classid (high 32 bits)
        // and objid (low 32 bits), with objsubid 1.
        let high = ((key >> 32) as u32).to_string();
        let low = (key as u32).to_string();
        let row = db.query_text(
            "SELECT l.pid::text, coalesce(a.application_name, ''), coalesce(a.client_addr::text, 'local') \
             FROM pg_locks l LEFT JOIN pg_stat_activity a ON a.pid = l.pid \
             WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1 \
             AND l.classid = $1::bigint::oid AND l.objid = $2::bigint::oid",
            &[&high, &low],
        )?;
        Ok(row.into_iter().next().map(|r| {
            let field = |i: usize| r.get(i).cloned().flatten().unwrap_or_default();
            format!("backend pid {} ({} from {})", field(0), field(1), field(2))
        }))
    }

    /// Release now rather than at drop.
    pub fn release(self) {
        self.db.close();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_is_stable_and_name_specific() {
        assert_eq!(lock_key("app"), lock_key("app"));
        assert_ne!(lock_key("app"), lock_key("App"));
    }
}
