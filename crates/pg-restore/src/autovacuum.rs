//! Autovacuum held off the new database's tables while they load.
//!
//! A table filled by COPY soon qualifies for autovacuum (its inserts pass the
//! insert threshold). Its VACUUM then competes with the load for CPU, and it
//! holds a lock that the index builds and our own `ANALYZE` must wait for
//! until the server cancels it, after `deadlock_timeout` (1 s by default) —
//! the benchmark showed index steps 2 s longer in four runs out of ten.
//! Nobody uses the new database before the swap and the restore analyzes it
//! itself, so once the schema exists its tables get
//! `autovacuum_enabled = off`, and the option is reset before the sanity
//! check, leaving the catalog as the dump made it.
//!
//! Tables whose dump sets the option itself are left alone, and so are
//! tables the restoring role may not alter (not its own, without
//! `--no-owner`): holding autovacuum off is a speed-up, never a reason to
//! fail. Only restores beside the target do it, never `--in-place` (a
//! failure there would leave the live tables without autovacuum).
//!
//! The changes go in batches of [`BATCH`] tables, one transaction each:
//! every `ALTER TABLE` holds a lock (two with a TOAST table) until its
//! transaction ends, and thousands at once would fill the server's shared
//! lock table for every database.

use anyhow::Context as _;
use shipshape_pg::{ConnectionSettings, Db};

/// Tables whose autovacuum this restore turned off, as `schema.table`
/// (quoted), with whether the option went on their TOAST table too.
#[derive(Debug, Default)]
#[must_use = "autovacuum stays off until `resume` is called"]
pub struct Paused {
    tables: Vec<(String, bool)>,
}

/// Tables per transaction: at most twice as many locks, well within the
/// default lock table (64 per connection × `max_connections`).
const BATCH: usize = 100;

/// Ordinary tables of the user's schemas that the current role may alter
/// and whose options (and their TOAST table's) do not mention autovacuum.
const CANDIDATES: &str = "\
SELECT format('%I.%I', n.nspname, c.relname), (c.reltoastrelid <> 0)::text \
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
LEFT JOIN pg_class t ON t.oid = c.reltoastrelid \
WHERE c.relkind = 'r' AND n.nspname <> 'information_schema' AND n.nspname NOT LIKE 'pg\\_%' \
AND pg_has_role(c.relowner, 'USAGE') \
AND NOT EXISTS (SELECT FROM unnest(coalesce(c.reloptions, '{}') || coalesce(t.reloptions, '{}')) o \
                WHERE o LIKE 'autovacuum\\_enabled=%') \
ORDER BY 1";

impl Paused {
    /// Turn autovacuum off on the new database's tables; a batch the server
    /// refuses is left as it was, and so is everything after it.
    pub fn pause(settings: &ConnectionSettings) -> anyhow::Result<Self> {
        let mut db = Db::connect(settings)?;
        let tables: Vec<(String, bool)> = db
            .query_text(CANDIDATES, &[])?
            .into_iter()
            .filter_map(|row| {
                let mut row = row.into_iter();
                let name = row.next().flatten()?;
                let toast = row.next().flatten().is_some_and(|t| t == "true");
                Some((name, toast))
            })
            .collect();
        let mut paused = Self::default();
        for batch in tables.chunks(BATCH) {
            if db.execute(&statements(batch, Change::Pause)).is_err() {
                break;
            }
            paused.tables.extend_from_slice(batch);
        }
        db.close();
        Ok(paused)
    }

    pub fn len(&self) -> usize {
        self.tables.len()
    }

    /// Put the option back as the dump left it (unset).
    pub fn resume(self, db: &mut Db) -> anyhow::Result<()> {
        for batch in self.tables.chunks(BATCH) {
            db.execute(&statements(batch, Change::Resume))
                .with_context(|| {
                    format!("re-enabling autovacuum in \"{}\"", db.settings().database)
                })?;
        }
        Ok(())
    }
}

#[derive(Debug, Clone, Copy)]
enum Change {
    Pause,
    Resume,
}

/// One `ALTER TABLE` per table, sent as one query: the server runs a
/// multi-statement query as one transaction, so a batch changes all its
/// tables or none.
fn statements(tables: &[(String, bool)], change: Change) -> String {
    let mut sql = String::new();
    for (name, toast) in tables {
        let clause = match (change, toast) {
            (Change::Pause, false) => "SET (autovacuum_enabled = off)",
            (Change::Pause, true) => {
                "SET (autovacuum_enabled = off, toast.autovacuum_enabled = off)"
            }
            (Change::Resume, false) => "RESET (autovacuum_enabled)",
            (Change::Resume, true) => "RESET (autovacuum_enabled, toast.autovacuum_enabled)",
        };
        sql.push_str(&format!("ALTER TABLE {name} {clause};\n"));
    }
    sql
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statements_cover_the_toast_table_only_where_there_is_one() {
        let tables = vec![
            ("public.a".to_owned(), true),
            ("\"My Schema\".\"b\"".to_owned(), false),
        ];
        assert_eq!(
            statements(&tables, Change::Pause),
            "ALTER TABLE public.a SET (autovacuum_enabled = off, toast.autovacuum_enabled = off);\n\
             ALTER TABLE \"My Schema\".\"b\" SET (autovacuum_enabled = off);\n"
        );
        assert_eq!(
            statements(&tables, Change::Resume),
            "ALTER TABLE public.a RESET (autovacuum_enabled, toast.autovacuum_enabled);\n\
             ALTER TABLE \"My Schema\".\"b\" RESET (autovacuum_enabled);\n"
        );
    }
}
