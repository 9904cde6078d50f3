//! SARIF 2.1.0, for GitHub code scanning. A small hand-written model: only
//! the parts code scanning reads. Output is deterministic: rules sorted by id,
//! results in report order.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::diagnostic::Severity;
use crate::report::Report;

const SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";
const INFORMATION_URI: &str = "https://github.com/shipshape/shipshape";

#[derive(Serialize)]
struct Log<'a> {
    #[serde(rename = "$schema")]
    schema: &'static str,
    version: &'static str,
    runs: Vec<Run<'a>>,
}

#[derive(Serialize)]
struct Run<'a> {
    tool: Tool<'a>,
    results: Vec<SarifResult<'a>>,
}

#[derive(Serialize)]
struct Tool<'a> {
    driver: Driver<'a>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Driver<'a> {
    name: &'a str,
    version: &'a str,
    information_uri: &'static str,
    rules: Vec<Rule>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Rule {
    id: String,
    short_description: Text,
    #[serde(skip_serializing_if = "Option::is_none")]
    help: Option<Text>,
}

#[derive(Serialize)]
struct Text {
    text: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SarifResult<'a> {
    rule_id: &'a str,
    rule_index: usize,
    level: &'static str,
    message: Text,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    locations: Vec<SarifLocation>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SarifLocation {
    physical_location: PhysicalLocation,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PhysicalLocation {
    artifact_location: ArtifactLocation,
    #[serde(skip_serializing_if = "Option::is_none")]
    region: Option<Region>,
}

#[derive(Serialize)]
struct ArtifactLocation {
    uri: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Region {
    start_line: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    start_column: Option<u32>,
}

fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "note",
    }
}

/// A relative path with forward slashes, spaces escaped, as SARIF's `uri`.
fn uri(path: &str) -> String {
    path.trim_start_matches("./")
        .replace('\\', "/")
        .replace(' ', "%20")
}

pub fn render(report: &Report) -> String {
    // Every code that appears gets a rule, described by the tool's registry;
    // a code missing there (a bug: tests assert there is none) uses the
    // first message seen, so the rule list is never incomplete.
    let mut rules: BTreeMap<&str, Rule> = BTreeMap::new();
    for d in &report.diagnostics {
        rules
            .entry(d.code.as_str())
            .or_insert_with(|| match report.rule(&d.code) {
                Some(rule) => Rule {
                    id: d.code.clone(),
                    short_description: Text {
                        text: rule.summary.to_owned(),
                    },
                    help: (!rule.explanation.is_empty()).then(|| Text {
                        text: rule.explanation.to_owned(),
                    }),
                },
                None => Rule {
                    id: d.code.clone(),
                    short_description: Text {
                        text: d.message.clone(),
                    },
                    help: d.help.clone().map(|text| Text { text }),
                },
            });
    }
    let index: BTreeMap<&str, usize> = rules
        .keys()
        .enumerate()
        .map(|(i, code)| (*code, i))
        .collect();

    let results = report
        .diagnostics
        .iter()
        .map(|d| SarifResult {
            rule_id: &d.code,
            rule_index: index[d.code.as_str()],
            level: level(d.severity),
            message: Text {
                text: match (&d.subject, &d.help) {
                    (_, Some(help)) => format!("{}\nhelp: {help}", d.message),
                    _ => d.message.clone(),
                },
            },
            locations: d
                .file
                .as_ref()
                .map(|file| SarifLocation {
                    physical_location: PhysicalLocation {
                        artifact_location: ArtifactLocation { uri: uri(file) },
                        region: d.line.map(|start_line| Region {
                            start_line,
                            start_column: d.column,
                        }),
                    },
                })
                .into_iter()
                .collect(),
        })
        .collect();

    let log = Log {
        schema: SCHEMA,
        version: "2.1.0",
        runs: vec![Run {
            tool: Tool {
                driver: Driver {
                    name: report.tool,
                    version: report.version,
                    information_uri: INFORMATION_URI,
                    rules: rules.into_values().collect(),
                },
            },
            results,
        }],
    };
    let mut text = serde_json::to_string_pretty(&log).unwrap_or_default();
    text.push('\n');
    text
}
