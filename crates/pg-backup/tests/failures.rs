//! Every failure path: exit code, message, child ended, nothing left under
//! a final name, no `.partial`, retention not run, --on-failure called.

use std::fs::File;
use std::io::Write as _;
use std::process::{Command, Stdio};
use std::time::Duration;

use shipshape_pg::ConnectionSettings;
use shipshape_pg::lock::DatabaseLock;
use shipshape_testkit::cli::{self, Run};
use shipshape_testkit::pg::server;

use crate::support::{Scene, alive, assert_nothing_left, files_in, send_signal, wait_for};

/// Runs with an --on-failure hook recording its environment; returns the
/// run and what the hook saw.
fn run_failing(scene: &Scene, args: &[&str]) -> (Run, String) {
    let env_file = scene.root.path().join("failure.env");
    let _ = std::fs::remove_file(&env_file);
    let hook = scene.script(
        "on-failure.sh",
        &format!("env | grep ^PG_BACKUP_ | sort > '{}'", env_file.display()),
    );
    let run = cli::run(scene.cmd().args(args).arg("--on-failure").arg(&hook));
    let env = std::fs::read_to_string(&env_file).unwrap_or_default();
    (run, env)
}

fn assert_failed(run: &Run, env: &str, code: i32, scene: &Scene) {
    assert_eq!(run.code, Some(code), "{}", run.snapshot());
    assert!(
        env.contains("PG_BACKUP_STATUS=failure\n"),
        "hook not called: {env:?}\n{}",
        run.snapshot()
    );
    assert!(
        env.contains(&format!("PG_BACKUP_EXIT_CODE={code}\n")),
        "{env}"
    );
    assert_nothing_left(&scene.dir);
}

/// An old backup that retention would delete if it ran.
fn plant_old_backup(scene: &Scene) -> std::path::PathBuf {
    std::fs::create_dir_all(&scene.dir).unwrap();
    let old = scene
        .dir
        .join(format!("{}_20000101_000000.sql.gz", scene.db.name));
    std::fs::write(&old, b"old").unwrap();
    old
}

#[test]
fn pg_dump_missing() {
    let scene = Scene::new("ss_pgb_nodump");
    let empty = tempfile::tempdir().unwrap();
    let (run, env) = run_failing(&scene, &["--pg-bin-dir", empty.path().to_str().unwrap()]);
    assert_failed(&run, &env, 3, &scene);
    assert!(run.stderr.contains("no usable pg_dump"), "{}", run.stderr);
    assert!(run.stderr.contains("hint:"), "{}", run.stderr);

    let (run, env) = run_failing(&scene, &["--pg-dump", "/nonexistent/bin/pg_dump"]);
    assert_failed(&run, &env, 3, &scene);
    assert!(
        run.stderr.contains("/nonexistent/bin/pg_dump"),
        "{}",
        run.stderr
    );
}

#[test]
fn pg_dump_older_than_the_server() {
    let scene = Scene::new("ss_pgb_olddump");
    let bin = scene.root.path().join("oldbin");
    std::fs::create_dir_all(&bin).unwrap();
    let fake = scene.script("oldbin/pg_dump", "echo 'pg_dump (PostgreSQL) 9.6.24'");
    let old = plant_old_backup(&scene);
    let (run, env) = run_failing(&scene, &["--pg-bin-dir", bin.to_str().unwrap()]);
    assert_eq!(run.code, Some(3), "{}", run.snapshot());
    assert!(run.stderr.contains("need major version"), "{}", run.stderr);
    assert!(run.stderr.contains("9.6.24"), "{}", run.stderr);
    assert!(env.contains("PG_BACKUP_STATUS=failure"), "{env}");
    assert!(old.exists(), "retention must not run after a failure");

    let (run, _) = run_failing(&scene, &["--pg-dump", fake.to_str().unwrap()]);
    assert_eq!(run.code, Some(3), "{}", run.snapshot());
    assert!(run.stderr.contains("need major version"), "{}", run.stderr);
}

#[test]
fn server_unreachable() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let scene = Scene::new("ss_pgb_unreach");
    let env_file = scene.root.path().join("failure.env");
    let hook = scene.script("hook.sh", &format!("env > '{}'", env_file.display()));
    let run = cli::run(
        crate::support::tool()
            .env(
                "DATABASE_URL",
                format!("postgres://app:s3cret-pw@127.0.0.1:{port}/app"),
            )
            .arg("--dir")
            .arg(&scene.dir)
            .arg("--on-failure")
            .arg(&hook),
    );
    assert_eq!(run.code, Some(3), "{}", run.snapshot());
    assert!(
        run.stderr.contains(&format!("127.0.0.1:{port}")),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains("s3cret-pw"), "{}", run.stderr);
    let env = std::fs::read_to_string(&env_file).unwrap();
    assert!(env.contains("PG_BACKUP_STATUS=failure"));
    assert!(
        !env.contains("s3cret-pw"),
        "the hook never sees the password"
    );
    assert_nothing_left(&scene.dir);
}

#[test]
fn authentication_failure_does_not_show_the_password() {
    let s = server();
    if !s.auth_enforced {
        eprintln!("skipped: the server at DATABASE_URL does not check passwords (trust auth)");
        return;
    }
    let scene = Scene::new("ss_pgb_auth");
    let role = s.create_role("ss_pgb_authrole", "");
    let url = s.url_as(&role.name, Some("Wrong-Pass-4242"), &scene.db.name);
    let run = cli::run(
        crate::support::tool()
            .env("DATABASE_URL", url)
            .arg("--dir")
            .arg(&scene.dir),
    );
    assert_eq!(run.code, Some(3), "{}", run.snapshot());
    assert!(
        run.stderr.contains("authentication failed"),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains("Wrong-Pass-4242"), "{}", run.stderr);
    assert!(!run.stdout.contains("Wrong-Pass-4242"));
    assert_nothing_left(&scene.dir);
}

#[test]
fn database_missing() {
    let scene = Scene::new("ss_pgb_nodb");
    let url = scene.server.url("ss_pgb_no_such_database");
    let run = cli::run(
        crate::support::tool()
            .env("DATABASE_URL", url)
            .arg("--dir")
            .arg(&scene.dir),
    );
    assert_eq!(run.code, Some(3), "{}", run.snapshot());
    assert!(
        run.stderr
            .contains("\"ss_pgb_no_such_database\" does not exist"),
        "{}",
        run.stderr
    );
    assert_nothing_left(&scene.dir);
}

#[test]
fn permission_denied_on_a_table() {
    let s = server();
    let scene = Scene::new("ss_pgb_perm");
    let role = s.create_role("ss_pgb_reader", "");
    scene.db.psql(&format!(
        "CREATE TABLE secrets (k text); REVOKE ALL ON secrets FROM PUBLIC; \
         GRANT SELECT ON customers, orders TO \"{0}\"; GRANT USAGE ON SCHEMA \"Odd Schema\" TO \"{0}\"; \
         GRANT SELECT ON \"Odd Schema\".\"Mixed Case\" TO \"{0}\"",
        role.name
    ));
    let url = s.url_as(&role.name, Some(&role.password), &scene.db.name);
    let old = plant_old_backup(&scene);
    let env_file = scene.root.path().join("failure.env");
    let hook = scene.script("hook.sh", &format!("env > '{}'", env_file.display()));
    let run = cli::run(
        crate::support::tool()
            .env("DATABASE_URL", url)
            .arg("--dir")
            .arg(&scene.dir)
            .arg("--on-failure")
            .arg(&hook),
    );
    assert_eq!(run.code, Some(3), "{}", run.snapshot());
    assert!(run.stderr.contains("permission denied"), "{}", run.stderr);
    assert!(run.stderr.contains("secrets"), "{}", run.stderr);
    assert!(run.stderr.contains("pg_read_all_data"), "{}", run.stderr);
    assert!(
        std::fs::read_to_string(&env_file)
            .unwrap()
            .contains("PG_BACKUP_STATUS=failure")
    );
    assert!(old.exists(), "retention must not run");
    let files = files_in(&scene.dir);
    assert_eq!(
        files,
        [old.file_name().unwrap().to_str().unwrap()],
        "{files:?}"
    );
}

#[test]
fn pg_dump_exiting_non_zero_or_killed_mid_stream() {
    let scene = Scene::new("ss_pgb_midstream");
    let pg_dump = scene.server.program("pg_dump");
    let exits = scene.script(
        "exits.sh",
        &format!("'{}' \"$@\" | head -c 30000; exit 1", pg_dump.display()),
    );
    let killed = scene.script(
        "killed.sh",
        &format!("'{}' \"$@\" | head -c 30000; kill -9 $$", pg_dump.display()),
    );
    let truncated = scene.script(
        "truncated.sh",
        &format!("'{}' \"$@\" | head -c 30000; exit 0", pg_dump.display()),
    );
    let old = plant_old_backup(&scene);
    std::fs::remove_file(&old).unwrap();
    for (script, expect) in [
        (&exits, "exited with status 1 after 30000 bytes"),
        (&killed, "was killed by signal 9 after 30000 bytes"),
        (&truncated, "incomplete"),
    ] {
        let (run, env) = run_failing(&scene, &["--pg-dump", script.to_str().unwrap()]);
        assert_failed(&run, &env, 3, &scene);
        assert!(run.stderr.contains(expect), "{expect}: {}", run.stderr);
        assert!(env.contains("PG_BACKUP_ERROR="), "{env}");
    }
}

/// Mount a small tmpfs (needs root and CAP_SYS_ADMIN); None when not possible.
struct SmallDisk {
    path: std::path::PathBuf,
    _root: tempfile::TempDir,
}

impl SmallDisk {
    fn mount(size: &str) -> Option<Self> {
        let root = tempfile::tempdir().ok()?;
        let path = root.path().join("disk");
        std::fs::create_dir_all(&path).ok()?;
        let ok = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(&path)
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        ok.then_some(Self { path, _root: root })
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.path).status();
    }
}

#[test]
fn disk_full() {
    let Some(disk) = SmallDisk::mount("256k") else {
        eprintln!("skipped: cannot mount a tmpfs here (needs root with CAP_SYS_ADMIN)");
        return;
    };
    let s = server();
    let db = s.create_database("ss_pgb_diskfull");
    // About 2.5 MB of hex text: compresses to well over 256 KiB.
    db.psql("CREATE TABLE filler AS SELECT i, md5(i::text) || md5((i+1)::text) || md5(random()::text) || md5(random()::text) AS v FROM generate_series(1, 20000) i");
    let mut scene = Scene::with_db(db);
    scene.dir = disk.path.join("backups");
    let (run, env) = run_failing(&scene, &[]);
    assert_failed(&run, &env, 3, &scene);
    assert!(run.stderr.contains("disk is full"), "{}", run.stderr);
    assert!(
        run.stderr.contains("No space left on device"),
        "{}",
        run.stderr
    );
}

/// Start pg-backup with a pg_dump wrapper that writes part of a dump and
/// then hangs, wait until the .partial exists, and return the child and the
/// wrapper's pid.
fn start_hanging(scene: &Scene, hook_file: &std::path::Path) -> (std::process::Child, u32) {
    let pidfile = scene.root.path().join("wrapper.pid");
    let wrapper = scene.script(
        "hang.sh",
        &format!(
            "case \"$1\" in --version) exec '{dump}' --version;; esac\necho $$ > '{pid}.tmp'; mv '{pid}.tmp' '{pid}'\n'{dump}' \"$@\" | head -c 50000\nsleep 120",
            dump = scene.server.program("pg_dump").display(),
            pid = pidfile.display()
        ),
    );
    let hook = scene.script("hook.sh", &format!("env > '{}'", hook_file.display()));
    let child = scene
        .cmd()
        .arg("--pg-dump")
        .arg(&wrapper)
        .arg("--on-failure")
        .arg(&hook)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    wait_for("the wrapper to start", || pidfile.exists());
    wait_for("the .partial file", || {
        files_in(&scene.dir).iter().any(|f| f.ends_with(".partial"))
    });
    let pid: u32 = std::fs::read_to_string(&pidfile)
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    (child, pid)
}

#[test]
fn sigterm_and_sigint_stop_the_dump_and_clean_up() {
    for signal in ["TERM", "INT"] {
        let scene = Scene::new("ss_pgb_signal");
        let hook_file = scene.root.path().join("hook.env");
        let (child, wrapper_pid) = start_hanging(&scene, &hook_file);
        assert!(alive(wrapper_pid));
        send_signal(signal, child.id(), false);
        let output = child.wait_with_output().unwrap();
        let run = Run::from_output(&output);
        assert_eq!(run.code, Some(130), "{signal}: {}", run.snapshot());
        assert!(run.stderr.contains("interrupted"), "{}", run.stderr);
        wait_for("the wrapper to end", || !alive(wrapper_pid));
        assert_nothing_left(&scene.dir);
        let env = std::fs::read_to_string(&hook_file).unwrap();
        assert!(env.contains("PG_BACKUP_STATUS=failure"), "{env}");
        assert!(env.contains("PG_BACKUP_EXIT_CODE=130"), "{env}");
    }
}

#[test]
fn sigkill_of_pg_backup_never_leaves_a_final_name_and_the_next_run_cleans_up() {
    let scene = Scene::new("ss_pgb_sigkill");
    let hook_file = scene.root.path().join("hook.env");
    let (mut child, wrapper_pid) = start_hanging(&scene, &hook_file);
    child.kill().unwrap();
    child.wait().unwrap();
    let files = files_in(&scene.dir);
    assert!(files.iter().all(|f| f.ends_with(".partial")), "{files:?}");
    // The wrapper's group outlives a SIGKILLed parent; end it ourselves.
    send_signal("KILL", wrapper_pid, true);
    let run = scene.backup(&[]);
    assert!(
        run.stderr.contains("left by an interrupted earlier run"),
        "{}",
        run.stderr
    );
    let files = files_in(&scene.dir);
    assert_eq!(files.len(), 2, "{files:?}");
    assert!(files.iter().all(|f| !f.ends_with(".partial")), "{files:?}");
}

#[test]
fn a_second_run_on_the_same_directory_exits_3_naming_the_holder() {
    let scene = Scene::new("ss_pgb_dirlock");
    std::fs::create_dir_all(&scene.dir).unwrap();
    let mut lock = File::options()
        .create(true)
        .truncate(false)
        .read(true)
        .write(true)
        .open(scene.dir.join(".pg-backup.lock"))
        .unwrap();
    lock.try_lock().unwrap();
    lock.write_all(b"pid 4242 on testhost since 2026-01-01 00:00:00 UTC (backing up app)\n")
        .unwrap();
    let (run, env) = run_failing(&scene, &[]);
    assert_failed(&run, &env, 3, &scene);
    insta::assert_snapshot!(scene.redact(&run));

    // --wait queues behind the holder and then succeeds.
    let waiting = scene
        .cmd()
        .arg("--wait")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(700));
    drop(lock);
    let output = waiting.wait_with_output().unwrap();
    let run = Run::from_output(&output);
    assert_eq!(run.code, Some(0), "{}", run.snapshot());
    assert!(
        run.stderr.contains("waiting for another pg-backup"),
        "{}",
        run.stderr
    );
}

#[test]
fn the_database_advisory_lock_excludes_a_concurrent_restore() {
    let scene = Scene::new("ss_pgb_advisory");
    let settings = ConnectionSettings::resolve_with(Some(&scene.db.url()), None, |_| None).unwrap();
    let held = DatabaseLock::try_acquire(&settings, &scene.db.name)
        .unwrap()
        .unwrap();
    let (run, env) = run_failing(&scene, &[]);
    assert_failed(&run, &env, 3, &scene);
    assert!(
        run.stderr.contains("is locked by another shipshape tool"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("backend pid"), "{}", run.stderr);
    held.release();
    scene.backup(&[]);
}

#[test]
fn a_dump_missing_rows_is_caught_by_the_snapshot_counts() {
    let scene = Scene::new("ss_pgb_lossy");
    // A "pg_dump" that silently drops a row: the file is complete and
    // decompresses fine; only the row counts can tell.
    let lossy = scene.script(
        "lossy.sh",
        &format!(
            "'{}' \"$@\" | sed '/^a\\tb$/d'",
            scene.server.program("pg_dump").display()
        ),
    );
    let old = plant_old_backup(&scene);
    let (run, env) = run_failing(&scene, &["--pg-dump", lossy.to_str().unwrap()]);
    assert_eq!(run.code, Some(3), "{}", run.snapshot());
    assert!(
        run.stderr
            .contains("Odd Schema.Mixed Case: the dump holds 1 rows, the snapshot had 2"),
        "{}",
        run.stderr
    );
    assert!(env.contains("PG_BACKUP_STATUS=failure"), "{env}");
    assert!(old.exists(), "retention must not run");
    assert_eq!(
        files_in(&scene.dir),
        [old.file_name().unwrap().to_str().unwrap()]
    );
}

#[test]
fn a_backup_that_fails_restore_verification_is_removed() {
    let scene = Scene::new("ss_pgb_badrestore");
    // Every row is in the file, but a statement appended after pg_dump's
    // closing line deletes one on restore: only --verify-restore can tell.
    let sneaky = scene.script(
        "sneaky.sh",
        &format!(
            "'{}' \"$@\"; status=$?; echo 'DELETE FROM \"Odd Schema\".\"Mixed Case\" WHERE k = '\\''a'\\'';'; exit $status",
            scene.server.program("pg_dump").display()
        ),
    );
    let old = plant_old_backup(&scene);
    let (run, env) = run_failing(
        &scene,
        &["--pg-dump", sneaky.to_str().unwrap(), "--verify-restore"],
    );
    assert_eq!(run.code, Some(3), "{}", run.snapshot());
    assert!(run.stderr.contains("verification of"), "{}", run.stderr);
    assert!(
        run.stderr.contains("the backup was removed"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr
            .contains("Odd Schema.Mixed Case: expected 2 rows, found 1"),
        "{}",
        run.stderr
    );
    assert!(env.contains("PG_BACKUP_STATUS=failure"), "{env}");
    assert!(old.exists(), "retention must not run");
    assert_eq!(
        files_in(&scene.dir),
        [old.file_name().unwrap().to_str().unwrap()]
    );
    assert!(
        scene
            .server
            .databases_with_prefix(&format!("{}_", scene.db.name))
            .is_empty(),
        "the throwaway database was dropped"
    );
}

#[test]
fn progress_is_shown_on_a_terminal_only() {
    // `script` gives pg-backup a pseudo-terminal as stderr.
    if Command::new("script").arg("--version").output().is_err() {
        eprintln!("skipped: util-linux `script` is not installed");
        return;
    }
    let scene = Scene::new("ss_pgb_progress");
    // Slow the dump down so the line is redrawn (every 200 ms) meanwhile.
    let slow = scene.script(
        "slow.sh",
        &format!(
            "case \"$1\" in --version) exec '{0}' --version;; esac\n'{0}' \"$@\" | (head -c 1000; sleep 1; cat)",
            scene.server.program("pg_dump").display()
        ),
    );
    // What pg-backup drew on a terminal whose TERM is `term`.
    let on_terminal = |term: &str| {
        let log = scene.root.path().join(format!("tty-{term}.log"));
        let inner = format!(
            "DATABASE_URL='{}' '{}' --dir '{}' --pg-dump '{}' > /dev/null",
            scene.db.url(),
            env!("CARGO_BIN_EXE_pg-backup"),
            scene.dir.display(),
            slow.display()
        );
        let status = crate::support::tool_env(Command::new("script"))
            .env("TERM", term)
            .args(["-q", "-e", "-c", &inner])
            .arg(&log)
            // script also copies the session to its stdout; the log is enough.
            .stdout(std::process::Stdio::null())
            .status()
            .unwrap();
        assert!(status.success());
        without_styles(&std::fs::read_to_string(&log).unwrap())
    };
    let text = on_terminal("xterm");
    // The line is redrawn after "\r" (and an erase-line sequence).
    assert!(
        text.contains("\rdumping ") || text.contains("\r\u{1b}[2Kdumping "),
        "no progress line on the terminal: {text:?}"
    );
    assert!(
        text.contains("1000 B read, ") && text.contains("elapsed"),
        "{text:?}"
    );
    // Erased once the dump is done, before the next lines.
    let last = text.rfind(" elapsed").unwrap();
    assert!(text[last..].contains("\r\u{1b}[2K"), "{text:?}");
    // A terminal that cannot erase a line gets no progress line.
    let text = on_terminal("dumb");
    assert!(!text.contains(" read, "), "{text:?}");
}

/// `text` without SGR sequences (bold, colours), keeping cursor control
/// such as erase-line.
fn without_styles(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(start) = rest.find("\u{1b}[") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let end = after
            .find(|c: char| !(c.is_ascii_digit() || c == ';'))
            .unwrap_or(after.len());
        if after[end..].starts_with('m') {
            rest = &after[end + 1..];
        } else {
            out.push_str("\u{1b}[");
            rest = after;
        }
    }
    out.push_str(rest);
    out
}

#[test]
fn sigkill_during_verification_leaves_no_final_name() {
    let scene = Scene::new("ss_pgb_killverify");
    // A bin dir whose psql (used by --verify-restore) hangs: pg-backup is
    // then past the dump, the fsync and the checksum pass, in verification.
    let bin = scene.root.path().join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    for program in ["pg_dump", "pg_restore"] {
        std::os::unix::fs::symlink(scene.server.program(program), bin.join(program)).unwrap();
    }
    let pidfile = scene.root.path().join("psql.pid");
    scene.script(
        "bin/psql",
        &format!(
            "case \"$1\" in --version) exec '{psql}' --version;; esac\necho $$ > '{pid}.tmp'; mv '{pid}.tmp' '{pid}'\nexec sleep 120",
            psql = scene.server.program("psql").display(),
            pid = pidfile.display()
        ),
    );
    let mut child = scene
        .cmd()
        .arg("--verify-restore")
        .arg("--pg-bin-dir")
        .arg(&bin)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    wait_for("verification to start", || pidfile.exists());
    let sleeper: u32 = std::fs::read_to_string(&pidfile)
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    child.kill().unwrap();
    child.wait().unwrap();
    send_signal("KILL", sleeper, false);
    // pg-backup could not drop its throwaway database: drop it here.
    let throwaway = format!("{}_", scene.db.name);
    let _adopted: Vec<_> = scene
        .server
        .databases_with_prefix(&throwaway)
        .iter()
        .map(|name| scene.server.adopt_database(name))
        .collect();
    let files = files_in(&scene.dir);
    assert!(!files.is_empty(), "the dump was written");
    assert!(
        files.iter().all(|f| f.ends_with(".partial")),
        "a file under a final name before verification ended: {files:?}"
    );
    // The next run removes the leftovers and makes a verified backup.
    let run = scene.backup(&[]);
    assert!(
        run.stderr.contains("left by an interrupted earlier run"),
        "{}",
        run.stderr
    );
    let files = files_in(&scene.dir);
    assert_eq!(files.len(), 2, "{files:?}");
}

#[test]
fn a_table_locked_longer_than_lock_wait_timeout_fails_the_backup() {
    let scene = Scene::new("ss_pgb_locked");
    // A "migration" holding an exclusive lock on a table.
    let settings = ConnectionSettings::resolve_with(Some(&scene.db.url()), None, |_| None).unwrap();
    let mut migration = shipshape_pg::Db::connect(&settings).unwrap();
    migration.execute("BEGIN").unwrap();
    migration
        .execute("LOCK TABLE orders IN ACCESS EXCLUSIVE MODE")
        .unwrap();
    let started = std::time::Instant::now();
    let (run, env) = run_failing(&scene, &["--lock-wait-timeout", "1"]);
    let elapsed = started.elapsed();
    migration.execute("ROLLBACK").unwrap();
    migration.close();
    assert_failed(&run, &env, 3, &scene);
    assert!(
        elapsed < Duration::from_secs(30),
        "waited {elapsed:?} behind the lock"
    );
    // pg_dump 17+ locks several tables per LOCK TABLE statement.
    assert!(
        run.stderr.contains("LOCK TABLE public.") && run.stderr.contains("public.orders"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("--lock-wait-timeout"),
        "the hint names the option: {}",
        run.stderr
    );
}
