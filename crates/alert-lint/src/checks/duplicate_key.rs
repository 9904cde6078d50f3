//! `duplicate-key`: A mapping has the same key twice.

use shipshape_core::Severity;

use super::Check;

/// Reported by the YAML reader and the schema loaders while they build the model.
pub const CHECK: Check = Check {
    id: "duplicate-key",
    severity: Severity::Error,
    summary: "A mapping has the same key twice.",
    explanation: "go-yaml, which Prometheus and Alertmanager use, rejects a mapping with a repeated key. Other YAML tools silently keep one of the values, so the file may look fine elsewhere. Every duplicate is reported; remove or merge the extra key.",
};
