//! The command line: help, usage errors, schema errors, environment
//! detection, configuration.

use crate::common::{SCHEMA, Scene, json, run, stack_schema};

#[test]
fn help_lists_exit_codes_and_examples() {
    let r = run(&["--help"]);
    assert_eq!(r.code, Some(0), "{}", r.snapshot());
    assert!(r.stdout.contains("Exit codes:"));
    assert!(r.stdout.contains("130"));
    assert!(r.stdout.contains("Examples:"));
}

#[test]
fn version_exits_0() {
    let r = run(&["--version"]);
    assert_eq!(r.code, Some(0));
    assert!(r.stdout.starts_with("validate-env "), "{}", r.stdout);
}

#[test]
fn unknown_flag_is_a_usage_error() {
    let r = run(&["--no-such-flag"]);
    assert_eq!(r.code, Some(2), "{}", r.snapshot());
}

#[test]
fn no_input_is_a_usage_error_that_says_what_to_do() {
    let r = run(&["--schema", SCHEMA]);
    assert_eq!(r.code, Some(2), "{}", r.snapshot());
    assert!(r.stderr.contains("--from-env"), "{}", r.stderr);
}

#[test]
fn missing_input_file_is_a_usage_error_naming_it() {
    let r = run(&["--schema", SCHEMA, "--env", "production", "no/such/.env"]);
    assert_eq!(r.code, Some(2), "{}", r.snapshot());
    assert!(r.stderr.contains("no/such/.env"), "{}", r.stderr);
}

#[test]
fn no_schema_is_a_usage_error() {
    let scene = Scene::new();
    scene.write(".env", "A=1\n");
    let r = scene.run(&["--env", "production", ".env"]);
    assert_eq!(r.code, Some(2), "{}", r.snapshot());
    assert!(r.stderr.contains("no schema"), "{}", r.stderr);
    assert!(r.stderr.contains("schema --from-example"), "{}", r.stderr);
}

#[test]
fn schema_errors_name_file_line_and_key() {
    let scene = Scene::new();
    scene.write(".env", "A=1\n");
    scene.write(
        "env.schema.toml",
        "[vars.A]\ntype = \"int\"\n\n[vars.B]\ntype = \"integer\"\n",
    );
    let r = scene.run(&["--env", "production", ".env"]);
    assert_eq!(r.code, Some(2), "{}", r.snapshot());
    assert!(r.stderr.contains("env.schema.toml:5"), "{}", r.stderr);
    assert!(r.stderr.contains("integer"), "{}", r.stderr);

    scene.write("env.schema.toml", "[vars.A]\nrequired = true\ntypo = 1\n");
    let r = scene.run(&["--env", "production", ".env"]);
    assert_eq!(r.code, Some(2), "{}", r.snapshot());
    assert!(r.stderr.contains("env.schema.toml:3"), "{}", r.stderr);
    assert!(r.stderr.contains("typo"), "{}", r.stderr);

    scene.write("env.schema.toml", "[vars.A]\nmin_length = \"twelve\"\n");
    let r = scene.run(&["--env", "production", ".env"]);
    assert_eq!(r.code, Some(2), "{}", r.snapshot());
    assert!(r.stderr.contains("env.schema.toml:2"), "{}", r.stderr);
    assert!(
        r.stderr.contains("2 | min_length = \"twelve\""),
        "{}",
        r.stderr
    );

    scene.write("env.schema.toml", "[vars.A]\npattern = \"[a-\"\n");
    let r = scene.run(&["--env", "production", ".env"]);
    assert_eq!(r.code, Some(2), "{}", r.snapshot());
    assert!(r.stderr.contains("env.schema.toml:2"), "{}", r.stderr);
    assert!(r.stderr.contains("vars.A.pattern"), "{}", r.stderr);

    scene.write("env.schema.toml", "[vars.A]\nrequires = [\"NOPE\"]\n");
    let r = scene.run(&["--env", "production", ".env"]);
    assert_eq!(r.code, Some(2), "{}", r.snapshot());
    assert!(r.stderr.contains("NOPE"), "{}", r.stderr);
}

#[test]
fn environment_comes_from_flag_file_name_or_variable() {
    let scene = Scene::new();
    let schema = stack_schema();
    let text = crate::common::production_with(&[]);
    scene.write(".env.production", &text);
    scene.write("plain.env", &text);
    let r = scene.run(&["--schema", &schema, "--format", "json", ".env.production"]);
    assert_eq!(json(&r)["environment"], "production", "{}", r.snapshot());
    // No hint in the name: ENVIRONMENT=production in the file decides.
    let r = scene.run(&["--schema", &schema, "--format", "json", "plain.env"]);
    assert_eq!(json(&r)["environment"], "production", "{}", r.snapshot());
    // The flag wins over both.
    let r = scene.run(&[
        "--schema",
        &schema,
        "--env",
        "staging",
        "--format",
        "json",
        ".env.production",
    ]);
    assert_eq!(json(&r)["environment"], "staging", "{}", r.snapshot());
    assert_eq!(
        r.code,
        Some(1),
        "ENVIRONMENT=production is not allowed in staging"
    );

    scene.write("none.env", "DEBUG=false\n");
    let r = scene.run(&["--schema", &schema, "none.env"]);
    assert_eq!(r.code, Some(2), "{}", r.snapshot());
    assert!(r.stderr.contains("--env"), "{}", r.stderr);
    assert!(r.stderr.contains("production, staging"), "{}", r.stderr);

    let r = scene.run(&["--schema", &schema, "--env", "prod", "none.env"]);
    assert_eq!(r.code, Some(2), "{}", r.snapshot());
    assert!(
        r.stderr.contains("unknown environment \"prod\""),
        "{}",
        r.stderr
    );
}

#[test]
fn configuration_file_supplies_schema_env_and_strict() {
    let scene = Scene::new();
    std::fs::create_dir(scene.root().join("cfg")).unwrap();
    std::fs::copy(stack_schema(), scene.root().join("cfg/stack.schema.toml")).unwrap();
    scene.write(
        "shipshape.toml",
        "[validate-env]\nschema = \"cfg/stack.schema.toml\"\nenv = \"production\"\nstrict = true\n",
    );
    // A warning (trailing whitespace) fails the run because of strict, and
    // stays a warning in the report.
    let text = crate::common::production_with(&[("LOG_LEVEL", "LOG_LEVEL=info  ")]);
    scene.write("app.env", &text);
    let r = scene.run(&["--format", "json", "app.env"]);
    assert_eq!(r.code, Some(1), "{}", r.snapshot());
    let v = json(&r);
    assert_eq!(v["environment"], "production");
    assert_eq!(v["diagnostics"][0]["code"], "trailing-whitespace");
    assert_eq!(v["diagnostics"][0]["severity"], "warning");
    assert_eq!(v["ok"], false);
    assert_eq!(v["summary"]["warnings"], 1);

    let r = scene.run(&["--print-config"]);
    assert_eq!(r.code, Some(0), "{}", r.snapshot());
    assert!(r.stdout.contains("[validate-env]"), "{}", r.stdout);
    assert!(r.stdout.contains("dialect = \"compose\""), "{}", r.stdout);

    scene.write("shipshape.toml", "[validate-env]\nschemaa = \"x\"\n");
    let r = scene.run(&["app.env"]);
    assert_eq!(r.code, Some(2), "{}", r.snapshot());
    assert!(r.stderr.contains("schemaa"), "{}", r.stderr);
}

#[test]
fn an_unreadable_input_is_a_runtime_failure() {
    let scene = Scene::new();
    std::fs::create_dir(scene.root().join("a-directory.env")).unwrap();
    let r = scene.run(&[
        "--schema",
        &stack_schema(),
        "--env",
        "production",
        "a-directory.env",
    ]);
    assert_eq!(r.code, Some(3), "{}", r.snapshot());
    assert!(r.stderr.contains("a-directory.env"), "{}", r.stderr);
}

#[test]
fn environment_variables_beat_the_file_and_flags_beat_both() {
    let scene = Scene::new();
    let text = crate::common::production_with(&[]);
    scene.write("app.env", &text);
    scene.write(
        "shipshape.toml",
        "[validate-env]\nschema = \"nope.toml\"\nenv = \"staging\"\n",
    );
    let schema = stack_schema();
    let mut cmd = shipshape_testkit::cli::command(env!("CARGO_BIN_EXE_validate-env"));
    cmd.current_dir(scene.root())
        .env("VALIDATE_ENV_SCHEMA", &schema)
        .env("VALIDATE_ENV_PROFILE", "production")
        .args(["--format", "json", "app.env"]);
    let r = shipshape_testkit::cli::run(&mut cmd);
    assert_eq!(r.code, Some(0), "{}", r.snapshot());
    assert_eq!(json(&r)["environment"], "production");
    // The flag wins over the environment variable.
    let r = shipshape_testkit::cli::run(cmd.args(["--env", "staging"]));
    assert_eq!(json(&r)["environment"], "staging", "{}", r.snapshot());
    // A bad dialect in the environment is a usage error.
    let mut cmd = shipshape_testkit::cli::command(env!("CARGO_BIN_EXE_validate-env"));
    cmd.current_dir(scene.root())
        .env("VALIDATE_ENV_DIALECT", "ruby")
        .arg("app.env");
    let r = shipshape_testkit::cli::run(&mut cmd);
    assert_eq!(r.code, Some(2), "{}", r.snapshot());
    assert!(r.stderr.contains("VALIDATE_ENV_DIALECT"), "{}", r.stderr);
    // Without the variable the file's schema is used and does not exist.
    let r = scene.run(&["app.env"]);
    assert_eq!(r.code, Some(2), "{}", r.snapshot());
    assert!(r.stderr.contains("nope.toml"), "{}", r.stderr);
}

/// VALIDATE_ENV_STRICT is read as `--strict` is: a false value beats the
/// file's `strict = true`, an empty one is unset, a value that is no boolean
/// is exit 2 naming the variable; `--help` shows every variable.
#[test]
fn strict_and_dialect_variables_are_read_as_their_flags() {
    let scene = Scene::new();
    scene.write(
        "shipshape.toml",
        "[validate-env]\nstrict = true\ndialect = \"nextjs\"\n",
    );
    let print = |vars: &[(&str, &str)], args: &[&str]| {
        let mut cmd = shipshape_testkit::cli::command(env!("CARGO_BIN_EXE_validate-env"));
        cmd.current_dir(scene.root())
            .arg("--print-config")
            .args(args);
        for (k, v) in vars {
            cmd.env(k, v);
        }
        shipshape_testkit::cli::run(&mut cmd)
    };
    let r = print(&[], &[]);
    assert!(r.stdout.contains("strict = true"), "{}", r.snapshot());
    assert!(
        r.stdout.contains("dialect = \"nextjs\""),
        "{}",
        r.snapshot()
    );
    let r = print(
        &[
            ("VALIDATE_ENV_STRICT", "0"),
            ("VALIDATE_ENV_DIALECT", "Python-Dotenv"),
        ],
        &[],
    );
    assert!(r.stdout.contains("strict = false"), "{}", r.snapshot());
    assert!(
        r.stdout.contains("dialect = \"python-dotenv\""),
        "{}",
        r.snapshot()
    );
    let r = print(
        &[("VALIDATE_ENV_STRICT", "0"), ("VALIDATE_ENV_DIALECT", "")],
        &["--strict", "--dialect", "compose"],
    );
    assert!(r.stdout.contains("strict = true"), "{}", r.snapshot());
    assert!(
        r.stdout.contains("dialect = \"compose\""),
        "{}",
        r.snapshot()
    );
    let r = print(&[("VALIDATE_ENV_STRICT", "")], &[]);
    assert!(r.stdout.contains("strict = true"), "{}", r.snapshot());
    let r = print(&[("VALIDATE_ENV_STRICT", "maybe")], &[]);
    assert_eq!(r.code, Some(2), "{}", r.snapshot());
    assert!(r.stderr.contains("VALIDATE_ENV_STRICT"), "{}", r.stderr);
    let help = run(&["--help"]);
    for var in [
        "VALIDATE_ENV_SCHEMA",
        "VALIDATE_ENV_PROFILE",
        "VALIDATE_ENV_EXAMPLE",
        "VALIDATE_ENV_STRICT",
        "VALIDATE_ENV_DIALECT",
    ] {
        assert!(help.stdout.contains(var), "{var}: {}", help.stdout);
    }
}

#[test]
fn app_env_names_the_environment_when_environment_is_absent() {
    let r = crate::common::run_stdin(
        &["--schema", SCHEMA, "--format", "json", "-"],
        "APP_ENV=staging\nDEBUG=false\n",
    );
    assert_eq!(r.code, Some(1), "{}", r.snapshot());
    assert_eq!(json(&r)["environment"], "staging", "{}", r.snapshot());
    // An APP_ENV the schema does not define is a usage error naming it.
    let r = crate::common::run_stdin(&["--schema", SCHEMA, "-"], "APP_ENV=qa\n");
    assert_eq!(r.code, Some(2), "{}", r.snapshot());
    assert!(r.stderr.contains("APP_ENV=\"qa\""), "{}", r.stderr);
}
