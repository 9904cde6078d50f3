//! Step 2: check the server before changing anything — version against the
//! dump, the privileges the whole run needs, roles the dump names, free disk
//! — so a run that cannot finish is refused up front instead of failing
//! halfway.

use std::collections::BTreeSet;

use shipshape_core::Diagnostic;
use shipshape_pg::Db;
use shipshape_pg::quote::quote_ident;

use crate::dbops::{self, DbInfo};
use crate::scan::DumpInfo;
use crate::verify::Verified;

/// What the checks found out.
#[derive(Debug, Default)]
pub struct ServerFacts {
    pub server_version: String,
    pub server_major: u32,
    pub user: String,
    pub superuser: bool,
    pub target: Option<DbInfo>,
    pub drop_transaction_timeout: bool,
    /// The dump's planner statistics are left out (the server is older than 18).
    pub drop_statistics: bool,
    pub diagnostics: Vec<Diagnostic>,
}

impl ServerFacts {
    pub fn has_errors(&self) -> bool {
        self.diagnostics
            .iter()
            .any(|d| d.severity == shipshape_core::Severity::Error)
    }
}

/// What the run intends to do, for the privilege checks.
#[derive(Debug, Clone, Copy)]
pub struct Intent {
    pub no_owner: bool,
    pub no_privileges: bool,
    pub in_place: bool,
}

/// Every check of step 2, in the order their findings are reported; errors
/// among `diagnostics` refuse the run.
pub fn check(
    db: &mut Db,
    target: &str,
    file: &Verified,
    intent: Intent,
    owner_map: &[(String, String)],
) -> anyhow::Result<ServerFacts> {
    let (mut facts, powers) = server_and_role(db, target)?;
    version_check(&file.info, &mut facts);
    if !facts.superuser {
        privilege_check(db, target, intent, powers, &mut facts)?;
    }
    role_check(db, &file.info, intent, owner_map, &mut facts)?;
    // Free disk, when the data directory is on this machine and readable.
    disk_check(db, file, &mut facts)?;
    Ok(facts)
}

/// What the connected role may do besides being a superuser, for the
/// privilege checks.
#[derive(Debug, Clone, Copy)]
struct RolePowers {
    createdb: bool,
    /// Member of pg_signal_backend: may end other roles' sessions.
    signal_backend: bool,
}

/// The server's version, who we are connected as, and the target database
/// as it is now.
fn server_and_role(db: &mut Db, target: &str) -> anyhow::Result<(ServerFacts, RolePowers)> {
    let mut facts = ServerFacts {
        server_version: db
            .query_value("SELECT current_setting('server_version')", &[])?
            .unwrap_or_default(),
        server_major: db.server_major()?,
        ..ServerFacts::default()
    };
    let me = db.query_text(
        "SELECT current_user::text, rolsuper::text, rolcreatedb::text, \
         pg_has_role(current_user, 'pg_signal_backend', 'MEMBER')::text \
         FROM pg_roles WHERE rolname = current_user",
        &[],
    )?;
    let row = me.into_iter().next().unwrap_or_default();
    let get = |i: usize| row.get(i).cloned().flatten().unwrap_or_default();
    facts.user = get(0);
    facts.superuser = get(1) == "true";
    let powers = RolePowers {
        createdb: get(2) == "true",
        signal_backend: get(3) == "true",
    };
    facts.target = dbops::info(db, target)?;
    Ok((facts, powers))
}

/// Version: what the dump carries against what the server accepts.
fn version_check(info: &DumpInfo, facts: &mut ServerFacts) {
    if let Some(dump_major) = info.pg_dump_major()
        && info.transaction_timeout_lines > 0
        && facts.server_major < 17
    {
        facts.drop_transaction_timeout = true;
        facts.diagnostics.push(Diagnostic::info(
                "transaction-timeout-dropped",
                format!(
                    "the dump is from pg_dump {dump_major}; its `SET transaction_timeout` line(s) will be left out because PostgreSQL {} does not know that setting",
                    facts.server_major
                ),
            ));
    }
    if info.statistics_entries() > 0 && facts.server_major < 18 {
        facts.drop_statistics = true;
        facts.diagnostics.push(Diagnostic::info(
            "statistics-dropped",
            format!(
                "the dump holds planner statistics (pg_dump --statistics); PostgreSQL {} cannot import them, so they are left out and ANALYZE computes them after the load",
                facts.server_major
            ),
        ));
    }
    if let Some(source_major) = info.server_major()
        && source_major > facts.server_major
    {
        facts.diagnostics.push(Diagnostic::warning(
                "older-server",
                format!(
                    "the dump comes from PostgreSQL {source_major}, this server is {}: objects using newer features will fail to restore",
                    facts.server_major
                ),
            ).with_help("restore onto a server at least as new as the one dumped; a failure leaves the target untouched"));
    }
}

/// Privileges for the whole run, for a role that is not a superuser:
/// creating the new database, renaming the target for the swap, and ending
/// other roles' sessions on it.
fn privilege_check(
    db: &mut Db,
    target: &str,
    intent: Intent,
    powers: RolePowers,
    facts: &mut ServerFacts,
) -> anyhow::Result<()> {
    // --in-place without CREATEDB clears the target instead of recreating it.
    if !(powers.createdb || intent.in_place && facts.target.is_some()) {
        facts.diagnostics.push(
            Diagnostic::error(
                "needs-createdb",
                format!("role \"{}\" cannot create databases (CREATEDB), which restoring beside the target needs", facts.user),
            )
            .with_help(format!(
                "ALTER ROLE {} CREATEDB; (as a superuser), or connect as a role that has it",
                quote_ident(&facts.user)
            )),
        );
    }
    let Some(t) = &facts.target else {
        return Ok(());
    };
    if let Some(d) = ownership_problem(db, target, &t.owner, &facts.user)? {
        facts.diagnostics.push(d);
    }
    if !powers.signal_backend {
        let d = other_sessions_problem(db, target, &facts.user)?;
        facts.diagnostics.push(d);
    }
    Ok(())
}

/// An error unless `user` owns the target or is a member of its owner role:
/// renaming a database needs ownership.
fn ownership_problem(
    db: &mut Db,
    target: &str,
    owner: &str,
    user: &str,
) -> anyhow::Result<Option<Diagnostic>> {
    let member = db
        .query_value(
            "SELECT pg_has_role(current_user, $1, 'MEMBER')::text",
            &[owner],
        )?
        .as_deref()
        == Some("true");
    if member {
        return Ok(None);
    }
    Ok(Some(
        Diagnostic::error(
            "needs-ownership",
            format!(
                "role \"{user}\" is not the owner of \"{target}\" (owned by \"{owner}\") nor a member of that role; renaming it for the swap needs ownership",
            ),
        )
        .with_help(format!(
            "connect as \"{owner}\" or a superuser, or GRANT {} TO {};",
            quote_ident(owner),
            quote_ident(user)
        )),
    ))
}

/// For a role outside pg_signal_backend, which can end only its own
/// sessions before the swap: an error when other roles are connected to the
/// target now, a warning otherwise (they may connect before the swap).
fn other_sessions_problem(db: &mut Db, target: &str, user: &str) -> anyhow::Result<Diagnostic> {
    let others = db.query_value(
        "SELECT count(*)::text FROM pg_stat_activity WHERE datname = $1 AND usename IS DISTINCT FROM current_user",
        &[target],
    )?;
    let others: u64 = others.and_then(|v| v.parse().ok()).unwrap_or(0);
    Ok(Diagnostic::new(
        if others > 0 {
            shipshape_core::Severity::Error
        } else {
            shipshape_core::Severity::Warning
        },
        "needs-signal-backend",
        format!(
            "role \"{user}\" can only end its own sessions (not a superuser, not in pg_signal_backend); {others} session(s) of other roles are connected to \"{target}\" now",
        ),
    )
    .with_help(format!(
        "GRANT pg_signal_backend TO {}; or stop those clients first (--pre-swap)",
        quote_ident(user)
    )))
}

/// Roles the dump or --owner-map names that this server lacks.
fn role_check(
    db: &mut Db,
    info: &DumpInfo,
    intent: Intent,
    owner_map: &[(String, String)],
    facts: &mut ServerFacts,
) -> anyhow::Result<()> {
    let existing: BTreeSet<String> = db
        .query_text("SELECT rolname::text FROM pg_roles", &[])?
        .into_iter()
        .filter_map(|r| r.into_iter().next().flatten())
        .collect();
    for (_, new) in owner_map {
        if !existing.contains(new) {
            facts.diagnostics.push(
                Diagnostic::error(
                    "missing-role",
                    format!(
                        "--owner-map names role \"{new}\", which does not exist on this server"
                    ),
                )
                .with_subject(new.clone())
                .with_help(format!(
                    "CREATE ROLE {}; or map to an existing role",
                    quote_ident(new)
                )),
            );
        }
    }
    let mapped = |role: &String| owner_map.iter().any(|(old, _)| old == role);
    let mut reported = BTreeSet::new();
    for (role, why) in roles_needed(info, intent) {
        if existing.contains(&role) || mapped(&role) || !reported.insert(role.clone()) {
            continue;
        }
        facts.diagnostics.push(
            Diagnostic::error(
                "missing-role",
                format!("role \"{role}\" {why} in the dump but does not exist on this server"),
            )
            .with_subject(role.clone())
            .with_help(format!(
                "create it (CREATE ROLE {};), map it with --owner-map '{role}=EXISTING_ROLE', or leave ownership/grants out with --no-owner / --no-privileges",
                quote_ident(&role)
            )),
        );
    }
    Ok(())
}

/// The roles the restore will name, each with why: owners unless
/// --no-owner, grantees unless --no-privileges.
fn roles_needed(info: &DumpInfo, intent: Intent) -> BTreeSet<(String, &'static str)> {
    let mut needed = BTreeSet::new();
    if !intent.no_owner {
        needed.extend(info.owners.iter().map(|r| (r.clone(), "owns objects")));
    }
    if !intent.no_privileges {
        needed.extend(
            info.grantees
                .iter()
                .map(|r| (r.clone(), "is granted privileges")),
        );
    }
    needed
}

fn disk_check(db: &mut Db, file: &Verified, facts: &mut ServerFacts) -> anyhow::Result<()> {
    let host = &db.settings().host;
    let local =
        host.starts_with('/') || host == "localhost" || host == "127.0.0.1" || host == "::1";
    let needed = facts
        .target
        .as_ref()
        .map_or(0, |t| t.size_bytes)
        .max(file.info.bytes);
    if !local {
        return Ok(());
    }
    let Ok(Some(dir)) = db.query_value("SELECT current_setting('data_directory')", &[]) else {
        return Ok(());
    };
    let Ok(output) = std::process::Command::new("df")
        .args(["-Pk", &dir])
        .output()
    else {
        return Ok(());
    };
    let text = String::from_utf8_lossy(&output.stdout);
    let available_kb: Option<u64> = text
        .lines()
        .nth(1)
        .and_then(|l| l.split_whitespace().nth(3))
        .and_then(|v| v.parse().ok());
    if let Some(kb) = available_kb {
        let available = kb * 1024;
        if available < needed + needed / 5 {
            facts.diagnostics.push(
                Diagnostic::warning(
                    "low-disk",
                    format!(
                        "the server's disk has {} free; the restored copy needs about {} beside the current database",
                        shipshape_core::human::bytes(available),
                        shipshape_core::human::bytes(needed)
                    ),
                )
                .with_help("free space first, or use --in-place (which needs no second copy)"),
            );
        }
    }
    Ok(())
}
