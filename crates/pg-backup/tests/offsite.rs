//! Off-site backups (`--to s3://…`) against a real Garage store started by
//! the harness: round trips, encryption, retention beside foreign objects,
//! and every failure path (credentials, bucket, pg_dump killed, Ctrl-C, a
//! storage node lost, a damaged object).

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use age::secrecy::ExposeSecret as _;
use shipshape_testkit::cli::{self, Run};
use shipshape_testkit::garage::{self, Cluster, Garage, TestBucket};

/// The backups `pg-backup list --to` sees through `endpoint` (JSON rows).
fn listed_via(scene: &Scene, store: &Garage, endpoint: &str, url: &str) -> Vec<serde_json::Value> {
    let run = cli::run(
        remote_cmd(scene, store)
            .env("AWS_ENDPOINT_URL", endpoint)
            .args(["list", "--to", url, "--format", "json"]),
    );
    assert_eq!(run.code, Some(0), "{}", run.snapshot());
    let report: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    report["backups"].as_array().cloned().unwrap_or_default()
}

use crate::support::{Scene, alive, fingerprint, send_signal, tool, wait_for};

/// pg-backup with the scene's database and the store's credentials, no --dir.
fn remote_cmd(scene: &Scene, store: &Garage) -> Command {
    let mut cmd = tool();
    cmd.env("DATABASE_URL", scene.db.url());
    for (name, value) in store.env() {
        cmd.env(name, value);
    }
    cmd
}

fn run_remote(scene: &Scene, store: &Garage, args: &[&str]) -> Run {
    cli::run(remote_cmd(scene, store).args(args))
}

fn ok(run: Run) -> Run {
    assert_eq!(run.code, Some(0), "{}", run.snapshot());
    run
}

/// Backup objects (not manifests) under `prefix/` in the bucket.
fn backup_keys(bucket: &TestBucket<'_>, prefix: &str) -> Vec<String> {
    bucket
        .keys(&format!("{prefix}/"))
        .into_iter()
        .filter(|k| !k.ends_with(".json"))
        .collect()
}

/// An age key pair: (identity file, public key), classic X25519 as
/// age-keygen writes by default.
#[allow(deprecated)]
fn age_key(dir: &Path, name: &str) -> (PathBuf, String) {
    let identity = age::x25519::Identity::generate();
    let path = dir.join(name);
    std::fs::write(&path, format!("{}\n", identity.to_string().expose_secret())).unwrap();
    (path, identity.to_public().to_string())
}

/// Restore a downloaded plain `.sql.gz` into a new database and compare it
/// with the source.
fn assert_restores_to_source(scene: &Scene, sql_gz: &[u8]) {
    let mut text = Vec::new();
    std::io::Read::read_to_end(&mut flate2::read::MultiGzDecoder::new(sql_gz), &mut text).unwrap();
    let target = scene.server.create_database("ss_pgb_offsite_target");
    let mut psql = scene.server.psql_command(&target.name);
    psql.args(["-X", "-q", "-v", "ON_ERROR_STOP=1"])
        .stdin(Stdio::piped())
        .stdout(Stdio::null());
    let mut child = psql.spawn().unwrap();
    std::io::Write::write_all(child.stdin.as_mut().unwrap(), &text).unwrap();
    drop(child.stdin.take());
    assert!(child.wait().unwrap().success());
    assert_eq!(
        fingerprint(scene.server, &scene.db.name),
        fingerprint(scene.server, &target.name)
    );
}

#[test]
fn round_trip_through_the_store() {
    let store = garage::single();
    let bucket = store.create_bucket("pgb-round");
    let scene = Scene::new("ss_pgb_offsite");
    let url = bucket.url("prod/app");
    let run = ok(run_remote(&scene, store, &["--to", &url]));
    assert!(
        run.stdout.contains("backup uploaded: s3://"),
        "{}",
        run.stdout
    );
    let keys = bucket.keys("prod/app/");
    assert_eq!(keys.len(), 2, "{keys:?}");
    let object = backup_keys(&bucket, "prod/app").pop().unwrap();
    assert!(object.ends_with(".sql.gz"), "{object}");
    assert!(keys.contains(&format!("{object}.json")));
    assert!(bucket.incomplete_multipart_uploads().is_empty());
    // No local directory was written (none was asked for).
    assert!(!scene.dir.exists());

    let list = ok(run_remote(&scene, store, &["list", "--to", &url]));
    assert!(list.stdout.contains("verified (upload)"), "{}", list.stdout);
    let verify = ok(run_remote(
        &scene,
        store,
        &["verify", "--all", "--to", &url],
    ));
    assert!(
        verify.stderr.contains("intact") || verify.stdout.contains("intact"),
        "{}",
        verify.snapshot()
    );

    let manifest: serde_json::Value =
        serde_json::from_slice(&bucket.get(&format!("{object}.json")).unwrap()).unwrap();
    assert_eq!(
        manifest["remote"]["url"],
        format!("s3://{}/{object}", bucket.name())
    );
    assert!(manifest.get("encryption").is_none());
    assert_restores_to_source(&scene, &bucket.get(&object).unwrap());
}

#[test]
fn encrypted_round_trip_wrong_identity_and_the_restore_drill() {
    let store = garage::single();
    let bucket = store.create_bucket("pgb-age");
    let scene = Scene::new("ss_pgb_age");
    let keys = tempfile::tempdir().unwrap();
    let (identity, public) = age_key(keys.path(), "backup.key");
    let (other, _) = age_key(keys.path(), "other.key");
    let url = bucket.url("app");
    ok(run_remote(
        &scene,
        store,
        &["--to", &url, "--encrypt-to", &public],
    ));
    let object = backup_keys(&bucket, "app").pop().unwrap();
    assert!(object.ends_with(".sql.gz.age"), "{object}");
    let stored = bucket.get(&object).unwrap();
    assert!(stored.starts_with(b"age-encryption.org/v1"));
    let manifest: serde_json::Value =
        serde_json::from_slice(&bucket.get(&format!("{object}.json")).unwrap()).unwrap();
    assert_eq!(manifest["encryption"]["recipients"][0], public.as_str());
    assert_ne!(manifest["encryption"]["plain_sha256"], manifest["sha256"]);

    // Without an identity: the stored bytes are checked, a warning says the
    // contents were not.
    let run = ok(run_remote(&scene, store, &["verify", "--to", &url]));
    assert!(
        run.snapshot().contains("not-decrypted"),
        "{}",
        run.snapshot()
    );
    // The wrong identity: exit 1, naming the recipient it was encrypted to.
    let run = run_remote(
        &scene,
        store,
        &[
            "verify",
            "--to",
            &url,
            "--identity",
            other.to_str().unwrap(),
        ],
    );
    assert_eq!(run.code, Some(1), "{}", run.snapshot());
    assert!(run.snapshot().contains(&public), "{}", run.snapshot());
    assert!(
        run.snapshot().contains("wrong-identity"),
        "{}",
        run.snapshot()
    );
    // The restore drill with the right one, recorded as metrics.
    let metrics = keys.path().join("drill.prom");
    let run = ok(run_remote(
        &scene,
        store,
        &[
            "verify",
            "--restore",
            "--latest",
            "--to",
            &url,
            "--identity",
            identity.to_str().unwrap(),
            "--metrics-file",
            metrics.to_str().unwrap(),
        ],
    ));
    assert!(
        run.snapshot()
            .contains("restored into a throwaway database"),
        "{}",
        run.snapshot()
    );
    let text = std::fs::read_to_string(&metrics).unwrap();
    assert!(
        text.contains("pg_backup_last_restore_test_status{"),
        "{text}"
    );
    assert!(text.contains("} 1\n"), "{text}");
}

#[test]
fn local_and_offsite_at_once_each_with_its_own_copy() {
    let store = garage::single();
    let bucket = store.create_bucket("pgb-both");
    let scene = Scene::new("ss_pgb_both");
    // A post-quantum recipient (age1pq1…) here; the other tests use X25519.
    let identity = age::pq::Identity::generate();
    let public = identity.to_public().to_string();
    assert!(public.starts_with("age1pq1"));
    let url = bucket.url("app");
    let run = ok(cli::run(
        remote_cmd(&scene, store)
            .arg("--dir")
            .arg(&scene.dir)
            .args(["--to", &url, "--encrypt-to", &public]),
    ));
    assert!(run.stdout.contains("off-site    s3://"), "{}", run.stdout);
    let local = scene.only_backup();
    let object = backup_keys(&bucket, "app").pop().unwrap();
    assert_eq!(
        format!("{}.age", local.file_name().unwrap().to_string_lossy()),
        object.rsplit('/').next().unwrap()
    );
    let manifest: serde_json::Value =
        serde_json::from_slice(&bucket.get(&format!("{object}.json")).unwrap()).unwrap();
    assert_eq!(
        manifest["encryption"]["plain_sha256"],
        crate::support::manifest(&local)["sha256"]
    );
}

#[test]
fn retention_on_the_store_never_touches_what_is_not_ours() {
    let store = garage::single();
    let bucket = store.create_bucket("pgb-prune");
    let scene = Scene::new("ss_pgb_rprune");
    let url = bucket.url("app");
    let prefix = scene.db.name.clone();
    ok(run_remote(&scene, store, &["--to", &url]));
    let current = backup_keys(&bucket, "app").pop().unwrap();
    let manifest = bucket.get(&format!("{current}.json")).unwrap();
    // An old backup of ours, with its manifest: retention removes it.
    let old = format!("{prefix}_20200101_000000.sql.gz");
    let mut old_manifest: serde_json::Value = serde_json::from_slice(&manifest).unwrap();
    old_manifest["file"] = old.clone().into();
    bucket.put(&format!("app/{old}"), b"old");
    bucket.put(
        &format!("app/{old}.json"),
        serde_json::to_vec(&old_manifest).unwrap(),
    );
    // Not ours: other names, another prefix's backup, a "subdirectory",
    // another repository in the same bucket.
    let foreign = [
        "app/notes.txt".to_owned(),
        format!("app/{prefix}_20200101_000000.sql.gz.bak"),
        "app/other_20200101_000000.sql.gz".to_owned(),
        format!("app/sub/{prefix}_20200101_000000.sql.gz"),
        format!("app2/{prefix}_20200101_000000.sql.gz"),
    ];
    for key in &foreign {
        bucket.put(key, b"not ours");
    }
    // Ours, without a manifest (an upload never verified): listed as
    // incomplete; removed once its name is older than the grace period,
    // kept within it (an upload whose manifest is still to come).
    let unverified = format!("{prefix}_20200102_000000.sql.gz");
    bucket.put(&format!("app/{unverified}"), b"half");
    let recent = format!(
        "{prefix}_{}.sql.gz",
        (chrono::Utc::now() - chrono::Duration::hours(1)).format("%Y%m%d_%H%M%S")
    );
    bucket.put(&format!("app/{recent}"), b"in progress");
    let list = ok(run_remote(&scene, store, &["list", "--to", &url]));
    assert!(
        list.stdout.contains(&unverified) && list.stdout.contains("incomplete"),
        "{}",
        list.stdout
    );
    let dry = ok(run_remote(
        &scene,
        store,
        &["prune", "--dry-run", "--to", &url, "--keep-days", "7"],
    ));
    assert!(
        dry.stdout.contains(&format!("would delete {old}")),
        "{}",
        dry.stdout
    );
    assert!(bucket.get(&format!("app/{old}")).is_some());
    let run = ok(run_remote(
        &scene,
        store,
        &["prune", "--to", &url, "--keep-days", "7"],
    ));
    assert!(run.stdout.contains("deleted"), "{}", run.stdout);
    assert!(bucket.get(&format!("app/{old}")).is_none());
    assert!(bucket.get(&format!("app/{old}.json")).is_none());
    for key in &foreign {
        assert!(bucket.get(key).is_some(), "{key} was touched");
    }
    assert!(
        bucket.get(&format!("app/{unverified}")).is_none(),
        "an old leftover was kept"
    );
    assert!(
        bucket.get(&format!("app/{recent}")).is_some(),
        "deleted within the grace period"
    );
    assert!(bucket.get(&current).is_some());
}

#[test]
fn wrong_credentials_and_a_missing_bucket_fail_before_any_work() {
    let store = garage::single();
    let scene = Scene::new("ss_pgb_creds");
    let bucket = store.create_bucket("pgb-creds");
    let secret = store.secret_access_key().to_owned();
    let run = cli::run(
        remote_cmd(&scene, store)
            .env("AWS_SECRET_ACCESS_KEY", "wrong-secret-value-123")
            .args(["--to", &bucket.url("app")]),
    );
    assert_eq!(run.code, Some(3), "{}", run.snapshot());
    assert!(
        run.stderr.contains("refused the credentials"),
        "{}",
        run.stderr
    );
    assert!(!run.snapshot().contains("wrong-secret-value-123"));
    assert!(!run.snapshot().contains(&secret));
    assert!(bucket.keys("").is_empty());

    let run = run_remote(
        &scene,
        store,
        &["--to", "s3://no-such-bucket-shipshape/app"],
    );
    assert_eq!(run.code, Some(3), "{}", run.snapshot());
    assert!(run.stderr.contains("does not exist"), "{}", run.stderr);
}

/// A pg_dump wrapper that writes `bytes` of the dump, touches `mark`, then
/// waits `pause` seconds before the rest (time to break something).
fn pausing_pg_dump(scene: &Scene, mark: &Path, bytes: u64, pause: u32, then: &str) -> PathBuf {
    scene.script(
        "pausing.sh",
        &format!(
            "case \"$1\" in --version) exec '{dump}' --version;; esac\n\
             '{dump}' \"$@\" | {{ head -c {bytes}; touch '{mark}'; sleep {pause}; {then}; }}",
            dump = scene.server.program("pg_dump").display(),
            mark = mark.display(),
        ),
    )
}

/// Incompressible-enough data: ~24 MB of hex, a few parts at level 1.
fn big_scene(prefix: &str) -> Scene {
    let scene = Scene::new(prefix);
    scene.db.psql(
        "CREATE TABLE big (id int PRIMARY KEY, payload text);
         INSERT INTO big SELECT i, (SELECT string_agg(md5(random()::text || j), '') FROM generate_series(1, 40) j)
         FROM generate_series(1, 20000) i;",
    );
    scene
}

#[test]
fn pg_dump_killed_or_ctrl_c_mid_upload_leaves_nothing_under_a_final_name() {
    let store = garage::single();
    let bucket = store.create_bucket("pgb-abort");
    let scene = big_scene("ss_pgb_abort");
    let url = bucket.url("app");
    let hook_file = scene.root.path().join("hook.env");
    let hook = scene.script("hook.sh", &format!("env > '{}'", hook_file.display()));
    for case in ["killed", "interrupt"] {
        let mark = scene.root.path().join(format!("{case}.mark"));
        let then = if case == "killed" {
            "kill -9 $$"
        } else {
            "cat"
        };
        let wrapper = pausing_pg_dump(&scene, &mark, 20_000_000, 3, then);
        let child = remote_cmd(&scene, store)
            .args(["--to", &url, "--compress-level", "1", "--pg-dump"])
            .arg(&wrapper)
            .arg("--on-failure")
            .arg(&hook)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        wait_for("the dump to pause", || mark.exists());
        if case == "interrupt" {
            send_signal("INT", child.id(), false);
        }
        let run = Run::from_output(&child.wait_with_output().unwrap());
        let code = if case == "interrupt" { 130 } else { 3 };
        assert_eq!(run.code, Some(code), "{case}: {}", run.snapshot());
        assert!(
            bucket.keys("app/").is_empty(),
            "{case}: {:?}",
            bucket.keys("")
        );
        assert!(
            bucket.incomplete_multipart_uploads().is_empty(),
            "{case}: the upload was not aborted"
        );
        let env = std::fs::read_to_string(&hook_file).unwrap();
        assert!(
            env.contains(&format!("PG_BACKUP_EXIT_CODE={code}")),
            "{env}"
        );
    }
}

#[test]
fn a_damaged_object_fails_verify() {
    let store = garage::single();
    let bucket = store.create_bucket("pgb-damage");
    let scene = Scene::new("ss_pgb_damage");
    let url = bucket.url("app");
    ok(run_remote(&scene, store, &["--to", &url]));
    let object = backup_keys(&bucket, "app").pop().unwrap();
    let good = bucket.get(&object).unwrap();
    let mut flipped = good.clone();
    let middle = flipped.len() / 2;
    flipped[middle] ^= 0x01;
    for (damaged, code) in [
        (flipped, "checksum-mismatch"),
        (good[..good.len() - 100].to_vec(), "size-mismatch"),
    ] {
        bucket.put(&object, damaged);
        let run = run_remote(&scene, store, &["verify", "--to", &url]);
        assert_eq!(run.code, Some(1), "{}", run.snapshot());
        assert!(run.snapshot().contains(code), "{code}: {}", run.snapshot());
    }
}

/// Run a backup to `cluster` through node `endpoint` with a dump that
/// pauses after 20 MB (parts already uploaded), kill node `victim` during
/// the pause, and return the run.
fn backup_losing_a_node(
    scene: &Scene,
    cluster: &Cluster,
    url: &str,
    endpoint: usize,
    victim: usize,
    hook: &Path,
) -> Run {
    let mark = scene.root.path().join(format!("lose-{victim}.mark"));
    let wrapper = pausing_pg_dump(scene, &mark, 20_000_000, 2, "cat");
    let child = remote_cmd(scene, cluster)
        .env("AWS_ENDPOINT_URL", cluster.node_endpoint(endpoint))
        .args(["--to", url, "--compress-level", "1", "--pg-dump"])
        .arg(&wrapper)
        .arg("--on-failure")
        .arg(hook)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    wait_for("the dump to pause", || mark.exists());
    cluster.kill(victim);
    let pid = child.id();
    let run = Run::from_output(&child.wait_with_output().unwrap());
    assert!(!alive(pid));
    run
}

#[test]
fn a_storage_node_lost_mid_upload() {
    let scene = big_scene("ss_pgb_nodes");
    let hook_file = scene.root.path().join("hook.env");
    let hook = scene.script("hook.sh", &format!("env > '{}'", hook_file.display()));

    // A node that is not the endpoint: with replication 3 the upload
    // carries on and the backup completes.
    let cluster = Cluster::start();
    let bucket = cluster.create_bucket("pgb-nodes");
    let url = bucket.url("app");
    let run = backup_losing_a_node(&scene, &cluster, &url, 0, 2, &hook);
    assert_eq!(run.code, Some(0), "{}", run.snapshot());
    assert_eq!(backup_keys(&bucket, "app").len(), 1);
    drop(bucket);
    drop(cluster);

    // The endpoint itself: exit 3, the hook ran, nothing under a final
    // name (seen through a surviving node), and a rerun through a
    // surviving node succeeds.
    let cluster = Cluster::start();
    let bucket = cluster.create_bucket("pgb-endpoint");
    let url = bucket.url("app");
    let run = backup_losing_a_node(&scene, &cluster, &url, 0, 0, &hook);
    assert_eq!(run.code, Some(3), "{}", run.snapshot());
    let env = std::fs::read_to_string(&hook_file).unwrap();
    assert!(env.contains("PG_BACKUP_EXIT_CODE=3"), "{env}");
    let listed = listed_via(&scene, &cluster, &cluster.node_endpoint(1), &url);
    assert!(listed.is_empty(), "an object appeared: {listed:?}");
    let run = cli::run(
        remote_cmd(&scene, &cluster)
            .env("AWS_ENDPOINT_URL", cluster.node_endpoint(1))
            .args(["--to", &url, "--compress-level", "1"]),
    );
    assert_eq!(run.code, Some(0), "{}", run.snapshot());
    let listed = listed_via(&scene, &cluster, &cluster.node_endpoint(2), &url);
    assert_eq!(listed.len(), 1, "{listed:?}");
    assert_eq!(listed[0]["verified"], "verified");
    drop(bucket);
}
