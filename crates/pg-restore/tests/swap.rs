//! Restoring over a live database: the previous one is kept, rollback puts
//! it back, prune trims, clients are ended, odd names work, --in-place, and
//! parallel restores equal serial ones.

use std::time::{Duration, Instant};

use shipshape_testkit::cli;
use shipshape_testkit::pg::unique_name;

use super::*;

fn json(run: &cli::Run) -> serde_json::Value {
    serde_json::from_str(&run.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", run.snapshot()))
}

fn with_prefix(prefix: &str) -> Vec<String> {
    list_databases()
        .into_iter()
        .filter(|n| n.starts_with(prefix))
        .collect()
}

#[test]
fn previous_database_is_kept_and_rollback_and_prune_work() {
    let s = server();
    // Declared before the cleanup so it is dropped after the databases that
    // carry its grants.
    let role = s.create_role("prs_conn", "");
    let target = unique_name("prs_tgt");
    let _cleanup = Cleanup(target.clone());
    create_db(&target);
    s.psql(
        &target,
        "CREATE TABLE precious (v text); INSERT INTO precious VALUES ('old data');",
    );
    s.psql(
        "postgres",
        &format!(
            "ALTER DATABASE {target} SET work_mem = '7MB'; COMMENT ON DATABASE {target} IS 'the app'; \
             ALTER DATABASE {target} SET search_path = public, \"$user\""
        ),
    );
    s.psql(
        "postgres",
        &format!(
            "REVOKE ALL ON DATABASE {target} FROM PUBLIC; GRANT CONNECT ON DATABASE {target} TO {}",
            role.name
        ),
    );
    let old = fingerprint(&target);
    let src = s.create_database("prs_src");
    fill(&src.name, 80);
    let dir = tempfile::tempdir().unwrap();
    let gz = dump(&src.name, dir.path(), "gzip");

    let run = restore_ok(
        &target,
        &["--yes", "--format", "json", gz.to_str().unwrap()],
    );
    let report = json(&run);
    let kept = report["previous"].as_str().unwrap().to_owned();
    assert!(
        kept.starts_with(&format!("{target}_pre_restore_")),
        "{kept}"
    );
    assert_eq!(
        report["rollback_command"],
        format!("pg-restore rollback --target {target}")
    );
    assert_eq!(fingerprint(&target), fingerprint(&src.name));
    assert_eq!(
        fingerprint(&kept),
        old,
        "the previous database is kept with its content"
    );
    // Database-level settings and the comment came along.
    let settings = s.psql(
        "postgres",
        &format!(
            "SELECT array_to_string(setconfig, ';') FROM pg_db_role_setting \
             WHERE setdatabase = (SELECT oid FROM pg_database WHERE datname = '{target}')"
        ),
    );
    assert!(settings.contains("work_mem=7MB"), "{settings}");
    assert!(
        settings.contains("search_path=public, \"$user\""),
        "{settings}"
    );
    assert_eq!(
        s.psql(
            "postgres",
            &format!("SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = '{target}'")
        ),
        "the app"
    );

    // So did the grants: CONNECT for the role, nothing for PUBLIC.
    let grants = s.psql(
        "postgres",
        &format!(
            "SELECT has_database_privilege('{}', '{target}', 'CONNECT')::text || ',' || \
             (SELECT count(*) FROM pg_database d, aclexplode(d.datacl) a WHERE d.datname = '{target}' AND a.grantee = 0)",
            role.name
        ),
    );
    assert_eq!(grants, "true,0");

    // Rollback puts the old one back and keeps the replaced one.
    let run = cli::run(tool_for(&target).args(["rollback", "--yes"]));
    assert_eq!(run.code, Some(0), "{}", run.snapshot());
    assert_eq!(fingerprint(&target), old);
    assert!(!exists(&kept));
    let rolled = with_prefix(&format!("{target}_rolled_back_"));
    assert_eq!(rolled.len(), 1, "{}", run.snapshot());
    assert_eq!(fingerprint(&rolled[0]), fingerprint(&src.name));

    // Nothing more to roll back.
    let run = cli::run(tool_for(&target).args(["rollback", "--yes"]));
    assert_eq!(run.code, Some(2), "{}", run.snapshot());

    // Two more restores: three kept databases; prune to one.
    restore_ok(&target, &["--yes", gz.to_str().unwrap()]);
    std::thread::sleep(Duration::from_millis(1100));
    restore_ok(&target, &["--yes", gz.to_str().unwrap()]);
    let kept_count = || with_prefix(&format!("{target}_")).len();
    assert_eq!(kept_count(), 3);
    let run = cli::run(tool_for(&target).args(["prune", "--keep", "1", "--dry-run"]));
    assert_eq!(run.code, Some(0), "{}", run.snapshot());
    assert_eq!(
        run.stdout.matches("would drop").count(),
        2,
        "{}",
        run.snapshot()
    );
    assert_eq!(kept_count(), 3);
    let run = cli::run(tool_for(&target).args(["prune", "--keep", "1"]));
    assert_eq!(run.code, Some(0), "{}", run.snapshot());
    assert_eq!(kept_count(), 1);

    // --drop-previous keeps nothing more.
    std::thread::sleep(Duration::from_millis(1100));
    restore_ok(&target, &["--yes", "--drop-previous", gz.to_str().unwrap()]);
    assert_eq!(kept_count(), 1);
}

#[test]
fn a_live_client_connection_is_ended_during_the_swap() {
    let s = server();
    let target = unique_name("prs_tgt");
    let _cleanup = Cleanup(target.clone());
    create_db(&target);
    let src = s.create_database("prs_src");
    fill(&src.name, 30);
    let dir = tempfile::tempdir().unwrap();
    let custom = dump(&src.name, dir.path(), "custom");
    let mut client = s
        .psql_command(&target)
        .args(["-X", "-c", "SELECT pg_sleep(300)"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
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
    let run = restore_ok(
        &target,
        &["--yes", "--format", "json", custom.to_str().unwrap()],
    );
    assert_eq!(json(&run)["terminated_sessions"], 1, "{}", run.snapshot());
    let status = client.wait().unwrap();
    assert!(!status.success(), "the client's session was terminated");
    assert_eq!(fingerprint(&target), fingerprint(&src.name));
    // The new database accepts connections (the block was lifted).
    assert_eq!(s.psql(&target, "SELECT 1"), "1");
}

#[test]
fn database_names_with_spaces_quotes_and_capitals() {
    let s = server();
    let target = format!("{} My \"Odd\" DB", unique_name("prs"));
    let _cleanup = Cleanup(target.clone());
    create_db(&target);
    s.psql(&target, "CREATE TABLE old_stuff (v int)");
    let src = s.create_database("prs_src");
    fill(&src.name, 20);
    let dir = tempfile::tempdir().unwrap();
    for kind in ["gzip", "custom"] {
        let file = dump(&src.name, dir.path(), kind);
        let run = cli::run(
            tool_for(&src.name)
                .args(["--yes", "--target", &target])
                .arg(&file),
        );
        assert_eq!(run.code, Some(0), "{}", run.snapshot());
        assert_eq!(fingerprint(&target), fingerprint(&src.name));
        std::thread::sleep(Duration::from_millis(1100));
    }
    let kept = with_prefix(&format!("{target}_pre_restore_"));
    assert_eq!(kept.len(), 2, "{kept:?}");
    let run = cli::run(tool_for(&src.name).args(["rollback", "--yes", "--target", &target]));
    assert_eq!(run.code, Some(0), "{}", run.snapshot());
    assert_eq!(
        fingerprint(&target),
        fingerprint(&src.name),
        "rolled back to the first restore"
    );
}

#[test]
fn in_place_success_and_failure_with_the_recovery_command() {
    let s = server();
    let target = unique_name("prs_tgt");
    let _cleanup = Cleanup(target.clone());
    create_db(&target);
    s.psql(
        &target,
        "CREATE TABLE precious (v text); INSERT INTO precious VALUES ('before in-place');",
    );
    let src = s.create_database("prs_src");
    fill(&src.name, 40);
    let dir = tempfile::tempdir().unwrap();
    let gz = dump(&src.name, dir.path(), "gzip");
    let safety_dir = dir.path().join("safety");
    let run = restore_ok(
        &target,
        &[
            "--yes",
            "--in-place",
            "--safety-dir",
            safety_dir.to_str().unwrap(),
            gz.to_str().unwrap(),
        ],
    );
    assert!(run.stdout.contains("safety backup"), "{}", run.snapshot());
    assert_eq!(fingerprint(&target), fingerprint(&src.name));
    assert_eq!(with_prefix(&target).len(), 1);
    // The safety backup is pg-backup's: a verified custom archive with its
    // manifest (and pg-backup's directory lock file), nothing half-written.
    let mut safety: Vec<String> = std::fs::read_dir(&safety_dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    safety.sort();
    assert_eq!(safety.len(), 3, "{safety:?}");
    assert!(safety[0] == ".pg-backup.lock", "{safety:?}");
    assert!(
        safety[1].ends_with(".dump") && safety[2] == format!("{}.json", safety[1]),
        "{safety:?}"
    );
    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(safety_dir.join(&safety[2])).unwrap())
            .unwrap();
    assert_eq!(manifest["verification"]["status"], "verified");
    assert_eq!(manifest["database"], target.as_str());

    // A failing in-place restore prints the exact command that restores the
    // safety backup, and that command works.
    let plain = dump(&src.name, dir.path(), "plain");
    let text = std::fs::read_to_string(&plain).unwrap();
    let at = text.find("--\n-- Name: customers customers_pkey;").unwrap();
    std::fs::write(
        &plain,
        format!(
            "{}SELECT broken_on_purpose();\n{}",
            &text[..at],
            &text[at..]
        ),
    )
    .unwrap();
    let current = fingerprint(&target);
    let run = cli::run(
        tool_for(&target)
            .args([
                "--yes",
                "--in-place",
                "--format",
                "json",
                "--safety-dir",
                safety_dir.to_str().unwrap(),
            ])
            .arg(&plain),
    );
    assert_eq!(run.code, Some(3), "{}", run.snapshot());
    let report = json(&run);
    let recovery = report["recovery_command"].as_str().unwrap().to_owned();
    assert!(
        recovery.starts_with("pg-restore --yes --in-place --target"),
        "{recovery}"
    );
    let words: Vec<String> = recovery
        .split_whitespace()
        .skip(1)
        .map(|w| w.trim_matches('\'').to_owned())
        .collect();
    // Run where a user would; its own safety backup lands there.
    let run = cli::run(tool_for(&target).current_dir(dir.path()).args(&words));
    assert_eq!(run.code, Some(0), "{}", run.snapshot());
    assert_eq!(fingerprint(&target), current);
}

#[test]
fn serial_and_parallel_restores_give_identical_databases() {
    let s = server();
    let src = s.create_database("prs_src");
    fill(&src.name, 3000);
    s.psql(
        &src.name,
        "CREATE TABLE wide AS SELECT g AS id, repeat(md5(g::text), 20) AS pad FROM generate_series(1, 20000) g; \
         ALTER TABLE wide ADD PRIMARY KEY (id); CREATE INDEX wide_pad ON wide (pad); \
         CREATE TABLE quiet (id int) WITH (autovacuum_enabled = false, fillfactor = 90); \
         INSERT INTO quiet SELECT generate_series(1, 100);",
    );
    let dir = tempfile::tempdir().unwrap();
    let gz = dump(&src.name, dir.path(), "gzip");
    let serial = unique_name("prs_serial");
    let parallel = unique_name("prs_parallel");
    let _c1 = Cleanup(serial.clone());
    let _c2 = Cleanup(parallel.clone());
    let serial_run = restore_ok(
        &serial,
        &["--yes", "--verbose", "--jobs", "1", gz.to_str().unwrap()],
    );
    let parallel_run = restore_ok(
        &parallel,
        &["--yes", "--verbose", "--jobs", "3", gz.to_str().unwrap()],
    );
    // The parallel load takes the row counts for the sanity check from the
    // server's COPY tags (five tables hold data); the serial one counts.
    let from_copy = "row counts of 5 table(s) from the server's COPY results";
    assert!(
        parallel_run.stderr.contains(from_copy),
        "{}",
        parallel_run.snapshot()
    );
    assert!(
        !serial_run.stderr.contains("from the server's COPY results"),
        "{}",
        serial_run.snapshot()
    );
    // The parallel load holds autovacuum off every table but `quiet`, whose
    // dump sets the option itself; the fingerprints below (the schema dump
    // includes each table's options) show that all options are as dumped.
    assert!(
        parallel_run
            .stderr
            .contains("autovacuum held off 4 table(s) until after ANALYZE"),
        "{}",
        parallel_run.snapshot()
    );
    let expected = fingerprint(&src.name);
    assert!(
        expected.contains("autovacuum_enabled='false'"),
        "{expected}"
    );
    assert_eq!(fingerprint(&serial), expected);
    assert_eq!(fingerprint(&parallel), expected);
}

/// The builds of customers and "Mixed Case" and the `ANALYZE` of "Mixed
/// Case" (five statements) run while orders' data is held back ([`Gate`]),
/// which is let through only once they are done; orders' own wait for
/// its data. customers, with an expression index, is analyzed only after
/// its builds, so the expression has statistics too; every table is
/// analyzed.
#[test]
fn indexes_of_the_tables_loaded_first_are_built_while_the_others_load() {
    let src = server().create_database("prs_src");
    fill(&src.name, 200);
    server().psql(
        &src.name,
        "CREATE INDEX customers_lower_name ON customers (lower(name))",
    );
    let dir = tempfile::tempdir().unwrap();
    let plain = dump(&src.name, dir.path(), "plain");
    let gate = Gate::before_last_table(&plain);
    let target = unique_name("prs_early");
    let _cleanup = Cleanup(target.clone());
    let mut running = Running::start(tool_for(&target).args([
        "--yes",
        "--verbose",
        "--jobs",
        "2",
        plain.to_str().unwrap(),
    ]));
    let built = built_beside_the_load(&target, &mut running);
    gate.open();
    let run = running.finish();
    assert_eq!(run.code, Some(0), "{}", run.snapshot());
    assert!(built, "the builds did not run while orders was held back");
    assert!(
        run.stderr
            .contains("5 of the index step's statements started during the load"),
        "{}",
        run.snapshot()
    );
    assert_eq!(fingerprint(&target), fingerprint(&src.name));
    let statistics = server().psql(
        &target,
        "SELECT (SELECT count(*) FROM pg_stats WHERE tablename = 'customers_lower_name') > 0, \
         (SELECT count(*) FROM pg_stat_user_tables WHERE last_analyze IS NULL)",
    );
    assert_eq!(
        statistics, "t|0",
        "expression statistics, tables never analyzed"
    );
    // One connection: nothing beside the load.
    let serial = unique_name("prs_early1");
    let _cleanup1 = Cleanup(serial.clone());
    let run = restore_ok(
        &serial,
        &["--yes", "--verbose", "--jobs", "1", plain.to_str().unwrap()],
    );
    assert!(
        !run.stderr.contains("during the load"),
        "{}",
        run.snapshot()
    );
}

/// Whether, within a minute and while `running` runs, the new database
/// for `target` has the four indexes of customers and "Mixed Case" and the
/// statistics of "Mixed Case", with orders still empty.
fn built_beside_the_load(target: &str, running: &mut Running) -> bool {
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(60) && !running.has_ended() {
        let restoring = server().psql(
            "postgres",
            &format!("SELECT datname FROM pg_database WHERE datname LIKE '{target}_restoring_%'"),
        );
        if !restoring.is_empty() {
            let done = server().psql_output(
                &restoring,
                "SELECT (SELECT count(*) FROM pg_indexes WHERE tablename IN ('customers', 'Mixed Case')) \
                 || '|' || (SELECT count(*) > 0 FROM pg_stats WHERE tablename = 'Mixed Case') \
                 || '|' || NOT EXISTS (SELECT FROM public.orders)",
            );
            if String::from_utf8_lossy(&done.stdout).trim() == "4|true|true" {
                return true;
            }
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    false
}

/// `pg_dump --load-via-partition-root`: every partition's data is a COPY
/// into the root table, so the root's key waits for all of them.
#[test]
fn a_dump_loaded_via_the_partition_root_restores_alike() {
    let src = server().create_database("prs_src");
    server().psql(
        &src.name,
        "CREATE TABLE m (id int, at date, v text, PRIMARY KEY (id, at)) PARTITION BY RANGE (at); \
         CREATE TABLE m1 PARTITION OF m FOR VALUES FROM ('2020-01-01') TO ('2021-01-01'); \
         CREATE TABLE m2 PARTITION OF m FOR VALUES FROM ('2021-01-01') TO ('2022-01-01'); \
         CREATE INDEX m_v ON m (v); \
         INSERT INTO m SELECT g, date '2020-01-01' + g % 700, md5(g::text) FROM generate_series(1, 5000) g;",
    );
    let dir = tempfile::tempdir().unwrap();
    let plain = dir.path().join("root.sql");
    sh(
        &src.name,
        &format!("pg_dump --load-via-partition-root > '{}'", plain.display()),
    );
    assert!(
        std::fs::read_to_string(&plain)
            .unwrap()
            .matches("COPY public.m (")
            .count()
            == 2,
        "both partitions' data goes into the root"
    );
    let target = unique_name("prs_root");
    let _cleanup = Cleanup(target.clone());
    restore_ok(&target, &["--yes", "--jobs", "2", plain.to_str().unwrap()]);
    assert_eq!(fingerprint(&target), fingerprint(&src.name));
}

#[test]
fn in_place_without_createdb_clears_the_target_instead() {
    let s = server();
    let role = s.create_role("prs_owner", "NOCREATEDB");
    let target = unique_name("prs_tgt");
    let _cleanup = Cleanup(target.clone());
    s.psql(
        "postgres",
        &format!("CREATE DATABASE {target} OWNER {}", role.name),
    );
    s.psql(
        &target,
        &format!("SET ROLE {}; CREATE TABLE precious (v text); CREATE SCHEMA extra; CREATE TABLE extra.x (i int);", role.name),
    );
    let src = s.create_database("prs_src");
    fill(&src.name, 30);
    let dir = tempfile::tempdir().unwrap();
    let gz = dump(&src.name, dir.path(), "gzip");
    // Without --in-place the role is refused (no CREATEDB) …
    let as_owner = || {
        let mut cmd = tool();
        cmd.env("PATH", super::path_with_client_bin())
            .env(
                "DATABASE_URL",
                s.url_as(&role.name, Some(&role.password), &target),
            )
            .current_dir(dir.path());
        cmd
    };
    let run = cli::run(
        as_owner()
            .args(["--yes", "--no-owner", "--no-privileges"])
            .arg(&gz),
    );
    assert_eq!(run.code, Some(1), "{}", run.snapshot());
    assert!(run.stdout.contains("needs-createdb"), "{}", run.snapshot());
    // … with it, the database is emptied and restored in place.
    let run = cli::run(
        as_owner()
            .args(["--yes", "--in-place", "--no-owner", "--no-privileges"])
            .arg(&gz),
    );
    assert_eq!(run.code, Some(0), "{}", run.snapshot());
    assert_eq!(
        s.psql(
            &target,
            "SELECT count(*) FROM pg_namespace WHERE nspname = 'extra'"
        ),
        "0"
    );
    let tables = s.psql(
        &target,
        "SELECT string_agg(tablename, ',' ORDER BY tablename COLLATE \"C\") FROM pg_tables WHERE schemaname = 'public'",
    );
    assert_eq!(tables, "Mixed Case,customers,orders");
    assert_eq!(
        s.psql(&target, "SELECT count(*) FROM orders"),
        s.psql(&src.name, "SELECT count(*) FROM orders")
    );
}

#[test]
fn a_swap_that_fails_halfway_is_undone() {
    let s = server();
    let target = unique_name("prs_tgt");
    let _cleanup = Cleanup(target.clone());
    create_db(&target);
    s.psql(
        &target,
        "CREATE TABLE precious (v text); INSERT INTO precious VALUES ('keep me');",
    );
    let before = fingerprint(&target);
    let src = s.create_database("prs_src");
    fill(&src.name, 20);
    let dir = tempfile::tempdir().unwrap();
    let gz = dump(&src.name, dir.path(), "gzip");
    // The pre-swap hook leaves a session in the restored database, so its
    // rename to the target name (the swap's second rename) fails after the
    // target was already renamed away: the swap must put everything back.
    // Hooks never see the password (PGPASSWORD is scrubbed), so this one
    // brings its own, as a user's hook would bring its own credentials.
    let password = s.password.clone().unwrap_or_default();
    let hook = format!(
        "sh -c 'PGPASSWORD=\"{password}\" psql -X -q -d \"$PG_RESTORE_NEW\" -c \"SELECT pg_sleep(60)\" >/dev/null 2>&1 & sleep 2'"
    );
    let hook = hook.as_str();
    let mut cmd = tool_for(&target);
    s.apply_env(&mut cmd, &target);
    cmd.env("DATABASE_URL", s.url(&target));
    let run = cli::run(cmd.args(["--yes", "--pre-swap", hook]).arg(&gz));
    assert_eq!(run.code, Some(3), "{}", run.snapshot());
    assert!(
        run.stderr.contains("the swap was undone"),
        "{}",
        run.snapshot()
    );
    assert_eq!(fingerprint(&target), before);
    assert_eq!(with_prefix(&target), vec![target.clone()]);
    assert_eq!(
        s.psql(
            "postgres",
            &format!("SELECT datallowconn::text FROM pg_database WHERE datname = '{target}'")
        ),
        "true",
        "connections to the target are allowed again"
    );
}

#[test]
fn the_new_database_is_created_like_the_target() {
    let s = server();
    let role = s.create_role("prs_like", "");
    let target = unique_name("prs_tgt");
    let _cleanup = Cleanup(target.clone());
    s.psql(
        "postgres",
        &format!(
            "CREATE DATABASE {target} WITH TEMPLATE template0 OWNER {} ENCODING 'LATIN1' \
             LC_COLLATE 'C' LC_CTYPE 'C' CONNECTION LIMIT 7",
            role.name
        ),
    );
    let src = s.create_database("prs_src");
    fill(&src.name, 10);
    let dir = tempfile::tempdir().unwrap();
    let gz = dump(&src.name, dir.path(), "gzip");
    let describe = |db: &str| {
        s.psql(
            "postgres",
            &format!(
                "SELECT pg_get_userbyid(datdba) || ',' || pg_encoding_to_char(encoding) || ',' || \
                 datcollate || ',' || datctype || ',' || datconnlimit || ',' || datallowconn \
                 FROM pg_database WHERE datname = '{db}'"
            ),
        )
    };
    let before = describe(&target);
    assert_eq!(before, format!("{},LATIN1,C,C,7,true", role.name));
    restore_ok(&target, &["--yes", gz.to_str().unwrap()]);
    assert_eq!(describe(&target), before);
    // Same content; only pg_dump's client_encoding line follows the encoding.
    assert_eq!(
        fingerprint(&target).replace("client_encoding = 'LATIN1'", "client_encoding = 'UTF8'"),
        fingerprint(&src.name)
    );
    let kept = with_prefix(&format!("{target}_pre_restore_"));
    assert_eq!(kept.len(), 1, "{kept:?}");
    assert_eq!(describe(&kept[0]), before, "the kept database is as it was");
}

#[test]
fn hooks_never_see_the_password_quiet_is_quiet_and_an_unterminated_quote_is_a_usage_error() {
    let s = server();
    let target = unique_name("prs_tgt");
    let _cleanup = Cleanup(target.clone());
    let src = s.create_database("prs_src");
    fill(&src.name, 5);
    let dir = tempfile::tempdir().unwrap();
    let gz = dump(&src.name, dir.path(), "gzip");
    let seen = dir.path().join("hook.env");
    let hook = format!("sh -c 'env >> {}'", seen.display());

    // Nothing is restored when a hook cannot even be split into words.
    let mut cmd = tool_for(&target);
    cmd.env("DATABASE_URL", s.url(&target));
    let run = cli::run(cmd.args(["--yes", "--pre-swap", "sh -c 'true"]).arg(&gz));
    assert_eq!(run.code, Some(2), "{}", run.snapshot());
    assert!(run.stderr.contains("unterminated"), "{}", run.stderr);
    assert!(
        with_prefix(&target).is_empty(),
        "{:?}",
        with_prefix(&target)
    );

    let mut cmd = tool_for(&target);
    s.apply_env(&mut cmd, &target);
    cmd.env("DATABASE_URL", s.url(&target))
        .env("PGPASSFILE", "/nonexistent/pgpass");
    let run = cli::run(
        cmd.args([
            "--yes",
            "--quiet",
            "--pre-swap",
            &hook,
            "--post-swap",
            &hook,
        ])
        .arg(&gz),
    );
    assert_eq!(run.code, Some(0), "{}", run.snapshot());
    // --quiet: silence when all is well, as in every tool.
    assert_eq!((run.stdout.as_str(), run.stderr.as_str()), ("", ""));
    let env = std::fs::read_to_string(&seen).unwrap();
    assert_eq!(env.matches("PG_RESTORE_TARGET=").count(), 2, "{env}");
    for name in ["PGPASSWORD=", "DATABASE_URL=", "PGPASSFILE="] {
        assert!(!env.contains(name), "a hook saw {name}: {env}");
    }
    if let Some(password) = &s.password {
        assert!(!env.contains(password.as_str()), "a hook saw the password");
    }
}
