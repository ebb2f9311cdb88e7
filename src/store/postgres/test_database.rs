//! Throwaway databases on the PostgreSQL test server that `STRETCHBOT_TEST_DATABASE_URL` names, one per
//! test so that tests run in parallel: the store's own tests, the integration tests
//! (`tests/support/postgres.rs`) and the live benches include this one file. A database is dropped when
//! its [`TestDatabase`] is, at the end of the test, also one that failed. Databases of runs that were
//! killed before they could drop theirs are dropped by the next run, once they are an hour old: their
//! names end with the instant they were made, and no test runs for an hour.
//!
//! Outside CI an unset variable skips the test, saying how to start a server; in CI (`CI=true`) it
//! fails it.

use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};

const TEST_URL_VARIABLE: &str = "STRETCHBOT_TEST_DATABASE_URL";
/// Every test database's name starts so; `stretchbot_it_` is what integration tests used before.
const PREFIXES: [&str; 2] = ["stretchbot_test_", "stretchbot_it_"];
/// Databases left behind are dropped once this old.
const LEFT_BEHIND_MICROS: i64 = 3_600_000_000;

/// The value of the environment variable `name`, or `None` after saying the test was skipped; in CI a
/// missing value fails the test instead.
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

/// A new, empty database on the test server, dropped with this value. It derefs to its url.
pub struct TestDatabase {
    /// The server's url, naming the database to connect to for creating and dropping others.
    server: String,
    name: String,
    url: String,
}

impl TestDatabase {
    /// Makes a database whose name carries `label` (a few lowercase letters), or `None` when no test
    /// server is configured outside CI.
    pub async fn create(label: &str) -> Option<TestDatabase> {
        static COUNTER: AtomicU32 = AtomicU32::new(0);
        static SWEPT: AtomicBool = AtomicBool::new(false);
        let server = required(TEST_URL_VARIABLE, "a PostgreSQL server to test against")?;
        let client = connect(&server)
            .await
            .expect("the test server accepts a connection");
        if !SWEPT.swap(true, Ordering::Relaxed) {
            drop_left_behind(&client).await;
        }
        let name = format!(
            "{}{label}_{}_{}_{}",
            PREFIXES[0],
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed),
            chrono::Utc::now().timestamp_micros()
        );
        client
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .await
            .expect("the test role may create databases");
        // The test url names a database last (postgres://user@host:port/database), with no query.
        let (base, _) = server
            .rsplit_once('/')
            .expect("STRETCHBOT_TEST_DATABASE_URL ends in /database");
        let url = format!("{base}/{name}");
        Some(TestDatabase { server, name, url })
    }

    pub fn as_str(&self) -> &str {
        &self.url
    }
}

impl std::ops::Deref for TestDatabase {
    type Target = str;

    fn deref(&self) -> &str {
        &self.url
    }
}

impl AsRef<std::ffi::OsStr> for TestDatabase {
    fn as_ref(&self) -> &std::ffi::OsStr {
        self.url.as_ref()
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let (server, name) = (self.server.clone(), self.name.clone());
        // On a thread of its own, with a runtime of its own: a drop may run inside the test's
        // runtime, which cannot block on a future.
        let dropped = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(|e| e.to_string())?;
            runtime.block_on(async {
                let client = connect(&server).await.map_err(|e| e.to_string())?;
                // FORCE: a pool or a bot process of the test may still be connected.
                client
                    .batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                    .await
                    .map_err(|e| e.to_string())
            })
        })
        .join();
        if let Ok(Err(error)) | Err(error) = dropped.map_err(|_| "it panicked".to_owned()) {
            eprintln!(
                "could not drop the test database {} ({error}); a run an hour from now will",
                self.name
            );
        }
    }
}

async fn connect(url: &str) -> Result<tokio_postgres::Client, tokio_postgres::Error> {
    let (client, connection) = tokio_postgres::connect(url, tokio_postgres::NoTls).await?;
    tokio::spawn(connection);
    Ok(client)
}

/// Drops the test databases made more than an hour ago (by the instant their names end with).
async fn drop_left_behind(client: &tokio_postgres::Client) {
    let Ok(rows) = client.query("SELECT datname FROM pg_database", &[]).await else {
        return;
    };
    let now = chrono::Utc::now().timestamp_micros();
    for row in rows {
        let name: String = row.get(0);
        if PREFIXES.iter().any(|prefix| name.starts_with(prefix))
            && made_at(&name).is_some_and(|made| now - made > LEFT_BEHIND_MICROS)
        {
            // Another run may be sweeping too; whichever drops it first, it is gone.
            let _ = client
                .batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                .await;
        }
    }
}

/// The instant (µs since the epoch) a test database's name ends with; `None` for a name that does not
/// end with one from this century.
fn made_at(name: &str) -> Option<i64> {
    const YEAR_2020_MICROS: i64 = 1_577_836_800_000_000;
    let (_, micros) = name.rsplit_once('_')?;
    micros
        .parse()
        .ok()
        .filter(|micros| *micros > YEAR_2020_MICROS)
}
