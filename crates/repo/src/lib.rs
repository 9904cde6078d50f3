//! Where backups live, shared by pg-backup (which writes them) and
//! pg-restore (which finds and reads them), so both read a backup directory
//! the same way:
//!
//! - [`naming`]: `<prefix>_<YYYYmmdd_HHMMSS>.<ext>`, the one parser of
//!   backup file names (retention and `--latest` only ever consider names
//!   that match it exactly);
//! - [`inventory`]: the backups in a directory with their manifests.
//!
//! The manifest format itself lives in `shipshape_pg::manifest`.

pub mod inventory;
pub mod naming;
