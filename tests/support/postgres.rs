//! The PostgreSQL test server, from `STRETCHBOT_TEST_DATABASE_URL`: a database of its own per test, so
//! that tests run in parallel. Outside CI an unset variable skips the test, saying how to start a
//! server; in CI (`CI=true`) it fails it.

use std::sync::atomic::{AtomicU32, Ordering};

const TEST_URL_VARIABLE: &str = "STRETCHBOT_TEST_DATABASE_URL";

/// Whether the environment variable `name` is set; when it is not, fails in CI and otherwise says the
/// test was skipped.
pub fn required(name: &str, what: &str) -> Option<String> {
    match std::env::var(name) {
        Ok(value) if !value.trim().is_empty() => Some(value),
        _ => {
            assert!(
                std::env::var("CI").as_deref() != Ok("true"),
                "{name} is not set; CI must run this test (.ci/run sets it)"
            );
            eprintln!(
                "skipped: {name} is not set ({what}); see the README's \"Running the PostgreSQL tests\""
            );
            None
        }
    }
}

/// The url of a new, empty database on the test server.
pub async fn fresh_database_url() -> Option<String> {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let url = required(TEST_URL_VARIABLE, "a PostgreSQL server to test against")?;
    let (client, connection) = tokio_postgres::connect(&url, tokio_postgres::NoTls)
        .await
        .expect("the test server accepts a connection");
    tokio::spawn(connection);
    let name = format!(
        "stretchbot_it_{}_{}_{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed),
        chrono::Utc::now().timestamp_micros()
    );
    client
        .batch_execute(&format!("CREATE DATABASE {name}"))
        .await
        .expect("the test role may create databases");
    // The test url names a database last (postgres://user@host:port/database), with no query.
    let (server, _) = url
        .rsplit_once('/')
        .expect("STRETCHBOT_TEST_DATABASE_URL ends in /database");
    Some(format!("{server}/{name}"))
}
