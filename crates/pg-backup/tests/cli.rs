//! Command-line behaviour that needs no database.

use shipshape_testkit::cli;

use crate::support::tool;

#[test]
fn help_lists_exit_codes_examples_and_utc() {
    let run = cli::run(tool().arg("--help"));
    assert_eq!(run.code, Some(0), "{}", run.snapshot());
    for needle in [
        "Exit codes:",
        "130",
        "Examples:",
        "UTC",
        "list",
        "verify",
        "prune",
        "--keep-min",
    ] {
        assert!(run.stdout.contains(needle), "{needle}: {}", run.stdout);
    }
}

#[test]
fn version_exits_0() {
    let run = cli::run(tool().arg("--version"));
    assert_eq!(run.code, Some(0));
    assert!(run.stdout.starts_with("pg-backup "), "{}", run.stdout);
}

#[test]
fn unknown_flag_is_a_usage_error() {
    let run = cli::run(tool().arg("--no-such-flag"));
    assert_eq!(run.code, Some(2), "{}", run.snapshot());
    assert!(run.stderr.contains("--no-such-flag"));
}

#[test]
fn bad_values_are_usage_errors_before_anything_is_done() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("never-created");
    let cases: [&[&str]; 5] = [
        &["--compress-level", "42"],
        &["--jobs", "0"],
        &["--prefix", "../escape"],
        &["--pg-dump", "pg_dump 'unterminated"],
        &["--dump-format", "custom", "--compress", "zstd"],
    ];
    for args in cases {
        let run = cli::run(
            tool()
                .env("DATABASE_URL", "postgres://u@127.0.0.1:1/db")
                .arg("--dir")
                .arg(&target)
                .args(args),
        );
        assert_eq!(run.code, Some(2), "{args:?}: {}", run.snapshot());
        assert!(!target.exists(), "{args:?} created the directory");
    }
    let run = cli::run(tool().args(["verify", "x.sql.gz", "--all"]));
    assert_eq!(run.code, Some(2), "{}", run.snapshot());
    let run = cli::run(tool().args(["list", "--jobs", "2"]));
    assert_eq!(
        run.code,
        Some(2),
        "create options are not list options: {}",
        run.snapshot()
    );
}

#[test]
fn unknown_config_key_is_a_usage_error_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("shipshape.toml"),
        "[pg-backup]\nkeep_dayz = 3\n",
    )
    .unwrap();
    let run = cli::run(tool().current_dir(dir.path()).arg("list"));
    assert_eq!(run.code, Some(2), "{}", run.snapshot());
    assert!(run.stderr.contains("keep_dayz"), "{}", run.stderr);
    assert!(run.stderr.contains("line 2"), "{}", run.stderr);
}

#[test]
fn print_config_merges_file_env_and_flags_and_redacts_the_password() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("shipshape.toml"),
        "[pg-backup]\ndir = '/from/file'\nkeep_days = 14\nkeep_min = 3\ncompress = 'zstd'\non_failure = \"curl -fsS 'https://hc.example/fail'\"\n",
    )
    .unwrap();
    let run = cli::run(
        tool()
            .current_dir(dir.path())
            .env("DATABASE_URL", "postgres://app:hunter2@db:5432/app")
            .env("PG_BACKUP_DIR", "/from/env")
            .args(["--keep-days", "30", "--print-config"]),
    );
    assert_eq!(run.code, Some(0), "{}", run.snapshot());
    assert!(!run.stdout.contains("hunter2"), "{}", run.stdout);
    insta::assert_snapshot!(run.stdout.replace(&num_cpus(), "[CPUS]"));
}

fn num_cpus() -> String {
    format!(
        "jobs = {}",
        std::thread::available_parallelism().map_or(1, usize::from)
    )
}

#[test]
fn create_options_count_before_and_after_the_subcommand() {
    let dir = tempfile::tempdir().unwrap();
    let run = cli::run(
        tool()
            .current_dir(dir.path())
            .env("DATABASE_URL", "postgres://app@db:5432/app")
            .args(["--no-config", "--jobs", "3", "--verify-restore"])
            .args(["create", "--compress", "zstd", "--print-config"]),
    );
    assert_eq!(run.code, Some(0), "{}", run.snapshot());
    for line in [
        "jobs = 3\n",
        "verify_restore = true\n",
        "compress = \"zstd\"\n",
    ] {
        assert!(run.stdout.contains(line), "{line}: {}", run.stdout);
    }
}

#[test]
fn keygen_writes_a_private_file_prints_only_the_public_key_and_never_overwrites() {
    use std::os::unix::fs::PermissionsExt as _;
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("backup.key");
    let run = cli::run(tool().args(["keygen", "--output"]).arg(&key));
    assert_eq!(run.code, Some(0), "{}", run.snapshot());
    let public = run.stdout.trim();
    assert!(public.starts_with("age1"), "{}", run.stdout);
    let text = std::fs::read_to_string(&key).unwrap();
    let secret = text.lines().last().unwrap();
    assert!(secret.starts_with("AGE-SECRET-KEY-1"), "{text}");
    assert!(text.contains(&format!("# public key: {public}")), "{text}");
    assert!(
        !run.snapshot().contains(secret),
        "the private key reached the output"
    );
    assert_eq!(
        std::fs::metadata(&key).unwrap().permissions().mode() & 0o777,
        0o600
    );
    // The file decrypts what is encrypted to the printed public key.
    #[allow(deprecated)]
    let recipient: age::x25519::Recipient = public.parse().unwrap();
    let identity: age::x25519::Identity = secret.parse().unwrap();
    let cipher = age::encrypt(&recipient, b"drill").unwrap();
    assert_eq!(age::decrypt(&identity, &cipher).unwrap(), b"drill");
    // A second run never replaces the key.
    let again = cli::run(tool().args(["keygen", "--output"]).arg(&key));
    assert_eq!(again.code, Some(3), "{}", again.snapshot());
    assert_eq!(std::fs::read_to_string(&key).unwrap(), text);
    let pq = dir.path().join("pq.key");
    let run = cli::run(
        tool()
            .args(["keygen", "--post-quantum", "--output"])
            .arg(&pq),
    );
    assert_eq!(run.code, Some(0), "{}", run.snapshot());
    assert!(run.stdout.starts_with("age1pq1"), "{}", run.stdout);
}
