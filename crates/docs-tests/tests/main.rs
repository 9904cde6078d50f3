//! The docs cannot rot: every `console` example in README.md and docs/ runs,
//! the GitHub Action and the documented workflows agree, and the systemd
//! units pass `systemd-analyze verify`.

#![allow(clippy::unwrap_used, clippy::print_stderr)] // test code: a panic is a failed test

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;
use shipshape_docs_tests::{console_commands, fenced_blocks};
use shipshape_testkit::cli::{self, workspace_root};

/// The binaries the docs talk about.
const TOOLS: [&str; 5] = [
    "validate-env",
    "pg-backup",
    "pg-restore",
    "migrate-check",
    "alert-lint",
];

/// target/debug, where `cargo test --workspace` has built the tool binaries.
fn bin_dir() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    exe.parent().and_then(Path::parent).unwrap().to_owned()
}

fn markdown_files() -> Vec<PathBuf> {
    let root = workspace_root();
    let mut files = vec![root.join("README.md")];
    let mut docs: Vec<PathBuf> = std::fs::read_dir(root.join("docs"))
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "md"))
        .collect();
    docs.sort();
    files.extend(docs);
    files
}

/// The directory and database a Markdown file's examples run in: a copy of
/// the example stack (fixtures/stack/), so the docs can say
/// `validate-env .env.production` or `alert-lint monitoring/`, and a fresh
/// database holding the stack's schema and some rows, named by
/// `DATABASE_URL`, so `pg-backup` and `pg-restore` examples have something
/// real to work on. Everything the examples create (backups, kept copies of
/// a restored database) is removed afterwards.
struct Sandbox<'a> {
    dir: tempfile::TempDir,
    server: &'a shipshape_testkit::pg::TestServer,
    database: shipshape_testkit::pg::TestDatabase<'a>,
}

impl<'a> Sandbox<'a> {
    fn new(server: &'a shipshape_testkit::pg::TestServer) -> Self {
        let root = workspace_root();
        let dir = tempfile::tempdir().unwrap();
        let copied = Command::new("cp")
            .arg("-a")
            .arg(root.join("fixtures/stack/."))
            .arg(dir.path())
            .status()
            .unwrap();
        assert!(copied.success(), "copying fixtures/stack");
        let database = server.create_database("docs");
        let mut ups: Vec<PathBuf> =
            std::fs::read_dir(root.join("fixtures/stack/migrations/updown"))
                .unwrap()
                .flatten()
                .map(|e| e.path())
                .filter(|p| p.to_string_lossy().ends_with(".up.sql"))
                .collect();
        ups.sort();
        for up in ups {
            database.psql(&std::fs::read_to_string(up).unwrap());
        }
        database.psql(
            "INSERT INTO users (email) SELECT 'user' || g || '@example.com' FROM generate_series(1, 200) g",
        );
        Self {
            dir,
            server,
            database,
        }
    }

    fn run(&self, command: &str, bins: &Path) -> cli::Run {
        let path = format!(
            "{}:{}",
            bins.display(),
            cli::search_path().to_string_lossy()
        );
        cli::run(
            cli::command("sh")
                .args(["-c", command])
                .current_dir(self.dir.path())
                .env("PATH", path)
                .env("HOME", self.dir.path())
                .env("DATABASE_URL", self.database.url()),
        )
    }
}

impl Drop for Sandbox<'_> {
    fn drop(&mut self) {
        // Kept copies a restore left (`<name>_pre_restore_…`) are ours too.
        let prefix = format!("{}_", self.database.name);
        for name in self.server.databases_with_prefix(&prefix) {
            drop(self.server.adopt_database(&name));
        }
    }
}

#[test]
fn every_console_example_runs_with_the_documented_exit_code() {
    let root = workspace_root();
    let bins = bin_dir();
    let missing: Vec<_> = TOOLS.iter().filter(|t| !bins.join(t).is_file()).collect();
    assert!(
        missing.is_empty(),
        "tool binaries {missing:?} not built in {}: run `cargo build --workspace`",
        bins.display()
    );

    let server = shipshape_testkit::pg::server();
    let mut failures = Vec::new();
    let mut count = 0;
    for file in markdown_files() {
        let text = std::fs::read_to_string(&file).unwrap();
        let blocks: Vec<_> = fenced_blocks(&text)
            .into_iter()
            .filter(|b| b.info == "console")
            .collect();
        if blocks.is_empty() {
            continue;
        }
        // One sandbox per file: a file's examples build on each other
        // (back up, then list, then restore).
        let sandbox = Sandbox::new(server);
        for block in &blocks {
            for command in console_commands(block) {
                count += 1;
                let run = sandbox.run(&command.command, &bins);
                if run.code != Some(command.expected_exit) {
                    failures.push(format!(
                        "{}:{}: `{}` exited {:?}, the docs say {}\n{}",
                        file.strip_prefix(root).unwrap_or(&file).display(),
                        command.line,
                        command.command,
                        run.code,
                        command.expected_exit,
                        run.snapshot()
                    ));
                }
            }
        }
    }
    eprintln!("ran {count} documented commands");
    assert!(count > 0, "no console examples found");
    assert!(
        failures.is_empty(),
        "{} documented command(s) misbehave:\n\n{}",
        failures.len(),
        failures.join("\n\n")
    );
}

/// An example that calls a tool must be a `console` block, or the test
/// above would not run it.
#[test]
fn tool_examples_are_console_blocks() {
    let mut offenders = Vec::new();
    for file in markdown_files() {
        let text = std::fs::read_to_string(&file).unwrap();
        for block in fenced_blocks(&text) {
            if !matches!(block.info.as_str(), "sh" | "bash" | "shell" | "") {
                continue;
            }
            let calls_a_tool = block.text.lines().any(|line| {
                let line = line.trim_start().trim_start_matches("$ ");
                TOOLS.iter().any(|t| line.starts_with(&format!("{t} ")))
            });
            if calls_a_tool {
                offenders.push(format!("{}:{}", file.display(), block.line));
            }
        }
    }
    assert!(
        offenders.is_empty(),
        "tool examples outside ```console blocks (they would not be tested): {offenders:?}"
    );
}

fn yaml(text: &str) -> Value {
    serde_saphyr::from_str::<Value>(text).unwrap_or_else(|e| panic!("invalid YAML: {e}\n{text}"))
}

fn action_inputs() -> (Value, BTreeSet<String>) {
    let text = std::fs::read_to_string(workspace_root().join("action.yml")).unwrap();
    let action = yaml(&text);
    let inputs: BTreeSet<String> = action["inputs"]
        .as_object()
        .expect("action.yml has inputs")
        .keys()
        .cloned()
        .collect();
    // Every ${{ inputs.X }} the action uses must be declared.
    let re = regex::Regex::new(r"\$\{\{\s*inputs\.([A-Za-z0-9_-]+)\s*\}\}").unwrap();
    for cap in re.captures_iter(&text) {
        assert!(
            inputs.contains(&cap[1]),
            "action.yml uses undeclared input `{}`",
            &cap[1]
        );
    }
    (action, inputs)
}

#[test]
fn action_is_a_composite_action_with_documented_inputs() {
    let (action, inputs) = action_inputs();
    assert_eq!(action["runs"]["using"], "composite");
    for step in action["runs"]["steps"].as_array().unwrap() {
        if step.get("run").is_some() {
            assert!(
                step.get("shell").is_some(),
                "composite run steps need a shell: {step}"
            );
        }
    }
    let docs = std::fs::read_to_string(workspace_root().join("docs/github-actions.md")).unwrap();
    for input in &inputs {
        assert!(
            docs.contains(&format!("`{input}`")),
            "docs/github-actions.md does not document input `{input}`"
        );
    }
}

#[test]
fn documented_workflows_parse_and_use_only_existing_inputs() {
    let (action, inputs) = action_inputs();
    let required: Vec<&String> = inputs
        .iter()
        .filter(|name| action["inputs"][name.as_str()]["required"] == Value::Bool(true))
        .collect();
    let docs = std::fs::read_to_string(workspace_root().join("docs/github-actions.md")).unwrap();
    let mut uses_action = 0;
    for block in fenced_blocks(&docs).iter().filter(|b| b.info == "yaml") {
        let doc = yaml(&block.text);
        let steps: Vec<&Value> = match doc.get("jobs").and_then(Value::as_object) {
            Some(jobs) => jobs
                .values()
                .filter_map(|j| j["steps"].as_array())
                .flatten()
                .collect(),
            None => doc
                .get("steps")
                .and_then(Value::as_array)
                .map(|s| s.iter().collect())
                .unwrap_or_default(),
        };
        assert!(
            !steps.is_empty(),
            "docs/github-actions.md:{}: a workflow without steps",
            block.line
        );
        for step in steps {
            let Some(uses) = step["uses"].as_str() else {
                continue;
            };
            if !uses.starts_with("shipshape/shipshape") && uses != "./" {
                continue;
            }
            uses_action += 1;
            let with = step["with"].as_object().expect("the action needs `with:`");
            for key in with.keys() {
                assert!(
                    inputs.contains(key),
                    "docs/github-actions.md:{}: unknown input `{key}`",
                    block.line
                );
            }
            for name in &required {
                assert!(
                    with.contains_key(name.as_str()),
                    "docs/github-actions.md:{}: missing `{name}`",
                    block.line
                );
            }
        }
    }
    assert!(
        uses_action >= 3,
        "the docs should show the action in each workflow"
    );
}

#[test]
fn systemd_units_verify() {
    let Ok(output) = Command::new("systemd-analyze").arg("--version").output() else {
        eprintln!("skipped: systemd-analyze is not installed (Debian package systemd)");
        return;
    };
    assert!(output.status.success());
    let units = workspace_root().join("contrib/systemd");
    let dir = tempfile::tempdir().unwrap();
    let binary = bin_dir().join("pg-backup");
    let mut names = Vec::new();
    for entry in std::fs::read_dir(&units).unwrap().flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if !(name.ends_with(".service") || name.ends_with(".timer")) {
            continue;
        }
        // The units name the installed path; verify against the built binary.
        let text = std::fs::read_to_string(entry.path()).unwrap();
        let text = text.replace("/usr/local/bin/pg-backup", &binary.display().to_string());
        std::fs::write(dir.path().join(&name), text).unwrap();
        names.push(name);
    }
    names.sort();
    assert!(names.len() >= 4, "{names:?}");
    let output = Command::new("systemd-analyze")
        .args(["verify", "--man=no"])
        .args(names.iter().map(|n| dir.path().join(n)))
        .env("SYSTEMD_LOG_LEVEL", "warning")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    // Lines about the host (no D-Bus, no running systemd in a container) are
    // not about our files; anything naming one of our units is.
    let about_us: Vec<&str> = stderr
        .lines()
        .filter(|l| names.iter().any(|n| l.contains(n.as_str())))
        .collect();
    assert!(about_us.is_empty(), "systemd-analyze verify:\n{stderr}");
}

/// The pg-backup commands in contrib/ (systemd ExecStart= lines, crontab
/// lines) run as written against a real database, with the installed paths
/// pointed at temporary directories and the health-check hooks replaced by
/// `true` (no network here), so a renamed flag cannot slip through.
#[test]
fn contrib_commands_run_against_a_real_database() {
    let root = workspace_root();
    let server = shipshape_testkit::pg::server();
    let database = server.create_database("contrib");
    database
        .psql("CREATE TABLE t (id int PRIMARY KEY); INSERT INTO t SELECT generate_series(1, 100)");
    let work = tempfile::tempdir().unwrap();
    let backups = work.path().join("backups");
    let metrics = work.path().join("node-exporter");
    std::fs::create_dir_all(&metrics).unwrap();
    let binary = bin_dir().join("pg-backup");

    let mut commands = Vec::new();
    for unit in ["pg-backup.service", "pg-backup-verify.service"] {
        let text = std::fs::read_to_string(root.join("contrib/systemd").join(unit)).unwrap();
        for line in text.lines() {
            if let Some(exec) = line.strip_prefix("ExecStart=") {
                commands.push((
                    unit.to_owned(),
                    exec.replace("${BACKUP_DIR}", "\"$BACKUP_DIR\""),
                ));
            }
        }
    }
    let cron = std::fs::read_to_string(root.join("contrib/cron/pg-backup.cron")).unwrap();
    for line in cron
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
    {
        let fields: Vec<&str> = line.split_whitespace().collect();
        if fields.len() < 7 || fields[0].contains('=') {
            continue; // SHELL=, PATH=
        }
        // Five time fields and the user, then the command.
        let command = line
            .split_once("  postgres  ")
            .map(|(_, command)| command)
            .unwrap_or_else(|| panic!("crontab line without the postgres user: {line}"));
        let command = command
            .replace(". /etc/shipshape/pg-backup.env && ", "")
            .replace("export DATABASE_URL && ", "");
        commands.push(("pg-backup.cron".to_owned(), command));
    }
    assert!(commands.len() >= 4, "{commands:?}");
    let hook = regex::Regex::new(r#""curl [^"]*""#).unwrap();
    for (source, command) in commands {
        let command = command
            .replace("/usr/local/bin/pg-backup", "pg-backup")
            .replace(
                "/var/lib/prometheus/node-exporter",
                &metrics.display().to_string(),
            );
        let command = hook.replace_all(&command, "true").into_owned();
        let path = format!(
            "{}:{}",
            binary.parent().unwrap().display(),
            cli::search_path().to_string_lossy()
        );
        let run = cli::run(
            cli::command("sh")
                .args(["-c", &command])
                .current_dir(work.path())
                .env("PATH", path)
                .env("BACKUP_DIR", &backups)
                .env("DATABASE_URL", database.url()),
        );
        assert_eq!(
            run.code,
            Some(0),
            "{source}: `{command}` failed\n{}",
            run.snapshot()
        );
        // --quiet: nothing on stdout or stderr when all is well (cron mails output).
        assert_eq!(
            (run.stdout.as_str(), run.stderr.as_str()),
            ("", ""),
            "{source}: `{command}`"
        );
    }
    assert!(metrics.join("pg_backup.prom").is_file());
    assert!(std::fs::read_dir(&backups).unwrap().count() >= 2);
}

/// `--print-config` of every tool, with one shipshape.toml holding secrets in
/// every table that can hold one (URLs with passwords, an `env` table, a
/// hook command with a token): no secret reaches stdout or stderr.
#[test]
fn print_config_never_shows_a_secret_in_any_tool() {
    const SECRET: &str = "hunter2-very-secret";
    let work = tempfile::tempdir().unwrap();
    let config = work.path().join("shipshape.toml");
    // alert-lint wants something to lint even for --print-config.
    std::fs::create_dir(work.path().join("monitoring")).unwrap();
    std::fs::write(
        &config,
        format!(
            "[validate-env]\nenv = 'production'\n\n\
             [pg-backup]\ndatabase_url = 'postgres://app:{SECRET}@db/app'\n\
             on_success = 'curl -fsS https://user:{SECRET}@hc.example/ping'\n\
             pg_dump = 'docker exec -i -e PGPASSWORD={SECRET} db pg_dump'\n\n\
             [pg-restore]\ndatabase_url = 'postgresql://app:{SECRET}@db/app?sslmode=require'\n\
             pre_swap = 'curl -H X-Api-Token={SECRET} https://deploy.example/pause'\n\n\
             [migrate-check]\ndatabase_url = 'postgres://app:{SECRET}@db/app'\n\n\
             [migrate-check.env]\nPOSTGRES_PASSWORD = '{SECRET}'\nFIRST_SUPERUSER_PASSWORD = '{SECRET}'\n\
             SECRET_KEY = '{SECRET}'\nPOSTGRES_DB = '{{database}}'\n\n\
             [alert-lint]\nexclude = ['vendor/*']\n"
        ),
    )
    .unwrap();
    for tool in TOOLS {
        let run = cli::run(
            cli::command(bin_dir().join(tool))
                .current_dir(work.path())
                .args(["--config", config.to_str().unwrap(), "--print-config"]),
        );
        assert_eq!(run.code, Some(0), "{tool}: {}", run.snapshot());
        assert!(
            !run.stdout.contains(SECRET) && !run.stderr.contains(SECRET),
            "{tool} --print-config shows a secret:\n{}",
            run.snapshot()
        );
    }
}

/// Paths in `shipshape.toml` are relative to the file, whatever the current
/// directory, and `--print-config` shows them resolved.
#[test]
fn paths_in_the_config_file_are_relative_to_it() {
    let work = tempfile::tempdir().unwrap();
    let etc = work.path().join("etc");
    std::fs::create_dir(&etc).unwrap();
    let config = etc.join("shipshape.toml");
    std::fs::write(
        &config,
        "[pg-backup]\ndir = 'backups'\npg_bin_dir = 'pg/bin'\nmetrics_file = 'metrics/pg_backup.prom'\n\n\
         [pg-restore]\ndir = 'backups'\npg_bin_dir = 'pg/bin'\n\n\
         [migrate-check]\ndir = 'migrations'\n",
    )
    .unwrap();
    let etc = etc.display().to_string();
    let expected: [(&str, &[String]); 3] = [
        (
            "pg-backup",
            &[
                format!("dir = \"{etc}/backups\""),
                format!("pg_bin_dir = \"{etc}/pg/bin\""),
                format!("metrics_file = \"{etc}/metrics/pg_backup.prom\""),
            ],
        ),
        (
            "pg-restore",
            &[
                format!("dir = \"{etc}/backups\""),
                format!("pg_bin_dir = \"{etc}/pg/bin\""),
            ],
        ),
        ("migrate-check", &[format!("dir = \"{etc}/migrations\"")]),
    ];
    for (tool, lines) in expected {
        let run = cli::run(
            cli::command(bin_dir().join(tool))
                .current_dir(work.path())
                .args(["--config", config.to_str().unwrap(), "--print-config"]),
        );
        assert_eq!(run.code, Some(0), "{tool}: {}", run.snapshot());
        for line in lines {
            assert!(
                run.stdout.contains(line.as_str()),
                "{tool}: no {line:?} in\n{}",
                run.stdout
            );
        }
    }
}
