//! `unknown-field`: A field the target version of Prometheus or Alertmanager does not know.

use shipshape_core::Severity;

use super::Check;

/// Reported by the YAML reader and the schema loaders while they build the model.
pub const CHECK: Check = Check {
    id: "unknown-field",
    severity: Severity::Error,
    summary: "A field the target version of Prometheus or Alertmanager does not know.",
    explanation: "Prometheus and Alertmanager load their files strictly: an unknown field (usually a typo such as `anotations`, or a field from a newer version) makes them refuse the whole file. Fix the spelling (a close match is suggested) or raise --prometheus-version / --alertmanager-version if you really run a newer version. Dialect fields (vmalert, Thanos, Mimir) are accepted with --dialect.",
};
