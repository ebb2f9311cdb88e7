//! Slash commands, one file per command group, and the answers to the buttons each group puts on its
//! messages.
//!
//! A button's custom id starts with a prefix naming its handler ([`crate::discord::buttons`]);
//! [`on_click`] hands the click to that handler and answers every failure privately.

mod catalog;
mod help;
mod remind;
mod schedule;
mod stats;
mod stretch;

use poise::serenity_prelude as serenity;

use super::buttons;
use super::reply::click_failed;
use super::timer;
use super::{Data, Error};

/// The team card of `/stats team`, which the weekly summary post shares.
pub(crate) use stats::team_card;

pub(crate) use remind::tell_of_paused_reminders;

pub(crate) use catalog::KeptForms;

/// Every command the bot registers, each with where it can be installed and used.
pub fn all_commands() -> Vec<poise::Command<Data, Error>> {
    vec![
        anywhere(stretch::stretch()),
        anywhere(help::help()),
        servers_only(schedule::schedule()),
        servers_only(catalog::catalog()),
        servers_only(stats::stats()),
        anywhere(remind::remind()),
    ]
}

/// A command a member may also install to their own account (application-commands.mdx, "Installation
/// Context") and use in a server, in the bot's DM and in their other DMs and group DMs. Its handlers must
/// not assume a guild: in a DM the interaction has none.
fn anywhere(command: poise::Command<Data, Error>) -> poise::Command<Data, Error> {
    poise::Command {
        install_context: Some(vec![
            serenity::InstallationContext::Guild,
            serenity::InstallationContext::User,
        ]),
        interaction_context: Some(vec![
            serenity::InteractionContext::Guild,
            serenity::InteractionContext::BotDm,
            serenity::InteractionContext::PrivateChannel,
        ]),
        ..command
    }
}

/// A command about one server (its schedules, its team's stats): installed with the bot to a server and
/// offered only there.
fn servers_only(command: poise::Command<Data, Error>) -> poise::Command<Data, Error> {
    poise::Command {
        install_context: Some(vec![serenity::InstallationContext::Guild]),
        interaction_context: Some(vec![serenity::InteractionContext::Guild]),
        ..command
    }
}

/// Answers a button click. Whatever fails, the member gets a private answer: what to do when the
/// click was theirs to fix (or a button from an older version), an apology when the bot failed, whose
/// cause goes to the log.
pub async fn on_click(
    ctx: &serenity::Context,
    click: &serenity::ComponentInteraction,
    data: &Data,
) {
    let (prefix, rest) = click
        .data
        .custom_id
        .split_once(':')
        .unwrap_or((click.data.custom_id.as_str(), ""));
    let outcome = match prefix {
        buttons::LIST_PAGE => stretch::on_list_page(ctx, click, data, rest).await,
        buttons::START_TIMER => timer::on_start_click(ctx, click, data, rest).await,
        buttons::TIMER_CONTROL => timer::on_control_click(ctx, click, data, rest).await,
        buttons::DID_IT => stats::on_did_it(ctx, click, data, rest).await,
        buttons::FORGET => stats::on_forget(ctx, click, data, rest).await,
        buttons::REMIND => remind::on_click(ctx, click, data, rest).await,
        buttons::HELP => help::on_help_click(ctx, click, data, rest).await,
        buttons::CATALOG_RETRY => catalog::on_retry(ctx, click, data, rest).await,
        _ => {
            tracing::warn!(custom_id = %click.data.custom_id, "a button the bot does not know was clicked");
            Err(Error::user(
                "This button has expired. Run the command again for a fresh one.",
            ))
        }
    };
    if let Err(error) = crate::metrics::click(click, outcome) {
        click_failed(ctx, data, click, error).await;
    }
}

/// Answers a submitted modal (only the catalog's form is one); whatever fails, the member gets a
/// private answer.
pub async fn on_modal(ctx: &serenity::Context, submit: &serenity::ModalInteraction, data: &Data) {
    let prefix = submit.data.custom_id.split(':').next().unwrap_or_default();
    let outcome = match prefix {
        buttons::CATALOG_FORM => catalog::on_submit(ctx, submit, data).await,
        _ => Err(Error::user(
            "This form has expired. Run the command again for a fresh one.",
        )),
    };
    crate::metrics::interaction(
        "modal",
        if outcome.is_ok() { "ok" } else { "failed" },
        submit.id.get(),
    );
    if let Err(error) = outcome {
        let message = match error {
            Error::User(message) => message,
            error => {
                tracing::error!(custom_id = %submit.data.custom_id, %error, "a form submit failed");
                super::reply::APOLOGY.to_owned()
            }
        };
        let response = serenity::CreateInteractionResponse::Message(
            serenity::CreateInteractionResponseMessage::new()
                .content(message)
                .ephemeral(true)
                .allowed_mentions(super::reply::no_pings()),
        );
        let sent = data
            .limiter
            .send(super::limiter::Route::InteractionCallback, || {
                submit.create_response(ctx, response.clone())
            })
            .await;
        if let Err(error) = sent {
            tracing::error!(%error, "could not answer a failed form submit");
        }
    }
}
