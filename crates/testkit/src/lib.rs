//! Test harness shared by every crate's integration tests.
//!
//! - [`pg`]: a real PostgreSQL for tests. `DATABASE_URL` names an existing
//!   server; otherwise a throwaway cluster is started once per test process
//!   (initdb + pg_ctl, private socket directory, free port, scram passwords)
//!   and stopped by a watchdog when the process exits.
//! - [`garage`]: a real S3-compatible object store (Garage, built by
//!   `scripts/deps/garage.sh`): a single node shared by the test process and
//!   stopped by a watchdog when it exits, or a three-node cluster a test owns
//!   and can kill nodes of; uniquely named buckets deleted on drop.
//! - [`cli`]: run a tool binary in a clean environment and snapshot exit
//!   code, stdout and stderr together.

#![allow(clippy::print_stderr, clippy::missing_panics_doc)]

pub mod cli;
pub mod garage;
pub mod pg;
