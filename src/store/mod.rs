//! Storage adapters: implementations of the domain's storage interface ([`crate::domain::store::Store`]).
//!
//! This module owns how stretchbot's state is stored: the SQLite adapter ([`SqliteStore`], one process,
//! the default) and the PostgreSQL one ([`PostgresStore`], several processes sharing a database), their
//! schemas (versioned migrations in `migrations/sqlite/` and `migrations/postgres/` at the top of the
//! repository), [`AnyStore`], the one type the bot runs on whichever backend the configuration chose,
//! and [`copy`], which moves a SQLite install to PostgreSQL.
//! The domain never sees SQL, files or the async runtime; only this module does.

mod any;
pub mod copy;
mod postgres;
mod sqlite;
#[cfg(test)]
mod suite;
mod values;

pub use any::AnyStore;
pub use postgres::PostgresStore;
pub use sqlite::{SchemaVersion, SqliteStore};
