//! Bad files, failing SQL, missing roles, no confirmation, Ctrl-C: each
//! leaves the target exactly as it was and no extra database behind.

use std::time::{Duration, Instant};

use shipshape_testkit::cli;
use shipshape_testkit::pg::unique_name;

use super::*;

/// A target with content, and a dump of another database to restore over it.
struct Setup {
    target: String,
    _cleanup: Cleanup,
    dir: tempfile::TempDir,
    src: String,
}

impl Setup {
    fn new() -> Self {
        let target = unique_name("prs_tgt");
        let cleanup = Cleanup(target.clone());
        create_db(&target);
        server().psql(
            &target,
            "CREATE TABLE precious (v text); INSERT INTO precious VALUES ('keep me');",
        );
        let src = unique_name("prs_src");
        create_db(&src);
        fill(&src, 100);
        Self {
            target,
            _cleanup: cleanup,
            dir: tempfile::tempdir().unwrap(),
            src,
        }
    }

    /// Only the target itself exists with its prefix (nothing restoring or kept).
    fn assert_untouched(&self, before: &str) {
        assert_eq!(fingerprint(&self.target), before);
        let same_prefix: Vec<String> = list_databases()
            .into_iter()
            .filter(|n| n.starts_with(&self.target))
            .collect();
        assert_eq!(same_prefix, vec![self.target.clone()]);
    }
}

impl Setup {
    /// The run failed in the load at dump line `line` with `what` in its
    /// message, dropped its new database and left the target as it was.
    fn assert_failed_at(&self, run: &cli::Run, line: usize, what: &str, before: &str) {
        assert_eq!(run.code, Some(3), "{}", run.snapshot());
        assert!(
            run.stdout.contains(&format!("failed at line {line} ")) && run.stdout.contains(what),
            "expected line {line} and {what:?}: {}",
            run.snapshot()
        );
        self.assert_cleaned_up(run, before);
    }

    /// The run dropped the database it had begun to restore into, and left
    /// the target as it was.
    fn assert_cleaned_up(&self, run: &cli::Run, before: &str) {
        assert!(
            run.stderr.contains("dropped the partial database"),
            "{}",
            run.snapshot()
        );
        self.assert_untouched(before);
    }
}

impl Drop for Setup {
    fn drop(&mut self) {
        drop_db(&self.src);
    }
}

#[test]
fn truncated_and_bit_flipped_files_are_refused_before_any_change() {
    let setup = Setup::new();
    let before = fingerprint(&setup.target);
    let gz = dump(&setup.src, setup.dir.path(), "gzip");
    let custom = dump(&setup.src, setup.dir.path(), "custom");
    let plain = dump(&setup.src, setup.dir.path(), "plain");
    let bytes = std::fs::read(&gz).unwrap();
    let cases: Vec<(&str, std::path::PathBuf, Vec<u8>)> = vec![
        (
            "truncated.sql.gz",
            gz.clone(),
            bytes[..bytes.len() - 40].to_vec(),
        ),
        ("flipped.sql.gz", gz.clone(), {
            let mut b = bytes.clone();
            let mid = b.len() / 2;
            b[mid] ^= 0x10;
            b
        }),
        ("truncated.dump", custom.clone(), {
            // Half: pg_dump 17's archive ends in a TOC copy pg_restore never
            // reads (here about the last third), so a cut there loses nothing.
            let b = std::fs::read(&custom).unwrap();
            b[..b.len() / 2].to_vec()
        }),
        ("truncated.sql", plain.clone(), {
            let b = std::fs::read(&plain).unwrap();
            b[..b.len() - 200].to_vec()
        }),
    ];
    for (name, _, content) in cases {
        let path = setup.dir.path().join(name);
        std::fs::write(&path, content).unwrap();
        let run = cli::run(tool_for(&setup.target).args(["--yes"]).arg(&path));
        assert_eq!(run.code, Some(1), "{name}: {}", run.snapshot());
        assert!(run.stdout.contains(name), "{name}: {}", run.snapshot());
        setup.assert_untouched(&before);
    }
}

#[test]
fn a_checksum_mismatch_with_the_manifest_is_refused() {
    let setup = Setup::new();
    let before = fingerprint(&setup.target);
    let plain = dump(&setup.src, setup.dir.path(), "plain");
    let manifest = shipshape_pg::manifest::manifest_path(&plain);
    std::fs::write(
        &manifest,
        serde_json::json!({
            "manifest_version": 1, "file": "backup.sql", "database": "x", "server_version": "15",
            "pg_dump_version": "15", "format": "plain", "compression": "none", "compression_level": null,
            "started_at": "2026-01-01T00:00:00Z", "finished_at": "2026-01-01T00:00:01Z", "duration_seconds": 1.0,
            "compressed_bytes": 1, "uncompressed_bytes": 1, "sha256": "00".repeat(32),
            "verification": {"status": "verified", "method": "checksum", "verified_at": null, "detail": null},
            "tool_version": "0.1.0", "a_field_from_a_newer_pg_backup": true
        })
        .to_string(),
    )
    .unwrap();
    let run = cli::run(tool_for(&setup.target).arg("--yes").arg(&plain));
    assert_eq!(run.code, Some(1), "{}", run.snapshot());
    assert!(
        run.stdout.contains("checksum-mismatch"),
        "{}",
        run.snapshot()
    );
    setup.assert_untouched(&before);
}

#[test]
fn sql_that_fails_halfway_leaves_the_target_unchanged_and_names_the_line() {
    let setup = Setup::new();
    let before = fingerprint(&setup.target);
    let plain = dump(&setup.src, setup.dir.path(), "plain");
    let text = std::fs::read_to_string(&plain).unwrap();
    // Break the dump after its data: the tables are loaded when it fails.
    let marker = "--\n-- Name: customers customers_pkey;";
    let at = text.find(marker).expect("pkey entry");
    let line = text[..at].lines().count() + 1;
    let broken = format!(
        "{}SELECT no_such_function_here(1);\n{}",
        &text[..at],
        &text[at..]
    );
    std::fs::write(&plain, broken).unwrap();
    let run = cli::run(tool_for(&setup.target).arg("--yes").arg(&plain));
    setup.assert_failed_at(&run, line, "no_such_function_here", &before);
}

#[test]
fn refused_without_yes_in_a_pipeline() {
    let setup = Setup::new();
    let before = fingerprint(&setup.target);
    let gz = dump(&setup.src, setup.dir.path(), "gzip");
    let run = cli::run(tool_for(&setup.target).arg(&gz));
    let dir = setup.dir.path().display().to_string();
    // The size varies by a few bytes (pg_dump's random \restrict key).
    let size = run
        .stderr
        .split("(plain SQL, gzip, ")
        .nth(1)
        .and_then(|rest| rest.split(')').next())
        .unwrap_or_default()
        .to_owned();
    insta::assert_snapshot!(run.snapshot_with(&[
        (&dir, "[DIR]"),
        (&setup.target, "[TARGET]"),
        (&size, "[SIZE]")
    ]));
    setup.assert_untouched(&before);
}

#[test]
fn a_truncated_gzip_is_reported_as_a_finding() {
    let dir = tempfile::tempdir().unwrap();
    let src = server().create_database("prs_src");
    fill(&src.name, 20);
    let gz = dump(&src.name, dir.path(), "gzip");
    let bytes = std::fs::read(&gz).unwrap();
    std::fs::write(&gz, &bytes[..bytes.len() / 2]).unwrap();
    let run = cli::run(tool().arg("list").arg(&gz));
    let dir = dir.path().display().to_string();
    insta::assert_snapshot!(run.snapshot_with(&[(&dir, "[DIR]")]));
}

#[test]
fn missing_roles_are_listed_by_name_with_the_fixes() {
    let setup = Setup::new();
    let before = fingerprint(&setup.target);
    let owner = unique_name("prs_owner");
    let reader = unique_name("prs_reader");
    let s = server();
    s.psql(
        "postgres",
        &format!("CREATE ROLE {owner}; CREATE ROLE {reader};"),
    );
    s.psql(
        &setup.src,
        &format!("ALTER TABLE customers OWNER TO {owner}; GRANT SELECT ON orders TO {reader};"),
    );
    let gz = dump(&setup.src, setup.dir.path(), "gzip");
    s.psql(
        &setup.src,
        &format!(
            "ALTER TABLE customers OWNER TO CURRENT_USER; REVOKE ALL ON orders FROM {reader};"
        ),
    );
    s.psql(
        "postgres",
        &format!("DROP ROLE {owner}; DROP ROLE {reader};"),
    );

    let run = cli::run(tool_for(&setup.target).arg("--yes").arg(&gz));
    assert_eq!(run.code, Some(1), "{}", run.snapshot());
    assert!(
        run.stdout
            .contains(&format!("role \"{owner}\" owns objects")),
        "{}",
        run.snapshot()
    );
    assert!(
        run.stdout
            .contains(&format!("role \"{reader}\" is granted privileges")),
        "{}",
        run.snapshot()
    );
    assert!(run.stdout.contains("--owner-map"), "{}", run.snapshot());
    setup.assert_untouched(&before);

    // The fixes the message names work.
    let me = s.user.clone();
    restore_ok(
        &setup.target,
        &[
            "--yes",
            "--owner-map",
            &format!("{owner}={me}"),
            "--no-privileges",
            gz.to_str().unwrap(),
        ],
    );
    let table_owner = s.psql(
        &setup.target,
        "SELECT tableowner FROM pg_tables WHERE tablename = 'customers'",
    );
    assert_eq!(table_owner, me);
    restore_ok(
        &setup.target,
        &[
            "--yes",
            "--no-owner",
            "--no-privileges",
            gz.to_str().unwrap(),
        ],
    );
}

/// Ctrl-C while a `SELECT pg_sleep(120)`, put into the dump before
/// `sleep_before`, runs in the new database; with `hold_last`, while the
/// last table's data is still held back too ([`Gate`]), so the load is
/// surely still under way.
fn ctrl_c_before_the_swap(jobs: &str, sleep_before: &str, hold_last: bool) {
    let setup = Setup::new();
    let before = fingerprint(&setup.target);
    let plain = dump(&setup.src, setup.dir.path(), "plain");
    let _gate = hold_last.then(|| Gate::before_last_table(&plain));
    let text = std::fs::read_to_string(&plain).unwrap();
    let at = text.find(sleep_before).expect("the place for the sleep");
    std::fs::write(
        &plain,
        format!("{}SELECT pg_sleep(120);\n{}", &text[..at], &text[at..]),
    )
    .unwrap();
    let running = Running::start(
        tool_for(&setup.target)
            .args(["--yes", "--jobs", jobs])
            .arg(&plain),
    );
    // Wait until the load is under way (the sleep is running in the new database).
    let started = Instant::now();
    loop {
        let sleeping = server().psql(
            "postgres",
            &format!("SELECT count(*) FROM pg_stat_activity WHERE query LIKE 'SELECT pg_sleep(120)%' AND datname LIKE '{}_restoring_%'", setup.target),
        );
        if sleeping == "1" {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "the restore never reached the sleep"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    running.interrupt();
    let run = running.finish();
    assert_eq!(run.code, Some(130), "{}", run.snapshot());
    setup.assert_cleaned_up(&run, &before);
}

/// After the data, before the first constraint: the end of the data step.
const AFTER_THE_DATA: &str = "--\n-- Name: customers customers_pkey;";

#[test]
fn ctrl_c_before_the_swap_leaves_the_target_and_removes_the_half_restored_database() {
    ctrl_c_before_the_swap("1", AFTER_THE_DATA, false);
}

#[test]
fn ctrl_c_during_a_parallel_load_cleans_up_the_same_way() {
    ctrl_c_before_the_swap("2", AFTER_THE_DATA, false);
}

#[test]
fn ctrl_c_during_the_index_step_cleans_up_the_same_way() {
    // Inside an index entry: a session of the index step waits for it.
    ctrl_c_before_the_swap("2", "CREATE INDEX orders_customer ", false);
}

#[test]
fn ctrl_c_while_a_table_loaded_first_builds_cleans_up_the_same_way() {
    // Inside the key of customers: the session that builds during the load
    // takes it as soon as customers is in, while orders still loads.
    ctrl_c_before_the_swap(
        "2",
        "ALTER TABLE ONLY public.customers\n    ADD CONSTRAINT customers_pkey",
        true,
    );
}

#[test]
fn a_bad_copy_row_is_reported_at_its_line_in_the_dump_serial_and_parallel() {
    let setup = Setup::new();
    let before = fingerprint(&setup.target);
    let plain = dump(&setup.src, setup.dir.path(), "plain");
    let text = std::fs::read_to_string(&plain).unwrap();
    // The 57th data row of customers gets a non-integer id.
    let copy = text.find("COPY public.customers ").unwrap();
    let copy_line = text[..copy].lines().count() + 1;
    let bad_line = copy_line + 57;
    let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
    let row = &mut lines[bad_line - 1];
    let tab = row.find('\t').unwrap();
    row.replace_range(..tab, "5x7");
    std::fs::write(&plain, lines.join("\n") + "\n").unwrap();
    for jobs in ["1", "2"] {
        let run = cli::run(
            tool_for(&setup.target)
                .args(["--yes", "--jobs", jobs])
                .arg(&plain),
        );
        assert_eq!(run.code, Some(3), "{}", run.snapshot());
        assert!(
            run.stdout.contains(&format!("failed at line {bad_line} ")),
            "jobs {jobs}, expected line {bad_line}: {}",
            run.snapshot()
        );
        assert!(
            run.stdout.contains("COPY public.customers"),
            "{}",
            run.snapshot()
        );
        setup.assert_untouched(&before);
    }
}

/// A build that fails while later tables still load (a unique key on a
/// column with duplicates, on customers, loaded first) stops the restore
/// and is reported at its line in the dump, as in the index step. orders'
/// data is held back until the run has ended ([`Gate`]), so the failure
/// can only come from a build beside the load.
#[test]
fn a_build_that_fails_during_the_load_names_its_line() {
    let setup = Setup::new();
    let before = fingerprint(&setup.target);
    let plain = dump(&setup.src, setup.dir.path(), "plain");
    let gate = Gate::before_last_table(&plain);
    let text = std::fs::read_to_string(&plain).unwrap();
    let key = "ADD CONSTRAINT customers_email_key UNIQUE (email);";
    let at = text.find(key).expect("the email key");
    // The line of the key, the statement's last, where psql names it.
    let line = text[..at].matches('\n').count() + 1;
    std::fs::write(
        &plain,
        text.replace(key, "ADD CONSTRAINT customers_email_key UNIQUE (created);"),
    )
    .unwrap();
    let mut running = Running::start(
        tool_for(&setup.target)
            .args(["--yes", "--verbose", "--jobs", "2"])
            .arg(&plain),
    );
    // orders' data is held back, so the load cannot end: the run must
    // stop on its own, at the key built beside the load.
    let stopped = running.ended_within(Duration::from_secs(120));
    gate.open();
    let run = running.finish();
    assert!(
        stopped,
        "the run went on while orders was held back: the key was not built during the load\n{}",
        run.snapshot()
    );
    setup.assert_failed_at(&run, line, "could not create unique index", &before);
    // The load did not end, and is not reported as if it had.
    assert!(
        !run.stderr.contains("table data took"),
        "{}",
        run.snapshot()
    );
}

/// The bytes a restore loads are the bytes it verified: a file replaced
/// after the verification (while the run waits for the target's lock, with
/// the same rows but one changed value) is found out when the load has read
/// it again, before the swap, and nothing changes. Plain SQL loaded in
/// parallel and on one connection, and an archive pg_restore reads, alike.
#[test]
fn a_file_replaced_after_verification_is_not_restored() {
    for (kind, jobs) in [("gzip", "2"), ("gzip", "1"), ("custom", "2")] {
        replaced_after_verification(kind, jobs);
    }
}

fn replaced_after_verification(kind: &str, jobs: &str) {
    let setup = Setup::new();
    let before = fingerprint(&setup.target);
    let file = dump(&setup.src, setup.dir.path(), kind);
    // The same rows, one of them different: only the checksum tells.
    server().psql(
        &setup.src,
        "UPDATE customers SET name = 'late' WHERE id = 1",
    );
    let other_dir = tempfile::tempdir().unwrap();
    let other = dump(&setup.src, other_dir.path(), kind);
    let held = hold_lock(&setup.target);
    let mut child = tool_for(&setup.target)
        .args(["--yes", "--wait", "--jobs", jobs])
        .arg(&file)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = stderr_after(&mut child, "waiting for the lock on database");
    std::fs::copy(&other, &file).unwrap();
    held.release();
    let output = child.wait_with_output().unwrap();
    let run = cli::Run {
        code: output.status.code(),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: stderr.join().unwrap(),
    };
    assert_eq!(
        run.code,
        Some(3),
        "{kind}, --jobs {jobs}: {}",
        run.snapshot()
    );
    assert!(
        run.stderr.contains("changed while it was being restored"),
        "{kind}, --jobs {jobs}: {}",
        run.snapshot()
    );
    setup.assert_cleaned_up(&run, &before);
}

/// Read `child`'s stderr until a line contains `marker` (panics after a
/// minute); the thread returned goes on reading and gives all of it.
fn stderr_after(child: &mut std::process::Child, marker: &str) -> std::thread::JoinHandle<String> {
    use std::io::BufRead as _;
    let stderr = child.stderr.take().unwrap();
    let (seen_tx, seen_rx) = std::sync::mpsc::channel();
    let wanted = marker.to_owned();
    let reader = std::thread::spawn(move || {
        let mut text = String::new();
        for line in std::io::BufReader::new(stderr).lines() {
            let line = line.unwrap_or_default();
            if line.contains(&wanted) {
                let _ = seen_tx.send(());
            }
            text.push_str(&line);
            text.push('\n');
        }
        text
    });
    if seen_rx.recv_timeout(Duration::from_secs(60)).is_err() {
        let _ = child.kill();
        panic!("never saw {marker:?}: {}", reader.join().unwrap());
    }
    reader
}
