//! File lints: each fires where expected, with its stable id and line.

use crate::common::{Scene, codes, run_stdin, stack_schema};

fn lint(text: &str) -> Vec<(String, u64)> {
    // A schema that declares nothing but the names used, so only lints fire.
    let scene = Scene::new();
    scene.write(".env", text);
    scene.write("env.schema.toml", "[settings]\nenvironments = [\"dev\"]\n");
    let r = scene.run(&["--env", "dev", "--format", "json", ".env"]);
    let mut c = codes(&r);
    c.retain(|(code, _)| code != "unknown-key");
    c
}

fn has(found: &[(String, u64)], code: &str, line: u64) -> bool {
    found.iter().any(|(c, l)| c == code && *l == line)
}

#[test]
fn every_file_lint_fires_on_its_line() {
    let text = std::fs::read_to_string(
        shipshape_testkit::cli::workspace_root().join("fixtures/validate-env/lints.env"),
    )
    .unwrap();
    let found = lint(&text);
    let expected = [
        ("duplicate-key", 3),
        ("lowercase-key", 4),
        ("spaces-around-equals", 5),
        ("trailing-whitespace", 6),
        ("unquoted-spaces", 7),
        ("undefined-reference", 8),
        ("undefined-reference", 12),
        ("portability", 10),
        ("non-portable-key", 9),
        ("colon-separator", 10),
        ("unquoted-json", 11),
        ("portability", 12),
        ("portability", 13),
        ("extra-blank-line", 15),
        ("invalid-interpolation", 16),
        ("missing-final-newline", 17),
    ];
    for (code, line) in expected {
        assert!(
            has(&found, code, line),
            "{code} on line {line} missing in {found:?}"
        );
    }
    assert_eq!(
        found.len(),
        expected.len(),
        "unexpected extra findings: {found:?}"
    );
}

#[test]
fn style_notes_only_with_pedantic() {
    let scene = Scene::new();
    scene.write(".env", "B=1\nA=\"plain\"\n");
    scene.write("env.schema.toml", "[vars.A]\n[vars.B]\n");
    let r = scene.run(&["--env", "x", "--format", "json", ".env"]);
    assert!(codes(&r).is_empty(), "{}", r.snapshot());
    let r = scene.run(&["--env", "x", "--pedantic", "--format", "json", ".env"]);
    let found = codes(&r);
    assert!(has(&found, "unordered-key", 2), "{found:?}");
    assert!(has(&found, "unnecessary-quotes", 2), "{found:?}");
    assert_eq!(r.code, Some(0), "notes never fail a run");
}

#[test]
fn types_are_checked_on_the_read_value_not_the_raw_text() {
    // dotenv-linter says PORT="8080" is not an integer; it is.
    let scene = Scene::new();
    scene.write(".env", "PORT=\"8080\"\n");
    scene.write(
        "env.schema.toml",
        "[vars.PORT]\ntype = \"port\"\nrequired = true\n",
    );
    let r = scene.run(&["--env", "x", "--format", "json", ".env"]);
    assert_eq!(r.code, Some(0), "{}", r.snapshot());
}

#[test]
fn portability_shows_each_reading_with_secrets_masked() {
    let r = run_stdin(
        &["--schema", &stack_schema(), "--env", "staging", "-"],
        "REDIS_PASSWORD=Abc$9xYzQ#pLm2Kq7\n",
    );
    assert!(
        r.stdout.contains("REDIS_PASSWORD reads differently"),
        "{}",
        r.stdout
    );
    assert!(!r.stdout.contains("Abc$9xYzQ#pLm2Kq7"), "{}", r.stdout);
    assert!(!r.stdout.contains("xYzQ"), "{}", r.stdout);
    let r = run_stdin(
        &[
            "--schema",
            &stack_schema(),
            "--env",
            "staging",
            "--format",
            "json",
            "-",
        ],
        "LOG_LEVEL=info\t# the tab matters\n",
    );
    let v = crate::common::json(&r);
    let d = v["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["code"] == "portability")
        .unwrap()
        .clone();
    let message = d["message"].as_str().unwrap();
    assert!(
        message.contains("docker compose: \"info\\t# the tab matters\""),
        "{message}"
    );
    assert!(message.contains("python-dotenv: \"info\""), "{message}");
}

#[test]
fn dialect_picks_whose_reading_is_validated() {
    // compose reads `pa` (the rest is an undefined ${word…}); python-dotenv
    // reads the whole password.
    let text = "REDIS_PASSWORD=pa$wordQx7Lm2Vb9Kt\n";
    let schema = stack_schema();
    let compose = run_stdin(
        &[
            "--schema", &schema, "--env", "staging", "--format", "json", "-",
        ],
        text,
    );
    let found: Vec<String> = codes(&compose).into_iter().map(|(c, _)| c).collect();
    assert!(found.contains(&"length".to_owned()), "{found:?}");
    let python = run_stdin(
        &[
            "--schema",
            &schema,
            "--env",
            "staging",
            "--dialect",
            "python-dotenv",
            "--format",
            "json",
            "-",
        ],
        text,
    );
    let found: Vec<String> = codes(&python).into_iter().map(|(c, _)| c).collect();
    assert!(!found.contains(&"length".to_owned()), "{found:?}");
    assert!(found.contains(&"portability".to_owned()), "{found:?}");
    assert_eq!(crate::common::json(&python)["dialect"], "python-dotenv");
}

#[test]
fn bom_crlf_and_invalid_utf8() {
    let scene = Scene::new();
    scene.write(
        "env.schema.toml",
        "[vars.BOM_FIRST]\n[vars.SECOND]\n[vars.CRLF]\n[vars.NEXT]\n",
    );
    let root = shipshape_testkit::cli::workspace_root().join("fixtures/validate-env");
    let bom = root.join("bom.env").display().to_string();
    let crlf = root.join("crlf.env").display().to_string();
    let r = scene.run(&["--env", "x", "--format", "json", &bom, &crlf]);
    // CRLF is read like LF; the BOM is skipped by compose, python-dotenv and
    // Next.js (tests/readers.rs), but not by a shell sourcing the file.
    assert_eq!(
        codes(&r),
        [("portability".to_owned(), 1)],
        "{}",
        r.snapshot()
    );
    std::fs::write(scene.root().join("latin1.env"), b"BOM_FIRST=caf\xe9\n").unwrap();
    let r = scene.run(&["--env", "x", "--format", "json", "latin1.env"]);
    assert_eq!(r.code, Some(1), "{}", r.snapshot());
    assert_eq!(
        codes(&r),
        [("invalid-utf8".to_owned(), 0)],
        "{}",
        r.snapshot()
    );
}

#[test]
fn a_missing_closing_quote_that_swallows_lines_is_reported() {
    let found = lint("A=\"oops\nB=1\nC=2\"\nD=3\n");
    assert_eq!(found, [("swallowed-assignments".to_owned(), 1)]);
    // A multi-line PEM key is fine.
    let found = lint("KEY=\"-----BEGIN KEY-----\nMIIB\n-----END KEY-----\"\n");
    assert!(found.is_empty(), "{found:?}");
}

#[test]
fn undefined_references_point_at_the_dollar() {
    let scene = Scene::new();
    scene.write(".env", "URL=https://${HOST}/x\n");
    scene.write("env.schema.toml", "[vars.URL]\n");
    let r = scene.run(&["--env", "x", "--format", "json", ".env"]);
    let v = crate::common::json(&r);
    assert_eq!(v["diagnostics"][0]["code"], "undefined-reference");
    assert_eq!(v["diagnostics"][0]["column"], 13, "{}", r.stdout);
}

#[test]
fn ignored_checks_are_not_reported() {
    let scene = Scene::new();
    scene.write(".env", "lower=1\nTRAILING=1  \n");
    scene.write("env.schema.toml", "[vars.lower]\n[vars.TRAILING]\n");
    let r = scene.run(&["--env", "x", "--strict", "--format", "json", ".env"]);
    assert_eq!(r.code, Some(1), "{}", r.snapshot());
    let r = scene.run(&[
        "--env",
        "x",
        "--strict",
        "--ignore",
        "lowercase-key,trailing-whitespace",
        ".env",
    ]);
    assert_eq!(r.code, Some(0), "{}", r.snapshot());
    let r = scene.run(&["--env", "x", "--ignore", "no-such-check", ".env"]);
    assert_eq!(r.code, Some(2), "{}", r.snapshot());
    assert!(
        r.stderr.contains("unknown rule \"no-such-check\""),
        "{}",
        r.stderr
    );
    let r = scene.run(&["--env", "x", "--select", "lowercase-keys", ".env"]);
    assert_eq!(r.code, Some(2), "{}", r.snapshot());
    assert!(
        r.stderr.contains("did you mean \"lowercase-key\"?"),
        "{}",
        r.stderr
    );
}

#[test]
fn select_reports_only_the_named_checks_and_ignore_wins() {
    let scene = Scene::new();
    scene.write(".env", "lower=1\nTRAILING=1  \n");
    scene.write("env.schema.toml", "[vars.lower]\n[vars.TRAILING]\n");
    let codes = |args: &[&str]| {
        let mut all = vec!["--env", "x", "--format", "json"];
        all.extend(args);
        all.push(".env");
        crate::common::codes(&scene.run(&all))
            .into_iter()
            .map(|(code, _)| code)
            .collect::<Vec<_>>()
    };
    assert_eq!(
        codes(&["--select", "trailing-whitespace"]),
        ["trailing-whitespace"]
    );
    assert!(
        codes(&[
            "--select",
            "trailing-whitespace",
            "--ignore",
            "trailing-whitespace"
        ])
        .is_empty()
    );
    // The old spelling of --ignore in other tools is a hidden alias here too.
    assert_eq!(codes(&["--skip", "trailing-whitespace"]), ["lowercase-key"]);
    // Selecting a style note runs it without --pedantic.
    scene.write(".env", "B=1\nA=1\n");
    scene.write("env.schema.toml", "[vars.A]\n[vars.B]\n");
    assert_eq!(codes(&["--select", "unordered-key"]), ["unordered-key"]);
}

#[test]
fn select_and_ignore_in_the_configuration() {
    let scene = Scene::new();
    scene.write(".env", "lower=1\nTRAILING=1  \n");
    scene.write("env.schema.toml", "[vars.lower]\n[vars.TRAILING]\n");
    scene.write(
        "shipshape.toml",
        "[validate-env]\nselect = [\"lowercase-key\", \"trailing-whitespace\"]\nignore = [\"lowercase-key\"]\n",
    );
    let r = scene.run(&["--env", "x", "--format", "json", ".env"]);
    let found: Vec<String> = crate::common::codes(&r)
        .into_iter()
        .map(|(c, _)| c)
        .collect();
    assert_eq!(found, ["trailing-whitespace"], "{}", r.snapshot());
    // --select replaces the file's select; the file's ignore still applies.
    let r = scene.run(&["--env", "x", "--select", "lowercase-key", ".env"]);
    assert_eq!(r.code, Some(0), "{}", r.snapshot());
    scene.write(
        "shipshape.toml",
        "[validate-env]\nignore = [\"trailing-whitespaces\"]\n",
    );
    let r = scene.run(&["--env", "x", ".env"]);
    assert_eq!(r.code, Some(2), "{}", r.snapshot());
    assert!(
        r.stderr.contains("ignore in [validate-env]: unknown rule \"trailing-whitespaces\"; did you mean \"trailing-whitespace\"?"),
        "{}",
        r.stderr
    );
}

#[test]
fn list_checks_and_explain_read_the_registry() {
    let r = crate::common::run(&["--list-checks"]);
    assert_eq!(r.code, Some(0), "{}", r.snapshot());
    assert!(r.stdout.contains("forbidden-value"), "{}", r.stdout);
    assert_eq!(r.stdout.lines().count(), 44, "{}", r.stdout);
    let r = crate::common::run(&["--explain", "duplicate-key"]);
    insta::assert_snapshot!(r.snapshot());
}

#[test]
fn leading_characters_dotenv_linter_flags() {
    // dotenv-linter's LeadingCharacter: a name starting with a digit or a
    // dot is legal for compose but no shell can export it; `*` is refused.
    let found = lint("1ST=a\n.HIDDEN=b\n*STAR=c\nOK=d\n");
    assert!(has(&found, "non-portable-key", 1), "{found:?}");
    assert!(has(&found, "non-portable-key", 2), "{found:?}");
    assert!(has(&found, "invalid-key", 3), "{found:?}");
    assert_eq!(found.len(), 3, "{found:?}");
}
