//! The PostgreSQL test server, from `STRETCHBOT_TEST_DATABASE_URL`: a database of its own per test, so
//! that tests run in parallel, dropped when the test ends. Outside CI an unset variable skips the test,
//! saying how to start a server; in CI (`CI=true`) it fails it. The databases are the store's own tests'
//! (one file, `src/store/postgres/test_database.rs`).

#[path = "../../src/store/postgres/test_database.rs"]
mod test_database;

// Each test binary uses a part of the support, as with `dead_code` in `support`.
#[allow(unused_imports)]
pub use test_database::{TestDatabase, required};

/// A new, empty database on the test server; it derefs to its url, and is dropped with the value, so
/// keep it until the test ends.
pub async fn fresh_database_url() -> Option<TestDatabase> {
    TestDatabase::create("it").await
}
