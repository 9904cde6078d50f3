//! Every input kind restores into a new database with the same content, and
//! `list` describes files without a server.

use std::path::Path;

use sha2::Digest as _;
use shipshape_pg::manifest::{
    self, Compression, DumpFormat, Manifest, TableRows, Verification, VerifyStatus,
};
use shipshape_testkit::cli;
use shipshape_testkit::pg::unique_name;

use super::*;

fn round_trip(kind: &str) {
    let s = server();
    let src = s.create_database("prs_src");
    fill(&src.name, 200);
    let dir = tempfile::tempdir().unwrap();
    let file = dump(&src.name, dir.path(), kind);
    let target = unique_name("prs_new");
    let _cleanup = Cleanup(target.clone());
    let run = restore_ok(&target, &["--yes", file.to_str().unwrap()]);
    assert!(
        run.stdout.contains(&format!("into \"{target}\"")),
        "{}",
        run.snapshot()
    );
    assert_eq!(fingerprint(&target), fingerprint(&src.name));
    // Nothing left behind: no restoring database, nothing kept (there was no target).
    let leftovers: Vec<String> = list_databases()
        .into_iter()
        .filter(|n| n.starts_with(&target) && *n != target)
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn a_dump_of_inserts_loads_in_parallel_through_psql() {
    // Table data as INSERT statements is not what the data pool's own
    // connections take (only COPY and one-line settings); psql loads it,
    // beside them (the sequences' setval still goes the direct way).
    let s = server();
    let src = s.create_database("prs_src");
    fill(&src.name, 200);
    let dir = tempfile::tempdir().unwrap();
    let file = dump(&src.name, dir.path(), "inserts");
    let target = unique_name("prs_new");
    let _cleanup = Cleanup(target.clone());
    restore_ok(&target, &["--yes", "--jobs", "2", file.to_str().unwrap()]);
    assert_eq!(fingerprint(&target), fingerprint(&src.name));
}

#[test]
fn gzip_of_plain_pg_dump_without_manifest() {
    round_trip("gzip");
}

#[test]
fn uncompressed_sql() {
    round_trip("plain");
}

#[test]
fn custom_format_archive() {
    round_trip("custom");
}

#[test]
fn directory_format_archive() {
    round_trip("directory");
}

#[test]
fn tar_format_archive() {
    round_trip("tar");
}

fn sha256(path: &Path) -> String {
    let bytes = std::fs::read(path).unwrap();
    sha2::Sha256::digest(&bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A manifest the way pg-backup writes it.
pub(crate) fn write_manifest(
    file: &Path,
    db: &str,
    tables: Vec<TableRows>,
    format: DumpFormat,
    compression: Compression,
) {
    let now = chrono::Utc::now();
    let m = Manifest {
        manifest_version: manifest::MANIFEST_VERSION,
        file: file.file_name().unwrap().to_string_lossy().into_owned(),
        database: db.to_owned(),
        server_version: "15".into(),
        pg_dump_version: "15".into(),
        format,
        compression,
        compression_level: Some(6),
        started_at: now,
        finished_at: now,
        duration_seconds: 0.1,
        compressed_bytes: std::fs::metadata(file).unwrap().len(),
        uncompressed_bytes: 0,
        sha256: sha256(file),
        tables,
        globals_file: None,
        verification: Verification {
            status: VerifyStatus::Verified,
            method: "checksum".into(),
            verified_at: Some(now),
            detail: None,
        },
        tool_version: "0.1.0".into(),
        remote: None,
        encryption: None,
    };
    std::fs::write(
        manifest::manifest_path(file),
        serde_json::to_string_pretty(&m).unwrap(),
    )
    .unwrap();
}

pub(crate) fn table_rows(db: &str) -> Vec<TableRows> {
    server()
        .psql(
            db,
            "SELECT schemaname, tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1, 2",
        )
        .lines()
        .map(|l| {
            let (schema, table) = l.split_once('|').unwrap();
            let rows = server().psql(
                db,
                &format!(
                    "SELECT count(*) FROM {}.{}",
                    quote_ident(schema),
                    quote_ident(table)
                ),
            );
            TableRows {
                schema: schema.into(),
                table: table.into(),
                rows: rows.parse().unwrap(),
            }
        })
        .collect()
}

#[test]
fn pg_backup_style_files_with_manifest_zstd_and_latest() {
    let s = server();
    let src = s.create_database("prs_src");
    fill(&src.name, 100);
    let dir = tempfile::tempdir().unwrap();
    // An older pg-backup file (gzip) and a newer one (zstd): --latest takes the newer.
    let plain = dump(&src.name, dir.path(), "plain");
    let gz = dir.path().join("app_20240101_010101.sql.gz");
    sh(
        &src.name,
        &format!("gzip -c '{}' > '{}'", plain.display(), gz.display()),
    );
    write_manifest(
        &gz,
        &src.name,
        table_rows(&src.name),
        DumpFormat::Plain,
        Compression::Gzip,
    );
    let zst = dir.path().join("app_20250101_010101.sql.zst");
    let sql = std::fs::read(&plain).unwrap();
    // Two frames, as a multi-threaded compressor may write.
    let mut data = zstd::encode_all(&sql[..sql.len() / 2], 3).unwrap();
    data.extend(zstd::encode_all(&sql[sql.len() / 2..], 3).unwrap());
    std::fs::write(&zst, data).unwrap();
    write_manifest(
        &zst,
        &src.name,
        table_rows(&src.name),
        DumpFormat::Plain,
        Compression::Zstd,
    );
    std::fs::remove_file(&plain).unwrap();
    // A newer file without a manifest is not a verified backup: skipped.
    std::fs::write(dir.path().join("app_20260101_010101.sql.gz"), b"junk").unwrap();
    // Nor is a plain .sql file, which pg-backup never writes, manifest or not.
    let stray = dir.path().join("app_20270101_010101.sql");
    std::fs::write(&stray, b"DROP TABLE IF EXISTS everything;\n").unwrap();
    write_manifest(
        &stray,
        &src.name,
        Vec::new(),
        DumpFormat::Plain,
        Compression::None,
    );

    let target = unique_name("prs_new");
    let _cleanup = Cleanup(target.clone());
    let run = restore_ok(
        &target,
        &["--yes", "--latest", "--dir", dir.path().to_str().unwrap()],
    );
    assert!(
        run.stderr.contains("app_20250101_010101.sql.zst"),
        "{}",
        run.snapshot()
    );
    assert!(
        run.stderr.contains("SHA-256 matches the manifest"),
        "{}",
        run.snapshot()
    );
    assert_eq!(fingerprint(&target), fingerprint(&src.name));

    // A manifest whose row counts disagree with the restored data: the
    // restore is refused (exit 3) and the target keeps its content.
    let before = fingerprint(&target);
    let mut rows = table_rows(&src.name);
    rows[0].rows += 1;
    write_manifest(&gz, &src.name, rows, DumpFormat::Plain, Compression::Gzip);
    let run = cli::run(tool_for(&target).args(["--yes", gz.to_str().unwrap()]));
    assert_eq!(run.code, Some(3), "{}", run.snapshot());
    assert!(run.stdout.contains("row-count"), "{}", run.snapshot());
    assert_eq!(fingerprint(&target), before);
    assert_eq!(
        list_databases()
            .iter()
            .filter(|n| n.starts_with(&target))
            .count(),
        1
    );
}

#[test]
fn list_describes_tables_and_objects_without_a_server() {
    let s = server();
    let src = s.create_database("prs_src");
    fill(&src.name, 50);
    let dir = tempfile::tempdir().unwrap();
    for kind in ["gzip", "custom"] {
        let file = dump(&src.name, dir.path(), kind);
        // No DATABASE_URL, no PG*: list must not need a server.
        let run = cli::run(
            tool()
                .env("PATH", super::path_with_client_bin())
                .arg("list")
                .arg(&file),
        );
        assert_eq!(run.code, Some(0), "{}", run.snapshot());
        assert!(run.stdout.contains("public.orders"), "{}", run.stdout);
        assert!(
            run.stdout.contains("150"),
            "orders has 150 rows: {}",
            run.stdout
        );
        assert!(run.stdout.contains("public.Mixed Case"), "{}", run.stdout);
        assert!(run.stdout.contains("materialized view"), "{}", run.stdout);
        let run = cli::run(
            tool()
                .env("PATH", super::path_with_client_bin())
                .args(["--format", "json", "list"])
                .arg(&file),
        );
        let value: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
        let orders = value["tables"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["table"] == "orders")
            .unwrap();
        assert_eq!(orders["rows"], 150);
    }
}

#[test]
fn pg_dump_17_transaction_timeout_is_dropped_on_an_older_server() {
    let s = server();
    let major: u32 = s
        .psql("postgres", "SHOW server_version_num")
        .parse::<u32>()
        .unwrap()
        / 10000;
    if major >= 17 {
        eprintln!("server is {major}: transaction_timeout is valid there, nothing to drop");
        return;
    }
    let src = s.create_database("prs_src");
    fill(&src.name, 10);
    let dir = tempfile::tempdir().unwrap();
    let plain = dump(&src.name, dir.path(), "plain");
    // What pg_dump 17 writes: its version in the header and one more SET.
    let text = std::fs::read_to_string(&plain)
        .unwrap()
        .replacen(
            "-- Dumped by pg_dump version ",
            "-- Dumped by pg_dump version 17.2 (was ",
            1,
        )
        .replacen(
            "SET statement_timeout = 0;\n",
            "SET statement_timeout = 0;\nSET transaction_timeout = 0;\n",
            1,
        );
    std::fs::write(&plain, text).unwrap();
    let target = unique_name("prs_new");
    let _cleanup = Cleanup(target.clone());
    let run = restore_ok(&target, &["--yes", plain.to_str().unwrap()]);
    assert!(
        run.stderr.contains("transaction_timeout"),
        "{}",
        run.snapshot()
    );
    assert_eq!(fingerprint(&target), fingerprint(&src.name));
}

#[test]
fn latest_in_a_directory_of_several_databases_takes_the_targets_own() {
    let s = server();
    let src = s.create_database("prs_src");
    fill(&src.name, 30);
    let dir = tempfile::tempdir().unwrap();
    let target = unique_name("prs_new");
    let _cleanup = Cleanup(target.clone());
    let plain = dump(&src.name, dir.path(), "plain");
    // The target's own backup, and a newer one of another database.
    let own = dir.path().join("own_20240101_010101.sql.gz");
    let other = dir.path().join("other_20250101_010101.sql.gz");
    for path in [&own, &other] {
        sh(
            &src.name,
            &format!("gzip -c '{}' > '{}'", plain.display(), path.display()),
        );
    }
    std::fs::remove_file(&plain).unwrap();
    let rows = table_rows(&src.name);
    write_manifest(
        &own,
        &target,
        rows.clone(),
        DumpFormat::Plain,
        Compression::Gzip,
    );
    write_manifest(
        &other,
        "prs_some_other_db",
        rows,
        DumpFormat::Plain,
        Compression::Gzip,
    );
    let latest = ["--yes", "--latest", "--dir", dir.path().to_str().unwrap()];
    let run = restore_ok(&target, &latest);
    assert!(
        run.stderr.contains("own_20240101_010101.sql.gz"),
        "{}",
        run.snapshot()
    );
    // Neither database is the target: refused, nothing created.
    let stranger = unique_name("prs_new");
    let _c2 = Cleanup(stranger.clone());
    let run = cli::run(tool_for(&stranger).args(latest));
    assert_eq!(run.code, Some(2), "{}", run.snapshot());
    assert!(
        run.stderr.contains("several databases"),
        "{}",
        run.snapshot()
    );
    assert!(!exists(&stranger));
}

#[test]
fn pg_backup_custom_dump_with_manifest_is_checked_against_it() {
    let s = server();
    let src = s.create_database("prs_src");
    fill(&src.name, 40);
    let dir = tempfile::tempdir().unwrap();
    let custom = dump(&src.name, dir.path(), "custom");
    let file = dir.path().join("app_20250101_010101.dump");
    std::fs::rename(&custom, &file).unwrap();
    write_manifest(
        &file,
        &src.name,
        table_rows(&src.name),
        DumpFormat::Custom,
        Compression::None,
    );
    let target = unique_name("prs_new");
    let _cleanup = Cleanup(target.clone());
    let run = restore_ok(&target, &["--yes", file.to_str().unwrap()]);
    assert!(
        run.stderr.contains("SHA-256 matches the manifest"),
        "{}",
        run.snapshot()
    );
    assert_eq!(fingerprint(&target), fingerprint(&src.name));

    // The same archive with one flipped byte: refused against the manifest.
    let mut bytes = std::fs::read(&file).unwrap();
    let mid = bytes.len() / 2;
    bytes[mid] ^= 0x01;
    std::fs::write(&file, bytes).unwrap();
    let before = fingerprint(&target);
    let run = cli::run(tool_for(&target).arg("--yes").arg(&file));
    assert_eq!(run.code, Some(1), "{}", run.snapshot());
    assert_eq!(fingerprint(&target), before);
}
