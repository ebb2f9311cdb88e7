//! The post log: a claimed fire's record, its confirmation with the message, and the claims left to
//! finish, by whichever process.

use deadpool_postgres::{Client, GenericClient};

use super::Failure;
use super::rows::{SELECT_POSTS, all, post_from_row};
use chrono::{DateTime, Utc};

use crate::domain::posting::{ChannelId, Fire, MessageId, PostRecord, PostState};
use crate::domain::store::StoreError;

/// The post of `fire`; with `lock`, its row stays locked until the transaction ends.
pub(super) async fn find(
    client: &impl GenericClient,
    fire: Fire,
    lock: bool,
) -> Result<Option<PostRecord>, Failure> {
    let suffix = if lock { " FOR UPDATE" } else { "" };
    let statement = client
        .prepare_cached(&format!(
            "{SELECT_POSTS} WHERE schedule_id = $1 AND fire_at = $2{suffix}"
        ))
        .await?;
    let row = client
        .query_opt(&statement, &[&fire.schedule.0, &fire.at.timestamp()])
        .await?;
    Ok(row.map(|row| post_from_row(&row)).transpose()?)
}

pub(super) async fn latest_stretch(
    client: &impl GenericClient,
    channel: ChannelId,
    since: DateTime<Utc>,
) -> Result<Option<PostRecord>, Failure> {
    let statement = client
        .prepare_cached(&format!(
            "{SELECT_POSTS} WHERE channel_id = $1 AND fire_at >= $2 AND state = 'sent' \
             AND stretch_id IS NOT NULL ORDER BY fire_at DESC, schedule_id DESC LIMIT 1"
        ))
        .await?;
    let row = client
        .query_opt(&statement, &[&channel.to_string(), &since.timestamp()])
        .await?;
    Ok(row.map(|row| post_from_row(&row)).transpose()?)
}

pub(super) async fn confirm(
    client: &mut Client,
    fire: Fire,
    message: MessageId,
) -> Result<(), Failure> {
    let transaction = client.transaction().await?;
    match find(&transaction, fire, true)
        .await?
        .map(|record| record.state)
    {
        // The schedule was removed while the post was out: nothing is left to record.
        None => Ok(()),
        // Abandoned, yet Discord has it after all: the message is the truth.
        Some(PostState::Claimed | PostState::Abandoned { .. }) => {
            let statement = transaction
                .prepare_cached(
                    "UPDATE posts SET state = 'sent', message_id = $1, \
                     confirmed_at = extract(epoch FROM now())::BIGINT, \
                     abandoned_reason = NULL, abandoned_at = NULL \
                     WHERE schedule_id = $2 AND fire_at = $3",
                )
                .await?;
            transaction
                .execute(
                    &statement,
                    &[&message.to_string(), &fire.schedule.0, &fire.at.timestamp()],
                )
                .await?;
            transaction.commit().await?;
            Ok(())
        }
        Some(PostState::Sent { message: first }) if first == message => Ok(()),
        // Only a fire posted twice gets here; the first message stays on record.
        Some(PostState::Sent { message: first }) => Err(StoreError::Backend(format!(
            "schedule {}, post at {}: already confirmed as message {first}, not {message}",
            fire.schedule,
            fire.at.timestamp()
        ))
        .into()),
    }
}

/// Every process's claims not confirmed, so that any process can finish a claim another left.
pub(super) async fn unconfirmed(client: &impl GenericClient) -> Result<Vec<PostRecord>, Failure> {
    let statement = client
        .prepare_cached(&format!(
            "{SELECT_POSTS} WHERE state = 'claimed' ORDER BY fire_at, schedule_id"
        ))
        .await?;
    let rows = client.query(&statement, &[]).await?;
    Ok(all(rows, post_from_row)?)
}

pub(super) async fn abandon(
    client: &impl GenericClient,
    fire: Fire,
    reason: &str,
) -> Result<(), Failure> {
    let statement = client
        .prepare_cached(
            "UPDATE posts SET state = 'abandoned', abandoned_reason = $1, \
             abandoned_at = extract(epoch FROM now())::BIGINT \
             WHERE schedule_id = $2 AND fire_at = $3 AND state = 'claimed'",
        )
        .await?;
    client
        .execute(
            &statement,
            &[&reason, &fire.schedule.0, &fire.at.timestamp()],
        )
        .await?;
    Ok(())
}
