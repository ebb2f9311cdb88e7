//! Check-ins and privacy: the "I did it" presses, forget-me and hide-me.

use std::collections::HashSet;

use chrono::NaiveDate;
use deadpool_postgres::GenericClient;

use super::Failure;
use super::rows::{SELECT_CHECK_INS, all, check_in_from_row, column};
use crate::domain::participation::CheckIn;
use crate::domain::posting::{GuildId, UserId};
use crate::store::values::day_text;

pub(super) async fn check_in(
    client: &impl GenericClient,
    check_in: CheckIn,
) -> Result<bool, Failure> {
    // DO NOTHING rather than replace: the day keeps the stretch of its first press.
    let statement = client
        .prepare_cached(
            "INSERT INTO check_ins (guild_id, user_id, day, stretch_id) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (guild_id, user_id, day) DO NOTHING",
        )
        .await?;
    let inserted = client
        .execute(
            &statement,
            &[
                &check_in.guild.to_string(),
                &check_in.user.to_string(),
                &day_text(check_in.day),
                &check_in.stretch.as_str(),
            ],
        )
        .await?;
    Ok(inserted > 0)
}

pub(super) async fn of_member(
    client: &impl GenericClient,
    guild: GuildId,
    user: UserId,
) -> Result<Vec<CheckIn>, Failure> {
    let statement = client
        .prepare_cached(&format!(
            "{SELECT_CHECK_INS} WHERE guild_id = $1 AND user_id = $2 ORDER BY day"
        ))
        .await?;
    let rows = client
        .query(&statement, &[&guild.to_string(), &user.to_string()])
        .await?;
    Ok(all(rows, check_in_from_row)?)
}

pub(super) async fn in_days(
    client: &impl GenericClient,
    guild: GuildId,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<CheckIn>, Failure> {
    // `COLLATE "C"`: user ids ordered bytewise, as SQLite orders text, whatever the database's locale.
    let statement = client
        .prepare_cached(&format!(
            "{SELECT_CHECK_INS} WHERE guild_id = $1 AND day BETWEEN $2 AND $3 \
             ORDER BY day, user_id COLLATE \"C\""
        ))
        .await?;
    let rows = client
        .query(
            &statement,
            &[&guild.to_string(), &day_text(from), &day_text(to)],
        )
        .await?;
    Ok(all(rows, check_in_from_row)?)
}

pub(super) async fn forget(
    client: &impl GenericClient,
    guild: GuildId,
    user: UserId,
) -> Result<usize, Failure> {
    let statement = client
        .prepare_cached("DELETE FROM check_ins WHERE guild_id = $1 AND user_id = $2")
        .await?;
    let removed = client
        .execute(&statement, &[&guild.to_string(), &user.to_string()])
        .await?;
    Ok(usize::try_from(removed).unwrap_or(usize::MAX))
}

pub(super) async fn set_hidden(
    client: &impl GenericClient,
    guild: GuildId,
    user: UserId,
    hidden: bool,
) -> Result<(), Failure> {
    let sql = if hidden {
        "INSERT INTO hidden_members (guild_id, user_id) VALUES ($1, $2) \
         ON CONFLICT (guild_id, user_id) DO NOTHING"
    } else {
        "DELETE FROM hidden_members WHERE guild_id = $1 AND user_id = $2"
    };
    let statement = client.prepare_cached(sql).await?;
    client
        .execute(&statement, &[&guild.to_string(), &user.to_string()])
        .await?;
    Ok(())
}

pub(super) async fn hidden(
    client: &impl GenericClient,
    guild: GuildId,
) -> Result<HashSet<UserId>, Failure> {
    let statement = client
        .prepare_cached("SELECT user_id FROM hidden_members WHERE guild_id = $1")
        .await?;
    let rows = client.query(&statement, &[&guild.to_string()]).await?;
    let users = all(rows, |row| {
        column(row, &format!("guild {guild}"), "user_id", |text: String| {
            text.parse().map(UserId)
        })
    })?;
    Ok(users.into_iter().collect())
}
