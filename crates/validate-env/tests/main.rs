//! Integration tests for `validate-env`: one test binary per crate. Every
//! test drives the real binary over fixture files.

#![allow(clippy::unwrap_used, clippy::print_stderr)] // test code: a panic is a failed test

mod cli;
mod common;
mod dump;
mod lints;
mod properties;
mod readers;
mod schema_rules;
mod secrets;
mod stack;
