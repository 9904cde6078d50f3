//! list, verify and prune; retention after a backup.

use std::path::{Path, PathBuf};

use crate::support::{Scene, files_in, manifest};

/// Copy a real backup (and its manifest) under another timestamp, as if it
/// had been made then. `verified` sets the manifest's status.
fn plant(scene: &Scene, source: &Path, prefix: &str, stamp: &str, verified: bool) -> PathBuf {
    let name = format!("{prefix}_{stamp}.sql.gz");
    let target = scene.dir.join(&name);
    std::fs::copy(source, &target).unwrap();
    let mut m = manifest(source);
    m["file"] = name.clone().into();
    m["verification"]["status"] = if verified { "verified" } else { "failed" }.into();
    std::fs::write(
        format!("{}.json", target.display()),
        serde_json::to_string_pretty(&m).unwrap(),
    )
    .unwrap();
    target
}

#[test]
fn list_shows_backups_as_a_table_and_as_json() {
    let scene = Scene::new("ss_pgb_list");
    scene.backup(&["--prefix", "app"]);
    let source = scene.only_backup();
    plant(&scene, &source, "app", "20240101_120000", true);
    std::fs::write(scene.dir.join("notes.txt"), "not a backup").unwrap();
    std::fs::write(scene.dir.join("app_20240102_120000.sql.gz"), "no manifest").unwrap();

    let run = scene.run(&["list"]);
    assert_eq!(run.code, Some(0), "{}", run.snapshot());
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(lines.len(), 4, "{}", run.stdout);
    assert!(lines[0].starts_with("NAME"), "{}", run.stdout);
    assert!(
        lines[1].contains("verified (checksum)") && lines[1].contains("recorded"),
        "{}",
        run.stdout
    );
    assert!(
        lines[2].contains("app_20240102_120000.sql.gz") && lines[2].contains("no-manifest"),
        "{}",
        run.stdout
    );
    assert!(lines[3].contains("2024-01-01 12:00:00"), "{}", run.stdout);
    assert!(!run.stdout.contains("notes.txt"));

    let run = scene.run(&["list", "--format", "json"]);
    let value: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    let backups = value["backups"].as_array().unwrap();
    assert_eq!(backups.len(), 3);
    assert_eq!(backups[2]["file"], "app_20240101_120000.sql.gz");
    assert_eq!(backups[2]["time"], "2024-01-01T12:00:00Z");
    assert_eq!(backups[2]["verified"], "verified");
    assert_eq!(backups[1]["checksum"], "no-manifest");
    assert!(backups[2]["age_seconds"].as_i64().unwrap() > 86400);
}

#[test]
fn verify_reports_flipped_bytes_and_truncation_with_exit_1() {
    let scene = Scene::new("ss_pgb_verify");
    scene.backup(&["--prefix", "app"]);
    let good = scene.only_backup();
    let run = scene.run(&["verify"]);
    assert_eq!(run.code, Some(0), "{}", run.snapshot());
    assert!(run.stdout.contains("intact"), "{}", run.stdout);

    let flipped = plant(&scene, &good, "app", "20240101_000000", true);
    let mut bytes = std::fs::read(&flipped).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x40;
    std::fs::write(&flipped, &bytes).unwrap();
    let truncated = plant(&scene, &good, "app", "20240102_000000", true);
    let bytes = std::fs::read(&truncated).unwrap();
    std::fs::write(&truncated, &bytes[..bytes.len() * 2 / 3]).unwrap();

    let run = scene.run(&["verify", flipped.to_str().unwrap()]);
    assert_eq!(run.code, Some(1), "{}", run.snapshot());
    assert!(run.stdout.contains("error"), "{}", run.stdout);
    assert_eq!(manifest(&flipped)["verification"]["status"], "failed");

    let run = scene.run(&["verify", "app_20240102_000000.sql.gz"]);
    assert_eq!(run.code, Some(1), "{}", run.snapshot());
    insta::assert_snapshot!(run.snapshot_with(&[(scene.dir.to_str().unwrap(), "[DIR]")]));

    let run = scene.run(&["verify", "--all", "--format", "json"]);
    assert_eq!(run.code, Some(1), "{}", run.snapshot());
    let value: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    let oks: Vec<bool> = value["verified"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["ok"].as_bool().unwrap())
        .collect();
    assert_eq!(oks, [true, false, false]);

    // The list now shows the failures recorded by verify.
    let run = scene.run(&["list"]);
    assert_eq!(run.stdout.matches("failed").count(), 2, "{}", run.stdout);
}

#[test]
fn prune_deletes_only_this_prefixes_old_backups_and_keeps_min_verified() {
    let scene = Scene::new("ss_pgb_prune");
    // A real backup under another prefix, used as the content of old ones.
    scene.backup(&["--prefix", "src"]);
    let real = scene.only_backup();
    let real_name = real.file_name().unwrap().to_str().unwrap().to_owned();
    plant(&scene, &real, "app", "20240301_000000", true);
    plant(&scene, &real, "app", "20240302_000000", false);
    plant(&scene, &real, "app", "20240201_000000", true);
    plant(&scene, &real, "other", "20200101_000000", true);
    let foreign = [
        "notes.txt",
        "app_20200101_000000.sql.gz.bak",
        "app-20200101-000000.sql.gz",
        "app_20200101_000000.tar.gz",
    ];
    for name in foreign {
        std::fs::write(scene.dir.join(name), "keep me").unwrap();
    }

    let before = files_in(&scene.dir);
    let run = scene.run(&[
        "prune",
        "--dry-run",
        "--prefix",
        "app",
        "--keep-days",
        "7",
        "--keep-min",
        "1",
    ]);
    assert_eq!(run.code, Some(0), "{}", run.snapshot());
    assert_eq!(files_in(&scene.dir), before, "--dry-run deletes nothing");
    insta::assert_snapshot!(run.snapshot_with(&[(scene.dir.to_str().unwrap(), "[DIR]")]));

    let run = scene.run(&[
        "prune",
        "--prefix",
        "app",
        "--keep-days",
        "7",
        "--keep-min",
        "1",
    ]);
    assert_eq!(run.code, Some(0), "{}", run.snapshot());
    let mut expected: Vec<String> = vec![
        real_name.clone(),
        format!("{real_name}.json"),
        "app_20240301_000000.sql.gz".into(),
        "app_20240301_000000.sql.gz.json".into(),
        "other_20200101_000000.sql.gz".into(),
        "other_20200101_000000.sql.gz.json".into(),
    ];
    expected.extend(foreign.iter().map(|s| (*s).to_owned()));
    expected.sort();
    assert_eq!(files_in(&scene.dir), expected);
}

#[test]
fn retention_runs_after_a_verified_backup_with_gfs() {
    let scene = Scene::new("ss_pgb_gfs");
    scene.backup(&["--prefix", "app"]);
    let real = scene.only_backup();
    // Two per month for three months, long ago.
    for stamp in [
        "20240105_010000",
        "20240120_010000",
        "20240205_010000",
        "20240220_010000",
        "20240305_010000",
        "20240320_010000",
    ] {
        plant(&scene, &real, "app", stamp, true);
    }
    let run = scene.backup(&[
        "--prefix",
        "app",
        "--keep-days",
        "1",
        "--keep-monthly",
        "3",
        "--keep-min",
        "1",
    ]);
    assert!(run.stdout.contains("deleted 4"), "{}", run.stdout);
    let names: Vec<String> = files_in(&scene.dir)
        .into_iter()
        .filter(|f| f.ends_with(".gz"))
        .collect();
    assert_eq!(names.len(), 4, "{names:?}");
    for kept in ["app_20240320_010000.sql.gz", "app_20240220_010000.sql.gz"] {
        assert!(names.contains(&kept.to_owned()), "{names:?}");
    }
    assert!(
        !names.contains(&"app_20240120_010000.sql.gz".to_owned()),
        "{names:?}"
    );
}

#[test]
fn verify_restore_restores_the_newest_and_compares_row_counts() {
    let scene = Scene::new("ss_pgb_vrestore");
    scene.backup(&["--prefix", "app"]);
    let good = scene.only_backup();
    let before = scene
        .server
        .databases_with_prefix(&format!("{}_", scene.db.name));

    let run = scene.run(&["verify", "--all", "--verify-restore"]);
    assert_eq!(run.code, Some(0), "{}", run.snapshot());
    assert!(run.stdout.contains("row counts match"), "{}", run.stdout);
    assert_eq!(manifest(&good)["verification"]["method"], "restore");

    // A manifest that remembers one row more than the dump holds: the
    // checksum still matches (the manifest is not part of it), the restore
    // does not.
    let path = shipshape_pg::manifest::manifest_path(&good);
    let mut value = manifest(&good);
    let rows = value["tables"][0]["rows"].as_u64().unwrap();
    value["tables"][0]["rows"] = serde_json::json!(rows + 1);
    std::fs::write(&path, serde_json::to_string_pretty(&value).unwrap()).unwrap();
    let run = scene.run(&["verify", "--verify-restore", "--format", "json"]);
    assert_eq!(run.code, Some(1), "{}", run.snapshot());
    let out: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    let codes: Vec<&str> = out["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["code"].as_str().unwrap())
        .collect();
    assert!(codes.contains(&"restore-mismatch"), "{codes:?}");
    assert_eq!(manifest(&good)["verification"]["status"], "failed");
    // The throwaway databases are gone.
    assert_eq!(
        scene
            .server
            .databases_with_prefix(&format!("{}_", scene.db.name)),
        before
    );
}

#[test]
fn verify_restore_sweeps_databases_a_killed_run_left_on_this_host() {
    let scene = Scene::new("ss_pgb_orphan");
    scene.backup(&["--prefix", "app"]);
    let host = shipshape_pg::throwaway::this_host();
    let dead_pid = (900_000..999_999)
        .find(|pid| !Path::new(&format!("/proc/{pid}")).exists())
        .unwrap();
    let marker = |pid: u32, host: &str| {
        format!(
            "pg-backup throwaway database; created 2026-01-01T00:00:00Z by x (pid {pid} on {host}); safe to drop"
        )
    };
    // Left by a killed run here; still running here (this test); from another host.
    let orphan = format!("{}_pgbackup_verify_{dead_pid}_1", scene.db.name);
    let alive = format!("{}_pgbackup_verify_{}_2", scene.db.name, std::process::id());
    let elsewhere = format!("{}_pgbackup_verify_{dead_pid}_3", scene.db.name);
    for (name, comment) in [
        (&orphan, marker(dead_pid, &host)),
        (&alive, marker(std::process::id(), &host)),
        (&elsewhere, marker(dead_pid, "some-other-host")),
    ] {
        scene
            .server
            .psql("postgres", &format!("CREATE DATABASE \"{name}\""));
        scene.server.psql(
            "postgres",
            &format!("COMMENT ON DATABASE \"{name}\" IS '{comment}'"),
        );
    }
    let _keep = [
        scene.server.adopt_database(&orphan),
        scene.server.adopt_database(&alive),
        scene.server.adopt_database(&elsewhere),
    ];
    let run = scene.run(&["verify", "--verify-restore"]);
    assert_eq!(run.code, Some(0), "{}", run.snapshot());
    let left = scene
        .server
        .databases_with_prefix(&format!("{}_pgbackup_verify", scene.db.name));
    assert_eq!(left, {
        let mut v = vec![alive.clone(), elsewhere.clone()];
        v.sort();
        v
    });
}
