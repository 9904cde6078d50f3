//! Step 6: the swap. Block new connections to the live database, end its
//! sessions, rename it away, rename the replacement in. The time without a
//! database under the target name is the two renames. Any failure undoes
//! the steps already taken, in reverse.

use std::time::Duration;

use shipshape_pg::Db;
use shipshape_pg::quote::quote_ident;

use crate::dbops;

/// How the swap went.
#[derive(Debug, Clone)]
pub struct Swapped {
    pub terminated: u64,
    /// The swap is done but a finishing touch failed (reported, not fatal).
    pub warning: Option<String>,
}

/// Replace `target` by `incoming`; the old `target` becomes `keep_as`.
pub fn swap(
    db: &mut Db,
    target: &str,
    incoming: &str,
    keep_as: &str,
    target_allowed_connections: bool,
    timeout: Duration,
) -> anyhow::Result<Swapped> {
    dbops::allow_connections(db, target, false)?;
    let terminated = match dbops::terminate_sessions(db, target, timeout) {
        Ok(n) => n,
        Err(err) => {
            let _ = dbops::allow_connections(db, target, target_allowed_connections);
            return Err(err.context(format!("the swap was undone; \"{target}\" is unchanged")));
        }
    };
    if let Err(err) = dbops::rename(db, target, keep_as) {
        let _ = dbops::allow_connections(db, target, target_allowed_connections);
        return Err(err.context(format!("the swap was undone; \"{target}\" is unchanged")));
    }
    if let Err(err) = dbops::rename(db, incoming, target) {
        let undo = dbops::rename(db, keep_as, target)
            .and_then(|()| dbops::allow_connections(db, target, target_allowed_connections));
        return Err(match undo {
            Ok(()) => err.context(format!("the swap was undone; \"{target}\" is unchanged")),
            Err(undo_err) => err.context(format!(
                "undoing the swap failed too ({undo_err:#}): the previous database is \"{keep_as}\" (connections blocked); \
                 put it back with: ALTER DATABASE {} RENAME TO {}; ALTER DATABASE {} ALLOW_CONNECTIONS true;",
                quote_ident(keep_as),
                quote_ident(target),
                quote_ident(target)
            )),
        });
    }
    // The kept database gets its original setting back so a rollback (or a
    // look inside it) works; the new one was created allowing connections.
    // The names are swapped at this point: a failure here must not be
    // reported as a failed swap (and must not undo it).
    let finish = if target_allowed_connections {
        dbops::allow_connections(db, keep_as, true)
    } else {
        dbops::allow_connections(db, target, false)
    };
    Ok(Swapped {
        terminated,
        warning: finish.err().map(|e| format!("{e:#}")),
    })
}
