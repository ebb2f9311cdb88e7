//! Storage adapters: implementations of the domain's storage interface ([`crate::domain::store::Store`]).
//!
//! This module owns how stretchbot's state lives on disk: the SQLite adapter ([`SqliteStore`]) and its
//! schema, whose versioned migrations are the SQL files in `migrations/` at the top of the repository,
//! and [`AnyStore`], the one type the bot runs on whichever backend the configuration chose.
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
pub use sqlite::SqliteStore;
