//! The `[validate-env]` table of `shipshape.toml`.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};
use shipshape_core::config::ToolConfig;

use crate::dialect::Dialect;

#[derive(Debug, Default, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// Schema file (relative paths are relative to shipshape.toml).
    pub schema: Option<PathBuf>,
    /// Example file whose keys must all be present.
    pub example: Option<PathBuf>,
    /// Environment profile (production, staging, …).
    pub env: Option<String>,
    /// Which reader's interpretation to validate.
    pub dialect: Option<Dialect>,
    /// Report only these rules (default: all).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub select: Option<Vec<String>>,
    /// Do not report these rules.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub ignore: Vec<String>,
    /// Make warnings fail the run (they stay warnings).
    pub strict: Option<bool>,
}

impl ToolConfig for Config {
    const TABLE: &'static str = "validate-env";
}
