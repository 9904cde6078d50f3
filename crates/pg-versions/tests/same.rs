//! On each major version with its own client programs: pg-backup, `verify
//! --verify-restore` of the plain backup (psql of that version),
//! `pg-backup --verify-restore` of a custom-format one (its pg_restore), and
//! pg-restore of both.

use crate::support::{
    Target, backup_in, cluster, expect, fingerprint, plain_sql, populated, run_tool,
};

fn backup_verify_restore(major: u32) {
    let server = cluster(major);
    let source = populated(server, &format!("ss_pgv{major}_src"));
    let dir = tempfile::tempdir().unwrap();
    let dir_arg = dir.path().to_str().unwrap();

    expect(
        0,
        run_tool("pg-backup", server, &source.name, &["--dir", dir_arg]),
    );
    let plain = backup_in(dir.path(), ".sql.gz");
    let sql = plain_sql(&plain);
    assert!(
        sql.contains(&format!("-- Dumped by pg_dump version {major}.")),
        "not dumped by pg_dump {major}"
    );
    expect(
        0,
        run_tool(
            "pg-backup",
            server,
            &source.name,
            &[
                "verify",
                plain.to_str().unwrap(),
                "--dir",
                dir_arg,
                "--verify-restore",
            ],
        ),
    );

    expect(
        0,
        run_tool(
            "pg-backup",
            server,
            &source.name,
            &[
                "--dir",
                dir_arg,
                "--dump-format",
                "custom",
                "--verify-restore",
            ],
        ),
    );
    let custom = backup_in(dir.path(), ".dump");

    let expected = fingerprint(server, &source.name);
    for file in [&plain, &custom] {
        let target = Target::new(server, &format!("ss_pgv{major}_dst"));
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
            "restore of {} on {major}:\n{}",
            file.display(),
            run.snapshot()
        );
        target.assert_alone();
    }
}

#[test]
fn on_14() {
    backup_verify_restore(14);
}

#[test]
fn on_15() {
    backup_verify_restore(15);
}

#[test]
fn on_16() {
    backup_verify_restore(16);
}

#[test]
fn on_17() {
    backup_verify_restore(17);
}

#[test]
fn on_18() {
    backup_verify_restore(18);
}
