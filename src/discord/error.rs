//! Errors of the Discord adapter, split by who must act: the member (a [`Error::User`] message, shown to
//! them alone) or us (everything else: logged, and the member gets a short apology).

use poise::serenity_prelude as serenity;

use super::{Context, Data, reply};
use crate::domain::store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Something the member can fix; the text says how.
    #[error("{0}")]
    User(String),
    /// Our own failure (storage, say); the text is for the log.
    #[error("{0}")]
    Internal(String),
    /// Boxed: serenity's error is large and most results here are `Ok`.
    #[error("Discord request failed: {0}")]
    Discord(Box<serenity::Error>),
}

impl From<serenity::Error> for Error {
    fn from(error: serenity::Error) -> Self {
        Error::Discord(Box::new(error))
    }
}

/// Store errors a member can act on become their message; the rest are ours.
impl From<StoreError> for Error {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::TooManySchedules { .. }
            | StoreError::TooManyReminders { .. }
            | StoreError::NoSuchSchedule(_)
            | StoreError::TooManyOwnEntries { .. }
            | StoreError::OwnEntryExists(_) => Error::User(error.to_string()),
            StoreError::Backend(_) => Error::Internal(error.to_string()),
        }
    }
}

impl Error {
    pub fn user(message: impl Into<String>) -> Self {
        Error::User(message.into())
    }
}

/// Answers every failed command privately, through [`reply::error_reply`]: the member's own mistake
/// with how to fix it, our failures with an apology (and a log line with the cause for us).
pub async fn on_error(error: poise::FrameworkError<'_, Data, Error>) {
    use poise::FrameworkError as Failed;
    crate::metrics::command_failed(&error);
    let (ctx, message): (Context<'_>, String) = match error {
        Failed::Command {
            error: Error::User(message),
            ctx,
            ..
        } => (ctx, message),
        Failed::Command { error, ctx, .. } => {
            tracing::error!(command = %ctx.command().qualified_name, %error, "command failed");
            (ctx, reply::APOLOGY.to_owned())
        }
        Failed::ArgumentParse {
            error, input, ctx, ..
        } => {
            let input = input
                .map(|input| format!(" (`{input}`)"))
                .unwrap_or_default();
            (
                ctx,
                format!(
                    "That option is not valid{input}: {error}. Pick a value from the list Discord offers."
                ),
            )
        }
        Failed::CommandStructureMismatch {
            description, ctx, ..
        } => {
            tracing::warn!(%description, "Discord's command differs from ours; re-registering on next start fixes it");
            (
                poise::Context::Application(ctx),
                reply::STALE_COMMAND.to_owned(),
            )
        }
        // poise's own handler would print this one with `eprintln!`, which panics on a closed stderr.
        Failed::Setup { error, .. } => {
            tracing::error!(%error, "could not set the bot up (registering its slash commands)");
            return;
        }
        Failed::GuildOnly { ctx, .. } => (
            ctx,
            "This command works in a server only. Run it in one of your server's channels."
                .to_owned(),
        ),
        Failed::UnknownInteraction {
            framework,
            interaction,
            ..
        } => {
            tracing::warn!(command = %interaction.data.name, "a command the bot does not know was run");
            reply::unknown_command(framework.serenity_context, framework.user_data, interaction)
                .await;
            return;
        }
        // Anything else that happened to a member's command (a panic, a failed check) is ours.
        other => match other.ctx() {
            Some(ctx) => {
                tracing::error!(command = %ctx.command().qualified_name, error = %other, "command failed");
                (ctx, reply::APOLOGY.to_owned())
            }
            None => {
                tracing::error!(error = %other, "the bot failed outside a command");
                return;
            }
        },
    };
    reply::error_reply(ctx, message).await;
}
