//! Shared scenery: a database with varied data, a backup directory, and a
//! way to run the tool against them.

use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};
use std::process::Command;

use shipshape_testkit::cli::{self, Run};
use shipshape_testkit::pg::{TestDatabase, TestServer, server};

pub fn tool() -> Command {
    cli::command(env!("CARGO_BIN_EXE_pg-backup"))
}

/// Tables with text, jsonb, numeric, bytea, NULLs, quotes and a sequence,
/// plus a view and an index, so a round trip exercises more than integers.
pub const SAMPLE: &str = "
CREATE TABLE customers (id serial PRIMARY KEY, name text NOT NULL, email text UNIQUE, created timestamptz DEFAULT '2024-01-01');
CREATE TABLE orders (id bigserial PRIMARY KEY, customer_id int REFERENCES customers(id), total numeric(12,2), doc jsonb, note text, blob bytea);
CREATE INDEX orders_doc ON orders USING gin (doc);
CREATE VIEW big_orders AS SELECT * FROM orders WHERE total > 100;
CREATE SCHEMA \"Odd Schema\";
CREATE TABLE \"Odd Schema\".\"Mixed Case\" (k text PRIMARY KEY, v text);
INSERT INTO customers (name, email) SELECT 'customer ' || i || ' O''Brien', 'c' || i || '@example.com' FROM generate_series(1, 300) i;
INSERT INTO orders (customer_id, total, doc, note, blob)
  SELECT 1 + i % 300, (i * 7.31)::numeric(12,2),
         jsonb_build_object('i', i, 'tags', jsonb_build_array('a', 'b'), 'text', repeat('x', i % 50)),
         CASE WHEN i % 10 = 0 THEN NULL ELSE E'line\\nwith tab\\t and \\\\ backslash ' || i END,
         decode(md5(i::text), 'hex')
  FROM generate_series(1, 2000) i;
INSERT INTO \"Odd Schema\".\"Mixed Case\" VALUES ('a', 'b'), ('c', NULL);
";

pub struct Scene {
    pub server: &'static TestServer,
    pub db: TestDatabase<'static>,
    pub root: tempfile::TempDir,
    pub dir: PathBuf,
}

impl Scene {
    /// A database with [`SAMPLE`] data and a backup directory (not yet
    /// created: the tool creates it).
    pub fn new(prefix: &str) -> Self {
        let server = server();
        let db = server.create_database(prefix);
        db.psql(SAMPLE);
        Self::with_db(db)
    }

    pub fn with_db(db: TestDatabase<'static>) -> Self {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("backups");
        Self {
            server: server(),
            db,
            root,
            dir,
        }
    }

    /// The tool with DATABASE_URL and --dir set.
    pub fn cmd(&self) -> Command {
        let mut cmd = tool();
        cmd.env("DATABASE_URL", self.db.url())
            .arg("--dir")
            .arg(&self.dir);
        cmd
    }

    pub fn run(&self, args: &[&str]) -> Run {
        cli::run(self.cmd().args(args))
    }

    /// Back up and insist it worked.
    pub fn backup(&self, args: &[&str]) -> Run {
        let run = self.run(args);
        assert_eq!(run.code, Some(0), "{}", run.snapshot());
        run
    }

    /// Names of the files in the backup directory, sorted (lock file excluded).
    pub fn files(&self) -> Vec<String> {
        files_in(&self.dir)
    }

    /// The backup files (not manifests) in the directory.
    pub fn backups(&self) -> Vec<PathBuf> {
        self.files()
            .into_iter()
            .filter(|f| f.ends_with(".sql.gz") || f.ends_with(".sql.zst") || f.ends_with(".dump"))
            .map(|f| self.dir.join(f))
            .collect()
    }

    pub fn only_backup(&self) -> PathBuf {
        let backups = self.backups();
        assert_eq!(backups.len(), 1, "{:?}", self.files());
        backups.into_iter().next().unwrap()
    }

    /// Replace the variable parts of output for snapshots.
    pub fn redact(&self, run: &Run) -> String {
        let text = run.snapshot_with(&[
            (self.dir.to_str().unwrap(), "[DIR]"),
            (self.root.path().to_str().unwrap(), "[ROOT]"),
            (&self.db.name, "[DB]"),
        ]);
        redact_volatile(&text)
    }

    /// A script in the scene's root (for --pg-dump wrappers and hooks).
    pub fn script(&self, name: &str, body: &str) -> PathBuf {
        let path = self.root.path().join(name);
        std::fs::write(&path, format!("#!/bin/sh\n{body}\n")).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
        path
    }
}

pub fn files_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .map(|rd| {
            rd.flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| n != ".pg-backup.lock")
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

/// Timestamps in names, pids, sizes and durations vary between runs.
pub fn redact_volatile(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let chars: Vec<char> = text.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        // _YYYYmmdd_HHMMSS
        if chars[i] == '_'
            && i + 16 <= chars.len()
            && chars[i + 1..i + 9].iter().all(char::is_ascii_digit)
            && chars[i + 9] == '_'
            && chars[i + 10..i + 16].iter().all(char::is_ascii_digit)
        {
            out.push_str("_[STAMP]");
            i += 16;
            continue;
        }
        out.push(chars[i]);
        i += 1;
    }
    let mut lines = Vec::new();
    for line in out.lines() {
        let mut line = line.to_owned();
        if let Some(pos) = line.find("pid ") {
            let end = line[pos + 4..]
                .find(|c: char| !c.is_ascii_digit())
                .map_or(line.len(), |e| pos + 4 + e);
            line.replace_range(pos + 4..end, "[PID]");
        }
        lines.push(line);
    }
    lines.join("\n") + if out.ends_with('\n') { "\n" } else { "" }
}

pub fn sha256_of(path: &Path) -> String {
    let out = Command::new("sha256sum").arg(path).output().unwrap();
    String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .next()
        .unwrap()
        .to_owned()
}

pub fn manifest(path: &Path) -> serde_json::Value {
    let text = std::fs::read_to_string(format!("{}.json", path.display())).unwrap();
    serde_json::from_str(&text).unwrap()
}

pub fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

/// No `.partial` and no final-named backup.
pub fn assert_nothing_left(dir: &Path) {
    let files = files_in(dir);
    assert!(
        files.iter().all(|f| !f.ends_with(".partial")
            && !f.ends_with(".sql.gz")
            && !f.ends_with(".sql.zst")
            && !f.ends_with(".dump")
            && !f.ends_with(".json")),
        "left behind: {files:?}"
    );
}

/// Per-table row count and md5 of the sorted rows, and the schema as
/// pg_dump prints it, for comparing two databases.
pub fn fingerprint(server: &TestServer, database: &str) -> (String, String) {
    let tables = server.psql(
        database,
        "SELECT format('%I.%I', schemaname, tablename) FROM pg_tables \
         WHERE schemaname NOT IN ('pg_catalog','information_schema') ORDER BY 1",
    );
    let mut data = String::new();
    for table in tables.lines() {
        let row = server.psql(
            database,
            &format!(
                "SELECT count(*) || ' ' || coalesce(md5(string_agg(t::text, '|' ORDER BY t::text)), '-') FROM {table} t"
            ),
        );
        data.push_str(&format!("{table} {row}\n"));
    }
    let mut cmd = Command::new(server.program("pg_dump"));
    server.apply_env(&mut cmd, database);
    let out = cmd.args(["--schema-only", "--no-owner"]).output().unwrap();
    assert!(out.status.success());
    let schema: String = String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| {
            !l.starts_with("\\restrict") && !l.starts_with("\\unrestrict") && !l.starts_with("--")
        })
        .collect::<Vec<_>>()
        .join("\n");
    (data, schema)
}

/// Is a process alive (exists and is not a zombie)? Read from /proc rather
/// than with `kill -0`: procps' kill parses a negative or zero-like argument
/// in surprising ways, and a test must never signal anything by accident.
pub fn alive(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .map(|stat| {
            let state = stat.rsplit(')').next().unwrap_or("").trim_start();
            !state.starts_with('Z')
        })
        .unwrap_or(false)
}

/// Send `signal` (e.g. "TERM") to one process (`group` false) or to its
/// process group. Uses `kill -s SIG -- TARGET`: without `--`, procps' kill
/// reads `-PGID` after a signal option as signal-to-everything (-1).
pub fn send_signal(signal: &str, pid: u32, group: bool) {
    assert!(pid > 1, "refusing to signal pid {pid}");
    let target = if group {
        format!("-{pid}")
    } else {
        pid.to_string()
    };
    let status = Command::new("kill")
        .args(["-s", signal, "--", &target])
        .status()
        .unwrap();
    assert!(
        status.success() || group,
        "kill -s {signal} -- {target} failed"
    );
}

/// Poll until `f` is true (bounded; panics after ~60s).
pub fn wait_for(what: &str, mut f: impl FnMut() -> bool) {
    for _ in 0..1200 {
        if f() {
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    panic!("timed out waiting for {what}");
}

/// A command with the same clean environment as [`tool`].
pub fn tool_env(mut cmd: Command) -> Command {
    cmd.env_clear();
    for name in ["PATH", "HOME", "TMPDIR"] {
        if let Some(value) = std::env::var_os(name) {
            cmd.env(name, value);
        }
    }
    cmd.env("LANG", "C.UTF-8").env("TZ", "UTC");
    cmd
}
