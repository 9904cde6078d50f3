//! Between versions: upgrades by pg-backup + pg-restore (14 → 17, 17 → 18),
//! a downgrade that must fail cleanly (17 → 15), 17's `SET
//! transaction_timeout` and `\restrict` restored into 16 with 16's psql,
//! 18's statistics in dumps (into 18, and left out for 17), and pg-backup with a pg_dump older than the
//! server.

use std::path::{Path, PathBuf};
use std::process::Command;

use shipshape_testkit::pg::TestServer;

use crate::support::{
    Target, backup_in, cluster, expect, fingerprint, plain_sql, populated, run_tool, run_tool_with,
};

/// A plain and a custom-format pg-backup of `database` on `server`.
fn backups(server: &TestServer, database: &str, dir: &Path) -> (PathBuf, PathBuf) {
    let dir_arg = dir.to_str().unwrap();
    expect(
        0,
        run_tool("pg-backup", server, database, &["--dir", dir_arg]),
    );
    expect(
        0,
        run_tool(
            "pg-backup",
            server,
            database,
            &["--dir", dir_arg, "--dump-format", "custom"],
        ),
    );
    (backup_in(dir, ".sql.gz"), backup_in(dir, ".dump"))
}

/// Back up on `from` with its programs and restore into `to` with its own,
/// as an upgrade by dump and restore is done.
fn upgrade(from: u32, to: u32) {
    let (old, new) = (cluster(from), cluster(to));
    let source = populated(old, &format!("ss_pgv{from}to{to}_src"));
    let dir = tempfile::tempdir().unwrap();
    let (plain, custom) = backups(old, &source.name, dir.path());
    let expected = fingerprint(old, &source.name);
    for file in [&plain, &custom] {
        let target = Target::new(new, &format!("ss_pgv{from}to{to}_dst"));
        expect(
            0,
            run_tool(
                "pg-restore",
                new,
                "postgres",
                &["--yes", "--target", &target.name, file.to_str().unwrap()],
            ),
        );
        assert_eq!(
            fingerprint(new, &target.name),
            expected,
            "{} from {from} into {to}",
            file.display()
        );
        target.assert_alone();
    }
}

#[test]
fn upgrade_14_to_17() {
    upgrade(14, 17);
}

#[test]
fn upgrade_17_to_18() {
    upgrade(17, 18);
}

/// A view only PostgreSQL 17 can parse (JSON_TABLE is new in 17).
const SEVENTEEN_ONLY: &str = "CREATE VIEW json_rows AS SELECT * FROM JSON_TABLE('[1, 2]'::jsonb, '$[*]' COLUMNS (x int PATH '$'));";

/// What the target of a failed downgrade holds, to check it is unchanged.
const KEPT: &str = "CREATE TABLE kept (id int PRIMARY KEY, v text); INSERT INTO kept VALUES (1, 'one'), (2, 'two');";

/// Restore a 17 backup into 15 and insist it fails with `code`, saying
/// `says`, leaving the target as it was and nothing beside it.
fn refused(target: &Target, file: &Path, bin_dir: &Path, code: i32, says: &str) -> String {
    let before = fingerprint(target.server, &target.name);
    let run = expect(
        code,
        run_tool_with(
            "pg-restore",
            target.server,
            bin_dir,
            "postgres",
            &["--yes", "--target", &target.name, file.to_str().unwrap()],
        ),
    );
    let output = format!("{}{}", run.stdout, run.stderr);
    assert!(output.to_lowercase().contains(says), "{}", run.snapshot());
    assert_eq!(
        fingerprint(target.server, &target.name),
        before,
        "target changed"
    );
    target.assert_alone();
    output
}

#[test]
fn downgrade_17_to_15_fails_cleanly_and_keeps_the_target() {
    let (new, old) = (cluster(17), cluster(15));
    let source = populated(new, "ss_pgv17to15_src");
    source.psql(SEVENTEEN_ONLY);
    let dir = tempfile::tempdir().unwrap();
    let (plain, custom) = backups(new, &source.name, dir.path());
    let target = Target::existing(old, "ss_pgv17to15_dst", KEPT);

    // Plain SQL through 15's psql: the view fails; the warning said why first.
    let output = refused(&target, &plain, &old.bin_dir, 3, "json_table");
    assert!(
        output.contains("the dump comes from PostgreSQL 17, this server is 15"),
        "{output}"
    );
    assert!(
        output.contains("restore onto a server at least as new"),
        "{output}"
    );
    // 15's pg_restore cannot read 17's archive format: refused while verifying.
    refused(
        &target,
        &custom,
        &old.bin_dir,
        1,
        "a newer pg_restore (--pg-bin-dir)",
    );
    // 17's pg_restore reads it; the server rejects the view.
    refused(&target, &custom, &new.bin_dir, 3, "json_table");
}

#[test]
fn seventeen_backup_into_sixteen_leaves_out_transaction_timeout() {
    let (new, old) = (cluster(17), cluster(16));
    let source = populated(new, "ss_pgv17to16_src");
    let dir = tempfile::tempdir().unwrap();
    let (plain, custom) = backups(new, &source.name, dir.path());
    let sql = plain_sql(&plain);
    assert!(sql.contains("SET transaction_timeout = 0;"));
    // pg_dump 17.6+ guards the dump with `\restrict`: 16's psql (16.10+)
    // must accept it.
    assert!(
        sql.contains("\n\\restrict "),
        "no \\restrict in a 17.11 dump"
    );
    let expected = fingerprint(new, &source.name);
    // 16's psql for the plain dump; 17's pg_restore (16's cannot read the
    // archive) for the custom one: what a user with both installed does.
    for (file, bin_dir) in [(&plain, &old.bin_dir), (&custom, &new.bin_dir)] {
        let target = Target::new(old, "ss_pgv17to16_dst");
        let run = expect(
            0,
            run_tool_with(
                "pg-restore",
                old,
                bin_dir,
                "postgres",
                &["--yes", "--target", &target.name, file.to_str().unwrap()],
            ),
        );
        assert_eq!(
            fingerprint(old, &target.name),
            expected,
            "{}:\n{}",
            file.display(),
            run.snapshot()
        );
    }
}

/// `pg_dump` of 18 with `--statistics` (a user's own dump), into `file`.
fn dump_with_statistics(server: &TestServer, database: &str, format: &str, file: &Path) {
    let mut cmd = Command::new(server.program("pg_dump"));
    server.apply_env(&mut cmd, database);
    let status = cmd
        .args(["--statistics", "--format", format, "--file"])
        .arg(file)
        .status()
        .unwrap();
    assert!(status.success(), "pg_dump --statistics -F{format}");
}

#[test]
fn eighteen_statistics_in_dumps_restore() {
    let server = cluster(18);
    let source = populated(server, "ss_pgv18stats_src");
    source.psql("ANALYZE");
    let dir = tempfile::tempdir().unwrap();

    // pg-backup follows pg_dump 18's default: no statistics (the restore
    // runs ANALYZE).
    let (plain, _) = backups(server, &source.name, dir.path());
    assert!(!plain_sql(&plain).contains("pg_restore_relation_stats"));

    let with_stats = dir.path().join("stats.sql");
    dump_with_statistics(server, &source.name, "plain", &with_stats);
    let sql = std::fs::read_to_string(&with_stats).unwrap();
    assert!(
        sql.contains("pg_restore_relation_stats"),
        "no statistics in the dump"
    );
    let archive = dir.path().join("stats.dump");
    dump_with_statistics(server, &source.name, "custom", &archive);

    let expected = fingerprint(server, &source.name);
    for file in [&with_stats, &archive] {
        let target = Target::new(server, "ss_pgv18stats_dst");
        let run = expect(
            0,
            run_tool(
                "pg-restore",
                server,
                "postgres",
                &["--yes", "--target", &target.name, file.to_str().unwrap()],
            ),
        );
        assert_eq!(
            fingerprint(server, &target.name),
            expected,
            "{}:\n{}",
            file.display(),
            run.snapshot()
        );
        let analyzed = server.psql(
            &target.name,
            "SELECT count(*) FROM pg_stats WHERE schemaname = 'public' AND tablename = 'customers'",
        );
        assert_ne!(
            analyzed,
            "0",
            "no statistics after restoring {}",
            file.display()
        );
    }
}

/// A dump made by pg_dump 18 `--statistics` restored into 17 (a step back
/// after trying 18): 17 has no `pg_restore_relation_stats()`, so the
/// statistics are left out, said so, and ANALYZE computes them instead.
#[test]
fn eighteen_statistics_restore_into_seventeen_without_them() {
    let (new, old) = (cluster(18), cluster(17));
    let source = populated(new, "ss_pgv18stats17_src");
    source.psql("ANALYZE");
    let dir = tempfile::tempdir().unwrap();
    let plain = dir.path().join("stats.sql");
    dump_with_statistics(new, &source.name, "plain", &plain);
    let archive = dir.path().join("stats.dump");
    dump_with_statistics(new, &source.name, "custom", &archive);

    let expected = fingerprint(new, &source.name);
    for file in [&plain, &archive] {
        let target = Target::new(old, "ss_pgv18stats17_dst");
        let run = expect(
            0,
            run_tool_with(
                "pg-restore",
                old,
                &new.bin_dir,
                "postgres",
                &["--yes", "--target", &target.name, file.to_str().unwrap()],
            ),
        );
        assert!(
            run.stderr.contains("planner statistics") && run.stderr.contains("left out"),
            "{}",
            run.snapshot()
        );
        assert_eq!(
            fingerprint(old, &target.name),
            expected,
            "{}",
            file.display()
        );
        let analyzed = old.psql(
            &target.name,
            "SELECT count(*) FROM pg_stats WHERE schemaname = 'public' AND tablename = 'customers'",
        );
        assert_ne!(
            analyzed,
            "0",
            "no statistics after restoring {}",
            file.display()
        );
    }
}

#[test]
fn pg_backup_with_an_older_pg_dump_names_the_version_needed() {
    let (new, old) = (cluster(17), cluster(15));
    let source = populated(new, "ss_pgv17dump15_src");
    let dir = tempfile::tempdir().unwrap();
    let run = expect(
        3,
        run_tool_with(
            "pg-backup",
            new,
            &old.bin_dir,
            &source.name,
            &["--dir", dir.path().to_str().unwrap()],
        ),
    );
    assert!(
        run.stderr.contains("need major version 17") && run.stderr.contains("--pg-bin-dir"),
        "{}",
        run.snapshot()
    );
    let left: Vec<_> = std::fs::read_dir(dir.path())
        .map(|entries| entries.flatten().map(|e| e.file_name()).collect())
        .unwrap_or_default();
    assert!(
        left.iter().all(|name| name == ".pg-backup.lock"),
        "left behind: {left:?}"
    );
}
