//! One JSON object on stdout. The schema is documented in
//! `docs/json-output.md`; keys are stable.

use serde_json::{Map, Value, json};

use crate::report::Report;

/// The standard envelope plus the tool's own fields (which never replace the
/// standard keys).
pub fn to_value(report: &Report) -> Value {
    let mut object = Map::new();
    object.insert("tool".into(), json!(report.tool));
    object.insert("version".into(), json!(report.version));
    object.insert("ok".into(), json!(report.ok()));
    object.insert("summary".into(), json!(report.summary()));
    object.insert("diagnostics".into(), json!(report.diagnostics));
    for (key, value) in &report.extra {
        object.entry(key.clone()).or_insert_with(|| value.clone());
    }
    Value::Object(object)
}

pub fn render(report: &Report) -> String {
    let mut text = serde_json::to_string_pretty(&to_value(report)).unwrap_or_default();
    text.push('\n');
    text
}
