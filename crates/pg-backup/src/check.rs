//! Checking one backup file: a full decompression pass with the SHA-256
//! compared against its manifest, the byte counts compared, and pg_dump's
//! completeness marker looked for. Used right after writing a backup and by
//! `pg-backup verify`.

use std::path::Path;

use shipshape_pg::archive::{self, ArchiveError, Scan};
use shipshape_pg::manifest::Manifest;

use crate::naming::Kind;

/// One thing wrong with a backup.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// Stable code: `corrupt`, `checksum-mismatch`, `size-mismatch`,
    /// `incomplete`, `unreadable`, `manifest-mismatch`.
    pub code: &'static str,
    pub message: String,
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} [{}]", self.message, self.code)
    }
}

/// Read the whole file and compare it with the manifest (if any).
pub fn check(
    path: &Path,
    file: &str,
    kind: Kind,
    manifest: Option<&Manifest>,
) -> (Option<Scan>, Vec<Problem>) {
    let mut problems = Vec::new();
    let scan = match archive::scan(path, kind.format(), kind.compression()) {
        Ok(scan) => scan,
        Err(ArchiveError::Corrupt { reason, .. }) => {
            problems.push(Problem {
                code: "corrupt",
                message: format!("{file} is corrupt: {reason}"),
            });
            return (None, problems);
        }
        Err(err @ ArchiveError::Io { .. }) => {
            problems.push(Problem {
                code: "unreadable",
                message: err.to_string(),
            });
            return (None, problems);
        }
    };
    if let Some(m) = manifest {
        if m.file != file {
            problems.push(Problem {
                code: "manifest-mismatch",
                message: format!("the manifest describes {}, not {file}", m.file),
            });
        }
        if scan.compressed_bytes != m.compressed_bytes {
            problems.push(Problem {
                code: "size-mismatch",
                message: format!(
                    "{file} is {} bytes, the manifest says {} (truncated or appended to)",
                    scan.compressed_bytes, m.compressed_bytes
                ),
            });
        }
        if scan.sha256 != m.sha256 {
            problems.push(Problem {
                code: "checksum-mismatch",
                message: format!(
                    "SHA-256 of {file} is {}, the manifest recorded {}",
                    scan.sha256, m.sha256
                ),
            });
        }
        if kind.compression() != shipshape_pg::manifest::Compression::None
            && scan.uncompressed_bytes != m.uncompressed_bytes
        {
            problems.push(Problem {
                code: "size-mismatch",
                message: format!(
                    "{file} decompresses to {} bytes, the manifest says {}",
                    scan.uncompressed_bytes, m.uncompressed_bytes
                ),
            });
        }
    }
    if !scan.complete {
        problems.push(Problem {
            code: "incomplete",
            message: match kind.format() {
                shipshape_pg::manifest::DumpFormat::Plain => format!(
                    "{file} does not end with pg_dump's \"-- PostgreSQL database dump complete\" line: the dump was cut short"
                ),
                shipshape_pg::manifest::DumpFormat::Custom => {
                    format!("{file} is not a pg_dump custom-format archive (no PGDMP header)")
                }
            },
        });
    }
    (Some(scan), problems)
}
