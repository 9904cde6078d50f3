//! What changes between PostgreSQL versions, on real builds of 14 to 18
//! (`scripts/deps/postgres.sh` installs them under `target/pg/<major>`):
//! pg-backup + verify, pg-restore of a backup made by the same version,
//! `--verify-restore`, upgrades by backup and restore (14 → 17, 17 → 18), a
//! downgrade that must fail cleanly (17 → 15), 17's `SET transaction_timeout`
//! into 16, 18's statistics in dumps, and migrate-check on the example
//! stack's migrations in all four layouts.
//!
//! Each major's cluster is started once for the process
//! (`shipshape_testkit::pg::server_of`) and every tool run names its client
//! programs with `--pg-bin-dir`, as a user with several versions installed
//! would. One test binary, so the suite links once.

#![allow(clippy::unwrap_used, clippy::print_stderr)] // test code: a panic is a failed test

mod cross;
mod migrate;
mod same;
mod support;
