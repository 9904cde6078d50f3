//! `yaml-syntax`: The file is not valid YAML.

use shipshape_core::Severity;

use super::Check;

/// Reported by the YAML reader and the schema loaders while they build the model.
pub const CHECK: Check = Check {
    id: "yaml-syntax",
    severity: Severity::Error,
    summary: "The file is not valid YAML.",
    explanation: "Prometheus and Alertmanager refuse a file they cannot parse. Common causes are tabs in indentation (YAML allows only spaces), a missing space after a colon, and unbalanced quotes or brackets. The position points at where the parser gave up; the mistake is often on the line before.",
};
