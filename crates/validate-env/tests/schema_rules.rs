//! Schema rules on the example stack: each rule fires on a filled-in
//! production file with one line changed, and nothing else fires.

use crate::common::{Scene, codes, json, production_with, stack_schema};

/// Run the production file with `replacements` and return the codes.
fn check(env: &str, replacements: &[(&str, &str)]) -> Vec<(String, u64)> {
    let scene = Scene::new();
    scene.write("app.env", &production_with(replacements));
    let r = scene.run(&[
        "--schema",
        &stack_schema(),
        "--env",
        env,
        "--format",
        "json",
        "app.env",
    ]);
    assert!(matches!(r.code, Some(0 | 1)), "{}", r.snapshot());
    codes(&r)
}

fn only(found: &[(String, u64)], code: &str) {
    assert!(!found.is_empty(), "expected {code}, found nothing");
    assert!(
        found.iter().all(|(c, _)| c == code),
        "expected only {code}: {found:?}"
    );
}

#[test]
fn the_filled_in_file_passes_in_production() {
    assert!(check("production", &[]).is_empty());
}

#[test]
fn forbidden_defaults() {
    only(
        &check(
            "production",
            &[
                ("POSTGRES_USER", "POSTGRES_USER=postgres"),
                (
                    "DATABASE_URL",
                    "DATABASE_URL=postgresql://postgres:y2PpSfPMlMhZVDuY@db:5432/shipshape",
                ),
            ],
        ),
        "forbidden-value",
    );
}

#[test]
fn missing_and_empty_required() {
    let found = check(
        "production",
        &[
            ("SENTRY_DSN", "# removed"),
            ("MISTRAL_API_KEY", "MISTRAL_API_KEY="),
        ],
    );
    assert!(
        found.contains(&("missing-required".to_owned(), 0)),
        "{found:?}"
    );
    assert!(
        found.iter().any(|(c, _)| c == "empty-required"),
        "{found:?}"
    );
    assert_eq!(found.len(), 2, "{found:?}");
}

#[test]
fn short_passwords_and_secrets() {
    let found = check(
        "production",
        &[
            ("SECRET_KEY", "SECRET_KEY=Zq8vN3xK"),
            ("POSTGRES_PASSWORD", "POSTGRES_PASSWORD=Zq8vN3xK"),
        ],
    );
    // DATABASE_URL still holds the old password: inconsistent.
    assert!(
        found.iter().filter(|(c, _)| c == "length").count() == 2,
        "{found:?}"
    );
    assert!(found.iter().any(|(c, _)| c == "inconsistent"), "{found:?}");
}

#[test]
fn production_only_rules() {
    let prod = check(
        "production",
        &[
            ("DEBUG", "DEBUG=true"),
            (
                "NEXT_PUBLIC_API_URL",
                "NEXT_PUBLIC_API_URL=http://api.shipshape-demo.test",
            ),
            ("CORS_ORIGINS", "CORS_ORIGINS=https://shipshape-demo.test,*"),
            ("HSTS_MAX_AGE", "HSTS_MAX_AGE=300"),
            ("ENVIRONMENT", "ENVIRONMENT=staging"),
        ],
    );
    // DEBUG=true and ENVIRONMENT=staging are both not-allowed (lines 19, 20).
    assert_eq!(
        prod.iter().filter(|(c, _)| c == "not-allowed").count(),
        2,
        "{prod:?}"
    );
    for code in [
        "wrong-scheme",
        "forbidden-value",
        "out-of-range",
        "not-allowed",
    ] {
        assert!(
            prod.iter().any(|(c, _)| c == code),
            "{code} missing: {prod:?}"
        );
    }
    // Staging accepts http and a short HSTS max-age.
    let staging = check(
        "staging",
        &[
            ("ENVIRONMENT", "ENVIRONMENT=staging"),
            (
                "NEXT_PUBLIC_API_URL",
                "NEXT_PUBLIC_API_URL=http://api.shipshape-demo.test",
            ),
            ("HSTS_MAX_AGE", "HSTS_MAX_AGE=300"),
        ],
    );
    assert!(staging.is_empty(), "{staging:?}");
}

#[test]
fn clerk_keys_must_be_live_and_match() {
    // A test secret key with a live publishable key: wrong prefix in
    // production and a mode mismatch.
    let found = check(
        "production",
        &[(
            "CLERK_SECRET_KEY",
            "CLERK_SECRET_KEY=sk_test_fakeIHu7nxzT4238xugc3d5TTdNh6OTjxEjTiZkGnz48",
        )],
    );
    assert!(
        found.iter().any(|(c, _)| c == "missing-prefix"),
        "{found:?}"
    );
    assert!(found.iter().any(|(c, _)| c == "clerk-key"), "{found:?}");
    // pk_live_ decoding to a development host.
    let dev = "pk_live_Zm9vLWJhci0xMi5jbGVyay5hY2NvdW50cy5kZXYk"; // foo-bar-12.clerk.accounts.dev$
    let found = check(
        "production",
        &[(
            "NEXT_PUBLIC_CLERK_PUBLISHABLE_KEY",
            &format!("NEXT_PUBLIC_CLERK_PUBLISHABLE_KEY={dev}"),
        )],
    );
    only(&found, "clerk-key");
    // Not base64 of a host followed by '$'.
    let found = check(
        "production",
        &[(
            "NEXT_PUBLIC_CLERK_PUBLISHABLE_KEY",
            "NEXT_PUBLIC_CLERK_PUBLISHABLE_KEY=pk_live_bm90LWEtaG9zdA",
        )],
    );
    only(&found, "clerk-key");
}

#[test]
fn structured_urls() {
    let found = check(
        "production",
        &[(
            "SENTRY_DSN",
            "SENTRY_DSN=https://o450000.ingest.sentry.io/4500",
        )],
    );
    only(&found, "sentry-dsn");
    let found = check(
        "production",
        &[(
            "DATABASE_URL",
            "DATABASE_URL=postgresql://shipshape_app:y2Pp@SfPMlMhZVDuY@db:5432/shipshape",
        )],
    );
    only(&found, "postgres-url");
    let found = check(
        "production",
        &[(
            "DATABASE_URL",
            "DATABASE_URL=mysql://shipshape_app:y2PpSfPMlMhZVDuY@db:3306/shipshape",
        )],
    );
    assert!(
        found
            .iter()
            .any(|(c, _)| c == "wrong-scheme" || c == "postgres-url"),
        "{found:?}"
    );
    let found = check(
        "production",
        &[(
            "DATABASE_URL",
            "DATABASE_URL=postgresql://shipshape_app:y2PpSfPMlMhZVDuY@db:5432/shipshape?sslmode=maybe",
        )],
    );
    only(&found, "postgres-url");
    let found = check(
        "production",
        &[(
            "REDIS_URL",
            "REDIS_URL=redis://:APY17yVZLzPPxR9e@redis:6379/zero",
        )],
    );
    only(&found, "redis-url");
    let found = check(
        "production",
        &[(
            "DATABASE_URL",
            "DATABASE_URL=postgresql://other_user:y2PpSfPMlMhZVDuY@db:5432/shipshape",
        )],
    );
    only(&found, "inconsistent");
}

#[test]
fn types_ranges_and_enums() {
    only(
        &check(
            "production",
            &[("RATE_LIMIT_PER_MINUTE", "RATE_LIMIT_PER_MINUTE=sixty")],
        ),
        "invalid-type",
    );
    only(
        &check(
            "production",
            &[("RATE_LIMIT_PER_MINUTE", "RATE_LIMIT_PER_MINUTE=0")],
        ),
        "out-of-range",
    );
    only(
        &check("production", &[("SMTP_PORT", "SMTP_PORT=70000")]),
        "invalid-type",
    );
    only(
        &check("production", &[("LOG_LEVEL", "LOG_LEVEL=verbose")]),
        "not-allowed",
    );
    only(
        &check(
            "production",
            &[("METRICS_ENABLED", "METRICS_ENABLED=maybe")],
        ),
        "invalid-type",
    );
    only(
        &check("production", &[("EMAIL_FROM", "EMAIL_FROM=noreply")]),
        "invalid-type",
    );
    only(
        &check(
            "production",
            &[("PINECONE_INDEX", "PINECONE_INDEX=Shipshape_Docs")],
        ),
        "pattern-mismatch",
    );
    only(
        &check(
            "production",
            &[(
                "CORS_ORIGINS",
                "CORS_ORIGINS='[\"https://shipshape-demo.test\", \"not a url\"]'",
            )],
        ),
        "invalid-type",
    );
}

#[test]
fn requires_and_unknown_keys() {
    only(
        &check("production", &[("SMTP_USER", "# no user")]),
        "requires",
    );
    let found = check("production", &[("SENTRY_DNS", "SENTRY_DNS=x")]);
    only(&found, "unknown-key");
}

#[test]
fn did_you_mean_suggests_the_nearest_name() {
    let scene = Scene::new();
    scene.write(
        "app.env",
        &production_with(&[("SENTRY_DNS", "SENTRY_DNS=x")]),
    );
    let r = scene.run(&["--schema", &stack_schema(), "--format", "json", "app.env"]);
    let v = json(&r);
    assert_eq!(
        v["diagnostics"][0]["message"],
        "SENTRY_DNS is not in the schema; did you mean SENTRY_DSN?"
    );
}

#[test]
fn public_variables_must_not_hold_secrets() {
    let scene = Scene::new();
    scene.write(
        "app.env",
        &production_with(&[
            (
                "NEXT_PUBLIC_API_URL",
                "NEXT_PUBLIC_API_URL=https://api.shipshape-demo.test",
            ),
            (
                "NEXT_PUBLIC_STRIPE_KEY",
                "NEXT_PUBLIC_STRIPE_KEY=sk_live_0123456789abcdefghijklmn",
            ),
        ]),
    );
    scene.write(
        "schema.toml",
        &format!(
            "{}\n[vars.NEXT_PUBLIC_STRIPE_KEY]\ncategory = \"Optional\"\n",
            std::fs::read_to_string(stack_schema()).unwrap()
        ),
    );
    let r = scene.run(&["--schema", "schema.toml", "--format", "json", "app.env"]);
    let found = codes(&r);
    only(&found, "public-secret");
    assert!(
        !r.stdout.contains("0123456789abcdefghijklmn"),
        "{}",
        r.stdout
    );
}

#[test]
fn weak_secrets() {
    only(
        &check(
            "production",
            &[(
                "SECRET_KEY",
                "SECRET_KEY=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
            )],
        ),
        "weak-secret",
    );
    only(
        &check(
            "production",
            &[("SMTP_PASSWORD", "SMTP_PASSWORD=Password1234")],
        ),
        "weak-secret",
    );
    only(
        &check(
            "production",
            &[(
                "CSRF_SECRET",
                "CSRF_SECRET=abcabcabcabcabcabcabcabcabcabcabcabc",
            )],
        ),
        "weak-secret",
    );
}

#[test]
fn docker_secret_files_provide_variables() {
    let scene = Scene::new();
    scene.write("pg_password", "y2PpSfPMlMhZVDuY\n");
    let text = production_with(&[(
        "POSTGRES_PASSWORD",
        &format!("POSTGRES_PASSWORD_FILE={}", scene.path("pg_password")),
    )]);
    scene.write("app.env", &text);
    let r = scene.run(&["--schema", &stack_schema(), "--format", "json", "app.env"]);
    assert_eq!(r.code, Some(0), "{}", r.snapshot());
    // The file content is validated by the variable's rules.
    scene.write("pg_password", "short\n");
    let r = scene.run(&["--schema", &stack_schema(), "--format", "json", "app.env"]);
    let found = codes(&r);
    assert!(found.iter().any(|(c, _)| c == "length"), "{found:?}");
    // A missing file is reported.
    let text = production_with(&[(
        "POSTGRES_PASSWORD",
        "POSTGRES_PASSWORD_FILE=/run/secrets/does-not-exist",
    )]);
    scene.write("app.env", &text);
    let r = scene.run(&["--schema", &stack_schema(), "--format", "json", "app.env"]);
    let found = codes(&r);
    assert!(found.iter().any(|(c, _)| c == "secret-file"), "{found:?}");
    assert_eq!(r.code, Some(1));
}

#[test]
fn several_files_merge_in_order_later_wins() {
    let scene = Scene::new();
    scene.write(
        "base.env",
        &production_with(&[("LOG_LEVEL", "LOG_LEVEL=verbose")]),
    );
    scene.write("override.env", "LOG_LEVEL=warning\n");
    let r = scene.run(&[
        "--schema",
        &stack_schema(),
        "--env",
        "production",
        "base.env",
        "override.env",
    ]);
    assert_eq!(r.code, Some(0), "{}", r.snapshot());
    let r = scene.run(&[
        "--schema",
        &stack_schema(),
        "--env",
        "production",
        "override.env",
        "base.env",
    ]);
    assert_eq!(r.code, Some(1), "{}", r.snapshot());
}

#[test]
fn a_percent_encoded_url_password_matches_the_plain_one() {
    let ok = check(
        "production",
        &[
            ("POSTGRES_PASSWORD", "POSTGRES_PASSWORD='p@ss#Word-8Kq2xZ'"),
            (
                "DATABASE_URL",
                "DATABASE_URL=postgresql://shipshape_app:p%40ss%23Word-8Kq2xZ@db:5432/shipshape",
            ),
        ],
    );
    assert!(ok.is_empty(), "{ok:?}");
    // The same password unencoded: libpq would split it at '@'/'#'.
    let found = check(
        "production",
        &[
            ("POSTGRES_PASSWORD", "POSTGRES_PASSWORD='p@ss#Word-8Kq2xZ'"),
            (
                "DATABASE_URL",
                "DATABASE_URL='postgresql://shipshape_app:p@ss#Word-8Kq2xZ@db:5432/shipshape'",
            ),
        ],
    );
    only(&found, "postgres-url");
}

#[test]
fn every_kind_of_secret_in_a_public_variable_is_an_error() {
    let scene = Scene::new();
    scene.write(
        "schema.toml",
        &format!(
            "{}\n[vars.NEXT_PUBLIC_HOOK]\ncategory = \"Optional\"\n\n[vars.NEXT_PUBLIC_DB]\ncategory = \"Optional\"\n\n[vars.NEXT_PUBLIC_COPY]\ncategory = \"Optional\"\n\n[vars.BROWSER_CONFIG]\nexposure = \"public\"\n",
            std::fs::read_to_string(stack_schema()).unwrap()
        ),
    );
    let cases = [
        (
            "NEXT_PUBLIC_HOOK",
            "NEXT_PUBLIC_HOOK=whsec_Qm9vYmFyYmF6cXV4MTIzNDU2Nzg5MA",
        ),
        (
            "NEXT_PUBLIC_DB",
            "NEXT_PUBLIC_DB=postgresql://shipshape_app:y2PpSfPMlMhZVDuY@db:5432/shipshape",
        ),
        // The value of a secret variable (MISTRAL_API_KEY in the filled-in file).
        ("BROWSER_CONFIG", "BROWSER_CONFIG=SAME_AS_MISTRAL"),
        // Not in the schema: an unknown key, and still a public secret.
        (
            "NEXT_PUBLIC_STRIPE_SECRET",
            "NEXT_PUBLIC_STRIPE_SECRET=sk_live_0123456789abcdefghijklmn",
        ),
    ];
    let filled = production_with(&[]);
    let mistral = filled
        .lines()
        .find_map(|l| l.strip_prefix("MISTRAL_API_KEY="))
        .unwrap()
        .to_owned();
    for (key, line) in cases {
        let line = line.replace("SAME_AS_MISTRAL", &mistral);
        scene.write("app.env", &production_with(&[(key, &line)]));
        let r = scene.run(&["--schema", "schema.toml", "--format", "json", "app.env"]);
        assert_eq!(r.code, Some(1), "{key}: {}", r.snapshot());
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
            .filter(|(c, _)| c != "unknown-key")
            .collect();
        assert_eq!(
            found,
            [("public-secret".to_owned(), key.to_owned())],
            "{key}: {}",
            r.snapshot()
        );
        let value = line.split_once('=').unwrap().1;
        assert!(!r.stdout.contains(value), "{key}: {}", r.stdout);
        assert!(!r.stdout.contains("y2PpSfPMlMhZVDuY"), "{}", r.stdout);
    }
    // Once a public variable holds a secret key, the other findings about
    // it (portability, undefined-reference) do not print it either.
    let r = crate::common::run_stdin(
        &["--schema", &stack_schema(), "--env", "staging", "-"],
        "NEXT_PUBLIC_X=sk_live_Qm9v$Yb8rXz4Kq7Lm2Vb9Kt\n",
    );
    assert_eq!(r.code, Some(1), "{}", r.snapshot());
    assert!(r.stdout.contains("[public-secret]"), "{}", r.stdout);
    assert!(r.stdout.contains("[portability]"), "{}", r.stdout);
    assert!(r.stdout.contains("[undefined-reference]"), "{}", r.stdout);
    for part in ["sk_live_Qm9v", "Yb8rXz4Kq7Lm2Vb9Kt"] {
        assert!(!r.stdout.contains(part), "{part} leaked: {}", r.stdout);
    }
    let r = crate::common::run_stdin(&["dump", "-"], "NEXT_PUBLIC_X=sk_live_Qm9vYb8rXz4Kq7\n");
    assert!(!r.stdout.contains("Qm9vYb8rXz4Kq7"), "{}", r.stdout);
    // A public URL without a password and a publishable key are fine.
    scene.write(
        "app.env",
        &production_with(&[(
            "NEXT_PUBLIC_DB",
            "NEXT_PUBLIC_DB=https://sentry-key@o1.ingest.sentry.io/2",
        )]),
    );
    let r = scene.run(&["--schema", "schema.toml", "--format", "json", "app.env"]);
    assert_eq!(r.code, Some(0), "{}", r.snapshot());
}

#[test]
fn float_duration_limits_separator_and_required_per_environment() {
    let scene = Scene::new();
    scene.write(
        "env.schema.toml",
        r#"[settings]
environments = ["production", "staging"]

[vars.RATIO]
type = "float"
min = 0.0
max = 1.0

[vars.TIMEOUT]
type = "duration"
min = 1
max = 300

[vars.NAME]
max_length = 5

[vars.PORTS]
type = "list"
items = "port"
separator = ";"

[vars.ONLY_PROD]
required = ["production"]
"#,
    );
    let run = |env: &str, text: &str| {
        scene.write(".env", text);
        let r = scene.run(&["--env", env, "--format", "json", ".env"]);
        assert!(matches!(r.code, Some(0 | 1)), "{}", r.snapshot());
        let mut found: Vec<(String, String)> = json(&r)["diagnostics"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| {
                (
                    d["code"].as_str().unwrap().to_owned(),
                    d["subject"].as_str().unwrap_or("").to_owned(),
                )
            })
            .collect();
        found.sort();
        found
    };
    let good = "NAME=abc\nPORTS=80;443\nRATIO=0.25\nTIMEOUT=1m30s\n";
    assert!(run("staging", good).is_empty());
    let pair = |c: &str, s: &str| (c.to_owned(), s.to_owned());
    assert_eq!(
        run("production", good),
        [pair("missing-required", "ONLY_PROD")]
    );
    assert_eq!(
        run(
            "staging",
            "NAME=abcdef\nPORTS=80;0\nRATIO=1.5\nTIMEOUT=10m\n"
        ),
        [
            pair("invalid-type", "PORTS"),
            pair("length", "NAME"),
            pair("out-of-range", "RATIO"),
            pair("out-of-range", "TIMEOUT"),
        ]
    );
    assert_eq!(
        run(
            "staging",
            "NAME=a\nPORTS=80,443\nRATIO=half\nTIMEOUT=soon\n"
        ),
        [
            pair("invalid-type", "PORTS"),
            pair("invalid-type", "RATIO"),
            pair("invalid-type", "TIMEOUT"),
        ]
    );
}
