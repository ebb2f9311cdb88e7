//! Check-ins and privacy: the "I did it" presses, forget-me and hide-me.

use std::collections::HashSet;

use chrono::NaiveDate;
use rusqlite::{Connection, params};

use super::rows::{SELECT_CHECK_INS, check_in_from_row, collect, column};
use crate::domain::participation::CheckIn;
use crate::domain::posting::{GuildId, UserId};
use crate::domain::store::StoreError;
use crate::store::values::day_text;

pub(super) fn check_in(connection: &Connection, check_in: CheckIn) -> Result<bool, StoreError> {
    // DO NOTHING rather than replace: the day keeps the stretch of its first press.
    let inserted = connection
        .prepare_cached(
            "INSERT INTO check_ins (guild_id, user_id, day, stretch_id) VALUES (?1, ?2, ?3, ?4) \
             ON CONFLICT (guild_id, user_id, day) DO NOTHING",
        )?
        .execute(params![
            check_in.guild.to_string(),
            check_in.user.to_string(),
            day_text(check_in.day),
            check_in.stretch.as_str()
        ])?;
    Ok(inserted > 0)
}

pub(super) fn of_member(
    connection: &Connection,
    guild: GuildId,
    user: UserId,
) -> Result<Vec<CheckIn>, StoreError> {
    collect(
        connection,
        &format!("{SELECT_CHECK_INS} WHERE guild_id = ?1 AND user_id = ?2 ORDER BY day"),
        params![guild.to_string(), user.to_string()],
        check_in_from_row,
    )
}

pub(super) fn in_days(
    connection: &Connection,
    guild: GuildId,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<CheckIn>, StoreError> {
    // User ids are text, so this orders members by text, not number: only for a stable order.
    collect(
        connection,
        &format!(
            "{SELECT_CHECK_INS} WHERE guild_id = ?1 AND day BETWEEN ?2 AND ?3 \
             ORDER BY day, user_id"
        ),
        params![guild.to_string(), day_text(from), day_text(to)],
        check_in_from_row,
    )
}

pub(super) fn forget(
    connection: &Connection,
    guild: GuildId,
    user: UserId,
) -> Result<usize, StoreError> {
    Ok(connection
        .prepare_cached("DELETE FROM check_ins WHERE guild_id = ?1 AND user_id = ?2")?
        .execute(params![guild.to_string(), user.to_string()])?)
}

pub(super) fn set_hidden(
    connection: &Connection,
    guild: GuildId,
    user: UserId,
    hidden: bool,
) -> Result<(), StoreError> {
    let sql = if hidden {
        "INSERT INTO hidden_members (guild_id, user_id) VALUES (?1, ?2) \
         ON CONFLICT (guild_id, user_id) DO NOTHING"
    } else {
        "DELETE FROM hidden_members WHERE guild_id = ?1 AND user_id = ?2"
    };
    connection
        .prepare_cached(sql)?
        .execute(params![guild.to_string(), user.to_string()])?;
    Ok(())
}

pub(super) fn hidden(
    connection: &Connection,
    guild: GuildId,
) -> Result<HashSet<UserId>, StoreError> {
    let users = collect(
        connection,
        "SELECT user_id FROM hidden_members WHERE guild_id = ?1",
        [guild.to_string()],
        |row| {
            column(row, &format!("guild {guild}"), "user_id", |text: String| {
                text.parse().map(UserId)
            })
        },
    )?;
    Ok(users.into_iter().collect())
}
