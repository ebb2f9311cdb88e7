//! Guild settings: the zone a guild's new schedules default to.

use rusqlite::{Connection, params};

use super::rows::{collect, column};
use crate::domain::posting::GuildId;
use crate::domain::schedule::Zone;
use crate::domain::store::StoreError;

pub(super) fn zone(connection: &Connection, guild: GuildId) -> Result<Option<Zone>, StoreError> {
    let zones = collect(
        connection,
        "SELECT zone FROM guild_settings WHERE guild_id = ?1",
        [guild.to_string()],
        |row| {
            column(row, &format!("guild {guild}"), "zone", |text: String| {
                Zone::parse(&text)
            })
        },
    )?;
    Ok(zones.into_iter().next())
}

pub(super) fn set_zone(
    connection: &Connection,
    guild: GuildId,
    zone: Zone,
) -> Result<(), StoreError> {
    connection
        .prepare_cached(
            "INSERT INTO guild_settings (guild_id, zone) VALUES (?1, ?2) \
             ON CONFLICT (guild_id) DO UPDATE SET zone = excluded.zone",
        )?
        .execute(params![guild.to_string(), zone.name()])?;
    Ok(())
}
