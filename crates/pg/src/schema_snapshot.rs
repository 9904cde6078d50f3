//! A schema snapshot read from the system catalogs, keyed per object, and a
//! structural comparison of two snapshots.
//!
//! Why maps and not `pg_dump --schema-only` text: a column dropped and
//! re-added moves to the end of the table, constraint names and statement
//! order change the text without changing the schema. Keyed objects compare
//! exactly what matters, and a difference names the object.
//!
//! One catalog query (a `UNION ALL` over every object kind) builds the whole
//! snapshot in a single round trip, which matters when a migration checker
//! takes three snapshots per migration of a long history.

use std::collections::BTreeMap;

use crate::client::Db;
use crate::error::PgError;

/// One schema object: its kind (`table`, `column`, `index` …), its
/// qualified name (`public.accounts.email`) and its attributes
/// (`type` = `text`, `not null` = `yes`, `definition` = …). Absent
/// attributes are simply not in the map.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchemaObject {
    pub kind: String,
    pub name: String,
    pub attributes: BTreeMap<String, String>,
}

impl SchemaObject {
    /// `column public.accounts.email`: the snapshot key.
    pub fn key(&self) -> String {
        format!("{} {}", self.kind, self.name)
    }

    pub fn attribute(&self, name: &str) -> Option<&str> {
        self.attributes.get(name).map(String::as_str)
    }
}

/// Every object of a database's schema, by key.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Snapshot {
    pub objects: BTreeMap<String, SchemaObject>,
}

/// The object kind compared as a lower-severity difference: the order of a
/// table's columns.
pub const COLUMN_ORDER: &str = "column order";

/// Relations that migration tools create for their own bookkeeping; they are
/// never part of the application's schema.
pub const BOOKKEEPING_TABLES: [&str; 7] = [
    "alembic_version",
    "schema_migrations",
    "__diesel_schema_migrations",
    "_sqlx_migrations",
    "goose_db_version",
    "flyway_schema_history",
    "schema_version",
];

/// How two snapshots differ for one key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// Expected but absent.
    Missing(SchemaObject),
    /// Present but not expected.
    Extra(SchemaObject),
    /// Present in both with different attributes: (attribute, expected, actual).
    Changed {
        expected: SchemaObject,
        actual: SchemaObject,
        attributes: Vec<(String, Option<String>, Option<String>)>,
    },
}

impl Change {
    pub fn kind(&self) -> &str {
        match self {
            Self::Missing(o) | Self::Extra(o) => &o.kind,
            Self::Changed { expected, .. } => &expected.kind,
        }
    }

    pub fn key(&self) -> String {
        match self {
            Self::Missing(o) | Self::Extra(o) => o.key(),
            Self::Changed { expected, .. } => expected.key(),
        }
    }
}

impl Snapshot {
    /// Read the schema of the database `db` is connected to. Relations whose
    /// name is in `ignored` (bare names like `alembic_version` or qualified
    /// ones like `public.alembic_version`) are left out with everything on them.
    pub fn capture(db: &mut Db, ignored: &[String]) -> Result<Self, PgError> {
        let ignored = ignored.join(",");
        let rows = db.query_text(SNAPSHOT_SQL, &[&ignored])?;
        let mut objects = BTreeMap::new();
        for row in rows {
            let mut cells = row.into_iter();
            let (Some(Some(kind)), Some(Some(name)), Some(attrs)) =
                (cells.next(), cells.next(), cells.next())
            else {
                continue;
            };
            let attributes = parse_attributes(attrs.as_deref().unwrap_or("{}"));
            let object = SchemaObject {
                kind,
                name,
                attributes,
            };
            objects.insert(object.key(), object);
        }
        Ok(Self { objects })
    }

    /// Differences from `expected` to `self`, in key order. Column order is
    /// compared only when both sides have the same columns, so a missing
    /// column is reported once, as a column.
    pub fn diff(&self, expected: &Snapshot) -> Vec<Change> {
        let mut changes = Vec::new();
        for (key, want) in &expected.objects {
            match self.objects.get(key) {
                None if want.kind == COLUMN_ORDER => {}
                None => changes.push(Change::Missing(want.clone())),
                Some(have) if have.attributes != want.attributes => {
                    if want.kind == COLUMN_ORDER && !same_members(want, have) {
                        continue;
                    }
                    let mut names: Vec<&String> = want
                        .attributes
                        .keys()
                        .chain(have.attributes.keys())
                        .collect();
                    names.sort();
                    names.dedup();
                    let attributes = names
                        .into_iter()
                        .filter(|n| want.attributes.get(*n) != have.attributes.get(*n))
                        .map(|n| {
                            (
                                n.clone(),
                                want.attributes.get(n).cloned(),
                                have.attributes.get(n).cloned(),
                            )
                        })
                        .collect();
                    changes.push(Change::Changed {
                        expected: want.clone(),
                        actual: have.clone(),
                        attributes,
                    });
                }
                Some(_) => {}
            }
        }
        for (key, have) in &self.objects {
            if have.kind != COLUMN_ORDER && !expected.objects.contains_key(key) {
                changes.push(Change::Extra(have.clone()));
            }
        }
        changes.sort_by_key(Change::key);
        changes
    }

    pub fn len(&self) -> usize {
        self.objects.len()
    }

    pub fn is_empty(&self) -> bool {
        self.objects.is_empty()
    }
}

fn same_members(a: &SchemaObject, b: &SchemaObject) -> bool {
    let members = |o: &SchemaObject| {
        let mut list: Vec<String> = o
            .attribute("order")
            .unwrap_or_default()
            .split(", ")
            .map(str::to_owned)
            .collect();
        list.sort();
        list
    };
    members(a) == members(b)
}

fn parse_attributes(json: &str) -> BTreeMap<String, String> {
    let value: serde_json::Value = serde_json::from_str(json).unwrap_or_default();
    let mut map = BTreeMap::new();
    if let serde_json::Value::Object(entries) = value {
        for (k, v) in entries {
            match v {
                serde_json::Value::Null => {}
                serde_json::Value::String(s) => {
                    map.insert(k, s);
                }
                other => {
                    map.insert(k, other.to_string());
                }
            }
        }
    }
    map
}

/// The catalog query. `$1` is a comma-separated list of ignored relations.
/// Objects that belong to an extension are represented by the extension
/// alone; system schemas, TOAST and temporary schemas are skipped.
const SNAPSHOT_SQL: &str = r#"
WITH ignored AS (
    SELECT unnest(string_to_array($1, ',')) AS name
), skipped_ns AS (
    SELECT oid FROM pg_namespace
    WHERE nspname IN ('pg_catalog', 'information_schema')
       OR nspname LIKE 'pg\_toast%' OR nspname LIKE 'pg\_temp\_%'
), ext AS (
    SELECT classid, objid FROM pg_depend WHERE deptype = 'e'
), rels AS (
    SELECT c.oid, c.relname, n.nspname, c.relkind, c.relpersistence, c.reloptions,
           c.relrowsecurity, c.relispartition, c.relpartbound,
           n.nspname || '.' || c.relname AS qname
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE c.relnamespace NOT IN (SELECT oid FROM skipped_ns)
      AND NOT EXISTS (SELECT 1 FROM ext WHERE ext.classid = 'pg_class'::regclass AND ext.objid = c.oid)
      AND c.relname NOT IN (SELECT name FROM ignored)
      AND (n.nspname || '.' || c.relname) NOT IN (SELECT name FROM ignored)
)
SELECT 'schema', n.nspname, '{}'
FROM pg_namespace n
WHERE n.oid NOT IN (SELECT oid FROM skipped_ns)
  AND NOT EXISTS (SELECT 1 FROM ext WHERE ext.classid = 'pg_namespace'::regclass AND ext.objid = n.oid)
UNION ALL
SELECT 'table', r.qname, jsonb_strip_nulls(jsonb_build_object(
    'kind', CASE r.relkind WHEN 'p' THEN 'partitioned table' WHEN 'f' THEN 'foreign table' ELSE 'table' END,
    'unlogged', CASE WHEN r.relpersistence = 'u' THEN 'yes' END,
    'options', array_to_string(r.reloptions, ', '),
    'row level security', CASE WHEN r.relrowsecurity THEN 'enabled' END,
    'partition bound', CASE WHEN r.relispartition THEN pg_get_expr(r.relpartbound, r.oid) END
))::text
FROM rels r WHERE r.relkind IN ('r', 'p', 'f')
UNION ALL
SELECT 'column', r.qname || '.' || a.attname, jsonb_strip_nulls(jsonb_build_object(
    'type', format_type(a.atttypid, a.atttypmod),
    'not null', CASE WHEN a.attnotnull THEN 'yes' END,
    'default', CASE WHEN a.attgenerated = '' THEN pg_get_expr(d.adbin, d.adrelid) END,
    'generated', CASE WHEN a.attgenerated <> '' THEN pg_get_expr(d.adbin, d.adrelid) END,
    'identity', CASE a.attidentity WHEN 'a' THEN 'always' WHEN 'd' THEN 'by default' END,
    'collation', CASE WHEN a.attcollation <> t.typcollation THEN co.collname END
))::text
FROM rels r
JOIN pg_attribute a ON a.attrelid = r.oid AND a.attnum > 0 AND NOT a.attisdropped
JOIN pg_type t ON t.oid = a.atttypid
LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
LEFT JOIN pg_collation co ON co.oid = a.attcollation
WHERE r.relkind IN ('r', 'p', 'f')
UNION ALL
SELECT 'column order', r.qname,
       jsonb_build_object('order', string_agg(a.attname, ', ' ORDER BY a.attnum))::text
FROM rels r
JOIN pg_attribute a ON a.attrelid = r.oid AND a.attnum > 0 AND NOT a.attisdropped
WHERE r.relkind IN ('r', 'p', 'f')
GROUP BY r.qname
UNION ALL
SELECT 'constraint', r.qname || '.' || con.conname, jsonb_build_object(
    'table', r.qname, 'definition', pg_get_constraintdef(con.oid))::text
FROM pg_constraint con JOIN rels r ON r.oid = con.conrelid
WHERE con.contype <> 'n'
UNION ALL
SELECT 'index', r.nspname || '.' || ic.relname, jsonb_build_object(
    'table', r.qname, 'definition', pg_get_indexdef(i.indexrelid))::text
FROM pg_index i
JOIN rels r ON r.oid = i.indrelid
JOIN pg_class ic ON ic.oid = i.indexrelid
WHERE NOT EXISTS (
    SELECT 1 FROM pg_constraint c
    WHERE c.conindid = i.indexrelid AND c.conrelid = i.indrelid AND c.contype IN ('p', 'u', 'x'))
UNION ALL
SELECT 'sequence', r.qname, jsonb_strip_nulls(jsonb_build_object(
    'type', format_type(s.seqtypid, NULL),
    'start', s.seqstart::text, 'increment', s.seqincrement::text,
    'min', s.seqmin::text, 'max', s.seqmax::text,
    'cycle', CASE WHEN s.seqcycle THEN 'yes' END,
    'owned by', (SELECT dn.nspname || '.' || dc.relname || '.' || da.attname
                 FROM pg_depend dep
                 JOIN pg_class dc ON dc.oid = dep.refobjid
                 JOIN pg_namespace dn ON dn.oid = dc.relnamespace
                 JOIN pg_attribute da ON da.attrelid = dep.refobjid AND da.attnum = dep.refobjsubid
                 WHERE dep.classid = 'pg_class'::regclass AND dep.objid = r.oid AND dep.deptype = 'a'
                 LIMIT 1)
))::text
FROM rels r JOIN pg_sequence s ON s.seqrelid = r.oid
WHERE r.relkind = 'S'
  AND NOT EXISTS (SELECT 1 FROM pg_depend dep
                  WHERE dep.classid = 'pg_class'::regclass AND dep.objid = r.oid AND dep.deptype = 'i')
UNION ALL
SELECT CASE r.relkind WHEN 'v' THEN 'view' ELSE 'materialized view' END, r.qname,
       jsonb_build_object('definition', pg_get_viewdef(r.oid, true))::text
FROM rels r WHERE r.relkind IN ('v', 'm')
UNION ALL
SELECT CASE p.prokind WHEN 'p' THEN 'procedure' WHEN 'a' THEN 'aggregate'
                      WHEN 'w' THEN 'window function' ELSE 'function' END,
       n.nspname || '.' || p.proname || '(' || pg_get_function_identity_arguments(p.oid) || ')',
       jsonb_build_object('definition',
           CASE WHEN p.prokind = 'a' THEN pg_get_function_result(p.oid)
                ELSE pg_get_functiondef(p.oid) END)::text
FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
WHERE n.oid NOT IN (SELECT oid FROM skipped_ns)
  AND NOT EXISTS (SELECT 1 FROM ext WHERE ext.classid = 'pg_proc'::regclass AND ext.objid = p.oid)
UNION ALL
SELECT 'trigger', r.qname || '.' || tg.tgname, jsonb_build_object(
    'table', r.qname, 'definition', pg_get_triggerdef(tg.oid), 'enabled', tg.tgenabled::text)::text
FROM pg_trigger tg JOIN rels r ON r.oid = tg.tgrelid
WHERE NOT tg.tgisinternal
UNION ALL
SELECT 'policy', r.qname || '.' || pol.polname, jsonb_strip_nulls(jsonb_build_object(
    'table', r.qname, 'command', pol.polcmd::text,
    'permissive', CASE WHEN pol.polpermissive THEN 'yes' ELSE 'no' END,
    'using', pg_get_expr(pol.polqual, pol.polrelid),
    'with check', pg_get_expr(pol.polwithcheck, pol.polrelid)))::text
FROM pg_policy pol JOIN rels r ON r.oid = pol.polrelid
UNION ALL
SELECT 'type', n.nspname || '.' || t.typname, jsonb_strip_nulls(jsonb_build_object(
    'kind', CASE t.typtype WHEN 'e' THEN 'enum' WHEN 'd' THEN 'domain' WHEN 'c' THEN 'composite'
                           WHEN 'r' THEN 'range' ELSE 'base' END,
    'labels', CASE WHEN t.typtype = 'e' THEN (
        SELECT string_agg(quote_literal(e.enumlabel), ', ' ORDER BY e.enumsortorder)
        FROM pg_enum e WHERE e.enumtypid = t.oid) END,
    'base type', CASE WHEN t.typtype = 'd' THEN format_type(t.typbasetype, t.typtypmod) END,
    'not null', CASE WHEN t.typtype = 'd' AND t.typnotnull THEN 'yes' END,
    'default', t.typdefault,
    'constraints', CASE WHEN t.typtype = 'd' THEN (
        SELECT string_agg(c.conname || ' ' || pg_get_constraintdef(c.oid), '; ' ORDER BY c.conname)
        FROM pg_constraint c WHERE c.contypid = t.oid) END,
    'attributes', CASE WHEN t.typtype = 'c' THEN (
        SELECT string_agg(a.attname || ' ' || format_type(a.atttypid, a.atttypmod), ', ' ORDER BY a.attnum)
        FROM pg_attribute a WHERE a.attrelid = t.typrelid AND a.attnum > 0 AND NOT a.attisdropped) END,
    'subtype', CASE WHEN t.typtype = 'r' THEN (
        SELECT format_type(rg.rngsubtype, NULL) FROM pg_range rg WHERE rg.rngtypid = t.oid) END
))::text
FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
WHERE n.oid NOT IN (SELECT oid FROM skipped_ns)
  AND t.typtype IN ('b', 'c', 'd', 'e', 'r')
  AND NOT EXISTS (SELECT 1 FROM ext WHERE ext.classid = 'pg_type'::regclass AND ext.objid = t.oid)
  AND NOT EXISTS (SELECT 1 FROM pg_type el WHERE el.typarray = t.oid)
  AND (t.typrelid = 0 OR (SELECT c.relkind FROM pg_class c WHERE c.oid = t.typrelid) = 'c')
UNION ALL
SELECT 'extension', e.extname, jsonb_build_object('schema', n.nspname, 'version', e.extversion)::text
FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace
"#;

#[cfg(test)]
mod tests {
    use super::*;

    fn object(kind: &str, name: &str, attrs: &[(&str, &str)]) -> SchemaObject {
        SchemaObject {
            kind: kind.into(),
            name: name.into(),
            attributes: attrs
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
        }
    }

    fn snapshot(objects: Vec<SchemaObject>) -> Snapshot {
        Snapshot {
            objects: objects.into_iter().map(|o| (o.key(), o)).collect(),
        }
    }

    #[test]
    fn diff_reports_missing_extra_and_changed_attributes() {
        let expected = snapshot(vec![
            object(
                "column",
                "public.t.a",
                &[("type", "text"), ("not null", "yes")],
            ),
            object("index", "public.t_a_idx", &[("definition", "x")]),
        ]);
        let actual = snapshot(vec![
            object("column", "public.t.a", &[("type", "text")]),
            object("extension", "uuid-ossp", &[]),
        ]);
        let changes = actual.diff(&expected);
        assert_eq!(changes.len(), 3, "{changes:?}");
        assert!(matches!(&changes[0], Change::Changed { attributes, .. }
            if attributes == &vec![("not null".to_owned(), Some("yes".to_owned()), None)]));
        assert!(matches!(&changes[1], Change::Extra(o) if o.name == "uuid-ossp"));
        assert!(matches!(&changes[2], Change::Missing(o) if o.name == "public.t_a_idx"));
    }

    #[test]
    fn column_order_differs_only_when_the_columns_are_the_same() {
        let expected = snapshot(vec![object(COLUMN_ORDER, "public.t", &[("order", "a, b")])]);
        let reordered = snapshot(vec![object(COLUMN_ORDER, "public.t", &[("order", "b, a")])]);
        let fewer = snapshot(vec![object(COLUMN_ORDER, "public.t", &[("order", "a")])]);
        assert_eq!(reordered.diff(&expected).len(), 1);
        assert!(fewer.diff(&expected).is_empty());
    }
}
