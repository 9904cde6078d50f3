//! crates/pg against a real PostgreSQL (see shipshape_testkit::pg).

#![allow(clippy::unwrap_used, clippy::print_stderr)] // test code: a panic is a failed test

use shipshape_pg::lock::DatabaseLock;
use shipshape_pg::{ConnectionSettings, Db, PgError, child, programs};
use shipshape_testkit::pg::server;

fn settings_for(url: &str) -> ConnectionSettings {
    ConnectionSettings::resolve_with(Some(url), None, |_| None).expect("valid URL")
}

#[test]
fn connects_and_reads_the_server_version() {
    let db = server().create_database("ss_pg_connect");
    let mut conn = Db::connect(&settings_for(&db.url())).expect("connect");
    let major = conn.server_major().expect("version");
    assert!(major >= 10, "server major {major}");
    assert!(conn.database_exists(&db.name).unwrap());
    assert!(!conn.database_exists("ss_surely_missing_db").unwrap());
    let rows = conn
        .query_text("SELECT $1::text || 'x', NULL::text", &["a"])
        .unwrap();
    assert_eq!(rows, vec![vec![Some("ax".to_owned()), None]]);
}

#[test]
fn unreachable_server_is_reported_with_the_target() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let err = Db::connect(&settings_for(&format!(
        "postgres://u:pw@127.0.0.1:{port}/db"
    )))
    .unwrap_err();
    assert!(matches!(err, PgError::Unreachable { .. }), "{err}");
    let text = err.to_string();
    assert!(text.contains(&format!("127.0.0.1:{port}")), "{text}");
    assert!(text.contains("hint:"), "{text}");
}

#[test]
fn wrong_password_is_an_auth_failure_without_echoing_it() {
    let s = server();
    if !s.auth_enforced {
        eprintln!("skipped: the server at DATABASE_URL does not check passwords (trust auth)");
        return;
    }
    let role = s.create_role("ss_pg_auth", "");
    let url = s.url_as(&role.name, Some("wrong-Secret-123"), "postgres");
    let err = Db::connect(&settings_for(&url)).unwrap_err();
    assert!(matches!(err, PgError::AuthFailed { .. }), "{err}");
    assert!(!err.to_string().contains("wrong-Secret-123"));
    assert!(err.to_string().contains(&role.name));
}

#[test]
fn missing_database_is_named() {
    let s = server();
    let err = Db::connect(&settings_for(&s.url("ss_no_such_database_here"))).unwrap_err();
    assert!(matches!(err, PgError::DatabaseMissing { .. }), "{err}");
    assert!(err.to_string().contains("ss_no_such_database_here"));
}

#[test]
fn permission_denied_is_classified() {
    let s = server();
    let role = s.create_role("ss_pg_nocreate", "NOCREATEDB");
    let mut conn = Db::connect(&settings_for(&s.url_as(
        &role.name,
        Some(&role.password),
        "postgres",
    )))
    .unwrap();
    let err = conn
        .execute("CREATE DATABASE ss_pg_should_not_exist")
        .unwrap_err();
    assert!(matches!(err, PgError::PermissionDenied { .. }), "{err}");
    conn.close();
}

#[test]
fn finds_a_pg_dump_new_enough_for_the_server() {
    let s = server();
    let mut conn = Db::connect(&settings_for(&s.url("postgres"))).unwrap();
    let major = conn.server_major().unwrap();
    // Discovery sees PATH and /usr/lib/postgresql only: the test server may
    // be newer than anything there (17 from target/pg beside Debian's 15),
    // and then the error must say which version is needed.
    match programs::find("pg_dump", programs::Needs::server(major), None) {
        Ok(found) => assert!(found.major >= major, "{found:?}"),
        Err(err) => assert!(
            err.to_string()
                .contains(&format!("need major version {major}")),
            "{err}"
        ),
    }
    let in_dir = programs::find("pg_dump", programs::Needs::server(major), Some(&s.bin_dir))
        .expect("pg_dump in the bin dir");
    assert_eq!(in_dir.path, s.bin_dir.join("pg_dump"));
}

#[test]
fn a_too_new_server_gets_a_clear_message() {
    let err = programs::find("pg_dump", programs::Needs::server(99), None).unwrap_err();
    let text = err.to_string();
    assert!(text.contains("need major version 99"), "{text}");
    assert!(text.contains("the server is PostgreSQL 99"), "{text}");
    // A dump from a newer pg_dump than the server raises the bar, and says so.
    let needs = programs::Needs::server(17).with_dump(Some(99));
    let text = programs::find("pg_restore", needs, None)
        .unwrap_err()
        .to_string();
    assert!(
        text.contains("need major version 99 or newer (the dump was written by pg_dump 99)"),
        "{text}"
    );
    assert!(
        text.contains("apt-get install postgresql-client-99"),
        "{text}"
    );
    let err = programs::find(
        "pg_dump",
        programs::Needs::server(1),
        Some(std::path::Path::new("/nonexistent")),
    )
    .unwrap_err();
    assert!(
        err.to_string().contains("/nonexistent has no pg_dump"),
        "{err}"
    );
}

#[test]
fn child_programs_connect_through_the_environment() {
    let s = server();
    let db = s.create_database("ss_pg_child");
    let settings = settings_for(&db.url());
    let psql = s.program("psql");
    let output = child::command(&psql, &settings)
        .env("PGHOST", "wrong-host-that-child-must-not-use")
        .args(["-X", "-A", "-t", "-c", "select current_database()"])
        .output()
        .unwrap();
    // apply_env ran before the bogus PGHOST, so this proves order matters:
    // re-apply and it must work.
    assert!(!output.status.success());
    let mut cmd = std::process::Command::new(&psql);
    cmd.env("PGHOST", "wrong-host").env("PGPASSWORD", "wrong");
    child::apply_env(&mut cmd, &settings);
    let output = cmd
        .args(["-X", "-A", "-t", "-c", "select current_database()"])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&output.stdout).trim(), db.name);
}

#[test]
fn advisory_lock_excludes_a_second_holder() {
    let s = server();
    let settings = settings_for(&s.url("postgres"));
    let name = shipshape_testkit::pg::unique_name("ss_pg_lock");
    let first = DatabaseLock::try_acquire(&settings, &name)
        .unwrap()
        .expect("first lock");
    assert!(
        DatabaseLock::try_acquire(&settings, &name)
            .unwrap()
            .is_none(),
        "second must fail"
    );
    let holder = DatabaseLock::holder(&settings, &name)
        .unwrap()
        .expect("holder");
    assert!(holder.contains("shipshape"), "{holder}");
    first.release();
    let again = DatabaseLock::try_acquire(&settings, &name).unwrap();
    assert!(again.is_some(), "released lock can be taken again");
}
