//! Property tests: the parser never panics, and KEY=value lines round-trip.

use proptest::prelude::*;
use validate_env::dialect::{self, Dialect};
use validate_env::parse;

fn compose_value(text: &str) -> Option<String> {
    let doc = parse::parse("p", text);
    assert!(doc.errors.is_empty(), "{text:?}: {:?}", doc.errors);
    dialect::read_document(Dialect::Compose, &doc, &|_| None)
        .into_iter()
        .next()?
        .value
        .map(|e| e.value)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn never_panics_on_arbitrary_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
        let doc = parse::parse_bytes("fuzz", &bytes);
        for d in Dialect::ALL {
            let _ = dialect::read_document(d, &doc, &|_| None);
        }
    }

    #[test]
    fn never_panics_on_env_like_text(text in "([A-Za-z_ =#'\"$\\{\\}:\\-?+\\\\\t\r\n]|export ){0,80}") {
        let doc = parse::parse("fuzz", &text);
        for d in Dialect::ALL {
            let _ = validate_env::input::Input::from_documents(vec![doc.clone()], d);
        }
    }

    #[test]
    fn plain_key_value_lines_round_trip(key in "[A-Z_][A-Z0-9_]{0,20}", value in "[A-Za-z0-9_./:@%+,-]{0,40}") {
        let line = format!("{key}={value}\n");
        let doc = parse::parse("p", &line);
        prop_assert!(doc.errors.is_empty());
        prop_assert_eq!(&doc.entries[0].key, &key);
        prop_assert_eq!(compose_value(&line), Some(value));
    }

    #[test]
    fn any_value_round_trips_through_dump_quoting(key in "[A-Z_][A-Z0-9_]{0,20}", value in "\\PC{0,40}|[ \t\n$#'\"\\\\]{0,20}") {
        let line = format!("{key}={}\n", validate_env::dump::quote(&value));
        prop_assert_eq!(compose_value(&line), Some(value.clone()), "line {:?}", line);
    }
}

/// Every check, on values of every declared variable, with arbitrary text.
fn check_all(text: &str) {
    let root = shipshape_testkit::cli::workspace_root();
    let path = root.join("fixtures/stack/env.schema.toml");
    let schema =
        validate_env::schema::Schema::parse(&std::fs::read_to_string(&path).unwrap(), &path)
            .unwrap();
    for env in ["production", "staging"] {
        let doc = parse::parse("p.env", text);
        let input = validate_env::input::Input::from_documents(vec![doc], Dialect::Compose);
        let vars = schema.resolve(env);
        let ctx =
            validate_env::checks::Ctx::new(&input, Some(&schema), &vars, Some(env), None, true);
        let _ = validate_env::checks::run(&ctx);
    }
}

const NAMES: [&str; 8] = [
    "DATABASE_URL",
    "NEXT_PUBLIC_CLERK_PUBLISHABLE_KEY",
    "CLERK_SECRET_KEY",
    "SENTRY_DSN",
    "REDIS_URL",
    "CORS_ORIGINS",
    "HSTS_MAX_AGE",
    "EMAIL_FROM",
];

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn checks_never_panic_on_arbitrary_values(
        values in proptest::collection::vec("\\PC{0,30}|[a-z]{2,8}://[\\PC]{0,30}|pk_(live|test)_[A-Za-z0-9+/=]{0,30}", NAMES.len())
    ) {
        let text: String = NAMES
            .iter()
            .zip(&values)
            .map(|(k, v)| format!("{k}='{}'\n", v.replace('\'', "")))
            .collect();
        check_all(&text);
    }
}
