//! The post log: a claimed fire's record, its confirmation with the message, and the claims left to
//! finish.

use rusqlite::{Connection, TransactionBehavior, params};

use super::rows::{SELECT_POSTS, collect, post_from_row};
use chrono::{DateTime, Utc};

use crate::domain::posting::{ChannelId, Fire, MessageId, PostRecord, PostState};
use crate::domain::store::StoreError;

pub(super) fn find(connection: &Connection, fire: Fire) -> Result<Option<PostRecord>, StoreError> {
    let posts = collect(
        connection,
        &format!("{SELECT_POSTS} WHERE schedule_id = ?1 AND fire_at = ?2"),
        params![fire.schedule.0, fire.at.timestamp()],
        post_from_row,
    )?;
    Ok(posts.into_iter().next())
}

pub(super) fn latest_stretch(
    connection: &Connection,
    channel: ChannelId,
    since: DateTime<Utc>,
) -> Result<Option<PostRecord>, StoreError> {
    let posts = collect(
        connection,
        &format!(
            "{SELECT_POSTS} WHERE channel_id = ?1 AND fire_at >= ?2 AND state = 'sent' \
             AND stretch_id IS NOT NULL ORDER BY fire_at DESC, schedule_id DESC LIMIT 1"
        ),
        params![channel.to_string(), since.timestamp()],
        post_from_row,
    )?;
    Ok(posts.into_iter().next())
}

pub(super) fn confirm(
    connection: &mut Connection,
    fire: Fire,
    message: MessageId,
) -> Result<(), StoreError> {
    let transaction = connection.transaction_with_behavior(TransactionBehavior::Immediate)?;
    match find(&transaction, fire)?.map(|record| record.state) {
        // The schedule was removed while the post was out: nothing is left to record.
        None => Ok(()),
        // Abandoned, yet Discord has it after all: the message is the truth.
        Some(PostState::Claimed | PostState::Abandoned { .. }) => {
            transaction
                .prepare_cached(
                    "UPDATE posts SET state = 'sent', message_id = ?1, confirmed_at = unixepoch(), \
                     abandoned_reason = NULL, abandoned_at = NULL \
                     WHERE schedule_id = ?2 AND fire_at = ?3",
                )?
                .execute(params![
                    message.to_string(),
                    fire.schedule.0,
                    fire.at.timestamp()
                ])?;
            transaction.commit()?;
            Ok(())
        }
        Some(PostState::Sent { message: first }) if first == message => Ok(()),
        // Only a fire posted twice gets here; the first message stays on record.
        Some(PostState::Sent { message: first }) => Err(StoreError::Backend(format!(
            "schedule {}, post at {}: already confirmed as message {first}, not {message}",
            fire.schedule,
            fire.at.timestamp()
        ))),
    }
}

pub(super) fn unconfirmed(connection: &Connection) -> Result<Vec<PostRecord>, StoreError> {
    collect(
        connection,
        &format!("{SELECT_POSTS} WHERE state = 'claimed' ORDER BY fire_at, schedule_id"),
        [],
        post_from_row,
    )
}

pub(super) fn abandon(connection: &Connection, fire: Fire, reason: &str) -> Result<(), StoreError> {
    connection
        .prepare_cached(
            "UPDATE posts SET state = 'abandoned', abandoned_reason = ?1, abandoned_at = unixepoch() \
             WHERE schedule_id = ?2 AND fire_at = ?3 AND state = 'claimed'",
        )?
        .execute(params![reason, fire.schedule.0, fire.at.timestamp()])?;
    Ok(())
}
