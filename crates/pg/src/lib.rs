//! PostgreSQL plumbing shared by `pg-backup`, `pg-restore` and
//! `migrate-check`: where to connect ([`ConnectionSettings`]), talking to the
//! server ([`Db`]), finding client programs that are new enough
//! ([`programs`]), running them without leaking the password ([`child`]),
//! quoting names ([`quote`]), the cross-tool advisory lock ([`lock`]) and
//! reading a dump's COPY rows in bulk ([`copydata`]).

pub mod archive;
pub mod child;
pub mod client;
pub mod copydata;
pub mod error;
pub mod lock;
pub mod manifest;
pub mod programs;
pub mod quote;
pub mod schema_snapshot;
pub mod settings;
pub mod snapshot;
pub mod throwaway;

pub use client::Db;
pub use error::PgError;
pub use settings::{ConnectionArgs, ConnectionSettings};
