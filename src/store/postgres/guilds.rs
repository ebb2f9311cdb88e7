//! Guild settings: the zone a guild's new schedules default to.

use deadpool_postgres::GenericClient;

use super::Failure;
use super::rows::column;
use crate::domain::posting::GuildId;
use crate::domain::schedule::Zone;

pub(super) async fn zone(
    client: &impl GenericClient,
    guild: GuildId,
) -> Result<Option<Zone>, Failure> {
    let statement = client
        .prepare_cached("SELECT zone FROM guild_settings WHERE guild_id = $1")
        .await?;
    let row = client.query_opt(&statement, &[&guild.to_string()]).await?;
    Ok(row
        .map(|row| {
            column(&row, &format!("guild {guild}"), "zone", |text: String| {
                Zone::parse(&text)
            })
        })
        .transpose()?)
}

pub(super) async fn set_zone(
    client: &impl GenericClient,
    guild: GuildId,
    zone: Zone,
) -> Result<(), Failure> {
    let statement = client
        .prepare_cached(
            "INSERT INTO guild_settings (guild_id, zone) VALUES ($1, $2) \
             ON CONFLICT (guild_id) DO UPDATE SET zone = excluded.zone",
        )
        .await?;
    client
        .execute(&statement, &[&guild.to_string(), &zone.name()])
        .await?;
    Ok(())
}
