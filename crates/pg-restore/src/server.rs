//! Step 2: check the server before changing anything — version against the
//! dump, the privileges the whole run needs, roles the dump names, free disk
//! — so a run that cannot finish is refused up front instead of failing
//! halfway.

use std::collections::BTreeSet;

use shipshape_core::Diagnostic;
use shipshape_pg::Db;
use shipshape_pg::quote::quote_ident;

use crate::dbops::{self, DbInfo};
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

pub fn check(
    db: &mut Db,
    target: &str,
    file: &Verified,
    intent: Intent,
    owner_map: &[(String, String)],
) -> anyhow::Result<ServerFacts> {
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
    let createdb = get(2) == "true";
    let signal = get(3) == "true";
    facts.target = dbops::info(db, target)?;

    // Version: what the dump carries against what the server accepts.
    let info = &file.info;
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

    // Privileges for the whole run.
    if !facts.superuser {
        // --in-place without CREATEDB clears the target instead of recreating it.
        if !(createdb || intent.in_place && facts.target.is_some()) {
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
        if let Some(t) = &facts.target {
            let member = db
                .query_value(
                    "SELECT pg_has_role(current_user, $1, 'MEMBER')::text",
                    &[&t.owner],
                )?
                .as_deref()
                == Some("true");
            if !member {
                facts.diagnostics.push(
                    Diagnostic::error(
                        "needs-ownership",
                        format!(
                            "role \"{}\" is not the owner of \"{target}\" (owned by \"{}\") nor a member of that role; renaming it for the swap needs ownership",
                            facts.user, t.owner
                        ),
                    )
                    .with_help(format!(
                        "connect as \"{}\" or a superuser, or GRANT {} TO {};",
                        t.owner,
                        quote_ident(&t.owner),
                        quote_ident(&facts.user)
                    )),
                );
            }
            if !signal {
                let others = db.query_value(
                    "SELECT count(*)::text FROM pg_stat_activity WHERE datname = $1 AND usename IS DISTINCT FROM current_user",
                    &[target],
                )?;
                let others: u64 = others.and_then(|v| v.parse().ok()).unwrap_or(0);
                let d = Diagnostic::new(
                    if others > 0 {
                        shipshape_core::Severity::Error
                    } else {
                        shipshape_core::Severity::Warning
                    },
                    "needs-signal-backend",
                    format!(
                        "role \"{}\" can only end its own sessions (not a superuser, not in pg_signal_backend); {others} session(s) of other roles are connected to \"{target}\" now",
                        facts.user
                    ),
                )
                .with_help(format!(
                    "GRANT pg_signal_backend TO {}; or stop those clients first (--pre-swap)",
                    quote_ident(&facts.user)
                ));
                facts.diagnostics.push(d);
            }
        }
    }

    // Roles the dump names that this server lacks.
    let existing: BTreeSet<String> = db
        .query_text("SELECT rolname::text FROM pg_roles", &[])?
        .into_iter()
        .filter_map(|r| r.into_iter().next().flatten())
        .collect();
    let mapped = |role: &String| owner_map.iter().any(|(old, _)| old == role);
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
    let mut needed: BTreeSet<(String, &str)> = BTreeSet::new();
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
    let mut reported = BTreeSet::new();
    for (role, why) in needed {
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

    // Free disk, when the data directory is on this machine and readable.
    disk_check(db, file, &mut facts)?;
    Ok(facts)
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
