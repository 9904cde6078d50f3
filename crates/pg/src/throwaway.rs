//! Throwaway databases: where `pg-backup --verify-restore` restores a backup
//! to prove it and where migrate-check runs its checks. Each is marked with
//! `COMMENT ON DATABASE` (which tool, when, by whom), so that a later run
//! can [`sweep_stale`] the ones a killed run (`kill -9`, a power cut) could
//! not drop; nothing unmarked is ever swept.

use chrono::{DateTime, Utc};

use crate::client::Db;
use crate::error::PgError;
use crate::quote::{quote_ident, quote_literal};
use crate::settings::ConnectionSettings;

/// Marked databases older than this are left over from a killed run: no
/// check or verification restore runs that long on the servers we target.
pub const STALE_AFTER: chrono::Duration = chrono::Duration::hours(1);

/// The comment that marks `tool`'s throwaway databases:
/// `<tool> throwaway database; created <RFC 3339> by <user> (pid N on HOST); safe to drop`.
pub fn marker_text(tool: &str, user: &str, now: DateTime<Utc>) -> String {
    let host = this_host();
    format!(
        "{} created {} by {user} (pid {} on {host}); safe to drop",
        marker_lead(tool),
        now.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        std::process::id()
    )
}

fn marker_lead(tool: &str) -> String {
    format!("{tool} throwaway database;")
}

/// The creation time recorded in `tool`'s marker comment; `None` for any
/// other comment (or none), which is what keeps other databases safe.
pub fn marker_time(tool: &str, comment: &str) -> Option<DateTime<Utc>> {
    let rest = comment.strip_prefix(&marker_lead(tool))?.trim_start();
    let stamp = rest.strip_prefix("created ")?.split_whitespace().next()?;
    DateTime::parse_from_rfc3339(stamp)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

/// The process that created a marked database: (pid, host).
fn marker_owner(tool: &str, comment: &str) -> Option<(u32, String)> {
    let rest = comment.strip_prefix(&marker_lead(tool))?;
    let owner = rest.split("(pid ").nth(1)?;
    let (pid, rest) = owner.split_once(" on ")?;
    let host = rest.split(')').next()?;
    Some((pid.parse().ok()?, host.to_owned()))
}

/// This machine's name: /etc/hostname first (the same whatever the
/// environment, so a cron job and a shell agree), then `$HOSTNAME`.
pub fn this_host() -> String {
    fs_err::read_to_string("/etc/hostname")
        .ok()
        .filter(|h| !h.trim().is_empty())
        .or_else(|| shipshape_core::config::env_var("HOSTNAME"))
        .map(|h| h.trim().to_owned())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "unknown".to_owned())
}

/// Drop `tool`'s marked databases (name starting with `name_prefix`) whose
/// creating process was on this host and no longer runs: what a `kill -9`
/// or a crash left. Unlike [`sweep_stale`] this needs no age limit, so a
/// long verification restore running elsewhere, or still running here, is
/// never touched. Returns the names dropped and warnings.
pub fn sweep_orphans(
    admin: &mut Db,
    tool: &str,
    name_prefix: &str,
) -> Result<(Vec<String>, Vec<String>), PgError> {
    let host = this_host();
    sweep(admin, name_prefix, "orphaned", |comment| {
        marker_owner(tool, comment).is_some_and(|(pid, owner_host)| {
            owner_host == host
                && pid != std::process::id()
                && !std::path::Path::new(&format!("/proc/{pid}")).exists()
        })
    })
}

/// Mark `name` as `tool`'s throwaway database.
pub fn mark(admin: &mut Db, tool: &str, name: &str) -> Result<(), PgError> {
    let comment = marker_text(tool, &admin.settings().user.clone(), Utc::now());
    admin.execute(&format!(
        "COMMENT ON DATABASE {} IS {}",
        quote_ident(name),
        quote_literal(&comment)
    ))
}

/// Drop `tool`'s marked throwaway databases whose name starts with
/// `name_prefix` and which are older than [`STALE_AFTER`]. Returns the names
/// dropped and warnings for those that could not be.
pub fn sweep_stale(
    admin: &mut Db,
    tool: &str,
    name_prefix: &str,
) -> Result<(Vec<String>, Vec<String>), PgError> {
    let now = Utc::now();
    sweep(admin, name_prefix, "stale", |comment| {
        marker_time(tool, comment).is_some_and(|created| now - created >= STALE_AFTER)
    })
}

/// The longest suffix [`ThrowawayDatabase::create`] adds: `_<pid>_<unix
/// microseconds>`, a pid of at most 7 digits (Linux's `pid_max` is at most
/// 4194304) and 16 digits of time.
const MAX_SUFFIX: usize = 1 + 7 + 1 + 16;

/// `prefix` cut (at a character boundary) so that a suffix of
/// `suffix_len` bytes still fits PostgreSQL's 63-byte names.
fn cut_for_suffix(prefix: &str, suffix_len: usize) -> String {
    let mut head = prefix.to_owned();
    while head.len() + suffix_len > 63 {
        head.pop();
    }
    head
}

/// The part of `prefix` every name created from it keeps, however
/// [`ThrowawayDatabase::create`] had to cut it.
fn surviving_head(prefix: &str) -> String {
    cut_for_suffix(prefix, MAX_SUFFIX)
}

/// Drop every database named `name_prefix…` (as much of it as survives in
/// created names) whose comment `is_leftover` accepts; a database without a
/// comment is never considered.
fn sweep(
    admin: &mut Db,
    name_prefix: &str,
    kind: &str,
    is_leftover: impl Fn(&str) -> bool,
) -> Result<(Vec<String>, Vec<String>), PgError> {
    let rows = admin.query_text(
        "SELECT datname::text, shobj_description(oid, 'pg_database') FROM pg_database \
         WHERE starts_with(datname, $1) ORDER BY 1",
        &[&surviving_head(name_prefix)],
    )?;
    let mut dropped = Vec::new();
    let mut warnings = Vec::new();
    for row in rows {
        let (Some(Some(name)), Some(Some(comment))) = (row.first(), row.get(1)) else {
            continue;
        };
        if !is_leftover(comment) {
            continue;
        }
        match admin.drop_database(name, true) {
            Ok(()) => dropped.push(name.clone()),
            Err(err) => warnings.push(format!(
                "could not drop {kind} throwaway database {name}: {err}"
            )),
        }
    }
    Ok((dropped, warnings))
}

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
    /// from `template0`, through the maintenance database of `settings`, and
    /// mark it as `tool`'s.
    pub fn create(
        settings: &ConnectionSettings,
        tool: &str,
        prefix: &str,
    ) -> Result<Self, PgError> {
        let suffix = format!(
            "_{}_{}",
            std::process::id(),
            chrono::Utc::now().timestamp_micros()
        );
        let name = format!("{}{suffix}", cut_for_suffix(prefix, suffix.len()));
        let maintenance = settings.maintenance();
        let mut db = Db::connect(&maintenance)?;
        let force = db.server_major()? >= 13;
        db.execute(&format!(
            "CREATE DATABASE {} TEMPLATE template0",
            quote_ident(&name)
        ))?;
        let created = Self {
            maintenance,
            name,
            force,
            dropped: false,
        };
        // Unmarked, it could never be swept: drop it (on drop) rather than
        // keep an unmarked one.
        mark(&mut db, tool, &created.name)?;
        db.close();
        Ok(created)
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
    let result = db.drop_database(name, force);
    db.close();
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_swept_head_is_kept_by_every_created_name() {
        let long = "é".repeat(40);
        let head = surviving_head(&long);
        assert!(head.len() <= 63 - MAX_SUFFIX && long.starts_with(&head));
        let suffix = format!("_{}_{}", 4_194_304, chrono::Utc::now().timestamp_micros());
        assert!(suffix.len() <= MAX_SUFFIX);
        assert_eq!(surviving_head("short_prefix"), "short_prefix");
    }

    #[test]
    fn marker_round_trips_its_time_and_is_tool_specific() {
        let now = DateTime::parse_from_rfc3339("2026-01-02T03:04:05Z")
            .unwrap()
            .with_timezone(&Utc);
        let text = marker_text("pg-backup", "app", now);
        assert!(
            text.starts_with("pg-backup throwaway database; created 2026-01-02T03:04:05Z by app")
        );
        assert_eq!(marker_time("pg-backup", &text), Some(now));
        assert_eq!(marker_time("migrate-check", &text), None);
        assert_eq!(
            marker_time("pg-backup", "a database somebody commented"),
            None
        );
        let (pid, host) = marker_owner("pg-backup", &text).unwrap();
        assert_eq!((pid, host), (std::process::id(), this_host()));
        assert_eq!(marker_owner("migrate-check", &text), None);
    }
}
