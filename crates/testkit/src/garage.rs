//! A real S3-compatible object store for integration tests: Garage.
//!
//! [`single`] returns the process-wide single-node store, started on first
//! use (about 0.3 s) and stopped by a watchdog when the test process exits,
//! however it exits. [`Cluster::start`] starts a fresh three-node cluster
//! with replication factor 3 that the test owns: it can [`Cluster::kill`]
//! or [`Cluster::stop`] a node, and dropping it stops every node by pid and
//! deletes its directories (the same watchdog covers a test that panics or
//! aborts).
//!
//! The binary is `SHIPSHAPE_GARAGE_BIN`, else
//! `<workspace>/target/tools/garage/bin/garage`, which
//! `scripts/deps/garage.sh` builds (`make test` runs it first).
//!
//! Nodes listen on 127.0.0.1 only, on free ports, with their data and
//! metadata (SQLite) under a unique temporary directory. Tests create
//! uniquely named buckets ([`Garage::create_bucket`]), emptied and deleted
//! when the handle drops, and talk to them with the access key every store
//! has ([`Garage::env`] for a child process such as pg-backup or awscli).
//! The S3 region is [`REGION`]; clients must sign for it.

use std::fs::File;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::ops::Deref;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Mutex, OnceLock, PoisonError};
use std::time::{Duration, Instant};

use futures::TryStreamExt as _;
use object_store::aws::{AmazonS3, AmazonS3Builder};
use object_store::path::Path as ObjectPath;
use object_store::{ClientOptions, ObjectStore as _, ObjectStoreExt as _, RetryConfig};
use rand::Rng as _;

mod http;

/// The S3 region every store is configured with (`s3_region`); requests
/// signed for another region are refused.
pub const REGION: &str = "garage";

/// How long a node may take to come up before the start is a failure.
const START_TIMEOUT: Duration = Duration::from_secs(30);
/// How long a stopped node gets between SIGTERM and SIGKILL.
const STOP_GRACE: Duration = Duration::from_secs(3);

static SINGLE: OnceLock<Garage> = OnceLock::new();

/// The shared single-node store, started on first use and stopped when the
/// test process exits. Panics, naming `scripts/deps/garage.sh`, when the
/// Garage binary is missing.
pub fn single() -> &'static Garage {
    SINGLE.get_or_init(Garage::start_single)
}

/// The Garage binary the harness runs: `SHIPSHAPE_GARAGE_BIN`, else
/// `<workspace>/target/tools/garage/bin/garage`. It may not exist.
pub fn binary() -> PathBuf {
    match std::env::var_os("SHIPSHAPE_GARAGE_BIN").filter(|v| !v.is_empty()) {
        Some(path) => PathBuf::from(path),
        None => crate::cli::workspace_root()
            .join("target")
            .join("tools")
            .join("garage")
            .join("bin")
            .join("garage"),
    }
}

fn require_binary() -> PathBuf {
    let bin = binary();
    assert!(
        bin.is_file(),
        "the Garage binary is not at {}: run scripts/deps/garage.sh (make test runs every \
         scripts/deps/*.sh first), or set SHIPSHAPE_GARAGE_BIN to a garage 2.x binary",
        bin.display()
    );
    bin
}

/// A running Garage store: one node ([`single`]) or the nodes of a
/// [`Cluster`], which dereferences to this.
#[derive(Debug)]
pub struct Garage {
    bin: PathBuf,
    dir: PathBuf,
    nodes: Vec<Node>,
    key_id: String,
    secret: String,
    /// Authenticates the nodes of one store to each other.
    rpc_secret: String,
    watchdog: Mutex<Option<Child>>,
}

/// One `garage server` process and its ports.
#[derive(Debug)]
struct Node {
    dir: PathBuf,
    config: PathBuf,
    rpc_port: u16,
    s3_port: u16,
    admin_port: u16,
    pid: u32,
    child: Mutex<Option<Child>>,
}

impl Garage {
    fn start_single() -> Self {
        let began = Instant::now();
        let mut garage = Self::prepare();
        let node = garage.spawn_node(
            0,
            1,
            &["--single-node", "--default-access-key"],
            &[
                ("GARAGE_DEFAULT_ACCESS_KEY", garage.key_id.as_str()),
                ("GARAGE_DEFAULT_SECRET_KEY", garage.secret.as_str()),
            ],
        );
        garage.nodes.push(node);
        garage.wait_healthy();
        if std::env::var_os("SHIPSHAPE_GARAGE_TIMING").is_some() {
            eprintln!("garage: single node ready in {:?}", began.elapsed());
        }
        garage
    }

    /// The directory, key and watchdog; no node yet.
    fn prepare() -> Self {
        let bin = require_binary();
        let dir = std::env::temp_dir().join(crate::pg::unique_name("shipshape-garage"));
        std::fs::create_dir_all(&dir).expect("create Garage directory");
        let watchdog = spawn_watchdog(&dir);
        Self {
            bin,
            dir,
            nodes: Vec::new(),
            // Garage's own format: GK + 24 hex digits, and a 64-digit secret.
            key_id: format!("GK{}", random_hex(12)),
            secret: random_hex(32),
            rpc_secret: random_hex(32),
            watchdog: Mutex::new(watchdog),
        }
    }

    /// Write node `index`'s configuration and start it; retried with other
    /// ports when one of the free ports was taken in the meantime.
    fn spawn_node(
        &self,
        index: usize,
        replication_factor: usize,
        args: &[&str],
        envs: &[(&str, &str)],
    ) -> Node {
        let dir = self.dir.join(format!("node{index}"));
        let mut attempt = 0;
        loop {
            attempt += 1;
            let node = Node::spawn(
                &self.bin,
                &dir,
                replication_factor,
                &self.rpc_secret,
                args,
                envs,
            );
            // Recorded before anything can fail: the watchdog kills these pids.
            append_pid(&self.dir, node.pid);
            match node.wait_listening() {
                Ok(()) => return node,
                Err(log) if attempt < 3 && log.contains("in use") => node.kill(),
                Err(log) => {
                    node.kill();
                    panic!("garage node {index} did not start:\n{log}");
                }
            }
        }
    }

    /// Wait until every running node's admin `/health` says the cluster is
    /// fully operational (all partitions have all their nodes).
    fn wait_healthy(&self) {
        let deadline = Instant::now() + START_TIMEOUT;
        for (i, node) in self.nodes.iter().enumerate() {
            loop {
                let health = http::get(node.admin_addr(), "/health");
                if let Ok(response) = &health
                    && response.status == 200
                    && response.body.contains("fully operational")
                {
                    break;
                }
                assert!(
                    Instant::now() < deadline,
                    "garage node {i} not healthy after {START_TIMEOUT:?} ({health:?}):\n{}",
                    node.log()
                );
                std::thread::sleep(Duration::from_millis(20));
            }
        }
    }

    /// The S3 API endpoint, `http://127.0.0.1:PORT` (node 0's in a cluster).
    pub fn endpoint(&self) -> String {
        self.nodes[0].endpoint()
    }

    /// The S3 region, [`REGION`].
    pub fn region(&self) -> &'static str {
        REGION
    }

    /// The access key ID, allowed to read, write and own every bucket
    /// [`Self::create_bucket`] makes.
    pub fn access_key_id(&self) -> &str {
        &self.key_id
    }

    /// The secret of [`Self::access_key_id`].
    pub fn secret_access_key(&self) -> &str {
        &self.secret
    }

    /// The environment for a child process that talks S3 to this store:
    /// `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_REGION`,
    /// `AWS_ENDPOINT_URL`, plus `AWS_DEFAULT_REGION` (the one awscli 1.x
    /// reads) and `AWS_ALLOW_HTTP=true` (object_store's
    /// `AmazonS3Builder::from_env` refuses an `http://` endpoint without it).
    pub fn env(&self) -> Vec<(String, String)> {
        [
            ("AWS_ACCESS_KEY_ID", self.key_id.clone()),
            ("AWS_SECRET_ACCESS_KEY", self.secret.clone()),
            ("AWS_REGION", REGION.to_owned()),
            ("AWS_ENDPOINT_URL", self.endpoint()),
            ("AWS_DEFAULT_REGION", REGION.to_owned()),
            ("AWS_ALLOW_HTTP", "true".to_owned()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect()
    }

    /// The store's directory: each node's `nodeN/garage.toml` and
    /// `nodeN/garage.log` (for a failing test to show), data and metadata.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Set [`Self::env`] on a command.
    pub fn apply_env(&self, cmd: &mut Command) {
        cmd.envs(self.env());
    }

    /// A new, empty bucket with a unique name starting with `prefix`
    /// (lower-cased; `_` becomes `-`), which the access key may read, write
    /// and own. Emptied and deleted when the handle drops.
    pub fn create_bucket(&self, prefix: &str) -> TestBucket<'_> {
        let name = bucket_name(prefix);
        self.cli(&["bucket", "create", &name]);
        self.cli(&[
            "bucket",
            "allow",
            "--read",
            "--write",
            "--owner",
            &name,
            "--key",
            &self.key_id,
        ]);
        TestBucket::new(self, name)
    }

    /// Run the garage CLI against the first node that is still running;
    /// returns stdout. Panics with the CLI's output on failure.
    fn cli(&self, args: &[&str]) -> String {
        match self.try_cli(args) {
            Ok(stdout) => stdout,
            Err(error) => panic!("garage {}: {error}", args.join(" ")),
        }
    }

    fn try_cli(&self, args: &[&str]) -> Result<String, String> {
        let node = self
            .nodes
            .iter()
            .find(|n| n.running())
            .ok_or("no garage node is running")?;
        node.cli(&self.bin, args)
    }

    /// Stop every node (SIGTERM to all, SIGKILL to those still up after the
    /// grace period), delete the directory and end the watchdog.
    fn shutdown(&self) {
        for node in &self.nodes {
            node.terminate();
        }
        let deadline = Instant::now() + STOP_GRACE;
        for node in &self.nodes {
            node.reap(deadline);
        }
        let _ = std::fs::remove_dir_all(&self.dir);
        let watchdog = self
            .watchdog
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        if let Some(mut watchdog) = watchdog {
            let _ = watchdog.kill();
            let _ = watchdog.wait();
        }
    }
}

/// A three-node Garage cluster with replication factor 3 (consistent mode:
/// reads and writes need two of the three), owned by the test: dropping it
/// stops every node and deletes its data. Dereferences to [`Garage`] for
/// the endpoint (node 0's), credentials and buckets.
#[derive(Debug)]
pub struct Cluster {
    garage: Garage,
}

impl Cluster {
    /// The number of nodes.
    pub const NODES: usize = 3;

    /// Start the nodes, connect them, apply a layout giving each 1 GB in
    /// zone dc1, import the access key, and wait until all report healthy.
    pub fn start() -> Self {
        let began = Instant::now();
        // Wrapped at once, so a failure below still stops the nodes.
        let mut cluster = Self {
            garage: Garage::prepare(),
        };
        for i in 0..Self::NODES {
            let node = cluster.garage.spawn_node(i, Self::NODES, &[], &[]);
            cluster.garage.nodes.push(node);
        }
        cluster.join();
        cluster.wait_healthy();
        if std::env::var_os("SHIPSHAPE_GARAGE_TIMING").is_some() {
            eprintln!("garage: cluster of 3 ready in {:?}", began.elapsed());
        }
        cluster
    }

    fn join(&self) {
        let g = &self.garage;
        let ids: Vec<String> = g
            .nodes
            .iter()
            .map(|node| {
                let id = node
                    .cli(&g.bin, &["node", "id", "-q"])
                    .unwrap_or_else(|e| panic!("garage node id: {e}"));
                id.trim().to_owned()
            })
            .collect();
        for id in &ids[1..] {
            retry(|| g.try_cli(&["node", "connect", id]));
        }
        let mut assign = vec!["layout", "assign", "-z", "dc1", "-c", "1G"];
        assign.extend(
            ids.iter()
                .map(|id| id.split('@').next().unwrap_or_default()),
        );
        retry(|| g.try_cli(&assign));
        g.cli(&["layout", "apply", "--version", "1"]);
        g.cli(&[
            "key",
            "import",
            "--yes",
            "-n",
            "shipshape-tests",
            &g.key_id,
            &g.secret,
        ]);
    }

    /// The S3 API endpoint of node `i`.
    pub fn node_endpoint(&self, i: usize) -> String {
        self.garage.nodes[i].endpoint()
    }

    /// The number of nodes, [`Self::NODES`].
    pub fn node_count(&self) -> usize {
        self.garage.nodes.len()
    }

    /// The process id node `i` runs (ran) as.
    pub fn pid(&self, i: usize) -> u32 {
        self.garage.nodes[i].pid
    }

    /// Whether node `i` is still running (not killed or stopped here).
    pub fn is_running(&self, i: usize) -> bool {
        self.garage.nodes[i].running()
    }

    /// SIGKILL node `i` now, as a crash would, and reap it.
    pub fn kill(&self, i: usize) {
        self.garage.nodes[i].kill();
    }

    /// Stop node `i`: SIGTERM, then SIGKILL if it is still running after 3 s
    /// (a node whose peers are gone may not exit on SIGTERM).
    pub fn stop(&self, i: usize) {
        let node = &self.garage.nodes[i];
        node.terminate();
        node.reap(Instant::now() + STOP_GRACE);
    }
}

impl Deref for Cluster {
    type Target = Garage;

    fn deref(&self) -> &Garage {
        &self.garage
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        self.garage.shutdown();
    }
}

/// Run a CLI step that can fail while the nodes find each other.
fn retry(mut step: impl FnMut() -> Result<String, String>) -> String {
    let deadline = Instant::now() + START_TIMEOUT;
    loop {
        match step() {
            Ok(out) => return out,
            Err(error) if Instant::now() > deadline => panic!("garage: {error}"),
            Err(_) => std::thread::sleep(Duration::from_millis(50)),
        }
    }
}

impl Node {
    fn spawn(
        bin: &Path,
        dir: &Path,
        replication_factor: usize,
        rpc_secret: &str,
        args: &[&str],
        envs: &[(&str, &str)],
    ) -> Self {
        std::fs::create_dir_all(dir.join("meta")).expect("create Garage metadata dir");
        std::fs::create_dir_all(dir.join("data")).expect("create Garage data dir");
        let (rpc_port, s3_port, admin_port) = (free_port(), free_port(), free_port());
        let config = dir.join("garage.toml");
        let quoted = |p: PathBuf| serde_json::to_string(&p.display().to_string()).expect("path");
        std::fs::write(
            &config,
            format!(
                "# A throwaway shipshape test node.\n\
                 metadata_dir = {meta}\n\
                 data_dir = {data}\n\
                 db_engine = \"sqlite\"\n\
                 metadata_fsync = false\n\
                 data_fsync = false\n\
                 replication_factor = {replication_factor}\n\
                 consistency_mode = \"consistent\"\n\
                 rpc_bind_addr = \"127.0.0.1:{rpc_port}\"\n\
                 rpc_public_addr = \"127.0.0.1:{rpc_port}\"\n\
                 rpc_secret = \"{rpc_secret}\"\n\
                 \n\
                 [s3_api]\n\
                 api_bind_addr = \"127.0.0.1:{s3_port}\"\n\
                 s3_region = \"{REGION}\"\n\
                 root_domain = \".s3.garage.localhost\"\n\
                 \n\
                 [admin]\n\
                 api_bind_addr = \"127.0.0.1:{admin_port}\"\n",
                meta = quoted(dir.join("meta")),
                data = quoted(dir.join("data")),
            ),
        )
        .expect("write garage.toml");
        let log = File::create(dir.join("garage.log")).expect("create garage.log");
        let child = garage_command(bin, &config)
            .arg("server")
            .args(args)
            .envs(envs.iter().copied())
            .current_dir(dir)
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("garage.log"))
            .stderr(log)
            .spawn()
            .unwrap_or_else(|e| panic!("run {}: {e}", bin.display()));
        Self {
            dir: dir.to_owned(),
            config,
            rpc_port,
            s3_port,
            admin_port,
            pid: child.id(),
            child: Mutex::new(Some(child)),
        }
    }

    /// Wait until the RPC, S3 and admin ports accept connections; the log
    /// if the process exits first or the wait times out.
    fn wait_listening(&self) -> Result<(), String> {
        let deadline = Instant::now() + START_TIMEOUT;
        for port in [self.rpc_port, self.s3_port, self.admin_port] {
            let addr = SocketAddr::from(([127, 0, 0, 1], port));
            while TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_err() {
                if !self.running() {
                    return Err(self.log());
                }
                if Instant::now() > deadline {
                    return Err(format!("port {port} not listening\n{}", self.log()));
                }
                std::thread::sleep(Duration::from_millis(10));
            }
        }
        Ok(())
    }

    fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.s3_port)
    }

    fn s3_addr(&self) -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], self.s3_port))
    }

    fn admin_addr(&self) -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], self.admin_port))
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("garage.log")).unwrap_or_default()
    }

    fn cli(&self, bin: &Path, args: &[&str]) -> Result<String, String> {
        let output = garage_command(bin, &self.config)
            .args(args)
            .stdin(Stdio::null())
            .output()
            .map_err(|e| format!("run {}: {e}", bin.display()))?;
        if output.status.success() {
            Ok(String::from_utf8_lossy(&output.stdout).into_owned())
        } else {
            Err(format!(
                "{}\n{}{}",
                output.status,
                String::from_utf8_lossy(&output.stdout),
                String::from_utf8_lossy(&output.stderr)
            ))
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Option<Child>> {
        self.child.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Running, i.e. neither reaped here nor exited.
    fn running(&self) -> bool {
        let mut child = self.lock();
        match child.as_mut().map(Child::try_wait) {
            Some(Ok(None)) => true,
            Some(_) => {
                *child = None;
                false
            }
            None => false,
        }
    }

    fn kill(&self) {
        if let Some(mut child) = self.lock().take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Send SIGTERM (by pid, as `kill` would), if still running.
    fn terminate(&self) {
        if self.running() {
            let _ = Command::new("kill")
                .args(["-TERM", &self.pid.to_string()])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status();
        }
    }

    /// Wait for the process to exit until `deadline`, then SIGKILL it.
    fn reap(&self, deadline: Instant) {
        let mut guard = self.lock();
        let Some(child) = guard.as_mut() else { return };
        while Instant::now() < deadline {
            if !matches!(child.try_wait(), Ok(None)) {
                *guard = None;
                return;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        let _ = child.kill();
        let _ = child.wait();
        *guard = None;
    }
}

/// `garage -c <config>` with a clean environment: nothing inherited (no
/// `GARAGE_RPC_HOST`, `RUST_LOG` …), logs at `warn`.
fn garage_command(bin: &Path, config: &Path) -> Command {
    let mut cmd = Command::new(bin);
    cmd.env_clear()
        .env("RUST_LOG", "garage=warn")
        .env("NO_COLOR", "1")
        .arg("-c")
        .arg(config);
    cmd
}

/// A bucket made by [`Garage::create_bucket`]. Keys must be valid
/// object_store paths (no empty segments, no leading or trailing `/`).
/// Every method panics on an S3 error. Dropping it aborts its multipart
/// uploads, deletes its objects and the bucket, best effort.
#[derive(Debug)]
pub struct TestBucket<'a> {
    garage: &'a Garage,
    name: String,
    runtime: tokio::runtime::Runtime,
    store: AmazonS3,
}

impl<'a> TestBucket<'a> {
    fn new(garage: &'a Garage, name: String) -> Self {
        // Its own runtime: reqwest's connection pool belongs to the runtime
        // it was made on, and a test may hold several buckets at once.
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("tokio runtime");
        let store = AmazonS3Builder::new()
            // First: it replaces every client option set before it
            // (allow_http included).
            .with_client_options(
                ClientOptions::new()
                    .with_connect_timeout(Duration::from_secs(2))
                    .with_timeout(Duration::from_secs(30)),
            )
            .with_endpoint(garage.endpoint())
            .with_region(REGION)
            .with_bucket_name(&name)
            .with_access_key_id(&garage.key_id)
            .with_secret_access_key(&garage.secret)
            .with_allow_http(true)
            // A killed node must not turn a test into minutes of retries.
            .with_retry(RetryConfig {
                max_retries: 2,
                retry_timeout: Duration::from_secs(10),
                ..RetryConfig::default()
            })
            .build()
            .expect("object_store client for Garage");
        Self {
            garage,
            name,
            runtime,
            store,
        }
    }

    /// The bucket's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// `s3://<bucket>/<prefix>`, as the tools take it.
    pub fn url(&self, prefix: &str) -> String {
        format!("s3://{}/{prefix}", self.name)
    }

    /// Write an object.
    pub fn put(&self, key: &str, bytes: impl AsRef<[u8]>) {
        let payload = bytes.as_ref().to_vec();
        self.runtime
            .block_on(self.store.put(&object_path(key), payload.into()))
            .unwrap_or_else(|e| panic!("put s3://{}/{key}: {e}", self.name));
    }

    /// An object's contents, `None` when there is no such key.
    pub fn get(&self, key: &str) -> Option<Vec<u8>> {
        let read = self.runtime.block_on(async {
            let result = self.store.get(&object_path(key)).await?;
            result.bytes().await
        });
        match read {
            Ok(bytes) => Some(bytes.to_vec()),
            Err(object_store::Error::NotFound { .. }) => None,
            Err(e) => panic!("get s3://{}/{key}: {e}", self.name),
        }
    }

    /// The keys starting with `prefix` (a plain string prefix, as S3's), sorted.
    pub fn keys(&self, prefix: &str) -> Vec<String> {
        self.try_keys(prefix)
            .unwrap_or_else(|e| panic!("list s3://{}/{prefix}: {e}", self.name))
    }

    fn try_keys(&self, prefix: &str) -> object_store::Result<Vec<String>> {
        // object_store lists whole path segments: ask for the directory
        // holding the prefix, then filter.
        let dir = prefix.rsplit_once('/').map(|(dir, _)| dir);
        let dir = dir.filter(|d| !d.is_empty()).map(object_path);
        let listed: Vec<_> = self
            .runtime
            .block_on(self.store.list(dir.as_ref()).try_collect())?;
        let mut keys: Vec<String> = listed
            .into_iter()
            .map(|meta| meta.location.to_string())
            .filter(|key| key.starts_with(prefix))
            .collect();
        keys.sort();
        Ok(keys)
    }

    /// Delete an object (no error when it does not exist).
    pub fn delete(&self, key: &str) {
        self.runtime
            .block_on(self.store.delete(&object_path(key)))
            .unwrap_or_else(|e| panic!("delete s3://{}/{key}: {e}", self.name));
    }

    /// Start a multipart upload of `key` with one part and leave it
    /// unfinished, as a writer that crashed would: for tests of what
    /// cleans such uploads up.
    pub fn start_multipart_upload(&self, key: &str) {
        self.runtime
            .block_on(async {
                let mut upload = self.store.put_multipart(&object_path(key)).await?;
                upload.put_part(b"part one".to_vec().into()).await
            })
            .unwrap_or_else(|e| panic!("multipart upload s3://{}/{key}: {e}", self.name));
    }

    /// The keys of the multipart uploads in progress (started, neither
    /// completed nor aborted), sorted: an interrupted upload must leave none.
    pub fn incomplete_multipart_uploads(&self) -> Vec<String> {
        let uploads = self
            .uploads()
            .unwrap_or_else(|e| panic!("list multipart uploads in {}: {e}", self.name));
        let mut keys: Vec<String> = uploads.into_iter().map(|u| u.key).collect();
        keys.sort();
        keys
    }

    fn uploads(&self) -> std::io::Result<Vec<http::Upload>> {
        http::list_multipart_uploads(
            self.garage.nodes[0].s3_addr(),
            &self.name,
            &self.credentials(),
        )
    }

    fn credentials(&self) -> http::Credentials<'_> {
        http::Credentials {
            key_id: &self.garage.key_id,
            secret: &self.garage.secret,
            region: REGION,
        }
    }
}

impl Drop for TestBucket<'_> {
    fn drop(&mut self) {
        // Best effort: the store is thrown away with the test process anyway.
        if !self.garage.nodes[0].running() {
            return;
        }
        let addr = self.garage.nodes[0].s3_addr();
        for upload in self.uploads().unwrap_or_default() {
            let _ = http::abort_multipart_upload(addr, &self.name, &upload, &self.credentials());
        }
        for key in self.try_keys("").unwrap_or_default() {
            let _ = self.runtime.block_on(self.store.delete(&object_path(&key)));
        }
        let _ = self
            .garage
            .try_cli(&["bucket", "delete", "--yes", &self.name]);
    }
}

fn object_path(key: &str) -> ObjectPath {
    ObjectPath::parse(key).unwrap_or_else(|e| panic!("S3 key {key:?}: {e}"))
}

/// A valid, unique S3 bucket name: `<prefix>-<pid>-<n>-<random>`, lower
/// case letters, digits and `-`, at most 63 characters.
fn bucket_name(prefix: &str) -> String {
    let unique = crate::pg::unique_name("x");
    let suffix = unique.trim_start_matches("x_").replace('_', "-");
    let mut prefix: String = prefix
        .chars()
        .map(|c| c.to_ascii_lowercase())
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    prefix = prefix.trim_matches('-').to_owned();
    if prefix.is_empty() {
        prefix = "test".into();
    }
    prefix.truncate(62 - suffix.len());
    let prefix = prefix.trim_end_matches('-');
    format!("{prefix}-{suffix}")
}

fn random_hex(bytes: usize) -> String {
    let mut rng = rand::rng();
    (0..bytes)
        .map(|_| format!("{:02x}", rng.random::<u8>()))
        .collect()
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("find a free port")
}

/// Record a server pid for the watchdog (`<dir>/pids`, one a line).
fn append_pid(dir: &Path, pid: u32) {
    use std::io::Write as _;
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(dir.join("pids"))
        .expect("open pids file");
    writeln!(file, "{pid}").expect("write pids file");
}

/// A detached shell that waits for this process to exit, then SIGKILLs the
/// store's servers by pid (each pid in `<dir>/pids`, only if that process
/// still runs with a command line naming `<dir>`, so a reused pid is safe)
/// and removes the directory. Detached with setsid so Ctrl-C on the test
/// run does not kill it before it has cleaned up. `Drop` of a [`Cluster`]
/// does all this itself and ends the watchdog.
fn spawn_watchdog(dir: &Path) -> Option<Child> {
    let script = format!(
        "while kill -0 {pid} 2>/dev/null; do sleep 0.5; done; cd /; \
         for p in $(cat '{dir}/pids' 2>/dev/null); do \
           tr '\\0' ' ' </proc/$p/cmdline 2>/dev/null | grep -qF '{dir}/' && kill -KILL $p 2>/dev/null; \
         done; rm -rf '{dir}'",
        pid = std::process::id(),
        dir = dir.display()
    );
    let spawned = Command::new("setsid")
        .args(["sh", "-c", &script])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn();
    match spawned {
        Ok(child) => Some(child),
        Err(_) => {
            let _ = Command::new("sh")
                .args(["-c", &format!("( {script} ) &")])
                .spawn();
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bucket_names_are_valid_and_unique() {
        let a = bucket_name("pg_backup");
        let b = bucket_name("pg_backup");
        assert_ne!(a, b);
        for name in [a, b, bucket_name("__"), bucket_name(&"Long".repeat(40))] {
            assert!((3..=63).contains(&name.len()), "{name}");
            assert!(
                name.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'),
                "{name}"
            );
            assert!(!name.starts_with('-') && !name.ends_with('-'), "{name}");
        }
        assert!(bucket_name("pg_backup").starts_with("pg-backup-"));
    }

    #[test]
    fn binary_defaults_to_the_workspace_tools_dir() {
        if std::env::var_os("SHIPSHAPE_GARAGE_BIN").is_none() {
            assert!(binary().ends_with("target/tools/garage/bin/garage"));
        }
    }
}
