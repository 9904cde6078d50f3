//! Database-level operations on the maintenance connection: inspect, create
//! a database like another, copy its settings/comment/grants, rename, block
//! connections, end sessions, drop. Every name is quoted: users' database
//! names may hold spaces, quotes and capitals.

use std::time::{Duration, Instant};

use anyhow::Context as _;
use shipshape_pg::Db;
use shipshape_pg::quote::{quote_ident, quote_literal};

/// What matters about a database to create another like it.
#[derive(Debug, Clone, Default)]
pub struct DbInfo {
    pub owner: String,
    pub encoding: String,
    pub collate: String,
    pub ctype: String,
    /// `c` (libc) or `i` (ICU); PostgreSQL 15+.
    pub locale_provider: Option<String>,
    pub icu_locale: Option<String>,
    pub tablespace: String,
    pub conn_limit: i64,
    pub allow_connections: bool,
    pub size_bytes: u64,
}

fn field(row: &[Option<String>], i: usize) -> String {
    row.get(i).cloned().flatten().unwrap_or_default()
}

/// Inspect a database; `None` when it does not exist.
pub fn info(db: &mut Db, name: &str) -> anyhow::Result<Option<DbInfo>> {
    let major = db.server_major()?;
    let (provider, icu) = match major {
        0..=14 => ("NULL::text", "NULL::text"),
        15 | 16 => ("d.datlocprovider::text", "d.daticulocale::text"),
        _ => ("d.datlocprovider::text", "d.datlocale::text"),
    };
    let sql = format!(
        "SELECT d.datname::text, pg_get_userbyid(d.datdba)::text, pg_encoding_to_char(d.encoding)::text, \
         d.datcollate::text, d.datctype::text, {provider}, {icu}, t.spcname::text, d.datconnlimit::text, \
         d.datallowconn::text, \
         CASE WHEN has_database_privilege(d.oid, 'CONNECT') THEN pg_database_size(d.oid)::text ELSE '0' END \
         FROM pg_database d JOIN pg_tablespace t ON t.oid = d.dattablespace WHERE d.datname = $1"
    );
    let rows = db
        .query_text(&sql, &[name])
        .with_context(|| format!("inspecting database \"{name}\""))?;
    Ok(rows.into_iter().next().map(|r| DbInfo {
        owner: field(&r, 1),
        encoding: field(&r, 2),
        collate: field(&r, 3),
        ctype: field(&r, 4),
        locale_provider: r.get(5).cloned().flatten(),
        icu_locale: r.get(6).cloned().flatten(),
        tablespace: field(&r, 7),
        conn_limit: field(&r, 8).parse().unwrap_or(-1),
        allow_connections: field(&r, 9) == "true",
        size_bytes: field(&r, 10).parse().unwrap_or(0),
    }))
}

/// `CREATE DATABASE new` from template0, like `like` when given.
pub fn create_like(db: &mut Db, new: &str, like: Option<&DbInfo>) -> anyhow::Result<()> {
    let mut sql = format!(
        "CREATE DATABASE {} WITH TEMPLATE template0",
        quote_ident(new)
    );
    if let Some(like) = like {
        sql.push_str(&format!(
            " OWNER {} ENCODING {} LC_COLLATE {} LC_CTYPE {}",
            quote_ident(&like.owner),
            quote_literal(&like.encoding),
            quote_literal(&like.collate),
            quote_literal(&like.ctype)
        ));
        if let Some(provider) = &like.locale_provider {
            if provider == "i" {
                sql.push_str(" LOCALE_PROVIDER icu");
                if let Some(icu) = &like.icu_locale {
                    sql.push_str(&format!(" ICU_LOCALE {}", quote_literal(icu)));
                }
            } else if provider == "c" {
                sql.push_str(" LOCALE_PROVIDER libc");
            }
        }
        if like.tablespace != "pg_default" {
            sql.push_str(&format!(" TABLESPACE {}", quote_ident(&like.tablespace)));
        }
        if like.conn_limit >= 0 {
            sql.push_str(&format!(" CONNECTION LIMIT {}", like.conn_limit));
        }
    }
    db.execute(&sql)
        .with_context(|| format!("creating database \"{new}\""))
}

/// Does the database set `default_statistics_target` for itself (for
/// everyone or for one role)?
pub fn sets_statistics_target(db: &mut Db, name: &str) -> anyhow::Result<bool> {
    Ok(db
        .query_value(
            "SELECT 'yes' FROM pg_db_role_setting s JOIN pg_database d ON d.oid = s.setdatabase, \
             unnest(s.setconfig) AS c(item) WHERE d.datname = $1 AND c.item LIKE 'default\\_statistics\\_target=%'",
            &[name],
        )?
        .is_some())
}

/// Copy `ALTER DATABASE … SET`, `ALTER ROLE … IN DATABASE … SET`, the
/// comment and the grants of `from` to `to`.
pub fn copy_database_properties(db: &mut Db, from: &str, to: &str) -> anyhow::Result<Vec<String>> {
    let mut done = Vec::new();
    let settings = db.query_text(
        "SELECT CASE WHEN s.setrole = 0 THEN NULL ELSE pg_get_userbyid(s.setrole)::text END, c.item \
         FROM pg_db_role_setting s JOIN pg_database d ON d.oid = s.setdatabase, unnest(s.setconfig) AS c(item) \
         WHERE d.datname = $1 ORDER BY 1 NULLS FIRST, 2",
        &[from],
    )?;
    for row in settings {
        let role = row.first().cloned().flatten();
        let item = field(&row, 1);
        let Some((key, value)) = item.split_once('=') else {
            continue;
        };
        let value = setting_value(key, value);
        let sql = match &role {
            None => format!("ALTER DATABASE {} SET {key} = {value}", quote_ident(to)),
            Some(role) => format!(
                "ALTER ROLE {} IN DATABASE {} SET {key} = {value}",
                quote_ident(role),
                quote_ident(to)
            ),
        };
        db.execute(&sql)
            .with_context(|| format!("copying setting {key} of \"{from}\""))?;
        done.push(match role {
            None => format!("SET {key}"),
            Some(r) => format!("SET {key} for role {r}"),
        });
    }
    if let Some(comment) = db.query_value(
        "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = $1",
        &[from],
    )? {
        db.execute(&format!(
            "COMMENT ON DATABASE {} IS {}",
            quote_ident(to),
            quote_literal(&comment)
        ))
        .with_context(|| format!("copying the comment of \"{from}\""))?;
        done.push("COMMENT".into());
    }
    let acl = db.query_text(
        "SELECT CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE pg_get_userbyid(a.grantee)::text END, \
         a.privilege_type, a.is_grantable::text \
         FROM pg_database d, aclexplode(d.datacl) a WHERE d.datname = $1 AND d.datacl IS NOT NULL",
        &[from],
    )?;
    if !acl.is_empty() {
        // An explicit ACL replaces the defaults (PUBLIC: CONNECT, TEMPORARY).
        db.execute(&format!(
            "REVOKE ALL ON DATABASE {} FROM PUBLIC",
            quote_ident(to)
        ))?;
        for row in &acl {
            let grantee = field(row, 0);
            let who = if grantee == "PUBLIC" {
                grantee.clone()
            } else {
                quote_ident(&grantee)
            };
            let option = if field(row, 2) == "true" {
                " WITH GRANT OPTION"
            } else {
                ""
            };
            db.execute(&format!(
                "GRANT {} ON DATABASE {} TO {who}{option}",
                field(row, 1),
                quote_ident(to)
            ))
            .with_context(|| format!("copying grants of \"{from}\""))?;
        }
        done.push(format!("{} grants", acl.len()));
    }
    Ok(done)
}

/// Values of list settings (`search_path = a, "B"`) are stored already
/// quoted element by element and must be written back verbatim; everything
/// else is one string literal.
fn setting_value(key: &str, value: &str) -> String {
    const LIST: [&str; 4] = [
        "search_path",
        "temp_tablespaces",
        "session_preload_libraries",
        "local_preload_libraries",
    ];
    if LIST.contains(&key.to_ascii_lowercase().as_str()) && !value.is_empty() {
        value.to_owned()
    } else {
        quote_literal(value)
    }
}

pub fn rename(db: &mut Db, from: &str, to: &str) -> anyhow::Result<()> {
    db.execute(&format!(
        "ALTER DATABASE {} RENAME TO {}",
        quote_ident(from),
        quote_ident(to)
    ))
    .with_context(|| format!("renaming database \"{from}\" to \"{to}\""))
}

pub fn allow_connections(db: &mut Db, name: &str, allow: bool) -> anyhow::Result<()> {
    db.execute(&format!(
        "ALTER DATABASE {} ALLOW_CONNECTIONS {allow}",
        quote_ident(name)
    ))
    .with_context(|| format!("setting ALLOW_CONNECTIONS {allow} on \"{name}\""))
}

/// Sessions connected to `name` (other than ours).
pub fn session_count(db: &mut Db, name: &str) -> anyhow::Result<u64> {
    Ok(db
        .query_value(
            "SELECT count(*)::text FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()",
            &[name],
        )?
        .and_then(|v| v.parse().ok())
        .unwrap_or(0))
}

/// Terminate every session on `name` and wait until they are gone; returns
/// how many were terminated.
pub fn terminate_sessions(db: &mut Db, name: &str, timeout: Duration) -> anyhow::Result<u64> {
    let started = Instant::now();
    let mut total = 0u64;
    loop {
        let ended = db
            .query_value(
                "SELECT count(*) FILTER (WHERE pg_terminate_backend(pid))::text FROM pg_stat_activity \
                 WHERE datname = $1 AND pid <> pg_backend_pid()",
                &[name],
            )
            .with_context(|| format!("terminating sessions on \"{name}\""))?
            .and_then(|v| v.parse::<u64>().ok())
            .unwrap_or(0);
        total += ended;
        std::thread::sleep(Duration::from_millis(50));
        if session_count(db, name)? == 0 {
            return Ok(total);
        }
        if started.elapsed() > timeout {
            anyhow::bail!(
                "sessions on \"{name}\" did not end within {}s after being terminated",
                timeout.as_secs()
            );
        }
    }
}

/// Drop a database, ending its sessions (PostgreSQL 13+ `WITH (FORCE)`).
pub fn drop_database(db: &mut Db, name: &str) -> anyhow::Result<()> {
    db.drop_database(name, true)
        .with_context(|| format!("dropping database \"{name}\""))
}

/// Every database name on the server.
pub fn list_databases(db: &mut Db) -> anyhow::Result<Vec<String>> {
    Ok(db
        .query_text("SELECT datname::text FROM pg_database ORDER BY 1", &[])?
        .into_iter()
        .filter_map(|r| r.into_iter().next().flatten())
        .collect())
}
