//! The Garage harness itself: a single node and a three-node cluster
//! answer S3 through object_store and child processes, survive the loss of
//! one node, and leave no process behind.

use std::process::Command;
use std::time::Instant;

use shipshape_testkit::cli;
use shipshape_testkit::garage::{self, Cluster};

fn alive(pid: u32) -> bool {
    Command::new("kill")
        .args(["-0", &pid.to_string()])
        .stderr(std::process::Stdio::null())
        .status()
        .unwrap()
        .success()
}

#[test]
fn single_node_put_get_list_delete_round_trip() {
    let store = garage::single();
    assert!(store.endpoint().starts_with("http://127.0.0.1:"));
    assert_eq!(store.region(), "garage");
    let bucket = store.create_bucket("round_trip");
    assert!(
        bucket.name().starts_with("round-trip-"),
        "{}",
        bucket.name()
    );
    assert_eq!(bucket.url("app"), format!("s3://{}/app", bucket.name()));

    bucket.put("app/2026/b.dump", b"second");
    bucket.put("app/2026/a.dump", b"first");
    bucket.put("apple", vec![0u8; 3 << 20]);
    bucket.put("other/x", "x");
    assert_eq!(
        bucket.get("app/2026/a.dump").as_deref(),
        Some(&b"first"[..])
    );
    assert_eq!(bucket.get("apple").map(|b| b.len()), Some(3 << 20));
    assert_eq!(bucket.get("app/2026/missing"), None);
    assert_eq!(bucket.keys("app/"), ["app/2026/a.dump", "app/2026/b.dump"]);
    assert_eq!(
        bucket.keys("app"),
        ["app/2026/a.dump", "app/2026/b.dump", "apple"],
        "a plain string prefix, as S3's"
    );
    assert_eq!(bucket.keys("app/2026/b"), ["app/2026/b.dump"]);
    assert_eq!(bucket.keys("").len(), 4);

    bucket.delete("app/2026/a.dump");
    bucket.delete("app/2026/never-existed");
    assert_eq!(bucket.get("app/2026/a.dump"), None);
    assert_eq!(bucket.keys("app/"), ["app/2026/b.dump"]);

    // Buckets are separate: another one sees none of this.
    let other = store.create_bucket("round_trip");
    assert_ne!(other.name(), bucket.name());
    assert!(other.keys("").is_empty());
}

#[test]
fn single_node_lists_unfinished_multipart_uploads() {
    let bucket = garage::single().create_bucket("multipart");
    assert!(bucket.incomplete_multipart_uploads().is_empty());
    bucket.start_multipart_upload("app/crashed.dump");
    bucket.start_multipart_upload("app/also crashed & odd.dump");
    assert_eq!(
        bucket.incomplete_multipart_uploads(),
        ["app/also crashed & odd.dump", "app/crashed.dump"]
    );
    assert!(
        bucket.keys("").is_empty(),
        "an unfinished upload is no object"
    );
}

#[test]
fn a_bucket_is_deleted_with_its_objects_and_uploads_on_drop() {
    let store = garage::single();
    let name = {
        let bucket = store.create_bucket("dropped");
        bucket.put("a/b", b"x");
        bucket.start_multipart_upload("a/c");
        bucket.name().to_owned()
    };
    let mut ls = Command::new(garage::binary());
    ls.arg("-c")
        .arg(store.dir().join("node0").join("garage.toml"))
        .args(["bucket", "list"]);
    let out = cli::run(&mut ls);
    assert_eq!(out.code, Some(0), "{}", out.snapshot());
    assert!(!out.stdout.contains(&name), "{}", out.stdout);
}

/// awscli from `scripts/deps/awscli.sh`, when installed.
fn aws() -> Option<std::path::PathBuf> {
    let aws = cli::workspace_root().join("target/venv-awscli/bin/aws");
    if aws.is_file() {
        Some(aws)
    } else {
        eprintln!(
            "note: {} missing (scripts/deps/awscli.sh installs it); skipped",
            aws.display()
        );
        None
    }
}

#[test]
fn env_is_enough_for_a_child_s3_client() {
    let Some(aws) = aws() else { return };
    let store = garage::single();
    let bucket = store.create_bucket("env");
    let mut cp = cli::command(&aws);
    cp.envs(store.env())
        .args(["s3", "cp", "-", &bucket.url("app/from-stdin")]);
    let run = cli::run_with_stdin(&mut cp, "piped through awscli\n");
    assert_eq!(run.code, Some(0), "{}", run.snapshot());
    assert_eq!(
        bucket.get("app/from-stdin").as_deref(),
        Some(&b"piped through awscli\n"[..])
    );
}

#[test]
fn cluster_keeps_reading_and_writing_without_one_node() {
    let began = Instant::now();
    let cluster = Cluster::start();
    eprintln!("cluster of 3 started in {:?}", began.elapsed());
    assert_eq!(cluster.node_count(), 3);
    assert_eq!(cluster.endpoint(), cluster.node_endpoint(0));
    let bucket = cluster.create_bucket("cluster");
    bucket.put("app/before", b"written by three");

    let pid = cluster.pid(2);
    assert!(alive(pid));
    cluster.kill(2);
    assert!(!alive(pid), "node 2 (pid {pid}) still runs after kill");
    assert!(!cluster.is_running(2));

    bucket.put("app/after", b"written by two");
    assert_eq!(
        bucket.get("app/before").as_deref(),
        Some(&b"written by three"[..])
    );
    assert_eq!(
        bucket.get("app/after").as_deref(),
        Some(&b"written by two"[..])
    );
    assert_eq!(bucket.keys("app/"), ["app/after", "app/before"]);
}

#[test]
fn cluster_stops_by_pid_and_leaves_nothing_behind() {
    let cluster = Cluster::start();
    let pids: Vec<u32> = (0..cluster.node_count()).map(|i| cluster.pid(i)).collect();
    let dir = cluster.dir().to_owned();
    assert!(pids.iter().all(|&pid| alive(pid)));

    let began = Instant::now();
    cluster.stop(1);
    eprintln!("node 1 stopped in {:?}", began.elapsed());
    assert!(!alive(pids[1]));
    assert!(cluster.is_running(0) && cluster.is_running(2));

    let bucket = cluster.create_bucket("stopped");
    bucket.put("k", b"v");
    drop(bucket);
    let began = Instant::now();
    drop(cluster);
    eprintln!("cluster dropped in {:?}", began.elapsed());
    for pid in pids {
        assert!(
            !alive(pid),
            "pid {pid} still runs after the cluster dropped"
        );
    }
    assert!(!dir.exists(), "{} left behind", dir.display());
}
