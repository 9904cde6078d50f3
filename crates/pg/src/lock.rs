//! The cross-tool advisory lock: pg-backup holds it while dumping a database
//! and pg-restore while replacing it, so a cron backup never interleaves
//! with a restore. It is taken on a connection to the maintenance database
//! (the target may be renamed or dropped meanwhile) and keyed on the target's
//! name, and it lasts as long as that connection. Either tool fails at once
//! when another holds it, or with `--wait` queues behind it
//! ([`DatabaseLock::acquire`]).

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

/// Whether to queue behind another holder of the lock.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Wait {
    /// Fail at once, naming the holder.
    #[default]
    No,
    /// Poll until the holder is gone (Ctrl-C ends the wait).
    Yes,
}

impl Wait {
    /// `--wait` (or `wait = true` in shipshape.toml).
    pub fn from_flag(wait: bool) -> Self {
        if wait { Self::Yes } else { Self::No }
    }
}

/// Why the lock was not taken.
#[derive(Debug, thiserror::Error)]
pub enum LockError {
    #[error(
        "database \"{database}\" is locked by another shipshape tool (a pg-backup or pg-restore run): {holder}; nothing was changed\n  \
         hint: wait for it to finish, or pass --wait to queue behind it"
    )]
    Held { database: String, holder: String },
    #[error("interrupted while waiting for the lock on database \"{database}\"")]
    Interrupted {
        database: String,
        #[source]
        source: shipshape_core::Interrupted,
    },
    #[error(transparent)]
    Pg(#[from] PgError),
}

/// How often a waiting run asks again: a restore or backup takes seconds
/// at least, and each try is one short query.
const POLL: std::time::Duration = std::time::Duration::from_millis(500);

/// A held lock; dropping it closes the connection, which releases it.
#[derive(Debug)]
pub struct DatabaseLock {
    db: Db,
    pub database: String,
}

impl DatabaseLock {
    /// Take the lock on `database`; when another session holds it, fail
    /// naming the holder, or with [`Wait::Yes`] wait until it is released,
    /// calling `waiting` once with the holder so the tool can say so.
    pub fn acquire(
        settings: &ConnectionSettings,
        database: &str,
        wait: Wait,
        waiting: impl FnOnce(&str),
    ) -> Result<Self, LockError> {
        // One connection for the whole wait: it asks again every POLL, and
        // once the lock is granted it is the connection that holds it.
        let mut db = Db::connect(&settings.maintenance())?;
        let mut waiting = Some(waiting);
        loop {
            if try_lock(&mut db, database)? {
                return Ok(Self {
                    db,
                    database: database.to_owned(),
                });
            }
            // Who holds it is asked only for the message: once.
            if wait == Wait::No || waiting.is_some() {
                let holder = holder_of(&mut db, database)?
                    .unwrap_or_else(|| "a session that just released it".to_owned());
                if wait == Wait::No {
                    return Err(LockError::Held {
                        database: database.to_owned(),
                        holder,
                    });
                }
                if let Some(announce) = waiting.take() {
                    announce(&holder);
                }
            }
            shipshape_core::interrupt::check().map_err(|source| LockError::Interrupted {
                database: database.to_owned(),
                source,
            })?;
            std::thread::sleep(POLL);
        }
    }

    /// Try once; `Ok(None)` when another session holds the lock.
    pub fn try_acquire(
        settings: &ConnectionSettings,
        database: &str,
    ) -> Result<Option<Self>, PgError> {
        let mut db = Db::connect(&settings.maintenance())?;
        Ok(try_lock(&mut db, database)?.then(|| Self {
            db,
            database: database.to_owned(),
        }))
    }

    /// The pid and application of the session holding the lock, for messages.
    pub fn holder(
        settings: &ConnectionSettings,
        database: &str,
    ) -> Result<Option<String>, PgError> {
        holder_of(&mut Db::connect(&settings.maintenance())?, database)
    }

    /// Release now rather than at drop.
    pub fn release(self) {
        self.db.close();
    }
}

/// `pg_try_advisory_lock` on `db`'s session.
fn try_lock(db: &mut Db, database: &str) -> Result<bool, PgError> {
    let key = lock_key(database).to_string();
    let got = db.query_value("SELECT pg_try_advisory_lock($1::bigint)::text", &[&key])?;
    Ok(got.as_deref() == Some("true"))
}

/// Who holds the lock on `database`, asked on `db`.
fn holder_of(db: &mut Db, database: &str) -> Result<Option<String>, PgError> {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_is_stable_and_name_specific() {
        assert_eq!(lock_key("app"), lock_key("app"));
        assert_ne!(lock_key("app"), lock_key("App"));
    }
}
