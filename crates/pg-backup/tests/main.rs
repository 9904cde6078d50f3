//! Integration tests for `pg-backup` against a real PostgreSQL with the
//! real pg_dump, psql and pg_restore (see shipshape_testkit::pg). One test
//! binary per crate; the areas live in submodules.

#![allow(clippy::unwrap_used, clippy::print_stderr)] // test code: a panic is a failed test

mod cli;
mod create;
mod failures;
mod manage;
mod offsite;
mod support;
