//! Errors of the Discord adapter, split by who must act: the member (a [`Error::User`] message, shown to
//! them alone) or us (everything else: logged, and the member gets a short apology).

use poise::serenity_prelude as serenity;

use super::{Context, Data};
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
            StoreError::TooManySchedules { .. } | StoreError::NoSuchSchedule(_) => {
                Error::User(error.to_string())
            }
            StoreError::Backend(_) => Error::Internal(error.to_string()),
        }
    }
}

impl Error {
    pub fn user(message: impl Into<String>) -> Self {
        Error::User(message.into())
    }
}

const APOLOGY: &str = "Sorry, something went wrong on our side. Please try again in a moment.";

/// Answers every failed command ephemerally: the member's own mistake with how to fix it, our failures
/// with an apology (and a log line for us).
pub async fn on_error(error: poise::FrameworkError<'_, Data, Error>) {
    crate::metrics::command_failed(&error);
    let (ctx, message): (Context<'_>, String) = match error {
        poise::FrameworkError::Command {
            error: Error::User(message),
            ctx,
            ..
        } => (ctx, message),
        poise::FrameworkError::Command { error, ctx, .. } => {
            tracing::error!(command = %ctx.command().qualified_name, %error, "command failed");
            (ctx, APOLOGY.to_owned())
        }
        poise::FrameworkError::ArgumentParse {
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
        poise::FrameworkError::CommandStructureMismatch {
            description, ctx, ..
        } => {
            tracing::warn!(%description, "Discord's command differs from ours; re-registering on next start fixes it");
            (
                poise::Context::Application(ctx),
                "This command has changed since Discord last loaded it. Please try again in a minute.".to_owned(),
            )
        }
        other => {
            if let Err(error) = poise::builtins::on_error(other).await {
                tracing::error!(%error, "could not report an error to Discord");
            }
            return;
        }
    };
    let reply = poise::CreateReply::default()
        .content(message)
        .ephemeral(true);
    if let Err(error) = ctx.send(reply).await {
        tracing::error!(%error, "could not send an error reply");
    }
}
