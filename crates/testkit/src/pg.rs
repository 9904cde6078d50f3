//! A real PostgreSQL for integration tests.
//!
//! [`server`] returns the process-wide test server: the one `DATABASE_URL`
//! names, or else a throwaway cluster of PostgreSQL [`DEFAULT_MAJOR`] (the
//! example stack's version) from `target/pg/<major>/bin`, which
//! `scripts/deps/postgres.sh` installs; `SHIPSHAPE_TEST_PG_MAJOR` picks
//! another installed major (or `system` for Debian's). Without that install
//! it falls back, saying so, to the newest `/usr/lib/postgresql/*/bin`.
//! [`server_of`] starts a cluster of one given major for the cross-version
//! tests.
//!
//! Clusters listen on a free port and a private socket directory, with
//! scram-sha-256 passwords so authentication failures are testable. Running
//! as root, a cluster runs as the unprivileged `postgres` user (PostgreSQL
//! refuses root). A detached watchdog stops it and deletes its directory
//! when the test process exits, however it exits.
//!
//! Tests create uniquely named databases ([`TestServer::create_database`])
//! and roles, which are dropped when the handles drop. Nothing else on the
//! server is touched.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Mutex, OnceLock};

use rand::Rng as _;

/// The server the tests run against.
#[derive(Debug)]
pub struct TestServer {
    pub host: String,
    pub port: u16,
    pub user: String,
    pub password: Option<String>,
    /// Directory of psql/pg_dump/pg_restore matching (or newer than) the server.
    pub bin_dir: PathBuf,
    /// True when the server checks passwords (always for our own cluster).
    pub auth_enforced: bool,
    /// True when this process started the cluster.
    pub owned: bool,
}

/// The major version the tests run on by default: the example stack's.
pub const DEFAULT_MAJOR: u32 = 17;

/// Every major version the tools support (and `scripts/deps/postgres.sh`
/// installs), oldest first.
pub const SUPPORTED_MAJORS: [u32; 5] = [14, 15, 16, 17, 18];

static SERVER: OnceLock<TestServer> = OnceLock::new();
static BY_MAJOR: Mutex<Vec<(u32, &'static TestServer)>> = Mutex::new(Vec::new());
static COUNTER: AtomicU32 = AtomicU32::new(0);

/// The shared test server, started on first use.
pub fn server() -> &'static TestServer {
    SERVER.get_or_init(|| match database_url() {
        Some(url) => TestServer::from_url(&url),
        None => TestServer::start_cluster(default_server_bin_dir()),
    })
}

/// A throwaway cluster of PostgreSQL `major` from `target/pg/<major>/bin`,
/// started on first use and shared by the process (one per major). Ignores
/// `DATABASE_URL`: the cross-version tests need each version itself. Panics
/// with the command to run when that major is not installed.
pub fn server_of(major: u32) -> &'static TestServer {
    if database_url().is_none() && default_major() == Some(major) && installed(major).is_some() {
        return server();
    }
    // Held while the cluster starts: at most one initdb at a time.
    let mut started = BY_MAJOR
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if let Some((_, server)) = started.iter().find(|(m, _)| *m == major) {
        return server;
    }
    let bin_dir = installed(major).unwrap_or_else(|| panic!("{}", not_installed(major)));
    let server: &'static TestServer = Box::leak(Box::new(TestServer::start_cluster(bin_dir)));
    started.push((major, server));
    server
}

/// `target/pg/<major>/bin` when `scripts/deps/postgres.sh` installed it.
pub fn installed(major: u32) -> Option<PathBuf> {
    let bin = pg_root().join(major.to_string()).join("bin");
    (bin.join("initdb").is_file() && bin.join("pg_ctl").is_file()).then_some(bin)
}

/// Where `scripts/deps/postgres.sh` installs (`<workspace>/target/pg`).
pub fn pg_root() -> PathBuf {
    crate::cli::workspace_root().join("target").join("pg")
}

/// The client bin directory tool commands get first on `PATH`
/// ([`crate::cli::command`]): the default test cluster's, when it is one of
/// ours from `target/pg`, as a user puts their server's version on PATH.
/// `None` with `DATABASE_URL` (the tools' own discovery applies, as today).
pub fn default_client_bin_dir() -> Option<PathBuf> {
    if database_url().is_some() {
        return None;
    }
    default_major().and_then(installed)
}

fn not_installed(major: u32) -> String {
    format!(
        "PostgreSQL {major} is not installed in {}: run scripts/deps/postgres.sh \
         (or scripts/test-deps.sh, as `make test` does)",
        pg_root().join(major.to_string()).display()
    )
}

fn database_url() -> Option<String> {
    std::env::var("DATABASE_URL").ok().filter(|u| !u.is_empty())
}

/// `SHIPSHAPE_TEST_PG_MAJOR` (a number, or `system` for Debian's newest),
/// else [`DEFAULT_MAJOR`]. `None` means the system's binaries.
fn default_major() -> Option<u32> {
    parse_major(std::env::var("SHIPSHAPE_TEST_PG_MAJOR").ok().as_deref())
}

fn parse_major(value: Option<&str>) -> Option<u32> {
    match value.map(str::trim) {
        None | Some("") => Some(DEFAULT_MAJOR),
        Some("system") => None,
        Some(other) => Some(other.parse().unwrap_or_else(|_| {
            panic!("SHIPSHAPE_TEST_PG_MAJOR must be a major version such as 17, or `system`; got {other:?}")
        })),
    }
}

/// The bin directory of the default cluster. An explicit
/// `SHIPSHAPE_TEST_PG_MAJOR` that is not installed is an error; the implicit
/// default falls back to the system's PostgreSQL so a checkout without
/// `scripts/deps/postgres.sh` still tests, and says so once.
fn default_server_bin_dir() -> PathBuf {
    let Some(major) = default_major() else {
        return server_bin_dir();
    };
    if let Some(bin) = installed(major) {
        return bin;
    }
    assert!(
        std::env::var_os("SHIPSHAPE_TEST_PG_MAJOR").is_none(),
        "SHIPSHAPE_TEST_PG_MAJOR={major}: {}",
        not_installed(major)
    );
    let fallback = server_bin_dir();
    eprintln!(
        "note: {}; the tests use the system's PostgreSQL from {} instead",
        not_installed(major),
        fallback.display()
    );
    fallback
}

/// A unique name: `<prefix>_<pid>_<n>_<random>`, lower case, safe unquoted.
pub fn unique_name(prefix: &str) -> String {
    let n = COUNTER.fetch_add(1, Ordering::SeqCst);
    let random: u32 = rand::rng().random_range(0..1_000_000);
    format!("{prefix}_{}_{n}_{random:06}", std::process::id())
}

impl TestServer {
    fn from_url(url: &str) -> Self {
        let rest = url
            .strip_prefix("postgres://")
            .or_else(|| url.strip_prefix("postgresql://"))
            .expect("DATABASE_URL must start with postgres:// or postgresql://");
        let authority = rest.split(['/', '?']).next().unwrap_or_default();
        let (userinfo, hostport) = authority
            .rsplit_once('@')
            .unwrap_or(("postgres", authority));
        let (user, password) = match userinfo.split_once(':') {
            Some((u, p)) => (u.to_owned(), Some(p.to_owned())),
            None => (userinfo.to_owned(), None),
        };
        let (host, port) = match hostport.rsplit_once(':') {
            Some((h, p)) => (h.to_owned(), p.parse().expect("DATABASE_URL port")),
            None => (hostport.to_owned(), 5432),
        };
        let mut server = Self {
            host: if host.is_empty() {
                "localhost".into()
            } else {
                host
            },
            port,
            user: if user.is_empty() {
                "postgres".into()
            } else {
                user
            },
            password,
            bin_dir: client_bin_dir(),
            auth_enforced: false,
            owned: false,
        };
        server.auth_enforced = server.probe_auth_enforced();
        server
    }

    fn start_cluster(bin_dir: PathBuf) -> Self {
        let as_root = is_root();
        let dir = std::env::temp_dir().join(unique_name("shipshape-pg"));
        let data = dir.join("data");
        let socket = dir.join("socket");
        std::fs::create_dir_all(&socket).expect("create cluster dir");
        let password = random_password();
        std::fs::write(dir.join("pwfile"), format!("{password}\n")).expect("write pwfile");
        if as_root {
            let status = Command::new("chown")
                .args(["-R", "postgres:postgres"])
                .arg(&dir)
                .status();
            assert!(
                status.is_ok_and(|s| s.success()),
                "running tests as root needs a 'postgres' system user to run the throwaway cluster \
                 (PostgreSQL refuses to run as root): apt-get install postgresql creates it"
            );
        }
        let pwfile = dir.join("pwfile");
        let initdb = run_as_pg(
            as_root,
            Command::new(bin_dir.join("initdb"))
                .args([
                    "-U",
                    "postgres",
                    "--auth=scram-sha-256",
                    "-E",
                    "UTF8",
                    "--locale=C",
                    "--no-sync",
                ])
                .arg(format!("--pwfile={}", pwfile.display()))
                .arg("-D")
                .arg(&data),
        );
        assert!(
            initdb.status.success(),
            "initdb failed:\n{}",
            String::from_utf8_lossy(&initdb.stderr)
        );

        let port = free_port();
        let options = format!(
            "-p {port} -k {} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off \
             -c full_page_writes=off -c max_connections=300",
            socket.display()
        );
        let start = run_as_pg(
            as_root,
            Command::new(bin_dir.join("pg_ctl"))
                .arg("-D")
                .arg(&data)
                .arg("-l")
                .arg(dir.join("server.log"))
                .args(["-w", "-t", "60", "-o", &options, "start"]),
        );
        assert!(
            start.status.success(),
            "pg_ctl start failed:\n{}\n{}",
            String::from_utf8_lossy(&start.stderr),
            std::fs::read_to_string(dir.join("server.log")).unwrap_or_default()
        );
        spawn_watchdog(&bin_dir, &data, &dir, as_root);
        Self {
            host: "127.0.0.1".into(),
            port,
            user: "postgres".into(),
            password: Some(password),
            bin_dir,
            auth_enforced: true,
            owned: true,
        }
    }

    /// A connection URL for `database` (includes the password: give it to the
    /// tool under test through `DATABASE_URL`, not argv).
    pub fn url(&self, database: &str) -> String {
        self.url_as(&self.user, self.password.as_deref(), database)
    }

    /// A URL for another role.
    pub fn url_as(&self, user: &str, password: Option<&str>, database: &str) -> String {
        let userinfo = match password {
            Some(p) => format!("{user}:{}", encode(p)),
            None => user.to_owned(),
        };
        format!(
            "postgres://{userinfo}@{}:{}/{database}",
            self.host, self.port
        )
    }

    /// A program from the client bin directory (psql, pg_dump …).
    pub fn program(&self, name: &str) -> PathBuf {
        self.bin_dir.join(name)
    }

    /// The server's major version (`server_version_num` / 10000).
    pub fn major(&self) -> u32 {
        let num = self.psql("postgres", "SHOW server_version_num");
        num.parse::<u32>()
            .unwrap_or_else(|_| panic!("server_version_num {num:?}"))
            / 10_000
    }

    /// Run SQL with psql as the admin user in `database`; returns unaligned,
    /// tuples-only output. Panics on failure.
    pub fn psql(&self, database: &str, sql: &str) -> String {
        let output = self.psql_output(database, sql);
        assert!(
            output.status.success(),
            "psql failed in {database}: {}\nSQL: {sql}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8_lossy(&output.stdout)
            .trim_end()
            .to_owned()
    }

    /// Run SQL with psql and return the raw output, success or not.
    pub fn psql_output(&self, database: &str, sql: &str) -> std::process::Output {
        self.psql_command(database)
            .args(["-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-c", sql])
            .output()
            .expect("run psql")
    }

    /// A psql command connected to `database` as the admin (password in the environment).
    pub fn psql_command(&self, database: &str) -> Command {
        let mut cmd = Command::new(self.program("psql"));
        self.apply_env(&mut cmd, database);
        cmd
    }

    /// Set PG* variables on a command so it connects to `database` here.
    pub fn apply_env(&self, cmd: &mut Command, database: &str) {
        cmd.env("PGHOST", &self.host)
            .env("PGPORT", self.port.to_string())
            .env("PGUSER", &self.user)
            .env("PGDATABASE", database)
            .env_remove("PGSERVICE");
        match &self.password {
            Some(p) => cmd.env("PGPASSWORD", p),
            None => cmd.env_remove("PGPASSWORD"),
        };
    }

    /// A new, empty database with a unique name, dropped when the handle drops.
    pub fn create_database(&self, prefix: &str) -> TestDatabase<'_> {
        let name = unique_name(prefix);
        self.psql("postgres", &format!("CREATE DATABASE \"{name}\""));
        TestDatabase { server: self, name }
    }

    /// Adopt a database a test created by other means (a tool under test),
    /// so it is dropped at the end.
    pub fn adopt_database(&self, name: &str) -> TestDatabase<'_> {
        TestDatabase {
            server: self,
            name: name.to_owned(),
        }
    }

    /// A new login role with a password and the given attributes (e.g.
    /// `NOCREATEDB`), dropped when the handle drops.
    pub fn create_role(&self, prefix: &str, attributes: &str) -> TestRole<'_> {
        let name = unique_name(prefix);
        let password = random_password();
        self.psql(
            "postgres",
            &format!("CREATE ROLE \"{name}\" LOGIN PASSWORD '{password}' {attributes}"),
        );
        TestRole {
            server: self,
            name,
            password,
        }
    }

    /// Names of all databases whose name starts with `prefix`.
    pub fn databases_with_prefix(&self, prefix: &str) -> Vec<String> {
        let out = self.psql(
            "postgres",
            &format!(
                "SELECT datname FROM pg_database WHERE starts_with(datname, '{}') ORDER BY 1",
                prefix.replace('\'', "''")
            ),
        );
        out.lines()
            .map(str::to_owned)
            .filter(|l| !l.is_empty())
            .collect()
    }

    fn probe_auth_enforced(&self) -> bool {
        let role = self.create_role("ss_authprobe", "");
        let mut cmd = Command::new(self.program("psql"));
        self.apply_env(&mut cmd, "postgres");
        cmd.env("PGUSER", &role.name)
            .env("PGPASSWORD", "definitely-wrong");
        let ok = cmd
            .args(["-X", "-c", "select 1"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        !ok.is_ok_and(|s| s.success())
    }
}

/// A database created for a test; dropped (WITH FORCE) on drop.
#[derive(Debug)]
pub struct TestDatabase<'a> {
    server: &'a TestServer,
    pub name: String,
}

impl TestDatabase<'_> {
    pub fn url(&self) -> String {
        self.server.url(&self.name)
    }

    pub fn psql(&self, sql: &str) -> String {
        self.server.psql(&self.name, sql)
    }
}

impl Drop for TestDatabase<'_> {
    fn drop(&mut self) {
        let _ = self.server.psql_output(
            "postgres",
            &format!(
                "DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)",
                self.name.replace('"', "\"\"")
            ),
        );
    }
}

/// A role created for a test; dropped on drop.
#[derive(Debug)]
pub struct TestRole<'a> {
    server: &'a TestServer,
    pub name: String,
    pub password: String,
}

impl Drop for TestRole<'_> {
    fn drop(&mut self) {
        let _ = self.server.psql_output(
            "postgres",
            &format!("DROP ROLE IF EXISTS \"{}\"", self.name),
        );
    }
}

fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

fn random_password() -> String {
    let mut rng = rand::rng();
    (0..24)
        .map(|_| char::from(b"abcdefghijkmnpqrstuvwxyz23456789"[rng.random_range(0..32)]))
        .collect()
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("find a free port")
}

fn run_as_pg(as_root: bool, cmd: &mut Command) -> std::process::Output {
    let output = if as_root {
        let mut wrapped = Command::new("runuser");
        wrapped
            .args(["-u", "postgres", "--"])
            .arg(cmd.get_program())
            .args(cmd.get_args());
        wrapped.current_dir("/").output()
    } else {
        cmd.output()
    };
    output.expect("run PostgreSQL server program")
}

/// A detached shell that waits for this process to exit, then stops the
/// cluster and removes its directory. Detached with setsid so Ctrl-C on the
/// test run does not kill it before it has cleaned up.
fn spawn_watchdog(bin_dir: &Path, data: &Path, dir: &Path, as_root: bool) {
    let pg_ctl = bin_dir.join("pg_ctl");
    let stop = format!(
        "{} -D '{}' stop -m immediate",
        pg_ctl.display(),
        data.display()
    );
    let stop = if as_root {
        format!("runuser -u postgres -- {stop}")
    } else {
        stop
    };
    let script = format!(
        "while kill -0 {pid} 2>/dev/null; do sleep 0.5; done; cd /; {stop} >/dev/null 2>&1; rm -rf '{dir}'",
        pid = std::process::id(),
        dir = dir.display()
    );
    let spawned = Command::new("setsid")
        .args(["sh", "-c", &script])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn();
    if spawned.is_err() {
        let _ = Command::new("sh")
            .args(["-c", &format!("( {script} ) &")])
            .spawn();
    }
}

/// The newest local PostgreSQL server installation's bin directory.
fn server_bin_dir() -> PathBuf {
    let mut dirs: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| Some((e.file_name().to_str()?.parse().ok()?, e.path().join("bin"))))
        .filter(|(_, bin): &(u32, PathBuf)| bin.join("initdb").is_file())
        .collect();
    dirs.sort();
    if let Some((_, dir)) = dirs.pop() {
        return dir;
    }
    if let Ok(out) = Command::new("pg_config").arg("--bindir").output() {
        let dir = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
        if dir.join("initdb").is_file() {
            return dir;
        }
    }
    for dir in std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default()) {
        if dir.join("initdb").is_file() && dir.join("pg_ctl").is_file() {
            return dir;
        }
    }
    panic!(
        "no PostgreSQL server binaries (initdb, pg_ctl) found in /usr/lib/postgresql/*/bin, pg_config --bindir or PATH.\n\
         Install them (Debian/Ubuntu: apt-get install postgresql) or set DATABASE_URL to an existing server."
    );
}

/// Client programs for a server given by URL: the newest local install.
fn client_bin_dir() -> PathBuf {
    let mut dirs: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| Some((e.file_name().to_str()?.parse().ok()?, e.path().join("bin"))))
        .filter(|(_, bin): &(u32, PathBuf)| bin.join("psql").is_file())
        .collect();
    dirs.sort();
    dirs.pop()
        .map_or_else(|| PathBuf::from("/usr/bin"), |(_, dir)| dir)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_major_defaults_to_the_stacks_and_accepts_system() {
        assert_eq!(parse_major(None), Some(DEFAULT_MAJOR));
        assert_eq!(parse_major(Some(" ")), Some(DEFAULT_MAJOR));
        assert_eq!(parse_major(Some("15")), Some(15));
        assert_eq!(parse_major(Some("system")), None);
    }

    #[test]
    #[should_panic(expected = "SHIPSHAPE_TEST_PG_MAJOR must be a major version")]
    fn test_major_rejects_other_words() {
        parse_major(Some("seventeen"));
    }

    #[test]
    fn installed_majors_live_under_target_pg() {
        assert!(pg_root().ends_with("target/pg"));
        assert_eq!(installed(1), None, "no PostgreSQL 1 anywhere");
    }
}
