//! Differential tests: the python-dotenv and Next.js dialects against the
//! real python-dotenv and @next/env (installed, pinned, by
//! scripts/deps/validate-env.sh under target/), over every fixture and a
//! generated set of edge cases. A difference fails the test unless
//! docs/validate-env.md lists it, with its reason, under "Known
//! differences"; a listed difference that no longer occurs fails too.
//!
//! compose has no real reader here (compose-go needs Go modules this
//! project cannot fetch), so its dialect is held to what compose-go's
//! parser does, case by case, in `compose_dialect_reads_as_compose_go_does`.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::{Map, Value};
use shipshape_testkit::cli;
use validate_env::dialect::Dialect;
use validate_env::input::Input;
use validate_env::parse;

use crate::common::{json, run};

/// The versions the dialects follow; scripts/deps/validate-env.sh installs
/// exactly these. Bumping one is a visible change here.
const PINNED_PYTHON_DOTENV: &str = "1.2.4";
const PINNED_NEXT_ENV: &str = "16.5.0";

const VENV_PYTHON: &str = "target/validate-env-venv/bin/python";
const NEXT_ENV: &str = "target/validate-env-node/node_modules/@next/env";

/// The installed reader, or `None` (the test then skips, saying why).
fn installed(path: &str) -> Option<PathBuf> {
    let full = cli::workspace_root().join(path);
    if full.exists() {
        Some(full)
    } else {
        eprintln!(
            "SKIPPED: {} is missing: run scripts/deps/validate-env.sh (make test does)",
            full.display()
        );
        None
    }
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

fn stdout_of(cmd: &mut Command) -> String {
    let output = cmd.output().unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

#[test]
fn the_pinned_versions_are_the_ones_installed_and_named_in_the_deps_script() {
    let script =
        std::fs::read_to_string(cli::workspace_root().join("scripts/deps/validate-env.sh"))
            .unwrap();
    assert!(script.contains(&format!("python_dotenv_version={PINNED_PYTHON_DOTENV}\n")));
    assert!(script.contains(&format!("next_env_version={PINNED_NEXT_ENV}\n")));
    if let Some(python) = installed(VENV_PYTHON) {
        let version = stdout_of(clean(&python).args([
            "-c",
            "import importlib.metadata as m; print(m.version('python-dotenv'))",
        ]));
        assert_eq!(version.trim(), PINNED_PYTHON_DOTENV);
    }
    if let Some(module) = installed(NEXT_ENV) {
        let package: Value =
            serde_json::from_str(&std::fs::read_to_string(module.join("package.json")).unwrap())
                .unwrap();
        assert_eq!(package["version"], PINNED_NEXT_ENV);
    }
}

/// Every `.env` file under fixtures/ that validate-env reads.
fn fixture_files() -> Vec<PathBuf> {
    let root = cli::workspace_root();
    let mut files = Vec::new();
    for dir in ["fixtures/validate-env", "fixtures/stack"] {
        for entry in std::fs::read_dir(root.join(dir)).unwrap() {
            let path = entry.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            if name.ends_with(".env") || name.starts_with(".env") {
                files.push(path);
            }
        }
    }
    files.sort();
    assert!(files.len() >= 10, "{files:?}");
    files
}

/// Edge cases: values, names, separators and line endings in combination,
/// and whole files for what spans lines.
fn generated_cases() -> Vec<String> {
    const VALUES: &[&str] = &[
        "v",
        "v #c",
        "v\t#c",
        "v#c",
        "#c",
        " #c",
        "\t#c",
        "  spaced  ",
        "'s $X ${X} $$'",
        "'it\\'s \\\\ \\n'",
        "\"d\\n\\t\\\"\\$X \\\\ \\q \\'\"",
        "\"\\0101 \\0 \\a\"",
        "${X}",
        "$X",
        "${X:-d}",
        "${U:-d}",
        "${X-d}",
        "${X:+a}",
        "${U}",
        "$$X",
        "$$U",
        "'$X'",
        "'\\$X'",
        "$$",
        "\\$X",
        "cost $5",
        "${X}${X}",
        "\"abc\"def",
        "\"abc\" \"def\"",
        "'abc'def",
        "\"abc\" # c",
        "\"a\nb\"",
        "'a\nb'",
        "`bt`",
        "\"open",
        "'open",
        "\"\"",
        "''",
        "",
        "pa#ss word",
        "[\"j\"]",
        "a=b=c",
        "é ü",
    ];
    const KEYS: &[&str] = &[
        "A",
        "a.b-c",
        "'q'",
        "export E",
        "export 'x'",
        "%k[$]",
        "A\tB",
        "1A",
        "  K",
        "''",
    ];
    const SEPARATORS: &[&str] = &["=", " = ", "= ", "=\t", ": ", ":"];
    const ENDINGS: &[&str] = &["\n", "\r\n", "\r", ""];
    const FILES: &[&str] = &[
        "=\"value\"\n",
        "=bare\nA=1\n",
        "BARE\n",
        "A=1\nBARE",
        "A=1\nA\nB=${A:-d}\n",
        "\u{feff}A=1\nB=2\n",
        "A=${B}\nB=b\n",
        "5=five\nA=${5}\nB=$5\n",
        "A=1\n\n\n# c\nB=2 # c\n",
        "A=\"multi\nB=2\n\"\nC=3\n",
        "A=\"x\r\ny\"\r\nB='p\r\nq'\r\n",
        "A=1\rB=2\r",
        "A=1\r\rB=2\r\n",
        "A=\"x\\\"\"\nB=\\\"x\\\"\n",
        "A=a\nA=b\nC=${A}\n",
        "export A=1\nexport\tB=2\nexportC=3\n",
        "A=\"abc\"def\nB=after\n",
        "A='${X}'\nB=\"${X}\"\n",
        "A: b\nC :d\n",
        "  A = 1  \n\tB\t=\t2\t\n",
    ];
    let mut cases = Vec::new();
    for value in VALUES {
        for ending in ENDINGS {
            cases.push(format!("X=1{ending}P={value}{ending}Z=end{ending}"));
        }
    }
    for key in KEYS {
        for separator in SEPARATORS {
            cases.push(format!("{key}{separator}v\nZ=end\n"));
        }
        for value in ["'s ${X}'", "\"q\"", "v #c"] {
            cases.push(format!("X=1\n{key}={value}\n"));
        }
    }
    cases.extend(FILES.iter().map(|f| (*f).to_owned()));
    cases.extend(random_files(400));
    cases
}

/// Seeded random files from the characters that matter to the readers, for
/// the combinations no list above thought of. Deterministic: a failure
/// names its input, and the same inputs come back on the next run.
fn random_files(count: usize) -> Vec<String> {
    const TOKENS: &[&str] = &[
        "A", "B", "x", "1", "=", "=", " ", "\t", "#", "'", "\"", "`", "$", "${", "}", ":-", "-",
        "\\", "\n", "\n", "\r", "\r\n", "export ", ":", ".", "A=", "B=", "\nA=", "\nB=", "$A",
        "${A}", "${B:-d}", ":x", "{", "\u{a0}", "\u{85}", "\u{1c}", "\u{feff}", "\u{b}", "é",
    ];
    let mut state: u64 = 0x005e_ed15;
    let mut next = move || {
        // xorshift64: small, fixed, good enough to spread the choices.
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    (0..count)
        .map(|_| {
            let len = 3 + usize::try_from(next() % 14).unwrap();
            (0..len)
                .map(|_| TOKENS[usize::try_from(next() % TOKENS.len() as u64).unwrap()])
                .collect()
        })
        .collect()
}

/// One input: a fixture file, or a generated text.
struct Case {
    /// Shown in failures and in the docs table (a JSON string).
    label: String,
    bytes: Vec<u8>,
}

fn cases() -> Vec<Case> {
    let root = cli::workspace_root();
    let fixtures = fixture_files().into_iter().map(|path| Case {
        label: path
            .strip_prefix(root)
            .unwrap()
            .to_string_lossy()
            .into_owned(),
        bytes: std::fs::read(&path).unwrap(),
    });
    let generated = generated_cases().into_iter().map(|text| Case {
        label: label(&text),
        bytes: text.into_bytes(),
    });
    fixtures.chain(generated).collect()
}

/// A generated case as the docs table writes it: a JSON string, with `|`
/// escaped so that it fits in a Markdown table cell.
fn label(text: &str) -> String {
    serde_json::to_string(text).unwrap().replace('|', "\\u007c")
}

/// Each case in a directory of its own, as `.env` (@next/env's file name).
fn write_cases(cases: &[Case]) -> (tempfile::TempDir, Vec<PathBuf>) {
    let dir = tempfile::tempdir().unwrap();
    let dirs = cases
        .iter()
        .enumerate()
        .map(|(i, case)| {
            let d = dir.path().join(format!("case-{i}"));
            std::fs::create_dir(&d).unwrap();
            std::fs::write(d.join(".env"), &case.bytes).unwrap();
            d
        })
        .collect();
    (dir, dirs)
}

/// What the real reader returns for each case (`null` when it fails).
fn real_readings(dialect: Dialect, dirs: &[PathBuf]) -> Option<Vec<Value>> {
    let output = match dialect {
        Dialect::PythonDotenv => {
            let python = installed(VENV_PYTHON)?;
            let script = "import json, sys\nfrom dotenv import dotenv_values\nout = []\nfor d in sys.argv[1:]:\n    try:\n        out.append({k: v for k, v in dotenv_values(d + '/.env').items() if v is not None})\n    except Exception:\n        out.append(None)\nprint(json.dumps(out))";
            stdout_of(clean(&python).args(["-c", script]).args(dirs))
        }
        Dialect::Nextjs => {
            let module = installed(NEXT_ENV)?;
            // A smaller stack makes a self-referencing value (dotenv-expand
            // recurses until the stack overflows) fail in a second instead
            // of fifteen; no case nests more than a few references deep.
            let script = "const {loadEnvConfig} = require(process.argv[1]);\n\
                 const quiet = {info() {}, error() {}};\n\
                 const out = process.argv.slice(2).map(d => loadEnvConfig(d, false, quiet, true).parsedEnv);\n\
                 console.log(JSON.stringify(out));";
            stdout_of(
                clean(Path::new("node"))
                    .args(["--stack-size=200", "-e", script])
                    .arg(module)
                    .args(dirs),
            )
        }
        Dialect::Compose => return None,
    };
    match serde_json::from_str(&output).unwrap() {
        Value::Array(values) => Some(values),
        other => panic!("not a list: {other}"),
    }
}

/// What the dialect reads, through the library (the fixtures also through
/// the binary, in `dump_of_every_fixture_matches_the_library`).
fn our_reading(dialect: Dialect, bytes: &[u8]) -> Value {
    let input = Input::from_documents(vec![parse::parse_bytes(".env", bytes)], dialect);
    let map: Map<String, Value> = input
        .values
        .iter()
        .map(|v| (v.key.clone(), Value::String(v.value.clone())))
        .collect();
    Value::Object(map)
}

/// `(reader, input label)` of every row of the docs' known-differences table.
fn documented_differences() -> BTreeSet<(String, String)> {
    let docs = std::fs::read_to_string(cli::workspace_root().join("docs/validate-env.md")).unwrap();
    let section = docs
        .split("### Known differences")
        .nth(1)
        .expect("docs/validate-env.md has a 'Known differences' section");
    let mut rows = BTreeSet::new();
    for line in section.lines().skip_while(|l| !l.starts_with('|')) {
        if !line.starts_with('|') {
            break;
        }
        let cells: Vec<&str> = line.split(" | ").map(str::trim).collect();
        if cells.len() < 4 || cells[0].contains("reader") || cells[0].starts_with("|--") {
            continue;
        }
        let reader = cells[0].trim_start_matches('|').trim().to_owned();
        let input = cells[1].trim_matches('`').to_owned();
        let why = cells.last().unwrap().trim_end_matches('|').trim();
        assert!(!why.is_empty(), "no reason given for {input}");
        rows.insert((reader, input));
    }
    rows
}

fn compare(dialect: Dialect) {
    let cases = cases();
    let (_dir, dirs) = write_cases(&cases);
    let Some(real) = real_readings(dialect, &dirs) else {
        return;
    };
    let documented: BTreeSet<(String, String)> = documented_differences()
        .into_iter()
        .filter(|(reader, _)| reader == dialect.name())
        .collect();
    let mut found = BTreeSet::new();
    let mut unlisted = Vec::new();
    for (case, theirs) in cases.iter().zip(&real) {
        let ours = our_reading(dialect, &case.bytes);
        if &ours == theirs {
            continue;
        }
        let key = (dialect.name().to_owned(), case.label.clone());
        if !documented.contains(&key) {
            unlisted.push(format!(
                "{}\n    {}: {theirs}\n    validate-env: {ours}",
                case.label,
                dialect.name()
            ));
        }
        found.insert(key);
    }
    let stale: Vec<_> = documented.difference(&found).collect();
    assert!(
        unlisted.is_empty() && stale.is_empty(),
        "{} of {} cases read differently and are not in the docs' Known differences table:\n{}\n\nlisted but no longer different: {stale:?}",
        unlisted.len(),
        cases.len(),
        unlisted.join("\n")
    );
}

#[test]
fn python_dotenv_dialect_matches_python_dotenv() {
    compare(Dialect::PythonDotenv);
}

#[test]
fn nextjs_dialect_matches_next_env() {
    compare(Dialect::Nextjs);
}

#[test]
fn dump_of_every_fixture_matches_the_library() {
    let root = cli::workspace_root();
    for path in fixture_files() {
        let file = path.strip_prefix(root).unwrap().to_string_lossy();
        let bytes = std::fs::read(&path).unwrap();
        for dialect in Dialect::ALL {
            let name = match dialect {
                Dialect::Compose => "compose",
                Dialect::PythonDotenv => "python-dotenv",
                Dialect::Nextjs => "nextjs",
            };
            let r = run(&[
                "dump",
                "--show-secrets",
                "--dialect",
                name,
                "--format",
                "json",
                &file,
            ]);
            assert_eq!(
                json(&r)["variables"],
                our_reading(dialect, &bytes),
                "{file} {name}"
            );
        }
    }
}

/// compose-go's reading, from its parser (`dotenv/parser.go`) and its test
/// table, restated: no Go toolchain with compose-go can run here.
#[test]
fn compose_dialect_reads_as_compose_go_does() {
    let cases: &[(&str, &[(&str, &str)])] = &[
        // A name scan that reaches `=` first gives an empty name.
        ("=\"value\"\n", &[("", "value")]),
        // A last word with no line break after it: the name scan runs off
        // the end of the text, so the word is the value of an empty name.
        ("A=1\nBARE", &[("A", "1"), ("", "BARE")]),
        // ... but followed by a line break it is "inherited" from the
        // environment (empty here), or from an earlier line of the file.
        ("BARE\nA=1\n", &[("A", "1")]),
        // `\r` is a space, not a line break; trailing spaces are trimmed.
        ("A=1\rB=2\r", &[("A", "1\rB=2")]),
        ("A=1\r\nB=2\r\n", &[("A", "1"), ("B", "2")]),
        // Quoted values keep `\r\n` as written.
        ("A=\"x\r\ny\"\r\n", &[("A", "x\r\ny")]),
        ("A='x\r\ny'\r\n", &[("A", "x\r\ny")]),
        // Only " #" starts a comment.
        (
            "A=a\t#b\nB=a #b\nC=a#b\n",
            &[("A", "a\t#b"), ("B", "a"), ("C", "a#b")],
        ),
        // A name may hold a tab (only a space is refused), dots, dashes, brackets.
        ("A\tB=1\na.b-c[0]=2\n", &[("A\tB", "1"), ("a.b-c[0]", "2")]),
        // Escapes in double quotes, octal only as \0 and three digits.
        (
            "KEY=\"Z\\aZ\\bZ\\fZ\\nZ\\rZ\\tZ\\vZ\\\\Z\\0123Z\"\n",
            &[("KEY", "Z\u{7}Z\u{8}Z\u{c}Z\nZ\rZ\tZ\u{b}Z\\ZSZ")],
        ),
        (
            "A=\"\\0 \\01 \\q \\' \\$X\"\n",
            &[("A", "\\0 \\01 \\q \\' $X")],
        ),
        ("export OPTION_B='\\n'\n", &[("OPTION_B", "\\n")]),
        ("FOO=\"bar\\\\r\\ b\\az\"\n", &[("FOO", "bar\\r\\ b\u{7}z")]),
        ("A: b\n", &[("A", "b")]),
        // `export` only with white space after it, and alone on the last
        // line it is the value of an empty name.
        (
            "export exportFoo=2\nexportFOO=3\nexport\tT=4\n  export I=5\n",
            &[
                ("exportFoo", "2"),
                ("exportFOO", "3"),
                ("T", "4"),
                ("I", "5"),
            ],
        ),
        ("A=1\nexport", &[("A", "1"), ("", "export")]),
    ];
    let single: &[(&str, &str)] = &[
        ("FOO =bar", "bar"),
        ("FOO= bar", "bar"),
        ("FOO=\"escaped\\\"bar\"", "escaped\"bar"),
        ("FOO=\"'d'\"", "'d'"),
        ("FOO: Foo=bar", "Foo=bar"),
        ("FOO=1:B", "1:B"),
        ("FOO=a\\tb", "a\\tb"),
        ("FOO=foobar=", "foobar="),
        ("FOO=bar #this is foo", "bar"),
        ("FOO=bar #", "bar"),
        ("FOO=123#not-a-comment", "123#not-a-comment"),
        ("FOO=\"bar#baz\"#", "bar#baz"),
        ("FOO='bar#baz' # comment", "bar#baz"),
        ("FOO='it\\'s'", "it's"),
        ("FOO='a\\\\b'", "a\\\\b"),
        ("FOO=\"bar\\n\\ b\\az\"", "bar\n\\ b\u{7}z"),
        ("FOO=\"bar\\nbaz\\\\\"", "bar\nbaz\\"),
        ("FOO=\"\\x07 \\u12e4\"", "\\x07 \\u12e4"),
        ("\tFOO=value", "value"),
    ];
    for (text, value) in single {
        assert_eq!(
            our_reading(Dialect::Compose, text.as_bytes())["FOO"],
            Value::String((*value).to_owned()),
            "{text:?}"
        );
    }
    for (text, expected) in cases {
        let expected: Map<String, Value> = expected
            .iter()
            .map(|(k, v)| ((*k).to_owned(), Value::String((*v).to_owned())))
            .collect();
        assert_eq!(
            our_reading(Dialect::Compose, text.as_bytes()),
            Value::Object(expected),
            "{text:?}"
        );
    }
}
