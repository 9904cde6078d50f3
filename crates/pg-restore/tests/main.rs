//! Integration tests for `pg-restore`: one test binary per crate, against a
//! real PostgreSQL with the real pg_dump, pg_restore and psql.

#![allow(clippy::unwrap_used, clippy::print_stderr)] // test code: a panic is a failed test

mod checks;
mod cli_basics;
mod failures;
mod inputs;
mod offsite;
mod swap;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use shipshape_testkit::cli::{self, Run};
use shipshape_testkit::pg::{self, TestServer};

pub fn tool() -> Command {
    cli::command(env!("CARGO_BIN_EXE_pg-restore"))
}

pub fn server() -> &'static TestServer {
    pg::server()
}

/// The tool, connected to `target` on the test server (password via the
/// environment, as users are told to do).
pub fn tool_for(target: &str) -> Command {
    let mut cmd = tool();
    cmd.env("DATABASE_URL", server().url(target))
        .env("PATH", path_with_client_bin());
    cmd
}

fn path_with_client_bin() -> String {
    format!(
        "{}:{}",
        server().bin_dir.display(),
        std::env::var("PATH").unwrap_or_default()
    )
}

/// Drops every database whose name starts with `prefix` when it goes out of
/// scope (the target and the `_restoring_`/`_pre_restore_` ones the tool made).
pub struct Cleanup(pub String);

impl Drop for Cleanup {
    fn drop(&mut self) {
        for name in list_databases() {
            if name.starts_with(&self.0) {
                drop_db(&name);
            }
        }
    }
}

pub fn list_databases() -> Vec<String> {
    server()
        .psql("postgres", "SELECT datname FROM pg_database ORDER BY 1")
        .lines()
        .map(str::to_owned)
        .collect()
}

pub fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

pub fn drop_db(name: &str) {
    let _ = server().psql_output(
        "postgres",
        &format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", quote_ident(name)),
    );
}

pub fn create_db(name: &str) {
    server().psql(
        "postgres",
        &format!("CREATE DATABASE {}", quote_ident(name)),
    );
}

/// A source database with a bit of everything pg_dump writes.
pub fn fill(db: &str, rows: u32) {
    server().psql(
        db,
        &format!(
            "CREATE TABLE customers (id serial PRIMARY KEY, name text NOT NULL, email text UNIQUE, created timestamptz DEFAULT '2020-01-01');
             CREATE TABLE orders (id bigserial PRIMARY KEY, customer_id int REFERENCES customers(id), total numeric(10,2), meta jsonb, note text);
             CREATE INDEX orders_customer ON orders (customer_id);
             -- Three builds on one table (they share it in the index step) and a GIN one.
             CREATE INDEX orders_total ON orders (total);
             CREATE INDEX orders_meta ON orders USING gin (meta);
             CREATE TABLE \"Mixed Case\" (k text PRIMARY KEY, v text);
             INSERT INTO customers (name, email) SELECT 'name ' || g, 'c' || g || '@example.com' FROM generate_series(1, {rows}) g;
             INSERT INTO orders (customer_id, total, meta, note) SELECT 1 + g % {rows}, g * 1.5, jsonb_build_object('g', g, 'tab', E'a\\tb'), E'line\\nbreak ' || g FROM generate_series(1, {rows} * 3) g;
             INSERT INTO \"Mixed Case\" VALUES ('a', 'quote''s'), ('b', NULL);
             CREATE VIEW big_orders AS SELECT * FROM orders WHERE total > 100;
             CREATE MATERIALIZED VIEW order_count AS SELECT count(*) AS n FROM orders;
             COMMENT ON TABLE customers IS 'people';
             CREATE FUNCTION add(a int, b int) RETURNS int LANGUAGE sql AS $$ SELECT a + b $$;"
        ),
    );
}

/// Schema (pg_dump --schema-only without comments/restrict keys) plus an
/// md5 of every table's rows: equal fingerprints mean equal databases.
pub fn fingerprint(db: &str) -> String {
    let s = server();
    let mut cmd = Command::new(s.program("pg_dump"));
    s.apply_env(&mut cmd, db);
    let out = cmd.args(["--schema-only", "--no-owner"]).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let schema: String = String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| {
            !l.starts_with("--") && !l.starts_with("\\restrict") && !l.starts_with("\\unrestrict")
        })
        .collect::<Vec<_>>()
        .join("\n");
    let tables = s.psql(
        db,
        "SELECT format('%I.%I', schemaname, tablename) FROM pg_tables WHERE schemaname NOT IN ('pg_catalog','information_schema') ORDER BY 1",
    );
    let mut text = schema;
    for table in tables.lines() {
        let md5 = s.psql(
            db,
            &format!("SELECT count(*) || ':' || coalesce(md5(string_agg(t::text, '|' ORDER BY t::text)), '') FROM {table} t"),
        );
        text.push_str(&format!("\n{table} {md5}"));
    }
    let seqs = s.psql(db, "SELECT string_agg(sequencename || '=' || coalesce(last_value, 0), ',' ORDER BY sequencename) FROM pg_sequences");
    text.push_str(&format!("\nsequences {seqs}"));
    text
}

/// Run a shell pipeline with the test server's PG* environment for `db`.
pub fn sh(db: &str, script: &str) {
    let s = server();
    let mut cmd = Command::new("sh");
    s.apply_env(&mut cmd, db);
    cmd.env("PATH", path_with_client_bin());
    let out = cmd
        .args(["-c", script])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{script}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// `pg_dump db | gzip > path`, `pg_dump -Fc`, or plain.
pub fn dump(db: &str, dir: &Path, kind: &str) -> PathBuf {
    let (name, script) = match kind {
        "gzip" => ("backup.sql.gz", "pg_dump | gzip > \"$OUT\""),
        "plain" => ("backup.sql", "pg_dump > \"$OUT\""),
        "inserts" => ("backup.sql.gz", "pg_dump --inserts | gzip > \"$OUT\""),
        "custom" => ("backup.dump", "pg_dump -Fc > \"$OUT\""),
        "directory" => ("backup.dir", "pg_dump -Fd -f \"$OUT\""),
        "tar" => ("backup.tar", "pg_dump -Ft > \"$OUT\""),
        other => panic!("unknown kind {other}"),
    };
    let path = dir.join(name);
    let s = server();
    let mut cmd = Command::new("sh");
    s.apply_env(&mut cmd, db);
    cmd.env("PATH", path_with_client_bin()).env("OUT", &path);
    let out = cmd.args(["-c", script]).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    path
}

/// A gate before the last table's data. `plain` is rewritten so that
/// orders' COPY follows a statement (run by psql, like every statement
/// pg-restore's own connections do not take) that waits while a database
/// of the gate's name exists (ten minutes at the most, so that a run a
/// failed test left behind ends). The other tables load at once; orders,
/// and with it the end of the load, only once the gate is opened (or
/// dropped). A test so decides when the load may end, instead of guessing
/// with a sleep.
pub struct Gate(String);

impl Gate {
    pub fn before_last_table(plain: &Path) -> Gate {
        let name = shipshape_testkit::pg::unique_name("prs_gate");
        let text = std::fs::read_to_string(plain).unwrap();
        let at = text.find("COPY public.orders ").expect("the orders data");
        let wait = format!(
            "DO $$BEGIN WHILE EXISTS (SELECT FROM pg_catalog.pg_database WHERE datname = '{name}') \
             AND pg_catalog.clock_timestamp() < pg_catalog.statement_timestamp() + interval '10 minutes' \
             LOOP PERFORM pg_catalog.pg_sleep(0.05); END LOOP; END$$;\n"
        );
        std::fs::write(plain, format!("{}{wait}{}", &text[..at], &text[at..])).unwrap();
        create_db(&name);
        Gate(name)
    }

    pub fn open(&self) {
        server().psql(
            "postgres",
            &format!("DROP DATABASE IF EXISTS {}", quote_ident(&self.0)),
        );
    }
}

impl Drop for Gate {
    fn drop(&mut self) {
        drop_db(&self.0);
    }
}

/// A run of the tool in the background, its stdout and stderr read on
/// threads of their own (so that a full pipe never holds it up). Dropped
/// before its end (a failed test), it is interrupted as by Ctrl-C, so it
/// cleans up after itself, and waited for.
pub struct Running {
    child: std::process::Child,
    output: Option<[std::thread::JoinHandle<String>; 2]>,
}

impl Running {
    pub fn start(cmd: &mut Command) -> Running {
        let mut child = cmd
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let output = [
            read_on_a_thread(child.stdout.take().unwrap()),
            read_on_a_thread(child.stderr.take().unwrap()),
        ];
        Running {
            child,
            output: Some(output),
        }
    }

    pub fn has_ended(&mut self) -> bool {
        self.child.try_wait().unwrap().is_some()
    }

    /// Whether the run has ended within `limit`.
    pub fn ended_within(&mut self, limit: Duration) -> bool {
        let started = Instant::now();
        while started.elapsed() < limit {
            if self.has_ended() {
                return true;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        false
    }

    /// SIGINT, as Ctrl-C sends it.
    pub fn interrupt(&self) {
        assert!(self.sigint(), "kill -INT {}", self.child.id());
    }

    fn sigint(&self) -> bool {
        Command::new("kill")
            .args(["-INT", &self.child.id().to_string()])
            .status()
            .is_ok_and(|status| status.success())
    }

    /// Wait for the end; exit code and output.
    pub fn finish(mut self) -> Run {
        let status = self.child.wait().unwrap();
        let [stdout, stderr] = self.output.take().unwrap();
        Run {
            code: status.code(),
            stdout: stdout.join().unwrap(),
            stderr: stderr.join().unwrap(),
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            // Not `interrupt`: no panic while a failed test unwinds.
            self.sigint();
            let _ = self.child.wait();
        }
    }
}

fn read_on_a_thread(
    mut pipe: impl std::io::Read + Send + 'static,
) -> std::thread::JoinHandle<String> {
    std::thread::spawn(move || {
        let mut bytes = Vec::new();
        pipe.read_to_end(&mut bytes).unwrap();
        String::from_utf8_lossy(&bytes).into_owned()
    })
}

/// The restore, assert it worked, return the run.
pub fn restore_ok(target: &str, args: &[&str]) -> Run {
    let run = cli::run(tool_for(target).args(args));
    assert_eq!(run.code, Some(0), "{}", run.snapshot());
    run
}

/// Take `target`'s lock as pg-backup and pg-restore do, as if another run
/// held it.
pub fn hold_lock(target: &str) -> shipshape_pg::lock::DatabaseLock {
    let settings =
        shipshape_pg::ConnectionSettings::resolve_with(Some(&server().url(target)), None, |_| None)
            .unwrap();
    shipshape_pg::lock::DatabaseLock::try_acquire(&settings, target)
        .unwrap()
        .expect("the lock is free")
}

pub fn exists(name: &str) -> bool {
    list_databases().iter().any(|n| n == name)
}
