//! A server's own stretches and the built-in ones it hid, on SQLite: each own stretch a row of JSON
//! under its guild and id, added all at once or not at all within the per-guild limit.

use std::collections::HashSet;

use rusqlite::{TransactionBehavior, params};

use super::SqliteStore;
use super::rows::{collect, column};
use crate::domain::catalog::{MAX_OWN_ENTRIES, OwnEntry, StretchId};
use crate::domain::posting::GuildId;
use crate::domain::store::{CatalogStore, StoreError};
use crate::store::values::{from_json, to_json};

impl CatalogStore for SqliteStore {
    async fn own_entries(&self, guild: GuildId) -> Result<Vec<OwnEntry>, StoreError> {
        self.blocking(move |connection| {
            collect(
                connection,
                "SELECT stretch_id, entry FROM own_stretches WHERE guild_id = ?1 ORDER BY stretch_id",
                [guild.to_string()],
                |row| {
                    let id: String = row.get("stretch_id")?;
                    column(row, &format!("own stretch {id} of guild {guild}"), "entry", from_json)
                },
            )
        })
        .await
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
        self.blocking(move |connection| {
            // The count and the inserts must see the same rows, whoever else is adding to this guild.
            let transaction = connection.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let guild = guild.to_string();
            let count: i64 = transaction
                .prepare_cached("SELECT count(*) FROM own_stretches WHERE guild_id = ?1")?
                .query_row([&guild], |row| row.get(0))?;
            if count as usize + rows.len() > MAX_OWN_ENTRIES {
                return Err(StoreError::TooManyOwnEntries {
                    limit: MAX_OWN_ENTRIES,
                });
            }
            for (id, entry) in &rows {
                let added = transaction
                    .prepare_cached(
                        "INSERT INTO own_stretches (guild_id, stretch_id, entry) VALUES (?1, ?2, ?3) \
                         ON CONFLICT DO NOTHING",
                    )?
                    .execute(params![guild, id.as_str(), entry])?;
                if added == 0 {
                    return Err(StoreError::OwnEntryExists(id.clone()));
                }
            }
            transaction.commit()?;
            Ok(())
        })
        .await
    }

    async fn replace_own_entry(&self, guild: GuildId, entry: OwnEntry) -> Result<bool, StoreError> {
        let json = to_json(&entry)?;
        self.blocking(move |connection| {
            let changed = connection
                .prepare_cached(
                    "UPDATE own_stretches SET entry = ?3 WHERE guild_id = ?1 AND stretch_id = ?2",
                )?
                .execute(params![guild.to_string(), entry.id.as_str(), json])?;
            Ok(changed > 0)
        })
        .await
    }

    async fn remove_own_entry(&self, guild: GuildId, id: StretchId) -> Result<bool, StoreError> {
        self.blocking(move |connection| {
            let removed = connection
                .prepare_cached(
                    "DELETE FROM own_stretches WHERE guild_id = ?1 AND stretch_id = ?2",
                )?
                .execute(params![guild.to_string(), id.as_str()])?;
            Ok(removed > 0)
        })
        .await
    }

    async fn hidden_stretches(&self, guild: GuildId) -> Result<HashSet<StretchId>, StoreError> {
        self.blocking(move |connection| {
            let ids = collect(
                connection,
                "SELECT stretch_id FROM hidden_stretches WHERE guild_id = ?1",
                [guild.to_string()],
                |row| {
                    column(
                        row,
                        &format!("guild {guild}"),
                        "stretch_id",
                        |id: String| StretchId::parse(&id),
                    )
                },
            )?;
            Ok(ids.into_iter().collect())
        })
        .await
    }

    async fn set_stretch_hidden(
        &self,
        guild: GuildId,
        id: StretchId,
        hidden: bool,
    ) -> Result<(), StoreError> {
        self.blocking(move |connection| {
            let sql = if hidden {
                "INSERT INTO hidden_stretches (guild_id, stretch_id) VALUES (?1, ?2) ON CONFLICT DO NOTHING"
            } else {
                "DELETE FROM hidden_stretches WHERE guild_id = ?1 AND stretch_id = ?2"
            };
            connection
                .prepare_cached(sql)?
                .execute(params![guild.to_string(), id.as_str()])?;
            Ok(())
        })
        .await
    }
}
