//! `dump`: every parse form read as docker compose reads it, and the other
//! dialects where they differ.

use serde_json::json;

use crate::common::{Scene, json, run, run_stdin};

const FORMS: &str = "fixtures/validate-env/forms.env";

#[test]
fn compose_readings_of_every_form() {
    let r = run(&[
        "dump",
        "--format",
        "json",
        FORMS,
        "fixtures/validate-env/crlf.env",
        "fixtures/validate-env/bom.env",
    ]);
    assert_eq!(r.code, Some(0), "{}", r.snapshot());
    let expected = json!({
        "PLAIN": "value",
        "EXPORTED": "yes",
        "SPACED": "around",
        "EMPTY": "",
        "EMPTY_DOUBLE": "",
        "EMPTY_SINGLE": "",
        "SINGLE": "raw $PLAIN \\n # kept",
        "DOUBLE": "line1\nline2 \"q\" value",
        "MULTI": "first\nsecond",
        "MULTI_SINGLE": "a\nb",
        "COMMENT": "value",
        "GLUED": "pass#word",
        "TAB_HASH": "a\t#b",
        "QUOTED_COMMENT": "a # b",
        "BRACED": "value",
        "BARE": "value/x",
        "DEFAULT": "fallback",
        "DEFAULT_SET": "value",
        "DASH_DEFAULT": "",
        "COLON_DEFAULT": "empty-or-unset",
        "ALT": "alt",
        "DOLLARS": "$PLAIN",
        "LONE": "cost $5",
        "ESCAPED_DOLLAR": "$PLAIN",
        "JSON": "[\"https://a.test\",\"https://b.test\"]",
        "YAML_STYLE": "colon",
        "dotted.key": "compose-accepts",
        "CRLF": "windows",
        "NEXT": "line",
        "BOM_FIRST": "1",
        "SECOND": "2"
    });
    assert_eq!(json(&r)["variables"], expected);
}

#[test]
fn python_dotenv_and_nextjs_readings_differ_where_documented() {
    let py = json(&run(&[
        "dump",
        "--dialect",
        "python-dotenv",
        "--format",
        "json",
        FORMS,
    ]));
    let next = json(&run(&[
        "dump",
        "--dialect",
        "nextjs",
        "--format",
        "json",
        FORMS,
    ]));
    let (py, next) = (&py["variables"], &next["variables"]);
    // `$VAR`, `$$` and `${VAR-d}` are not python-dotenv syntax.
    assert_eq!(py["BARE"], "$PLAIN/x");
    assert_eq!(py["DOLLARS"], "$$PLAIN");
    assert_eq!(py["DEFAULT"], "fallback");
    // A tab before '#' starts a comment for python-dotenv and dotenv.
    assert_eq!(py["TAB_HASH"], "a");
    assert_eq!(next["TAB_HASH"], "a");
    // dotenv (npm) ends an unquoted value at any '#'.
    assert_eq!(py["GLUED"], "pass#word");
    assert_eq!(next["GLUED"], "pass");
    // dotenv-expand expands inside single quotes too.
    assert_eq!(next["SINGLE"], "raw value \\n # kept");
    // python-dotenv does not read `KEY: value`.
    assert!(py.get("YAML_STYLE").is_none());
    assert_eq!(next["YAML_STYLE"], "colon");
}

#[test]
fn human_dump_round_trips_through_the_parser() {
    let r = run(&["dump", FORMS]);
    assert_eq!(r.code, Some(0), "{}", r.snapshot());
    let scene = Scene::new();
    scene.write("again.env", &r.stdout);
    let again = scene.run(&["dump", "--format", "json", "again.env"]);
    let first = json(&run(&["dump", "--format", "json", FORMS]));
    assert_eq!(
        json(&again)["variables"],
        first["variables"],
        "{}",
        r.stdout
    );
}

#[test]
fn dump_masks_secrets_unless_asked() {
    let text = "API_TOKEN=tok_0123456789abcdefghij\nDB_PASSWORD='s3cr3t-P@ss-w0rd'\nNEXT_PUBLIC_URL=https://a.test\n";
    let r = run_stdin(&["dump", "-"], text);
    assert_eq!(r.code, Some(0), "{}", r.snapshot());
    assert!(!r.stdout.contains("0123456789abcdefghij"), "{}", r.stdout);
    assert!(!r.stdout.contains("s3cr3t-P@ss-w0rd"), "{}", r.stdout);
    assert!(
        r.stdout.contains("API_TOKEN=tok_…(24 chars)"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout.contains("NEXT_PUBLIC_URL=https://a.test"),
        "{}",
        r.stdout
    );
    let r = run_stdin(&["dump", "--show-secrets", "-"], text);
    assert!(
        r.stdout.contains("DB_PASSWORD=s3cr3t-P@ss-w0rd"),
        "{}",
        r.stdout
    );
}

#[test]
fn dump_reports_every_syntax_error_with_positions_and_exits_1() {
    let r = run(&["dump", "fixtures/validate-env/syntax-errors.env"]);
    assert_eq!(r.code, Some(1), "{}", r.snapshot());
    insta::assert_snapshot!(r.snapshot());
}

#[test]
fn dump_of_the_process_environment() {
    let mut cmd = crate::common::tool();
    cmd.args(["dump", "--from-env", "--format", "json"])
        .env("SOME_SETTING", "on")
        .env("SOME_PASSWORD", "hunter2hunter2");
    let r = shipshape_testkit::cli::run(&mut cmd);
    let v = json(&r);
    assert_eq!(v["variables"]["SOME_SETTING"], "on");
    assert!(!r.stdout.contains("hunter2hunter2"), "{}", r.stdout);
}

#[test]
fn required_interpolation_reads_the_value_or_fails_with_the_message() {
    let file = "fixtures/validate-env/required.env";
    let r = run(&["dump", "--format", "json", file]);
    assert_eq!(r.code, Some(1), "{}", r.snapshot());
    let v = json(&r);
    assert_eq!(v["variables"]["OK"], "value");
    assert_eq!(v["variables"]["OK_EMPTY"], "");
    let failures: Vec<(u64, String)> = v["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            assert_eq!(d["code"], "invalid-interpolation", "{d}");
            (
                d["line"].as_u64().unwrap(),
                d["message"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        failures,
        [
            (
                6,
                "FAILS: required variable EMPTY is missing a value: EMPTY must not be empty"
                    .to_owned()
            ),
            (
                7,
                "FAILS_UNSET: required variable MISSING is missing a value: MISSING must be defined"
                    .to_owned()
            ),
        ],
        "{}",
        r.stdout
    );
    assert!(
        v["diagnostics"][1]["help"]
            .as_str()
            .unwrap()
            .starts_with("define MISSING"),
        "{}",
        r.stdout
    );
    // An earlier file that defines the variable satisfies it.
    let scene = Scene::new();
    scene.write("base.env", "EMPTY=filled\nMISSING=here\n");
    let path = shipshape_testkit::cli::workspace_root().join(file);
    let r = scene.run(&[
        "dump",
        "--format",
        "json",
        "base.env",
        path.to_str().unwrap(),
    ]);
    assert_eq!(
        r.code,
        Some(1),
        "EMPTY= in the second file empties it again"
    );
    let v = json(&r);
    assert_eq!(v["variables"]["FAILS_UNSET"], "here", "{}", r.stdout);
    assert_eq!(
        v["diagnostics"].as_array().unwrap().len(),
        1,
        "{}",
        r.stdout
    );
}

/// Issue 15's forms, one snapshot per dialect: each reads them as its real
/// reader does (the differential test in readers.rs holds the python-dotenv
/// and Next.js snapshots to the real readers), and the syntax errors are
/// reported whichever dialect is dumped.
#[test]
fn each_dialect_reads_the_reader_forms_as_its_reader_does() {
    for dialect in ["compose", "python-dotenv", "nextjs"] {
        let r = run(&[
            "dump",
            "--dialect",
            dialect,
            "fixtures/validate-env/readers.env",
        ]);
        assert_eq!(r.code, Some(1), "{}", r.snapshot());
        insta::assert_snapshot!(format!("readers-{dialect}"), r.snapshot());
    }
}

#[test]
fn a_nameless_value_is_masked_when_it_looks_like_a_credential() {
    let r = run_stdin(
        &["dump", "-"],
        "A=1\nsk_live_51HxYz9AbCdEfGhIjKlMnOpQrStUvWxYz0123456789",
    );
    assert_eq!(r.code, Some(1), "{}", r.snapshot());
    assert!(!r.stdout.contains("51HxYz9AbCdEf"), "{}", r.snapshot());
    assert!(r.stdout.starts_with("A=1\n="), "{}", r.snapshot());
}

#[test]
fn a_nameless_value_is_neither_an_unknown_key_nor_a_diff_key() {
    let scene = Scene::new();
    scene.write("a.env", "A=1\n=\"x\"\n");
    scene.write("b.env", "A=1\n");
    let r = scene.run(&["diff", "--format", "json", "a.env", "b.env"]);
    assert_eq!(r.code, Some(1), "{}", r.snapshot());
    assert_eq!(
        json(&r)["differences"]["only_in_a"],
        json!([]),
        "{}",
        r.snapshot()
    );
    let r = scene.run(&[
        "--schema",
        &crate::common::stack_schema(),
        "--env",
        "production",
        "--format",
        "json",
        "a.env",
    ]);
    let codes = crate::common::codes(&r);
    assert!(codes.contains(&("invalid-key".to_owned(), 2)), "{codes:?}");
    assert!(codes.contains(&("unknown-key".to_owned(), 1)), "{codes:?}");
    assert_eq!(
        codes.iter().filter(|(c, _)| c == "unknown-key").count(),
        1,
        "{codes:?}"
    );
}
