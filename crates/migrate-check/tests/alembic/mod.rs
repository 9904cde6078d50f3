//! The Alembic layout, driven through the real alembic command installed by
//! scripts/deps/migrate-check.sh into target/migrate-check-venv.

use std::path::PathBuf;
use std::sync::OnceLock;

use crate::{check_status, checked_run, errors, fixture, json, root, serial, tool_on_server};

/// The virtualenv's bin directory, installing it when missing (the script
/// is idempotent and quick when everything is there).
fn venv_bin() -> &'static PathBuf {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| {
        let bin = root().join("target/migrate-check-venv/bin");
        if !bin.join("alembic").is_file() {
            let status = std::process::Command::new("sh")
                .arg(root().join("scripts/deps/migrate-check.sh"))
                .status()
                .unwrap();
            assert!(status.success(), "scripts/deps/migrate-check.sh failed");
        }
        bin
    })
}

pub fn path_with_venv() -> String {
    format!(
        "{}:{}",
        venv_bin().display(),
        std::env::var("PATH").unwrap_or_default()
    )
}

#[test]
fn the_stack_alembic_project_passes() {
    let _guard = serial();
    let dir = fixture("fixtures/stack/migrations/alembic");
    let run = checked_run(
        tool_on_server()
            .env("PATH", path_with_venv())
            .arg(&dir)
            .args(["--format", "json"]),
    );
    assert_eq!(run.code, Some(0), "{}", run.snapshot());
    let value = json(&run);
    assert_eq!(value["layout"], "alembic");
    assert_eq!(value["migrations"], 8);
    for check in ["prerequisites", "history", "upgrade", "stairway", "reset"] {
        assert_eq!(
            check_status(&value, check),
            "passed",
            "{check}: {}",
            run.stdout
        );
    }
}

pub fn copy_dir(from: &std::path::Path, to: &std::path::Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

#[test]
fn an_env_py_reading_sqlalchemy_url_gets_the_throwaway_database() {
    let _guard = serial();
    // `alembic init`'s env.py: the URL comes only from alembic.ini, which
    // names some other database. migrate-check must never migrate that one.
    let scratch = tempfile::tempdir().unwrap();
    let project = scratch.path().join("project");
    copy_dir(
        &fixture("fixtures/migrate-check/alembic-loses-not-null"),
        &project,
    );
    std::fs::write(
        project.join("migrations/env.py"),
        "from alembic import context\nfrom sqlalchemy import engine_from_config, pool\n\n\
         config = context.config\n\
         engine = engine_from_config(config.get_section(config.config_ini_section), prefix='sqlalchemy.', poolclass=pool.NullPool)\n\
         with engine.connect() as connection:\n    context.configure(connection=connection)\n\
         \x20   with context.begin_transaction():\n        context.run_migrations()\n",
    )
    .unwrap();
    let ini = std::fs::read_to_string(project.join("alembic.ini")).unwrap();
    std::fs::write(
        project.join("alembic.ini"),
        ini.replace(
            "sqlalchemy.url =",
            "sqlalchemy.url = postgresql+psycopg://nobody@127.0.0.1:1/not_this_one",
        ),
    )
    .unwrap();
    let run = checked_run(
        tool_on_server()
            .env("PATH", path_with_venv())
            .arg(&project)
            .args(["--only", "upgrade,stairway", "--format", "json"]),
    );
    assert_eq!(run.code, Some(1), "{}", run.snapshot());
    let stairway = errors(&json(&run), "stairway");
    assert!(
        stairway
            .iter()
            .any(|(m, _)| m.contains("column public.item.owner_id")),
        "{stairway:?}"
    );
}

#[test]
fn an_env_py_building_its_url_from_postgres_settings_works_through_env_placeholders() {
    let _guard = serial();
    let scratch = tempfile::tempdir().unwrap();
    let project = scratch.path().join("project");
    copy_dir(
        &fixture("fixtures/migrate-check/alembic-loses-not-null"),
        &project,
    );
    // Like a FastAPI settings module: the URL is assembled from POSTGRES_*.
    std::fs::write(
        project.join("migrations/env.py"),
        "import os\nfrom urllib.parse import quote\nfrom alembic import context\n\
         from sqlalchemy import create_engine, pool\n\n\
         e = os.environ\n\
         url = 'postgresql+psycopg://%s:%s@%s:%s/%s' % (e['POSTGRES_USER'], quote(e['POSTGRES_PASSWORD'], safe=''), \
         e['POSTGRES_SERVER'], e['POSTGRES_PORT'], e['POSTGRES_DB'])\n\
         os.environ.pop('PGPASSWORD', None)\n\
         engine = create_engine(url, poolclass=pool.NullPool)\n\
         with engine.connect() as connection:\n    context.configure(connection=connection)\n\
         \x20   with context.begin_transaction():\n        context.run_migrations()\n",
    )
    .unwrap();
    std::fs::write(
        scratch.path().join("shipshape.toml"),
        "[migrate-check]\ndir = 'project'\n\n[migrate-check.env]\n\
         POSTGRES_SERVER = '{host}'\nPOSTGRES_PORT = '{port}'\nPOSTGRES_USER = '{user}'\n\
         POSTGRES_PASSWORD = '{password}'\nPOSTGRES_DB = '{database}'\n",
    )
    .unwrap();
    let run = checked_run(
        tool_on_server()
            .current_dir(scratch.path())
            .env("PATH", path_with_venv())
            .args(["--only", "upgrade,stairway", "--format", "json"]),
    );
    assert_eq!(run.code, Some(1), "{}", run.snapshot());
    let value = json(&run);
    assert_eq!(check_status(&value, "upgrade"), "passed", "{}", run.stdout);
    let stairway = errors(&value, "stairway");
    assert!(
        stairway
            .iter()
            .any(|(m, _)| m.contains("NOT NULL was lost")),
        "{stairway:?}"
    );
}

#[test]
fn two_heads_fail_history_and_nothing_runs() {
    let _guard = serial();
    let dir = fixture("fixtures/migrate-check/alembic-two-heads");
    let run = checked_run(
        tool_on_server()
            .env("PATH", path_with_venv())
            .arg(&dir)
            .args(["--format", "json"]),
    );
    assert_eq!(run.code, Some(1), "{}", run.snapshot());
    let value = json(&run);
    let history = errors(&value, "history");
    assert!(
        history.iter().any(|(m, _)| m.contains("2 heads")
            && m.contains("0002_status")
            && m.contains("0002_total")),
        "{history:?}"
    );
    assert_eq!(check_status(&value, "upgrade"), "skipped");
}

#[test]
fn a_downgrade_losing_not_null_and_default_is_named_via_alembic_command_config() {
    let _guard = serial();
    // alembic_command and env from the config file: python -m alembic from
    // the virtualenv, and an env var built from placeholders.
    let scratch = tempfile::tempdir().unwrap();
    let python = venv_bin().join("python");
    std::fs::write(
        scratch.path().join("shipshape.toml"),
        format!(
            "[migrate-check]\ndir = '{}'\nalembic_command = ['{}', '-m', 'alembic']\n\n\
             [migrate-check.env]\nAPP_DB_NAME = '{{database}}'\n",
            fixture("fixtures/migrate-check/alembic-loses-not-null").display(),
            python.display()
        ),
    )
    .unwrap();
    let run = checked_run(
        tool_on_server()
            .current_dir(scratch.path())
            .args(["--format", "json"]),
    );
    assert_eq!(run.code, Some(1), "{}", run.snapshot());
    let value = json(&run);
    let stairway = errors(&value, "stairway");
    assert!(
        stairway.iter().any(|(m, f)| m.contains(
            "down of 0002_owner_bigint did not reverse: column public.item.owner_id: default was lost (was 0); NOT NULL was lost"
        ) && f.ends_with("0002_owner_bigint.py")),
        "{stairway:?}"
    );
    // Column order is reported, at lower severity.
    let warnings: Vec<&str> = value["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["severity"] == "warning" && d["code"] == "stairway")
        .map(|d| d["message"].as_str().unwrap())
        .collect();
    assert!(
        warnings
            .iter()
            .any(|m| m.contains("column order of public.item")),
        "{warnings:?}"
    );
}

#[test]
fn alembic_ini_in_the_current_directory_is_found_and_a_missing_alembic_exits_3() {
    let _guard = serial();
    // A project whose script location is not migrations/: the ini in the
    // current directory is what names it.
    let copy = tempfile::tempdir().unwrap();
    let project = copy.path().join("app");
    copy_dir(&fixture("fixtures/stack/migrations/alembic"), &project);
    std::fs::rename(project.join("migrations"), project.join("db_revisions")).unwrap();
    let ini = std::fs::read_to_string(project.join("alembic.ini")).unwrap();
    std::fs::write(
        project.join("alembic.ini"),
        ini.replace("%(here)s/migrations", "%(here)s/db_revisions"),
    )
    .unwrap();
    let run = checked_run(
        tool_on_server()
            .env("PATH", path_with_venv())
            .current_dir(&project)
            .args(["--only", "history", "--format", "json"]),
    );
    assert_eq!(run.code, Some(0), "{}", run.snapshot());
    let value = json(&run);
    assert_eq!(value["layout"], "alembic");
    assert_eq!(value["migrations"], 8);

    // The migration tool cannot run: exit 3, with a hint, nothing created.
    let scratch = tempfile::tempdir().unwrap();
    std::fs::write(
        scratch.path().join("shipshape.toml"),
        format!(
            "[migrate-check]\ndir = '{}'\nalembic_command = ['{}']\n",
            project.display(),
            scratch.path().join("no-such-alembic").display()
        ),
    )
    .unwrap();
    let run = checked_run(tool_on_server().current_dir(scratch.path()));
    assert_eq!(run.code, Some(3), "{}", run.snapshot());
    assert!(
        run.stderr.contains("no-such-alembic") && run.stderr.contains("alembic_command"),
        "{}",
        run.stderr
    );
}
