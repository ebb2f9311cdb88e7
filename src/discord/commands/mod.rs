//! Slash commands, one file per command group, and the buttons each group puts on its messages.
//!
//! A button's custom id starts with a prefix naming its group (`stretch-list:`, ...); [`on_click`] hands
//! the click to that group.

mod schedule;
pub mod stats;
mod stretch;

use poise::serenity_prelude as serenity;

use super::card::START_TIMER_BUTTON;
use super::limiter::Route;
use super::timer;
use super::{Data, Error};

/// Every command the bot registers.
pub fn all_commands() -> Vec<poise::Command<Data, Error>> {
    vec![stretch::stretch(), schedule::schedule(), stats::stats()]
}

/// Answers a button click. A click the bot cannot act on (its own mistake, or a button from an older
/// version) gets an ephemeral message saying what to do; internal failures are returned for the log.
pub async fn on_click(
    ctx: &serenity::Context,
    click: &serenity::ComponentInteraction,
    data: &Data,
) -> Result<(), Error> {
    let (prefix, rest) = click
        .data
        .custom_id
        .split_once(':')
        .unwrap_or((click.data.custom_id.as_str(), ""));
    let outcome = match prefix {
        stretch::LIST_BUTTON => stretch::on_list_page(ctx, click, data, rest).await,
        START_TIMER_BUTTON => timer::on_start_click(ctx, click, data, rest).await,
        timer::CONTROL_BUTTON => timer::on_control_click(ctx, click, data, rest).await,
        stats::DID_IT_BUTTON => stats::on_did_it(ctx, click, data, rest).await,
        stats::FORGET_BUTTON => stats::on_forget(ctx, click, data, rest).await,
        _ => {
            tracing::warn!(custom_id = %click.data.custom_id, "a button the bot does not know was clicked");
            Err(Error::user(
                "This button has expired. Run the command again for a fresh one.",
            ))
        }
    };
    match outcome {
        Err(Error::User(message)) => respond_privately(ctx, data, click, message).await,
        other => other,
    }
}

/// Answers a click with a message only the member who clicked sees.
pub async fn respond_privately(
    ctx: &serenity::Context,
    data: &Data,
    click: &serenity::ComponentInteraction,
    content: String,
) -> Result<(), Error> {
    respond(
        ctx,
        data,
        click,
        serenity::CreateInteractionResponse::Message(
            serenity::CreateInteractionResponseMessage::new()
                .content(content)
                .ephemeral(true),
        ),
    )
    .await
}

/// Answers a click, under the bot's own rate limits in proxy mode.
pub async fn respond(
    ctx: &serenity::Context,
    data: &Data,
    click: &serenity::ComponentInteraction,
    response: serenity::CreateInteractionResponse,
) -> Result<(), Error> {
    data.limiter
        .send(Route::InteractionCallback, || {
            click.create_response(ctx, response.clone())
        })
        .await?;
    Ok(())
}
