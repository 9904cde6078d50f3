//! No secret value from the fixtures appears in any output of any failing
//! case, in any format.

use std::collections::BTreeSet;

use shipshape_testkit::cli::{self, Run};

use crate::common::{SCHEMA, Scene, production_with, run, run_stdin, stack_schema};

/// Values of secret variables in every fixture .env file (and the weak or
/// broken variants the failing cases use).
fn secret_values() -> BTreeSet<String> {
    let root = cli::workspace_root();
    let mut files = vec![
        root.join("fixtures/stack/.env.production"),
        root.join("fixtures/stack/.env.production.example"),
        root.join("fixtures/stack/.env.staging.example"),
    ];
    for entry in std::fs::read_dir(root.join("fixtures/validate-env")).unwrap() {
        files.push(entry.unwrap().path());
    }
    let schema = std::fs::read_to_string(root.join(SCHEMA)).unwrap();
    let mut values = BTreeSet::new();
    for file in files {
        let Ok(text) = std::fs::read_to_string(&file) else {
            continue;
        };
        for line in text.lines() {
            let Some((key, value)) = line.split_once('=') else {
                continue;
            };
            let key = key.trim();
            let declared_secret = schema.contains(&format!("[vars.{key}]\n"))
                && schema
                    .split(&format!("[vars.{key}]\n"))
                    .nth(1)
                    .and_then(|rest| rest.split("\n\n").next())
                    .is_some_and(|block| block.contains("secret = true"));
            let by_name = ["PASSWORD", "SECRET", "TOKEN"]
                .iter()
                .any(|w| key.contains(w))
                || key.ends_with("_KEY");
            if (declared_secret || by_name) && !key.starts_with("NEXT_PUBLIC_") {
                let v = value.trim().trim_matches(['"', '\'']);
                // Dictionary placeholders are not secrets; the real
                // (fake) values are long.
                if v.len() >= 8
                    && !v.contains("CHANGE_ME")
                    && !v.starts_with("your_")
                    && !v.starts_with("replace-with")
                {
                    values.insert(v.to_owned());
                    // URL passwords too.
                    if let Some(pw) = v
                        .split("://")
                        .nth(1)
                        .and_then(|r| r.rsplit_once('@'))
                        .and_then(|(ui, _)| ui.split_once(':'))
                        .map(|(_, p)| p)
                    {
                        values.insert(pw.to_owned());
                    }
                }
            }
        }
    }
    values.insert("Password1234".to_owned());
    values.insert("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa".to_owned());
    values
}

fn failing_runs() -> Vec<Run> {
    let scene = Scene::new();
    let schema = stack_schema();
    let cases: Vec<Vec<(&str, &str)>> = vec![
        vec![("POSTGRES_USER", "POSTGRES_USER=postgres")],
        vec![(
            "DATABASE_URL",
            "DATABASE_URL=postgresql://other_user:y2PpSfPMlMhZVDuY@db:5432/shipshape",
        )],
        vec![(
            "DATABASE_URL",
            "DATABASE_URL=postgresql://shipshape_app:y2Pp@SfPMlMhZVDuY@db:5432/shipshape",
        )],
        vec![(
            "CLERK_SECRET_KEY",
            "CLERK_SECRET_KEY=sk_test_fakeIHu7nxzT4238xugc3d5TTdNh6OTjxEjTiZkGnz48",
        )],
        vec![(
            "SECRET_KEY",
            "SECRET_KEY=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
        )],
        vec![("SMTP_PASSWORD", "SMTP_PASSWORD=Password1234")],
        vec![("CSRF_SECRET", "CSRF_SECRET=hnmKbHQrtZ2B")],
        vec![("REDIS_PASSWORD", "REDIS_PASSWORD=APY17yVZ$LzPPxR9e#x")],
        vec![(
            "MISTRAL_API_KEY",
            "MISTRAL_API_KEY=\"fakemOqFqknIx5sQN58comnNELKaKCm2u2c6",
        )],
        vec![(
            "PINECONE_API_KEY",
            "PINECONE_API_KEY=pcsk_fake5EzkIsQH1StoXM5E4Uwvk3Rknbku50VU ${BROKEN",
        )],
        vec![(
            "NEXT_PUBLIC_API_URL",
            "NEXT_PUBLIC_API_URL=hnmKbHQrtZ2ByzjSRfcHhE4ZVVBBqyt0cqZl6ZTVABId8bKA",
        )],
        vec![
            ("DEBUG", "DEBUG=true"),
            (
                "SECRET_KEY",
                "SECRET_KEY = hnmKbHQrtZ2ByzjSRfcHhE4ZVVBBqyt0cqZl6ZTVABId8bKA  ",
            ),
        ],
    ];
    let mut runs = Vec::new();
    for (i, case) in cases.iter().enumerate() {
        let name = format!("case{i}.env");
        scene.write(&name, &production_with(case));
        for format in ["human", "json", "github", "sarif"] {
            let r = scene.run(&[
                "--schema",
                &schema,
                "--env",
                "production",
                "--format",
                format,
                "--strict",
                "--verbose",
                &name,
            ]);
            assert_eq!(r.code, Some(1), "case {i} should fail: {}", r.snapshot());
            runs.push(r);
        }
        runs.push(scene.run(&["dump", &name]));
        runs.push(scene.run(&["dump", "--format", "json", &name]));
    }
    for example in [
        "fixtures/stack/.env.production.example",
        "fixtures/stack/.env.staging.example",
    ] {
        for format in ["human", "json", "github", "sarif"] {
            runs.push(run(&["--schema", SCHEMA, "--format", format, example]));
        }
    }
    runs.push(run_stdin(
        &["--schema", SCHEMA, "--env", "production", "-"],
        "SECRET_KEY='hnmKbHQrtZ2ByzjSRfcHhE4ZVVBBqyt0cqZl6ZTVABId8bKA\n",
    ));
    // A token pasted on a line of its own, or with a typo for '='.
    let pasted = "LOG_LEVEL=info\nsk_live_fakeIHu7nxzT4238xugc3d5TTdNh6OTjxEjTiZkGnz48\nhnmKbHQrtZ2ByzjSRfcHhE4ZVVBBqyt0cqZl6ZTVABId8bKA@x=1\n";
    let r = run_stdin(&["--schema", SCHEMA, "--env", "production", "-"], pasted);
    assert!(r.stdout.contains("not-an-assignment"), "{}", r.snapshot());
    runs.push(r);
    runs.push(run_stdin(&["dump", "--format", "json", "-"], pasted));
    runs.push(run(&[
        "diff",
        "fixtures/stack/.env.production",
        "fixtures/stack/.env.production.example",
    ]));
    runs
}

#[test]
fn no_secret_value_appears_in_any_output() {
    let secrets = secret_values();
    assert!(secrets.len() >= 12, "{secrets:?}");
    assert!(secrets.contains("y2PpSfPMlMhZVDuY"));
    for r in failing_runs() {
        for secret in &secrets {
            assert!(
                !r.stdout.contains(secret.as_str()),
                "secret {secret:?} leaked on stdout:\n{}",
                r.snapshot()
            );
            assert!(
                !r.stderr.contains(secret.as_str()),
                "secret {secret:?} leaked on stderr:\n{}",
                r.snapshot()
            );
        }
    }
}
