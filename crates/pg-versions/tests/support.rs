//! Shared scenery: a populated database on one major version, the tools
//! under test, and a version-independent fingerprint of a database.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use shipshape_testkit::cli::{self, Run};
use shipshape_testkit::pg::{TestDatabase, TestServer, server_of, unique_name};

/// Data every supported version can hold, with the types and objects whose
/// dump and restore differ between versions: identity and generated columns,
/// a partitioned table, jsonb with a GIN index, bytea, NULLs, quotes,
/// backslashes, a view and a sequence that has moved.
pub const SAMPLE: &str = "
CREATE TABLE customers (id int GENERATED ALWAYS AS IDENTITY PRIMARY KEY, name text NOT NULL,
  email text UNIQUE, name_len int GENERATED ALWAYS AS (length(name)) STORED);
CREATE TABLE orders (id bigserial, customer_id int REFERENCES customers(id),
  total numeric(12,2), doc jsonb, note text, blob bytea, placed date NOT NULL)
  PARTITION BY RANGE (placed);
ALTER TABLE orders ADD PRIMARY KEY (id, placed);
CREATE TABLE orders_2024 PARTITION OF orders FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
CREATE TABLE orders_2025 PARTITION OF orders FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
CREATE INDEX orders_doc ON orders USING gin (doc);
CREATE VIEW big_orders AS SELECT id, total FROM orders WHERE total > 100;
CREATE SCHEMA \"Odd Schema\";
CREATE TABLE \"Odd Schema\".\"Mixed Case\" (k text PRIMARY KEY, v text);
INSERT INTO customers (name, email)
  SELECT 'customer ' || i || ' O''Brien', 'c' || i || '@example.com' FROM generate_series(1, 300) i;
INSERT INTO orders (customer_id, total, doc, note, blob, placed)
  SELECT 1 + i % 300, (i * 7.31)::numeric(12,2),
         jsonb_build_object('i', i, 'tags', jsonb_build_array('a', 'b')),
         CASE WHEN i % 10 = 0 THEN NULL ELSE E'line\\nwith tab\\t and \\\\ backslash ' || i END,
         decode(md5(i::text), 'hex'), date '2024-01-01' + (i % 700)
  FROM generate_series(1, 2000) i;
INSERT INTO \"Odd Schema\".\"Mixed Case\" VALUES ('a', 'b'), ('c', NULL);
";

/// The tools under test: `pg-backup`, `pg-restore` and `migrate-check`, symlinks to this
/// crate's `pg-versions-tools` (same library code and main as the tools'
/// own crates; see Cargo.toml), in a directory under the target dir.
pub fn tool(name: &str) -> Command {
    cli::command(tools_dir().join(name))
}

fn tools_dir() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("pg-versions-tools");
        std::fs::create_dir_all(&dir).unwrap();
        let exe = Path::new(env!("CARGO_BIN_EXE_pg-versions-tools"));
        for name in ["pg-backup", "pg-restore", "migrate-check"] {
            // Made under a private name and renamed over the old link, so a
            // concurrent run never sees a missing tool.
            let tmp = dir.join(format!(".{name}.{}", std::process::id()));
            let _ = std::fs::remove_file(&tmp);
            std::os::unix::fs::symlink(exe, &tmp).unwrap();
            std::fs::rename(&tmp, dir.join(name)).unwrap();
        }
        dir
    })
}

/// A tool run against `database` on `server`, with that server's client
/// programs named explicitly (`--pg-bin-dir`).
pub fn run_tool(name: &str, server: &TestServer, database: &str, args: &[&str]) -> Run {
    run_tool_with(name, server, &server.bin_dir, database, args)
}

/// [`run_tool`] with the client programs of `bin_dir` (another version's).
pub fn run_tool_with(
    name: &str,
    server: &TestServer,
    bin_dir: &Path,
    database: &str,
    args: &[&str],
) -> Run {
    let mut cmd = tool(name);
    cmd.env("DATABASE_URL", server.url(database))
        .arg("--pg-bin-dir")
        .arg(bin_dir)
        .args(args);
    cli::run(&mut cmd)
}

/// Run and insist on `code`, showing everything when it differs.
pub fn expect(code: i32, run: Run) -> Run {
    assert_eq!(run.code, Some(code), "{}", run.snapshot());
    run
}

/// The cluster of `major`, checked to be that version, client programs included.
pub fn cluster(major: u32) -> &'static TestServer {
    let server = server_of(major);
    assert_eq!(server.major(), major, "server_of({major})");
    let version = Command::new(server.program("pg_dump"))
        .arg("--version")
        .output()
        .unwrap();
    let version = String::from_utf8_lossy(&version.stdout).into_owned();
    assert!(
        version.contains(&format!(") {major}.")),
        "pg_dump of {major}: {version}"
    );
    server
}

/// A new database on `server` holding [`SAMPLE`].
pub fn populated(server: &'static TestServer, prefix: &str) -> TestDatabase<'static> {
    let db = server.create_database(prefix);
    db.psql(SAMPLE);
    db
}

/// A target name for pg-restore, with a guard that drops it and anything
/// the tool made from it (`<name>_restoring_…`, `<name>_pre_restore_…`).
pub struct Target {
    pub server: &'static TestServer,
    pub name: String,
}

impl Target {
    pub fn new(server: &'static TestServer, prefix: &str) -> Self {
        Self {
            server,
            name: unique_name(prefix),
        }
    }

    /// An existing database as the target (created here, with `sql` in it).
    pub fn existing(server: &'static TestServer, prefix: &str, sql: &str) -> Self {
        let target = Self::new(server, prefix);
        server.psql("postgres", &format!("CREATE DATABASE \"{}\"", target.name));
        server.psql(&target.name, sql);
        target
    }

    /// Databases whose name starts with this target's, the target included.
    pub fn databases(&self) -> Vec<String> {
        self.server.databases_with_prefix(&self.name)
    }

    /// The target exists and nothing was left beside it (no
    /// `_restoring_`/`_pre_restore_` databases).
    pub fn assert_alone(&self) {
        assert_eq!(
            self.databases(),
            std::slice::from_ref(&self.name),
            "left behind"
        );
    }
}

impl Drop for Target {
    fn drop(&mut self) {
        for name in self.databases() {
            drop(self.server.adopt_database(&name));
        }
    }
}

/// The one backup file pg-backup wrote into `dir` with `suffix`.
pub fn backup_in(dir: &Path, suffix: &str) -> PathBuf {
    let found: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.to_string_lossy().ends_with(suffix))
        .collect();
    assert_eq!(found.len(), 1, "{suffix} in {}: {found:?}", dir.display());
    found.into_iter().next().unwrap()
}

/// The SQL of a plain backup (gzip).
pub fn plain_sql(file: &Path) -> String {
    let out = Command::new("gunzip").arg("-c").arg(file).output().unwrap();
    assert!(out.status.success(), "gunzip -c {}", file.display());
    String::from_utf8(out.stdout).unwrap()
}

/// What a restore must reproduce, in a form that does not depend on the
/// server version: every relation with its kind, every constraint and index
/// by name, each sequence's position, and per table the row count and the
/// md5 of its sorted rows.
pub fn fingerprint(server: &TestServer, database: &str) -> String {
    let catalog = server.psql(
        database,
        "SELECT string_agg(line, E'\\n' ORDER BY line) FROM (
           SELECT format('rel %I.%I %s', n.nspname, c.relname, c.relkind) AS line
             FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')
           UNION ALL
           SELECT format('con %s %s', conname, contype) FROM pg_constraint c
             JOIN pg_namespace n ON n.oid = c.connamespace
            -- 18 records NOT NULL as constraints ('n'); older versions do not.
            WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND contype <> 'n'
           UNION ALL
           SELECT format('seq %I %s', sequencename, last_value) FROM pg_sequences) s",
    );
    let tables = server.psql(
        database,
        "SELECT format('%I.%I', schemaname, tablename) FROM pg_tables \
         WHERE schemaname NOT IN ('pg_catalog', 'information_schema') ORDER BY 1",
    );
    let mut text = catalog;
    for table in tables.lines() {
        let rows = server.psql(
            database,
            &format!(
                "SELECT count(*) || ' ' || coalesce(md5(string_agg(t::text, '|' ORDER BY t::text)), '-') FROM {table} t"
            ),
        );
        text.push_str(&format!("\n{table} {rows}"));
    }
    text
}
