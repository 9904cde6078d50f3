//! `wrong-type`: A field has a value of the wrong type.

use shipshape_core::Severity;

use super::Check;

/// Reported by the YAML reader and the schema loaders while they build the model.
pub const CHECK: Check = Check {
    id: "wrong-type",
    severity: Severity::Error,
    summary: "A field has a value of the wrong type.",
    explanation: "A field that must be a string, list, mapping, integer or boolean holds something else, e.g. `labels:` given a list, or `limit: ten`. Prometheus and Alertmanager refuse the file.",
};
