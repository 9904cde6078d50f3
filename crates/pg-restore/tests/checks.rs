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
