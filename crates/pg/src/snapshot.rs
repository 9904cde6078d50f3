//! A repeatable-read snapshot of a database, exported so pg_dump can dump
//! exactly what it saw (`pg_dump --snapshot`), plus exact per-table row
//! counts. pg-backup counts in the dump's snapshot and stores the counts in
//! the manifest; a restore (pg-restore, `pg-backup --verify-restore`) counts
//! the restored copy with [`count_rows`] and compares.

use std::time::Duration;

use crate::client::Db;
use crate::error::PgError;
use crate::manifest::TableRows;
use crate::quote::quote_ident;
use crate::settings::ConnectionSettings;

/// An open repeatable-read, read-only transaction whose snapshot has been
/// exported. The snapshot stays importable while this value lives.
#[derive(Debug)]
pub struct ExportedSnapshot {
    db: Db,
    /// The id to pass to `pg_dump --snapshot`.
    pub id: String,
}

impl ExportedSnapshot {
    /// Connect, begin a repeatable-read read-only transaction and export its
    /// snapshot. `lock_timeout` bounds how long counting waits behind an
    /// exclusive lock (a migration), as pg_dump's `--lock-wait-timeout` does.
    pub fn export(
        settings: &ConnectionSettings,
        lock_timeout: Option<Duration>,
    ) -> Result<Self, PgError> {
        let mut db = Db::connect(settings)?;
        db.execute("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY")?;
        if let Some(timeout) = lock_timeout {
            db.execute(&format!("SET LOCAL lock_timeout = {}", timeout.as_millis()))?;
        }
        let id = db
            .query_value("SELECT pg_export_snapshot()", &[])?
            .ok_or_else(|| PgError::Query {
                database: settings.database.clone(),
                message: "pg_export_snapshot() returned nothing".into(),
            })?;
        Ok(Self { db, id })
    }

    /// Exact row counts of every user table, in this snapshot. Runs inside
    /// a savepoint: a failure (a lock timeout) must not abort the exporting
    /// transaction, or pg_dump could no longer import the snapshot.
    ///
    /// Without parallel workers: the counts run beside pg_dump, which takes
    /// far longer, so they never decide when the backup ends, and workers
    /// would only take more of the server's cores (and more CPU in all)
    /// from pg_dump's `COPY` and from the application. (`SET LOCAL` lasts
    /// until the transaction ends, past the savepoint; nothing else runs in
    /// it.)
    pub fn count_rows(&mut self) -> Result<Vec<TableRows>, PgError> {
        self.db.execute("SAVEPOINT shipshape_count")?;
        let counted = self
            .db
            .execute("SET LOCAL max_parallel_workers_per_gather = 0")
            .and_then(|()| count_rows(&mut self.db));
        match counted {
            Ok(counts) => {
                self.db.execute("RELEASE SAVEPOINT shipshape_count")?;
                Ok(counts)
            }
            Err(err) => {
                let _ = self.db.execute("ROLLBACK TO SAVEPOINT shipshape_count");
                Err(err)
            }
        }
    }

    /// User tables the connected role cannot read (`schema.table`), which
    /// would make pg_dump fail; checked before it starts.
    pub fn unreadable_tables(&mut self) -> Result<Vec<String>, PgError> {
        unreadable_tables(&mut self.db)
    }

    /// End the transaction and close the connection.
    pub fn finish(mut self) {
        let _ = self.db.execute("COMMIT");
        self.db.close();
    }
}

/// Ordinary tables (and partitions) that pg_dump dumps the data of: not
/// system catalogs, not temporary, not members of an extension.
const USER_TABLES: &str = "\
SELECT n.nspname::text, c.relname::text
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind = 'r'
  AND n.nspname NOT IN ('pg_catalog', 'information_schema')
  AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp\\_%'
  AND NOT EXISTS (SELECT 1 FROM pg_depend d
                  WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e')
ORDER BY 1, 2";

/// User tables (as [`count_rows`] sees them) without SELECT privilege for
/// the current role, as `schema.table`.
pub fn unreadable_tables(db: &mut Db) -> Result<Vec<String>, PgError> {
    let sql = format!(
        "SELECT format('%s.%s', t.nspname, t.relname) FROM ({}) AS t(nspname, relname) \
         WHERE NOT has_table_privilege(format('%I.%I', t.nspname, t.relname), 'SELECT')",
        USER_TABLES.replace("ORDER BY 1, 2", "")
    );
    Ok(db
        .query_text(&sql, &[])?
        .into_iter()
        .filter_map(|row| row.into_iter().next().flatten())
        .collect())
}

/// Exact row counts of every user table in the connected database, sorted
/// by schema and table. Each table's own rows (`FROM ONLY`): rows of
/// inheritance children are counted with the child, as pg_dump dumps them. Runs in whatever transaction `db` is in.
pub fn count_rows(db: &mut Db) -> Result<Vec<TableRows>, PgError> {
    let tables: Vec<(String, String)> = db
        .query_text(USER_TABLES, &[])?
        .into_iter()
        .filter_map(|row| {
            let mut it = row.into_iter();
            Some((it.next()??, it.next()??))
        })
        .collect();
    let mut counts = Vec::with_capacity(tables.len());
    // One round trip per chunk of tables rather than per table.
    for chunk in tables.chunks(100) {
        let sql = chunk
            .iter()
            .enumerate()
            .map(|(i, (schema, table))| {
                format!(
                    "SELECT {i}, count(*)::text FROM ONLY {}.{}",
                    quote_ident(schema),
                    quote_ident(table)
                )
            })
            .collect::<Vec<_>>()
            .join(" UNION ALL ");
        let sql = format!("SELECT i::text, n FROM ({sql}) AS c(i, n) ORDER BY i");
        for row in db.query_text(&sql, &[])? {
            let index: usize = row
                .first()
                .cloned()
                .flatten()
                .and_then(|v| v.parse().ok())
                .unwrap_or(usize::MAX);
            let rows: u64 = row
                .get(1)
                .cloned()
                .flatten()
                .and_then(|v| v.parse().ok())
                .unwrap_or(0);
            if let Some((schema, table)) = chunk.get(index) {
                counts.push(TableRows {
                    schema: schema.clone(),
                    table: table.clone(),
                    rows,
                });
            }
        }
    }
    Ok(counts)
}

/// Tables whose counts differ between `expected` and `actual`, as
/// human-readable lines (`public.users: expected 10, found 9`).
pub fn compare_counts(expected: &[TableRows], actual: &[TableRows]) -> Vec<String> {
    let mut problems = Vec::new();
    for e in expected {
        match actual
            .iter()
            .find(|a| a.schema == e.schema && a.table == e.table)
        {
            Some(a) if a.rows == e.rows => {}
            Some(a) => problems.push(format!(
                "{}.{}: expected {} rows, found {}",
                e.schema, e.table, e.rows, a.rows
            )),
            None => problems.push(format!("{}.{}: table missing", e.schema, e.table)),
        }
    }
    for a in actual {
        if !expected
            .iter()
            .any(|e| e.schema == a.schema && e.table == a.table)
        {
            problems.push(format!("{}.{}: unexpected table", a.schema, a.table));
        }
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(table: &str, rows: u64) -> TableRows {
        TableRows {
            schema: "public".into(),
            table: table.into(),
            rows,
        }
    }

    #[test]
    fn comparison_names_each_difference() {
        let problems = compare_counts(&[t("a", 1), t("b", 2)], &[t("a", 1), t("c", 0)]);
        assert_eq!(
            problems,
            vec!["public.b: table missing", "public.c: unexpected table"]
        );
        assert_eq!(
            compare_counts(&[t("a", 3)], &[t("a", 2)]),
            vec!["public.a: expected 3 rows, found 2"]
        );
        assert!(compare_counts(&[t("a", 3)], &[t("a", 3)]).is_empty());
    }
}
