//! Operator tools on a PostgreSQL database that bot processes may be using: its schema version, read
//! without migrating it, for `stretchbot check`.

use tokio_postgres::NoTls;

use super::migrations::MIGRATIONS;
use super::{CONNECT_TIMEOUT, PostgresStore};
use crate::domain::store::StoreError;
use crate::store::SchemaVersion;

impl PostgresStore {
    /// The schema of the database at `url`, read over one connection without migrating it or waiting
    /// for the migration lock; `found` is 0 for a database no stretchbot has opened yet. A failure says
    /// what failed, without the url (the caller names it, without its password).
    pub async fn schema_of(url: &str) -> Result<SchemaVersion, StoreError> {
        let mut config: tokio_postgres::Config = url.parse().map_err(|error| {
            StoreError::Backend(format!("the PostgreSQL url is not valid: {error}"))
        })?;
        config.connect_timeout(CONNECT_TIMEOUT);
        let failed = |error: tokio_postgres::Error| StoreError::Backend(error.to_string());
        let (client, connection) = config.connect(NoTls).await.map_err(failed)?;
        let connection = tokio::spawn(connection);
        let read = async {
            let has_schema: bool = client
                .query_one("SELECT to_regclass('schema_migrations') IS NOT NULL", &[])
                .await?
                .get(0);
            if !has_schema {
                return Ok(0);
            }
            let version: i32 = client
                .query_one(
                    "SELECT coalesce(max(version), 0) FROM schema_migrations",
                    &[],
                )
                .await?
                .get(0);
            Ok::<i32, tokio_postgres::Error>(version)
        };
        let version = read.await.map_err(failed)?;
        drop(client);
        // The connection ends once the client is gone; its own error would repeat the one above.
        let _ = connection.await;
        Ok(SchemaVersion {
            found: usize::try_from(version).unwrap_or(0),
            known: MIGRATIONS.len(),
        })
    }
}
