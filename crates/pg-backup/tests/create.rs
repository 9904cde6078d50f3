//! Successful backups: round trip, names, permissions, manifest, formats,
//! hooks, metrics, globals, --verify-restore.

use std::process::{Command, Stdio};

use crate::support::{Scene, fingerprint, manifest, mode, sha256_of};

#[test]
fn round_trip_through_gunzip_and_psql_reproduces_schema_and_data() {
    let scene = Scene::new("ss_pgb_roundtrip");
    let run = scene.backup(&[]);
    // Data on stdout, progress never in a pipeline.
    assert!(run.stdout.starts_with("backup written: "), "{}", run.stdout);
    assert!(!run.stderr.contains('\r'), "{}", run.stderr);
    let backup = scene.only_backup();

    let gzip = Command::new("gzip")
        .arg("-t")
        .arg(&backup)
        .status()
        .unwrap();
    assert!(gzip.success(), "gzip -t rejects the multi-member stream");

    let copy = scene.server.create_database("ss_pgb_roundtrip_copy");
    let mut psql = scene.server.psql_command(&copy.name);
    psql.args(["-X", "-q", "-v", "ON_ERROR_STOP=1"])
        .stdin(Stdio::piped())
        .stdout(Stdio::null());
    let mut gunzip = Command::new("gunzip")
        .arg("-c")
        .arg(&backup)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let status = psql.stdin(gunzip.stdout.take().unwrap()).status().unwrap();
    assert!(gunzip.wait().unwrap().success(), "gunzip -c failed");
    assert!(status.success(), "gunzip -c | psql failed");

    let original = fingerprint(scene.server, &scene.db.name);
    let restored = fingerprint(scene.server, &copy.name);
    assert_eq!(original.0, restored.0, "row counts or md5 differ");
    assert_eq!(original.1, restored.1, "schema differs");
    assert!(original.0.contains("public.orders 2000 "), "{}", original.0);
}

#[test]
fn names_permissions_and_manifest() {
    let scene = Scene::new("ss_pgb_manifest");
    scene.backup(&[]);
    let backup = scene.only_backup();
    let file = backup.file_name().unwrap().to_str().unwrap().to_owned();
    let stamp = file
        .strip_prefix(&format!("{}_", scene.db.name))
        .and_then(|s| s.strip_suffix(".sql.gz"))
        .unwrap_or_else(|| panic!("unexpected name {file}"));
    assert!(
        chrono::NaiveDateTime::parse_from_str(stamp, "%Y%m%d_%H%M%S").is_ok(),
        "{stamp}"
    );
    assert_eq!(mode(&scene.dir), 0o700, "directory created 0700");
    assert_eq!(mode(&backup), 0o600);
    assert_eq!(mode(&backup.with_file_name(format!("{file}.json"))), 0o600);
    assert_eq!(scene.files(), [file.clone(), format!("{file}.json")]);

    let m = manifest(&backup);
    assert_eq!(m["manifest_version"], 1);
    assert_eq!(m["file"], file);
    assert_eq!(m["database"], scene.db.name);
    assert_eq!(m["format"], "plain");
    assert_eq!(m["compression"], "gzip");
    assert_eq!(m["compression_level"], 6);
    assert_eq!(m["sha256"], sha256_of(&backup));
    assert_eq!(
        m["compressed_bytes"],
        std::fs::metadata(&backup).unwrap().len()
    );
    let gunzipped = Command::new("gunzip")
        .arg("-c")
        .arg(&backup)
        .output()
        .unwrap()
        .stdout;
    assert_eq!(m["uncompressed_bytes"], gunzipped.len());
    assert!(
        m["server_version"]
            .as_str()
            .unwrap()
            .starts_with(char::is_numeric)
    );
    assert!(
        m["pg_dump_version"]
            .as_str()
            .unwrap()
            .starts_with(char::is_numeric)
    );
    assert_eq!(m["verification"]["status"], "verified");
    assert_eq!(m["verification"]["method"], "checksum");
    assert!(m["duration_seconds"].as_f64().unwrap() >= 0.0);
    let tables: Vec<(String, u64)> = m["tables"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            (
                format!(
                    "{}.{}",
                    t["schema"].as_str().unwrap(),
                    t["table"].as_str().unwrap()
                ),
                t["rows"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        tables,
        [
            ("Odd Schema.Mixed Case".to_owned(), 2),
            ("public.customers".to_owned(), 300),
            ("public.orders".to_owned(), 2000),
        ]
    );
    // The manifest is what shipshape_pg reads (pg-restore's view of it).
    let parsed = shipshape_pg::manifest::Manifest::read_for(&backup)
        .unwrap()
        .unwrap();
    assert_eq!(parsed.tables.len(), 3);
}

#[test]
fn json_output_is_the_manifest() {
    let scene = Scene::new("ss_pgb_json");
    let run = scene.backup(&["--format", "json", "--prefix", "nightly"]);
    let value: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(value["ok"], true);
    let backup = scene.only_backup();
    assert!(
        backup
            .file_name()
            .unwrap()
            .to_str()
            .unwrap()
            .starts_with("nightly_")
    );
    assert_eq!(value["backup"], manifest(&backup));
    assert_eq!(value["path"], backup.display().to_string());
}

#[test]
fn custom_format_is_a_pg_restore_archive() {
    let scene = Scene::new("ss_pgb_custom");
    scene.backup(&["create", "--dump-format", "custom", "--verify-restore"]);
    let backup = scene.only_backup();
    assert!(backup.to_str().unwrap().ends_with(".dump"));
    let m = manifest(&backup);
    assert_eq!(m["format"], "custom");
    assert_eq!(m["compression"], "none");
    assert_eq!(m["verification"]["method"], "restore");
    let out = Command::new(scene.server.program("pg_restore"))
        .arg("--list")
        .arg(&backup)
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("TABLE DATA public orders"));
}

#[test]
fn zstd_with_restore_verification_and_globals() {
    let scene = Scene::new("ss_pgb_zstd");
    let before = scene
        .server
        .databases_with_prefix(&format!("{}_", scene.db.name));
    scene.backup(&[
        "--compress",
        "zstd",
        "--compress-level",
        "5",
        "--jobs",
        "2",
        "--verify-restore",
        "--globals",
    ]);
    let backup = scene.only_backup();
    assert!(backup.to_str().unwrap().ends_with(".sql.zst"));
    let status = Command::new("zstd").arg("-tq").arg(&backup).status();
    if let Ok(status) = status {
        assert!(status.success(), "zstd -t rejects the file");
    }
    let m = manifest(&backup);
    assert_eq!(m["compression"], "zstd");
    assert_eq!(m["compression_level"], 5);
    assert_eq!(m["verification"]["method"], "restore");
    let globals = m["globals_file"].as_str().unwrap();
    let text = std::fs::read_to_string(scene.dir.join(globals)).unwrap();
    assert!(text.contains("CREATE ROLE"), "{text}");
    assert!(
        !text.contains("SCRAM-SHA-256$"),
        "passwords excluded by default"
    );
    assert_eq!(mode(&scene.dir.join(globals)), 0o600);
    assert_eq!(
        scene
            .server
            .databases_with_prefix(&format!("{}_", scene.db.name)),
        before,
        "the throwaway database was dropped"
    );
}

#[test]
fn success_hook_metrics_and_report() {
    let scene = Scene::new("ss_pgb_hooks");
    let env_file = scene.root.path().join("hook.env");
    let all_env = scene.root.path().join("hook.all.env");
    let hook = scene.script(
        "hook.sh",
        &format!(
            "env | grep ^PG_BACKUP_ | sort > '{}'; env > '{}'",
            env_file.display(),
            all_env.display()
        ),
    );
    let metrics = scene.root.path().join("pg_backup.prom");
    let run = scene.backup(&[
        "--on-success",
        hook.to_str().unwrap(),
        "--on-failure",
        "/bin/false",
        "--metrics-file",
        metrics.to_str().unwrap(),
    ]);
    for needle in [
        "backup written:",
        "ratio",
        "sha256",
        "verified",
        "retention",
    ] {
        assert!(run.stdout.contains(needle), "{needle}: {}", run.stdout);
    }
    let env = std::fs::read_to_string(&env_file).unwrap();
    let backup = scene.only_backup();
    assert!(env.contains("PG_BACKUP_STATUS=success\n"), "{env}");
    assert!(
        env.contains(&format!("PG_BACKUP_FILE={}\n", backup.display())),
        "{env}"
    );
    assert!(
        env.contains(&format!("PG_BACKUP_DATABASE={}\n", scene.db.name)),
        "{env}"
    );
    assert!(env.contains("PG_BACKUP_EXIT_CODE=0\n"), "{env}");
    // A hook never sees the password, nor where it came from.
    let all = std::fs::read_to_string(&all_env).unwrap();
    for name in ["PGPASSWORD=", "DATABASE_URL=", "PGPASSFILE="] {
        assert!(!all.contains(name), "the hook saw {name}");
    }
    if let Some(password) = &scene.server.password {
        assert!(
            !all.contains(password.as_str()),
            "the hook saw the password"
        );
    }
    let text = std::fs::read_to_string(&metrics).unwrap();
    let size = std::fs::metadata(&backup).unwrap().len();
    assert!(
        text.contains(&format!(
            "pg_backup_last_size_bytes{{database=\"{}\",prefix=\"{}\"}} {size}\n",
            scene.db.name, scene.db.name
        )),
        "{text}"
    );
    assert!(text.contains("pg_backup_last_status{"), "{text}");
    assert!(text.contains("} 1\n"), "{text}");
    assert!(
        text.contains("pg_backup_last_success_timestamp_seconds{"),
        "{text}"
    );
    assert!(
        text.contains("# TYPE pg_backup_last_duration_seconds gauge"),
        "{text}"
    );
}

#[test]
fn a_second_backup_in_the_same_second_gets_its_own_name() {
    let scene = Scene::new("ss_pgb_twice");
    scene.backup(&["--quiet"]);
    let run = scene.backup(&["--quiet"]);
    assert_eq!(run.stdout, "", "--quiet prints nothing on success");
    assert_eq!(scene.backups().len(), 2, "{:?}", scene.files());
}
