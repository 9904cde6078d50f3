//! Differential tests: the python-dotenv and Next.js dialects against the
//! real python-dotenv and @next/env (installed by scripts/deps/validate-env.sh
//! under target/), on the same fixture files.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::{Map, Value};
use shipshape_testkit::cli;

use crate::common::{json, run};

const FILES: [&str; 4] = [
    "fixtures/validate-env/forms.env",
    "fixtures/validate-env/bom.env",
    "fixtures/validate-env/crlf.env",
    "fixtures/validate-env/portability.env",
];

fn installed(path: &str) -> PathBuf {
    let full = cli::workspace_root().join(path);
    assert!(
        full.exists(),
        "{} is missing: run scripts/deps/validate-env.sh (make test does)",
        full.display()
    );
    full
}

/// A command with only PATH: both readers let the process environment win.
fn clean(program: &Path) -> Command {
    let mut cmd = Command::new(program);
    cmd.env_clear();
    if let Some(path) = std::env::var_os("PATH") {
        cmd.env("PATH", path);
    }
    cmd
}

fn object(stdout: &[u8]) -> Map<String, Value> {
    let v: Value = serde_json::from_slice(stdout).unwrap();
    v.as_object().unwrap().clone()
}

fn ours(dialect: &str, file: &str) -> Map<String, Value> {
    let r = run(&[
        "dump",
        "--show-secrets",
        "--dialect",
        dialect,
        "--format",
        "json",
        file,
    ]);
    json(&r)["variables"].as_object().unwrap().clone()
}

#[test]
fn python_dotenv_dialect_matches_python_dotenv() {
    let python = installed("target/validate-env-venv/bin/python");
    for file in FILES {
        let output = clean(&python)
            .args([
                "-c",
                "import json, sys\nfrom dotenv import dotenv_values\nprint(json.dumps({k: v for k, v in dotenv_values(sys.argv[1]).items() if v is not None}))",
            ])
            .arg(cli::workspace_root().join(file))
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        assert_eq!(
            ours("python-dotenv", file),
            object(&output.stdout),
            "{file}"
        );
    }
}

#[test]
fn nextjs_dialect_matches_next_env() {
    let module = installed("target/validate-env-node/node_modules/@next/env");
    let node = PathBuf::from("node");
    for file in FILES {
        let dir = tempfile::tempdir().unwrap();
        std::fs::copy(cli::workspace_root().join(file), dir.path().join(".env")).unwrap();
        let script = "const {loadEnvConfig} = require(process.argv[1]);\n\
             const r = loadEnvConfig(process.argv[2], false, {info() {}, error() {}});\n\
             console.log(JSON.stringify(r.parsedEnv));";
        let output = clean(&node)
            .args(["-e", script])
            .arg(&module)
            .arg(dir.path())
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        assert_eq!(ours("nextjs", file), object(&output.stdout), "{file}");
    }
}
