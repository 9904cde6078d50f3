//! End-to-end tests of crates/core's shared behaviour through the
//! `report-fixture` binary: config precedence, every output format, colour
//! rules, exit codes, broken pipes. The Garage harness's own tests are in
//! `garage`.

#![allow(clippy::unwrap_used, clippy::print_stderr)] // test code: a panic is a failed test

mod garage;

use std::process::{Command, Stdio};

use shipshape_testkit::cli::{self, Run};

fn fixture() -> Command {
    cli::command(env!("CARGO_BIN_EXE_report-fixture"))
}

const DIAGNOSTICS: &str = r#"[
  {"severity": "error", "code": "forbidden-value", "message": "POSTGRES_USER holds the forbidden default \"postgres\"",
   "file": ".env.production", "line": 5, "column": 15, "help": "use a dedicated role"},
  {"severity": "warning", "code": "lowercase-key", "message": "key debug should be upper case",
   "file": ".env.production", "line": 9, "column": 1},
  {"severity": "error", "code": "missing-required", "message": "SENTRY_DSN is required in production"}
]"#;

struct Scene {
    dir: tempfile::TempDir,
}

impl Scene {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("diagnostics.json"), DIAGNOSTICS).unwrap();
        std::fs::write(
            dir.path().join("warnings.json"),
            r#"[{"severity":"warning","code":"w","message":"just a warning"}]"#,
        )
        .unwrap();
        Self { dir }
    }

    fn cmd(&self) -> Command {
        let mut cmd = fixture();
        cmd.current_dir(self.dir.path());
        cmd
    }

    fn write(&self, name: &str, text: &str) {
        std::fs::write(self.dir.path().join(name), text).unwrap();
    }

    fn run(&self, args: &[&str]) -> Run {
        cli::run(self.cmd().args(args))
    }
}

fn json(run: &Run) -> serde_json::Value {
    serde_json::from_str(&run.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", run.snapshot()))
}

#[test]
fn config_precedence_is_flag_env_file_default() {
    let scene = Scene::new();
    assert_eq!(json(&scene.run(&["--format", "json"]))["greeting"], "hello");
    scene.write(
        "shipshape.toml",
        "[report-fixture]\ngreeting = 'from-file'\n\n[pg-backup]\nwhatever = 1\n",
    );
    assert_eq!(
        json(&scene.run(&["--format", "json"]))["greeting"],
        "from-file"
    );
    let run = cli::run(
        scene
            .cmd()
            .env("REPORT_FIXTURE_GREETING", "from-env")
            .args(["--format", "json"]),
    );
    assert_eq!(json(&run)["greeting"], "from-env");
    let run = cli::run(
        scene
            .cmd()
            .env("REPORT_FIXTURE_GREETING", "from-env")
            .args(["--format", "json", "--greeting", "from-flag"]),
    );
    assert_eq!(json(&run)["greeting"], "from-flag");
    assert_eq!(
        json(&scene.run(&["--format", "json", "--no-config"]))["greeting"],
        "hello"
    );
}

#[test]
fn config_file_from_flag_and_environment() {
    let scene = Scene::new();
    scene.write("other.toml", "[report-fixture]\ngreeting = 'other'\n");
    scene.write("env.toml", "[report-fixture]\ngreeting = 'env'\n");
    assert_eq!(
        json(&scene.run(&["--format", "json", "--config", "other.toml"]))["greeting"],
        "other"
    );
    let run = cli::run(
        scene
            .cmd()
            .env("SHIPSHAPE_CONFIG", "env.toml")
            .args(["--format", "json"]),
    );
    assert_eq!(json(&run)["greeting"], "env");
    let run = scene.run(&["--config", "missing.toml"]);
    assert_eq!(run.code, Some(2), "{}", run.snapshot());
    assert!(run.stderr.contains("missing.toml"), "{}", run.stderr);
}

#[test]
fn unknown_config_key_is_a_usage_error_naming_file_line_and_key() {
    let scene = Scene::new();
    scene.write(
        "shipshape.toml",
        "[report-fixture]\ngreeting = 'x'\ngreetng = 'typo'\n",
    );
    let run = scene.run(&[]);
    insta::assert_snapshot!(run.snapshot());
}

#[test]
fn wrong_type_in_config_is_a_usage_error() {
    let scene = Scene::new();
    scene.write("shipshape.toml", "[report-fixture]\ngreeting = 42\n");
    let run = scene.run(&[]);
    assert_eq!(run.code, Some(2));
    assert!(
        run.stderr.contains("line 2") && run.stderr.contains("greeting"),
        "{}",
        run.stderr
    );
}

#[test]
fn print_config_redacts_secrets() {
    let scene = Scene::new();
    scene.write(
        "shipshape.toml",
        "[report-fixture]\ntoken = 'tok-very-secret-123'\n",
    );
    let run = scene.run(&["--print-config", "--greeting", "hi"]);
    assert_eq!(run.code, Some(0), "{}", run.snapshot());
    assert!(!run.stdout.contains("tok-very-secret-123"));
    insta::assert_snapshot!(run.stdout, @r#"
    [report-fixture]
    greeting = "hi"
    token = "<redacted>"
    "#);
}

#[test]
fn human_output_and_exit_1_on_errors() {
    let scene = Scene::new();
    let run = scene.run(&["--diagnostics", "diagnostics.json"]);
    insta::assert_snapshot!(run.snapshot());
}

#[test]
fn warnings_alone_exit_0_and_quiet_hides_them() {
    let scene = Scene::new();
    let run = scene.run(&["--diagnostics", "warnings.json"]);
    assert_eq!(run.code, Some(0), "{}", run.snapshot());
    assert!(run.stdout.contains("just a warning"));
    let run = scene.run(&["--diagnostics", "warnings.json", "--quiet"]);
    assert_eq!(run.code, Some(0));
    assert_eq!(run.stdout, "");
    assert_eq!(run.stderr, "", "--quiet suppresses status lines too");
}

#[test]
fn json_output() {
    let scene = Scene::new();
    let run = scene.run(&["--diagnostics", "diagnostics.json", "--format", "json"]);
    assert_eq!(run.code, Some(1));
    insta::assert_snapshot!(run.stdout);
}

#[test]
fn github_output_and_step_summary() {
    let scene = Scene::new();
    let summary = scene.dir.path().join("summary.md");
    let run = cli::run(
        scene
            .cmd()
            .env("GITHUB_ACTIONS", "true")
            .env("GITHUB_STEP_SUMMARY", &summary)
            .args(["--diagnostics", "diagnostics.json"]),
    );
    assert_eq!(run.code, Some(1));
    insta::assert_snapshot!("github_stdout", run.stdout);
    insta::assert_snapshot!("github_summary", std::fs::read_to_string(&summary).unwrap());
    // An explicit --format wins over GITHUB_ACTIONS.
    let run = cli::run(scene.cmd().env("GITHUB_ACTIONS", "true").args([
        "--diagnostics",
        "diagnostics.json",
        "--format",
        "json",
    ]));
    assert!(run.stdout.starts_with('{'));
}

#[test]
fn sarif_output() {
    let scene = Scene::new();
    let run = scene.run(&["--diagnostics", "diagnostics.json", "--format", "sarif"]);
    assert_eq!(run.code, Some(1));
    let value = json(&run);
    assert_eq!(value["version"], "2.1.0");
    assert_eq!(value["runs"][0]["results"].as_array().unwrap().len(), 3);
    insta::assert_snapshot!(run.stdout);
}

fn has_ansi(text: &str) -> bool {
    text.contains('\x1b')
}

#[test]
fn colour_follows_flag_no_color_and_clicolor_force() {
    let scene = Scene::new();
    let args = ["--diagnostics", "diagnostics.json"];
    // Piped, no hints: no colour on either stream.
    let run = scene.run(&args);
    assert!(!has_ansi(&run.stdout) && !has_ansi(&run.stderr));
    // CLICOLOR_FORCE colours a pipe.
    let run = cli::run(scene.cmd().env("CLICOLOR_FORCE", "1").args(args));
    assert!(has_ansi(&run.stdout), "{}", run.stdout);
    // NO_COLOR beats CLICOLOR_FORCE (no-color.org).
    let run = cli::run(
        scene
            .cmd()
            .env("CLICOLOR_FORCE", "1")
            .env("NO_COLOR", "1")
            .args(args),
    );
    assert!(!has_ansi(&run.stdout));
    // --color always beats NO_COLOR; --color never beats CLICOLOR_FORCE.
    let run = cli::run(
        scene
            .cmd()
            .env("NO_COLOR", "1")
            .args(args)
            .args(["--color", "always"]),
    );
    assert!(has_ansi(&run.stdout));
    let run = cli::run(
        scene
            .cmd()
            .env("CLICOLOR_FORCE", "1")
            .args(args)
            .args(["--color", "never"]),
    );
    assert!(!has_ansi(&run.stdout));
    // stderr is decided on its own: an error message coloured by force.
    let run = cli::run(
        scene
            .cmd()
            .env("CLICOLOR_FORCE", "1")
            .args(["--diagnostics", "nope.json"]),
    );
    assert_eq!(run.code, Some(3));
    assert!(has_ansi(&run.stderr), "{}", run.stderr);
}

#[test]
fn io_errors_are_runtime_failures_naming_the_path() {
    let scene = Scene::new();
    let run = scene.run(&["--diagnostics", "nope.json"]);
    assert_eq!(run.code, Some(3));
    assert!(run.stderr.contains("nope.json"), "{}", run.stderr);
}

#[test]
fn usage_errors_exit_2_help_and_version_exit_0() {
    let run = cli::run(fixture().arg("--bogus"));
    assert_eq!(run.code, Some(2));
    let run = cli::run(fixture().args(["--format", "xml"]));
    assert_eq!(run.code, Some(2));
    let run = cli::run(fixture().arg("--help"));
    assert_eq!(run.code, Some(0));
    assert!(run.stdout.contains("Exit codes:"));
    let run = cli::run(fixture().arg("--version"));
    assert_eq!(run.code, Some(0));
}

#[test]
fn broken_pipe_exits_quietly() {
    let scene = Scene::new();
    let many: Vec<String> = (0..20000)
        .map(|i| format!(r#"{{"severity":"warning","code":"w","message":"warning number {i}"}}"#))
        .collect();
    scene.write("many.json", &format!("[{}]", many.join(",")));
    let mut child = scene
        .cmd()
        .args(["--diagnostics", "many.json"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take()); // the reader goes away, like `| head -0`
    let output = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    assert!(
        !stderr.contains("panicked") && !stderr.contains("Broken pipe"),
        "{stderr}"
    );
}
