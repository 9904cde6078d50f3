//! The example stack in fixtures/stack: the examples fail with one finding
//! per placeholder, the filled-in copy passes; every output format.

use std::collections::BTreeSet;

use crate::common::{SCHEMA, Scene, codes, json, run, run_stdin, stack_schema, tool};

const PROD_EXAMPLE: &str = "fixtures/stack/.env.production.example";
const STAGING_EXAMPLE: &str = "fixtures/stack/.env.staging.example";
const FILLED: &str = "fixtures/stack/.env.production";

/// Variables whose example value is a placeholder.
const PLACEHOLDERS: [&str; 16] = [
    "DATABASE_URL",
    "POSTGRES_USER",
    "POSTGRES_PASSWORD",
    "POSTGRES_DB",
    "CLERK_SECRET_KEY",
    "NEXT_PUBLIC_CLERK_PUBLISHABLE_KEY",
    "CLERK_WEBHOOK_SECRET",
    "ALLOWED_HOSTS",
    "NEXT_PUBLIC_API_URL",
    "CORS_ORIGINS",
    "MISTRAL_API_KEY",
    "PINECONE_API_KEY",
    "PINECONE_INDEX",
    "SECRET_KEY",
    "CSRF_SECRET",
    "SENTRY_DSN",
];

#[test]
fn examples_fail_with_one_finding_per_placeholder() {
    for example in [PROD_EXAMPLE, STAGING_EXAMPLE] {
        let r = run(&["--schema", SCHEMA, "--format", "json", example]);
        assert_eq!(r.code, Some(1), "{}", r.snapshot());
        let v = json(&r);
        let diagnostics = v["diagnostics"].as_array().unwrap();
        let subjects: Vec<&str> = diagnostics
            .iter()
            .map(|d| d["subject"].as_str().unwrap())
            .collect();
        let unique: BTreeSet<&str> = subjects.iter().copied().collect();
        assert_eq!(
            subjects.len(),
            unique.len(),
            "more than one finding for a variable: {subjects:?}"
        );
        assert_eq!(unique, PLACEHOLDERS.into_iter().collect(), "{example}");
        for d in diagnostics {
            assert_eq!(d["severity"], "error");
            assert!(d["line"].as_u64().unwrap() > 0, "{d}");
            assert!(d["help"].is_string(), "{d}");
        }
    }
}

#[test]
fn the_filled_in_copy_passes_with_nothing_to_say() {
    let r = run(&["--schema", SCHEMA, FILLED]);
    assert_eq!(r.code, Some(0), "{}", r.snapshot());
    assert_eq!(r.stdout, "validate-env: no problems found (ok)\n");
    let r = run(&["--schema", SCHEMA, "--strict", "--format", "json", FILLED]);
    assert_eq!(r.code, Some(0), "{}", r.snapshot());
    assert!(codes(&r).is_empty(), "{}", r.stdout);
}

#[test]
fn human_output_of_the_production_example() {
    let r = run(&["--schema", SCHEMA, "--color", "never", PROD_EXAMPLE]);
    insta::assert_snapshot!(r.snapshot());
}

#[test]
fn json_output_of_the_production_example() {
    let r = run(&["--schema", SCHEMA, "--format", "json", PROD_EXAMPLE]);
    insta::assert_snapshot!(r.snapshot());
}

#[test]
fn github_output_of_the_production_example() {
    let r = run(&["--schema", SCHEMA, "--format", "github", PROD_EXAMPLE]);
    insta::assert_snapshot!(r.snapshot());
}

#[test]
fn sarif_output_of_the_production_example() {
    let r = run(&["--schema", SCHEMA, "--format", "sarif", PROD_EXAMPLE]);
    assert_eq!(r.code, Some(1));
    let v = json(&r);
    assert_eq!(v["version"], "2.1.0");
    let rules: Vec<&str> = v["runs"][0]["tool"]["driver"]["rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    assert_eq!(rules, ["forbidden-value", "placeholder"]);
    insta::assert_snapshot!(r.snapshot());
}

#[test]
fn quiet_prints_only_errors() {
    let scene = Scene::new();
    scene.write(
        "app.env",
        &crate::common::production_with(&[("LOG_LEVEL", "LOG_LEVEL=info  ")]),
    );
    let r = scene.run(&["--schema", &stack_schema(), "--quiet", "app.env"]);
    assert_eq!(r.code, Some(0), "{}", r.snapshot());
    assert_eq!(r.stdout, "", "{}", r.snapshot());
}

#[test]
fn stdin_is_read_with_a_dash() {
    let text =
        std::fs::read_to_string(shipshape_testkit::cli::workspace_root().join(FILLED)).unwrap();
    let r = run_stdin(&["--schema", SCHEMA, "-"], &text);
    assert_eq!(r.code, Some(0), "{}", r.snapshot());
    let r = run_stdin(
        &["--schema", SCHEMA, "--format", "json", "-"],
        "ENVIRONMENT=production\n",
    );
    assert_eq!(r.code, Some(1), "{}", r.snapshot());
    assert_eq!(json(&r)["environment"], "production");
}

#[test]
fn from_env_validates_the_process_environment() {
    let text =
        std::fs::read_to_string(shipshape_testkit::cli::workspace_root().join(FILLED)).unwrap();
    let mut cmd = tool();
    cmd.args(["--schema", SCHEMA, "--from-env", "--format", "json"]);
    for line in text
        .lines()
        .filter(|l| !l.starts_with('#') && l.contains('='))
    {
        let (k, v) = line.split_once('=').unwrap();
        cmd.env(k, v);
    }
    let r = shipshape_testkit::cli::run(&mut cmd);
    // PATH, HOME … are not reported: only near misses of schema names are.
    assert_eq!(r.code, Some(0), "{}", r.snapshot());
    cmd.env("POSTGRES_USER", "postgres")
        .env("SENTRY_DNS", "typo");
    let r = shipshape_testkit::cli::run(&mut cmd);
    assert_eq!(r.code, Some(1), "{}", r.snapshot());
    let found: Vec<String> = codes(&r).into_iter().map(|(c, _)| c).collect();
    assert!(found.contains(&"forbidden-value".to_owned()), "{found:?}");
    assert!(found.contains(&"unknown-key".to_owned()), "{found:?}");
    let r = shipshape_testkit::cli::run(tool().args(["--schema", SCHEMA, "--from-env", FILLED]));
    assert_eq!(r.code, Some(2), "{}", r.snapshot());
}

#[test]
fn example_keys_must_all_be_present() {
    let scene = Scene::new();
    let text = crate::common::production_with(&[
        ("LOG_LEVEL", "# no log level"),
        ("EXTRA_THING", "EXTRA_THING=1"),
    ]);
    scene.write("app.env", &text);
    let example = shipshape_testkit::cli::workspace_root()
        .join(PROD_EXAMPLE)
        .display()
        .to_string();
    let r = scene.run(&[
        "--schema",
        &stack_schema(),
        "--example",
        &example,
        "--format",
        "json",
        "app.env",
    ]);
    assert_eq!(r.code, Some(1), "{}", r.snapshot());
    let found: Vec<(String, String)> = json(&r)["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["code"].as_str().unwrap().to_owned(),
                d["subject"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert!(
        found.contains(&("missing-example-key".into(), "LOG_LEVEL".into())),
        "{found:?}"
    );
    assert!(
        found.contains(&("unknown-key".into(), "EXTRA_THING".into())),
        "{found:?}"
    );
}

#[test]
fn a_secret_copied_from_the_example_is_reported() {
    let scene = Scene::new();
    scene.write(
        "example.env",
        "SECRET_KEY=Kx9vQ2mWp7ZrT4nB8cLd3FhJ6sYg1aUe\n",
    );
    scene.write(
        "app.env",
        &crate::common::production_with(&[(
            "SECRET_KEY",
            "SECRET_KEY=Kx9vQ2mWp7ZrT4nB8cLd3FhJ6sYg1aUe",
        )]),
    );
    let r = scene.run(&[
        "--schema",
        &stack_schema(),
        "--example",
        "example.env",
        "--format",
        "json",
        "app.env",
    ]);
    let found: Vec<String> = codes(&r).into_iter().map(|(c, _)| c).collect();
    assert_eq!(found, ["example-value"], "{}", r.snapshot());
}

#[test]
fn diff_lists_missing_extra_and_empty_keys_in_a_stable_order() {
    let scene = Scene::new();
    scene.write("a.env", "ONLY_A=1\nBOTH=1\nEMPTY_IN_A=\nZ_SHARED=1\n");
    scene.write(
        "b.env",
        "Z_SHARED=2\nEMPTY_IN_A=x\nBOTH=\nONLY_B=1\nALSO_B=1\n",
    );
    let r = scene.run(&["diff", "--color", "never", "a.env", "b.env"]);
    assert_eq!(r.code, Some(1), "{}", r.snapshot());
    insta::assert_snapshot!(r.snapshot());
    let r = scene.run(&["diff", "--format", "json", "a.env", "b.env"]);
    let d = &json(&r)["differences"];
    assert_eq!(d["only_in_a"], serde_json::json!(["ONLY_A"]));
    assert_eq!(d["only_in_b"], serde_json::json!(["ALSO_B", "ONLY_B"]));
    assert_eq!(d["empty_in_a"], serde_json::json!(["EMPTY_IN_A"]));
    assert_eq!(d["empty_in_b"], serde_json::json!(["BOTH"]));
    let r = scene.run(&["diff", "a.env", "a.env"]);
    assert_eq!(r.code, Some(0), "{}", r.snapshot());
    // Lines that do not parse are reported, not silently left out.
    scene.write(
        "c.env",
        "ONLY_A=1\nBOTH=1\nEMPTY_IN_A=\nZ_SHARED=1\nbroken line\n",
    );
    let r = scene.run(&["diff", "--format", "json", "a.env", "c.env"]);
    assert_eq!(r.code, Some(1), "{}", r.snapshot());
    assert_eq!(json(&r)["diagnostics"][0]["code"], "invalid-key");
}

#[test]
fn schema_from_example_is_a_valid_starter_schema() {
    let r = run(&["schema", "--from-example", PROD_EXAMPLE]);
    assert_eq!(r.code, Some(0), "{}", r.snapshot());
    insta::assert_snapshot!(r.stdout);
    // It parses as a schema, and the example fails it (placeholders).
    let scene = Scene::new();
    scene.write("env.schema.toml", &r.stdout);
    let example = shipshape_testkit::cli::workspace_root()
        .join(PROD_EXAMPLE)
        .display()
        .to_string();
    let r = scene.run(&["--env", "production", &example]);
    assert_eq!(r.code, Some(1), "{}", r.snapshot());
}

#[test]
fn syntax_errors_in_the_example_file_are_reported() {
    let scene = Scene::new();
    scene.write("example.env", "LOG_LEVEL=info\nnot an assignment\n");
    scene.write("app.env", &crate::common::production_with(&[]));
    let r = scene.run(&[
        "--schema",
        &stack_schema(),
        "--example",
        "example.env",
        "--format",
        "json",
        "app.env",
    ]);
    assert_eq!(r.code, Some(1), "{}", r.snapshot());
    let v = json(&r);
    assert_eq!(v["diagnostics"][0]["code"], "invalid-key");
    assert_eq!(v["diagnostics"][0]["file"], "example.env");
    assert_eq!(v["diagnostics"][0]["line"], 2);
}

#[test]
fn inside_github_actions_the_default_is_annotations_and_a_step_summary() {
    let scene = Scene::new();
    let summary = scene.root().join("summary.md");
    let mut cmd = tool();
    cmd.env("GITHUB_ACTIONS", "true")
        .env("GITHUB_STEP_SUMMARY", &summary)
        .args(["--schema", SCHEMA, PROD_EXAMPLE]);
    let r = shipshape_testkit::cli::run(&mut cmd);
    assert_eq!(r.code, Some(1), "{}", r.snapshot());
    assert!(
        r.stdout
            .starts_with("::error file=fixtures/stack/.env.production.example,line=7"),
        "{}",
        r.stdout
    );
    let table = std::fs::read_to_string(&summary).unwrap();
    let rows = table.matches("placeholder").count() + table.matches("forbidden-value").count();
    assert!(rows >= 16, "{table}");
    assert!(!table.contains("CHANGE_ME@"), "{table}");
}
