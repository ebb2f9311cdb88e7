//! A server's own stretches and the built-in ones it hid, on PostgreSQL, as on SQLite: each own
//! stretch a row of JSON under its guild and id, added all at once or not at all within the per-guild
//! limit, under the guild's advisory lock.

use std::collections::HashSet;

use deadpool_postgres::Client;

use super::rows::{all, column, raw};
use super::{ATTEMPTS, FIRST_PAUSE, Failure, MAX_PAUSE, PostgresStore};
use crate::domain::catalog::{MAX_OWN_ENTRIES, OwnEntry, StretchId};
use crate::domain::posting::GuildId;
use crate::domain::store::{CatalogStore, StoreError};
use crate::store::values::{from_json, to_json};

/// The first key of the per-guild advisory lock that serializes additions to a guild's own stretches
/// (the second is the guild's hash); distinct from the schedules' and the members' classes.
const OWN_LOCK_CLASS: i32 = 0x5343;

async fn add(
    client: &mut Client,
    guild: GuildId,
    rows: &[(StretchId, String)],
) -> Result<(), Failure> {
    let guild = guild.to_string();
    let transaction = client.transaction().await?;
    transaction
        .execute(
            "SELECT pg_advisory_xact_lock($1, hashtext($2))",
            &[&OWN_LOCK_CLASS, &guild],
        )
        .await?;
    let count: i64 = transaction
        .query_one(
            "SELECT count(*) FROM own_stretches WHERE guild_id = $1",
            &[&guild],
        )
        .await?
        .get(0);
    if count as usize + rows.len() > MAX_OWN_ENTRIES {
        return Err(StoreError::TooManyOwnEntries {
            limit: MAX_OWN_ENTRIES,
        }
        .into());
    }
    for (id, entry) in rows {
        let added = transaction
            .execute(
                "INSERT INTO own_stretches (guild_id, stretch_id, entry) VALUES ($1, $2, $3) \
                 ON CONFLICT DO NOTHING",
                &[&guild, &id.as_str(), entry],
            )
            .await?;
        if added == 0 {
            return Err(StoreError::OwnEntryExists(id.clone()).into());
        }
    }
    transaction.commit().await?;
    Ok(())
}

impl CatalogStore for PostgresStore {
    async fn own_entries(&self, guild: GuildId) -> Result<Vec<OwnEntry>, StoreError> {
        retrying!(self, |client| {
            let rows = client
                .query(
                    "SELECT stretch_id, entry FROM own_stretches WHERE guild_id = $1 ORDER BY stretch_id",
                    &[&guild.to_string()],
                )
                .await?;
            Ok(all(rows, |row| {
                let id: String = raw(row, "stretch_id")?;
                column(
                    row,
                    &format!("own stretch {id} of guild {guild}"),
                    "entry",
                    from_json,
                )
            })?)
        })
    }

    async fn add_own_entries(
        &self,
        guild: GuildId,
        entries: Vec<OwnEntry>,
    ) -> Result<(), StoreError> {
        let rows = entries
            .iter()
            .map(|entry| Ok((entry.id.clone(), to_json(entry)?)))
            .collect::<Result<Vec<_>, StoreError>>()?;
        retrying!(self, |client| add(&mut client, guild, &rows).await)
    }

    async fn replace_own_entry(&self, guild: GuildId, entry: OwnEntry) -> Result<bool, StoreError> {
        let json = to_json(&entry)?;
        retrying!(self, |client| {
            let changed = client
                .execute(
                    "UPDATE own_stretches SET entry = $3 WHERE guild_id = $1 AND stretch_id = $2",
                    &[&guild.to_string(), &entry.id.as_str(), &json],
                )
                .await?;
            Ok(changed > 0)
        })
    }

    async fn remove_own_entry(&self, guild: GuildId, id: StretchId) -> Result<bool, StoreError> {
        retrying!(self, |client| {
            let removed = client
                .execute(
                    "DELETE FROM own_stretches WHERE guild_id = $1 AND stretch_id = $2",
                    &[&guild.to_string(), &id.as_str()],
                )
                .await?;
            Ok(removed > 0)
        })
    }

    async fn hidden_stretches(&self, guild: GuildId) -> Result<HashSet<StretchId>, StoreError> {
        retrying!(self, |client| {
            let rows = client
                .query(
                    "SELECT stretch_id FROM hidden_stretches WHERE guild_id = $1",
                    &[&guild.to_string()],
                )
                .await?;
            Ok(all(rows, |row| {
                column(
                    row,
                    &format!("guild {guild}"),
                    "stretch_id",
                    |id: String| StretchId::parse(&id),
                )
            })?
            .into_iter()
            .collect())
        })
    }

    async fn set_stretch_hidden(
        &self,
        guild: GuildId,
        id: StretchId,
        hidden: bool,
    ) -> Result<(), StoreError> {
        let sql = if hidden {
            "INSERT INTO hidden_stretches (guild_id, stretch_id) VALUES ($1, $2) ON CONFLICT DO NOTHING"
        } else {
            "DELETE FROM hidden_stretches WHERE guild_id = $1 AND stretch_id = $2"
        };
        retrying!(self, |client| {
            client
                .execute(sql, &[&guild.to_string(), &id.as_str()])
                .await?;
            Ok(())
        })
    }
}
