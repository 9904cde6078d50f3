//! Where backups live, shared by pg-backup (which writes them) and
//! pg-restore (which finds and reads them), so both read a repository the
//! same way. A repository is a local directory or a prefix in an
//! S3-compatible bucket:
//!
//! - [`naming`]: `<prefix>_<YYYYmmdd_HHMMSS>.<ext>[.age]`, the one parser of
//!   backup names (retention and `--latest` only ever consider names that
//!   match it exactly);
//! - [`inventory`]: the backups in a directory with their manifests;
//! - [`remote`]: the same for an object-store prefix, plus streaming upload
//!   and download;
//! - [`crypt`]: age encryption of what leaves the host.
//!
//! The manifest format itself lives in `shipshape_pg::manifest`.

pub mod crypt;
pub mod inventory;
pub mod naming;
pub mod remote;
