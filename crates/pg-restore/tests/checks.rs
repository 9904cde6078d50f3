//! Server checks that refuse early (privileges, the lock), hooks and
//! keep_previous.

use std::process::Stdio;
use std::time::{Duration, Instant};

use shipshape_testkit::cli;
use shipshape_testkit::pg::unique_name;

use super::*;

#[test]
fn a_role_without_createdb_is_refused_before_anything_changes() {
    let s = server();
    let role = s.create_role("prs_weak", "NOCREATEDB");
    let target = unique_name("prs_tgt");
    let _cleanup = Cleanup(target.clone());
    create_db(&target);
    s.psql(&target, "CREATE TABLE precious (v text)");
    let src = s.create_database("prs_src");
    fill(&src.name, 10);
    let dir = tempfile::tempdir().unwrap();
    let gz = dump(&src.name, dir.path(), "gzip");
    let run = cli::run(
        tool()
            .env("PATH", super::path_with_client_bin())
            .env(
                "DATABASE_URL",
                s.url_as(&role.name, Some(&role.password), &target),
            )
            .args(["--yes", "--no-owner", "--no-privileges"])
            .arg(&gz),
    );
    assert_eq!(run.code, Some(1), "{}", run.snapshot());
    assert!(run.stdout.contains("needs-createdb"), "{}", run.snapshot());
    assert!(run.stdout.contains("needs-ownership"), "{}", run.snapshot());
    assert!(!run.stdout.contains(&role.password) && !run.stderr.contains(&role.password));
    assert_eq!(
        list_databases()
            .into_iter()
            .filter(|n| n.starts_with(&target))
            .count(),
        1
    );
}

#[test]
fn a_held_lock_stops_the_restore_and_names_the_holder() {
    let s = server();
    let target = unique_name("prs_tgt");
    let _cleanup = Cleanup(target.clone());
    create_db(&target);
    let src = s.create_database("prs_src");
    fill(&src.name, 10);
    let dir = tempfile::tempdir().unwrap();
    let gz = dump(&src.name, dir.path(), "gzip");
    // What pg-backup does during a dump: hold the lock in the maintenance database.
    let key = shipshape_pg::lock::lock_key(&target);
    let mut holder = s
        .psql_command("postgres")
        .args([
            "-X",
            "-c",
            &format!("SELECT pg_advisory_lock({key}); SELECT pg_sleep(300)"),
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let started = Instant::now();
    while s.psql(
        "postgres",
        "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted",
    ) == "0"
    {
        assert!(started.elapsed() < Duration::from_secs(30));
        std::thread::sleep(Duration::from_millis(50));
    }
    let run = cli::run(tool_for(&target).arg("--yes").arg(&gz));
    let _ = holder.kill();
    let _ = holder.wait();
    assert_eq!(run.code, Some(3), "{}", run.snapshot());
    assert!(run.stderr.contains("backend pid"), "{}", run.snapshot());
    assert_eq!(
        list_databases()
            .into_iter()
            .filter(|n| n.starts_with(&target))
            .count(),
        1
    );
}

#[test]
fn hooks_run_around_the_swap_and_keep_previous_prunes() {
    let s = server();
    let target = unique_name("prs_tgt");
    let _cleanup = Cleanup(target.clone());
    create_db(&target);
    let src = s.create_database("prs_src");
    fill(&src.name, 10);
    let dir = tempfile::tempdir().unwrap();
    let gz = dump(&src.name, dir.path(), "gzip");
    let log = dir.path().join("hooks.log");
    let pre = format!(
        "sh -c 'echo pre $PG_RESTORE_TARGET $PG_RESTORE_PREVIOUS >> {}'",
        log.display()
    );
    let post = format!("sh -c 'echo post >> {}'", log.display());
    std::fs::write(
        dir.path().join("shipshape.toml"),
        "[pg-restore]\nkeep_previous = 1\n",
    )
    .unwrap();
    for _ in 0..3 {
        let run = cli::run(
            tool_for(&target)
                .current_dir(dir.path())
                .args(["--yes", "--pre-swap", &pre, "--post-swap", &post])
                .arg(&gz),
        );
        assert_eq!(run.code, Some(0), "{}", run.snapshot());
        std::thread::sleep(Duration::from_millis(1100));
    }
    let text = std::fs::read_to_string(&log).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 6, "{text}");
    assert!(
        lines[0].starts_with(&format!("pre {target} {target}_pre_restore_")),
        "{text}"
    );
    assert_eq!(lines[1], "post");
    // keep_previous = 1: one kept database besides the target.
    let kept: Vec<String> = list_databases()
        .into_iter()
        .filter(|n| n.starts_with(&format!("{target}_pre_restore_")))
        .collect();
    assert_eq!(kept.len(), 1, "{kept:?}");
}

/// Run the tool on a pseudo-terminal (util-linux `script`), typing `answer`.
fn on_a_terminal(target: &str, file: &std::path::Path, answer: &str) -> Option<String> {
    use std::io::{Read as _, Write as _};
    if std::process::Command::new("script")
        .arg("--version")
        .output()
        .is_err()
    {
        eprintln!("no `script` program: cannot test the terminal prompt");
        return None;
    }
    let command = format!(
        "{} --no-config {}",
        env!("CARGO_BIN_EXE_pg-restore"),
        file.display()
    );
    let mut child = cli::command("script")
        .env("DATABASE_URL", server().url(target))
        .env("PATH", super::path_with_client_bin())
        .args(["-qec", &command, "/dev/null"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    // Typed ahead: the terminal keeps it until the prompt reads it.
    stdin.write_all(format!("{answer}\n").as_bytes()).unwrap();
    let mut out = String::new();
    child
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut out)
        .unwrap();
    drop(stdin);
    let _ = child.wait();
    Some(out)
}

#[test]
fn on_a_terminal_the_database_name_must_be_typed() {
    let s = server();
    let target = unique_name("prs_tgt");
    let _cleanup = Cleanup(target.clone());
    create_db(&target);
    s.psql(&target, "CREATE TABLE precious (v text)");
    let src = s.create_database("prs_src");
    fill(&src.name, 10);
    let dir = tempfile::tempdir().unwrap();
    let gz = dump(&src.name, dir.path(), "gzip");
    let before = fingerprint(&target);

    let Some(out) = on_a_terminal(&target, &gz, "not-the-name") else {
        return;
    };
    assert!(out.contains("will be REPLACED"), "{out}");
    assert!(
        out.contains(&format!("kept as \"{target}_pre_restore_")),
        "{out}"
    );
    assert!(out.contains("not confirmed; nothing was changed"), "{out}");
    assert_eq!(fingerprint(&target), before);

    let out = on_a_terminal(&target, &gz, &target).unwrap();
    assert!(out.contains(&format!("into \"{target}\"")), "{out}");
    assert_eq!(fingerprint(&target), fingerprint(&src.name));
}

#[test]
fn sessions_of_other_roles_without_pg_signal_backend_are_refused_early() {
    let s = server();
    let role = s.create_role("prs_nosignal", "CREATEDB");
    let target = unique_name("prs_tgt");
    let _cleanup = Cleanup(target.clone());
    s.psql(
        "postgres",
        &format!("CREATE DATABASE {target} OWNER {}", role.name),
    );
    let src = s.create_database("prs_src");
    fill(&src.name, 10);
    let dir = tempfile::tempdir().unwrap();
    let gz = dump(&src.name, dir.path(), "gzip");
    // A session of another role (the superuser) that this role cannot end.
    let mut client = s
        .psql_command(&target)
        .args(["-X", "-c", "SELECT pg_sleep(300)"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let started = Instant::now();
    while s.psql(
        "postgres",
        &format!("SELECT count(*) FROM pg_stat_activity WHERE datname = '{target}'"),
    ) != "1"
    {
        assert!(started.elapsed() < Duration::from_secs(30));
        std::thread::sleep(Duration::from_millis(50));
    }
    let run = cli::run(
        tool()
            .env("PATH", super::path_with_client_bin())
            .env(
                "DATABASE_URL",
                s.url_as(&role.name, Some(&role.password), &target),
            )
            .args(["--yes", "--no-owner", "--no-privileges"])
            .arg(&gz),
    );
    let _ = client.kill();
    let _ = client.wait();
    assert_eq!(run.code, Some(1), "{}", run.snapshot());
    assert!(
        run.stdout.contains("needs-signal-backend"),
        "{}",
        run.snapshot()
    );
    assert!(
        run.stdout.contains("1 session(s) of other roles"),
        "{}",
        run.snapshot()
    );
    assert!(!run.stdout.contains("needs-createdb"), "{}", run.snapshot());
    assert!(
        !run.stdout.contains("needs-ownership"),
        "{}",
        run.snapshot()
    );
    assert_eq!(
        list_databases()
            .into_iter()
            .filter(|n| n.starts_with(&target))
            .count(),
        1
    );
}

#[test]
fn an_unreachable_server_is_reported_and_nothing_is_created() {
    let src = server().create_database("prs_src");
    fill(&src.name, 5);
    let dir = tempfile::tempdir().unwrap();
    let gz = dump(&src.name, dir.path(), "gzip");
    // Port 1: nothing listens there.
    let run = cli::run(
        tool()
            .env("PATH", super::path_with_client_bin())
            .env(
                "DATABASE_URL",
                "postgres://nobody@127.0.0.1:1/prs_unreachable",
            )
            .args(["--yes"])
            .arg(&gz),
    );
    assert_eq!(run.code, Some(3), "{}", run.snapshot());
    assert!(run.stderr.contains("127.0.0.1"), "{}", run.snapshot());
}

/// A plain dump of today's pg_dump starts with `\restrict`; a psql from
/// before August 2025 stops there with "invalid command". pg-restore asks
/// psql's version first and refuses before changing anything, naming the
/// psql found and the release needed. (PyPI has no pre-`\restrict` build to
/// install, so the old psql is a script that only answers `--version` as
/// psql 17.5 does: the run must never get as far as running it.)
#[test]
fn a_psql_without_restrict_is_refused_before_anything_changes() {
    let s = server();
    let target = unique_name("prs_tgt");
    let _cleanup = Cleanup(target.clone());
    create_db(&target);
    s.psql(&target, "CREATE TABLE precious (v text)");
    let src = s.create_database("prs_src");
    fill(&src.name, 3);
    let dir = tempfile::tempdir().unwrap();
    let sql = dump(&src.name, dir.path(), "plain");
    let text = std::fs::read_to_string(&sql).unwrap();
    assert!(
        text.contains("\n\\restrict "),
        "pg_dump wrote no \\restrict"
    );
    let bin = dir.path().join("oldbin");
    std::fs::create_dir_all(&bin).unwrap();
    let psql = bin.join("psql");
    std::fs::write(
        &psql,
        "#!/bin/sh\nif [ \"$1\" = --version ]; then echo 'psql (PostgreSQL) 17.5'; exit 0; fi\nexit 99\n",
    )
    .unwrap();
    std::fs::set_permissions(&psql, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let run = cli::run(
        tool_for(&target)
            .args(["--yes", "--pg-bin-dir", bin.to_str().unwrap()])
            .arg(&sql),
    );
    assert_eq!(run.code, Some(3), "{}", run.snapshot());
    for part in [
        "psql 17.5",
        "\\restrict",
        "psql 17.6 or newer",
        "--pg-bin-dir",
        "nothing was changed",
    ] {
        assert!(run.stderr.contains(part), "{part}: {}", run.snapshot());
    }
    assert_eq!(s.psql(&target, "SELECT count(*) FROM precious"), "0");
    assert_eq!(
        list_databases()
            .into_iter()
            .filter(|n| n.starts_with(&target))
            .count(),
        1
    );
}

/// `--wait` queues behind whoever holds the target's lock (here the test,
/// with the key pg-backup uses) and restores once it is released.
#[test]
fn with_wait_the_restore_proceeds_when_the_holder_releases() {
    let s = server();
    let target = unique_name("prs_tgt");
    let _cleanup = Cleanup(target.clone());
    create_db(&target);
    let src = s.create_database("prs_src");
    fill(&src.name, 10);
    let dir = tempfile::tempdir().unwrap();
    let gz = dump(&src.name, dir.path(), "gzip");
    let held = hold_lock(&target);
    let child = tool_for(&target)
        .args(["--yes", "--wait"])
        .arg(&gz)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Long enough for the run to verify the file and find the lock taken.
    std::thread::sleep(Duration::from_secs(3));
    assert_eq!(
        list_databases()
            .into_iter()
            .filter(|n| n.starts_with(&target))
            .count(),
        1,
        "nothing may change while the lock is held"
    );
    held.release();
    let run = cli::Run::from_output(&child.wait_with_output().unwrap());
    assert_eq!(run.code, Some(0), "{}", run.snapshot());
    assert!(
        run.stderr.contains("waiting for the lock on database")
            && run.stderr.contains("backend pid"),
        "{}",
        run.snapshot()
    );
    assert_eq!(s.psql(&target, "SELECT count(*) FROM customers"), "10");
}

/// rollback and prune take the same lock the same way: without --wait a
/// held lock is exit 3 naming the holder.
#[test]
fn rollback_and_prune_name_the_holder_of_a_held_lock() {
    let target = unique_name("prs_tgt");
    let _cleanup = Cleanup(target.clone());
    create_db(&target);
    create_db(&format!("{target}_pre_restore_20260101_000000"));
    let held = hold_lock(&target);
    for args in [&["rollback", "--yes"][..], &["prune", "--keep", "0"][..]] {
        let run = cli::run(tool_for(&target).args(args));
        assert_eq!(run.code, Some(3), "{args:?}: {}", run.snapshot());
        assert!(
            run.stderr.contains("is locked by another shipshape tool")
                && run.stderr.contains("backend pid"),
            "{args:?}: {}",
            run.snapshot()
        );
    }
    held.release();
    let run = cli::run(tool_for(&target).args(["prune", "--keep", "0", "--wait"]));
    assert_eq!(run.code, Some(0), "{}", run.snapshot());
}
