//! Every answer the bot gives a member: command replies ([`reply`], [`say`]), answers to button clicks
//! ([`respond`], [`respond_privately`]) and the private error reply of a failed command or click
//! ([`error_reply`], [`click_failed`]). All of them go through the bot's own limiter
//! ([`super::limiter`]), so in proxy mode each one is paced and retried after a 429 or a 5xx.
//!
//! The mention policy lives here too: nothing the bot sends pings anyone ([`no_pings`]), except a
//! schedule's post, which pings its role and nothing else ([`only_role`]). A timer names its starter
//! without pinging them: they started it and are watching it. Every message states its
//! `allowed_mentions` explicitly, so no library default ever decides who gets pinged.

use poise::serenity_prelude as serenity;

use super::limiter::Route;
use super::{Context, Data, Error};

/// What a member sees when the bot itself failed; the cause goes to the log.
pub const APOLOGY: &str = "Sorry, something went wrong on our side. Please try again in a moment.";
/// What a member sees when Discord's copy of a command differs from the bot's (re-registered on the
/// next start).
pub const STALE_COMMAND: &str =
    "This command has changed since Discord last loaded it. Please try again in a minute.";

/// Mentions that ping nobody: no user, no role, no @everyone, whatever the text says.
pub fn no_pings() -> serenity::CreateAllowedMentions {
    serenity::CreateAllowedMentions::new()
}

/// Mentions that ping `role` (a schedule's role, in its post) and nobody else.
pub fn only_role(role: Option<serenity::RoleId>) -> serenity::CreateAllowedMentions {
    no_pings().roles(role)
}

/// Sends a command's reply (or, once it is answered or deferred, a follow-up), pinging nobody.
pub async fn reply(ctx: Context<'_>, reply: poise::CreateReply) -> Result<(), Error> {
    let reply = reply.allowed_mentions(no_pings());
    ctx.data()
        .limiter
        .send(Route::InteractionCallback, || ctx.send(reply.clone()))
        .await?;
    Ok(())
}

/// Answers a command with text only the member who ran it sees.
pub async fn say(ctx: Context<'_>, text: String) -> Result<(), Error> {
    reply(
        ctx,
        poise::CreateReply::default().content(text).ephemeral(true),
    )
    .await
}

/// How a click is answered.
pub enum Answer {
    /// A new message (ephemeral if the builder says so).
    Message(serenity::CreateInteractionResponseMessage),
    /// The clicked message, changed.
    Update(serenity::CreateInteractionResponseMessage),
    /// Acknowledged, the message left as it is (for now).
    Acknowledge,
}

/// Answers a click, pinging nobody.
pub async fn respond(
    ctx: &serenity::Context,
    data: &Data,
    click: &serenity::ComponentInteraction,
    answer: Answer,
) -> Result<(), Error> {
    let response = match answer {
        Answer::Message(message) => {
            serenity::CreateInteractionResponse::Message(message.allowed_mentions(no_pings()))
        }
        Answer::Update(message) => {
            serenity::CreateInteractionResponse::UpdateMessage(message.allowed_mentions(no_pings()))
        }
        Answer::Acknowledge => serenity::CreateInteractionResponse::Acknowledge,
    };
    data.limiter
        .send(Route::InteractionCallback, || {
            click.create_response(ctx, response.clone())
        })
        .await?;
    Ok(())
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
        Answer::Message(
            serenity::CreateInteractionResponseMessage::new()
                .content(content)
                .ephemeral(true),
        ),
    )
    .await
}

/// Tells the member privately why their command failed; a reply that cannot be sent is logged.
pub async fn error_reply(ctx: Context<'_>, message: String) {
    if let Err(error) = say(ctx, message).await {
        tracing::error!(command = %ctx.command().qualified_name, %error, "could not send an error reply");
    }
}

/// Answers a click that failed: the member's own mistake with what to do, our failure with an apology
/// (its cause logged).
pub async fn click_failed(
    ctx: &serenity::Context,
    data: &Data,
    click: &serenity::ComponentInteraction,
    error: Error,
) {
    let message = match error {
        Error::User(message) => message,
        error => {
            tracing::error!(custom_id = %click.data.custom_id, %error, "a button click failed");
            APOLOGY.to_owned()
        }
    };
    if let Err(error) = respond_privately(ctx, data, click, message).await {
        tracing::error!(custom_id = %click.data.custom_id, %error, "could not answer a failed click");
    }
}

/// Answers an interaction for a command the bot does not know (Discord still showing an older set of
/// commands), so the member is not left with "This interaction failed": a private note, or no
/// suggestions while they type.
pub async fn unknown_command(
    ctx: &serenity::Context,
    data: &Data,
    interaction: &serenity::CommandInteraction,
) {
    let response = if interaction.data.autocomplete().is_some() {
        serenity::CreateInteractionResponse::Autocomplete(
            serenity::CreateAutocompleteResponse::new(),
        )
    } else {
        serenity::CreateInteractionResponse::Message(
            serenity::CreateInteractionResponseMessage::new()
                .content(STALE_COMMAND)
                .ephemeral(true)
                .allowed_mentions(no_pings()),
        )
    };
    let sent = data
        .limiter
        .send(Route::InteractionCallback, || {
            interaction.create_response(ctx, response.clone())
        })
        .await;
    if let Err(error) = sent {
        tracing::error!(command = %interaction.data.name, %error, "could not answer an unknown command");
    }
}
