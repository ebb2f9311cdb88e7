//! `/help`: what the bot does, every command in a line (read from the registered commands, so the list
//! never goes stale), how schedules, timers and check-ins work, the privacy note and the safety line;
//! and the answers to its two buttons, a random stretch and a timer.

use poise::serenity_prelude as serenity;

use super::stretch::{card_message, random_entry};
use super::{Data, Error};
use crate::discord::Context;
use crate::discord::card::truncate;
use crate::discord::reply::{Answer, reply, respond};
use crate::discord::{buttons::HELP, timer};
use crate::domain::catalog::{Filters, SAFETY_LINE};

/// Discord's embed limits (channel.mdx, "Embed Limits").
const FIELD_VALUE_MAX: usize = 1024;
const DESCRIPTION_MAX: usize = 4096;

const ABOUT: &str = "stretchbot posts a **stretch of the day** to your team's channel and helps you do it: \
     look a stretch up, get one at random, or be timed through one step by step.";

/// How the parts fit together, one field each.
const HOW_IT_WORKS: [(&str, &str); 4] = [
    (
        "📅 Schedules",
        "Server admins (Manage Server) choose when and where the stretch of the day is posted, in \
         their time zone, with `/schedule add`. Without a difficulty filter a schedule posts easy and \
         moderate stretches only; `/stretch today` shows what was posted here today.",
    ),
    (
        "⏱ Timers",
        "`/stretch timer` (or **Start timer** under any card) walks you through every step and hold, \
         with a live countdown. Pause, skip or stop it with its buttons.",
    ),
    (
        "✅ Check-ins",
        "Press **I did it** under a daily post or a finished timer: one check-in a day keeps your \
         streak going. `/stats me` shows yours; `/stats team` the team's week.",
    ),
    (
        "🔒 Privacy",
        "Only ids are stored: your user id, the days you checked in and their stretches, never names \
         or what you type. `/stats forget-me` deletes your check-ins, `/stats hide-me` keeps you out of \
         team lists.",
    ),
];

/// How the bot works and every command, privately.
#[poise::command(slash_command)]
pub async fn help(ctx: Context<'_>) -> Result<(), Error> {
    let embed = help_embed(&ctx.framework().options().commands);
    reply(
        ctx,
        poise::CreateReply::default()
            .embed(embed)
            .components(vec![help_buttons()])
            .ephemeral(true),
    )
    .await
}

/// The help card for the `commands` the bot registers.
fn help_embed(commands: &[poise::Command<Data, Error>]) -> serenity::CreateEmbed {
    let mut embed = serenity::CreateEmbed::new()
        .title("stretchbot: how it works")
        .description(truncate(ABOUT, DESCRIPTION_MAX));
    for command in commands {
        embed = embed.field(
            format!("/{}", command.name),
            truncate(&command_lines(command).join("\n"), FIELD_VALUE_MAX),
            false,
        );
    }
    for (name, text) in HOW_IT_WORKS {
        embed = embed.field(name, text, false);
    }
    embed.footer(serenity::CreateEmbedFooter::new(SAFETY_LINE))
}

/// One line per invocable command: `/stretch show` and its description, a guild-only group marked so.
fn command_lines(command: &poise::Command<Data, Error>) -> Vec<String> {
    let servers_only = command.guild_only
        || command
            .interaction_context
            .as_ref()
            .is_some_and(|contexts| contexts == &[serenity::InteractionContext::Guild]);
    let mark = if servers_only { " *(in servers)*" } else { "" };
    let line = |path: &str, description: &Option<std::borrow::Cow<'static, str>>| {
        let description = description.as_deref().unwrap_or_default();
        let first = description.lines().next().unwrap_or_default();
        format!("`/{path}` {first}{mark}")
    };
    if command.subcommands.is_empty() {
        return vec![line(&command.name, &command.description)];
    }
    command
        .subcommands
        .iter()
        .map(|sub| line(&format!("{} {}", command.name, sub.name), &sub.description))
        .collect()
}

/// `help:random` and `help:timer`.
fn help_buttons() -> serenity::CreateActionRow {
    serenity::CreateActionRow::Buttons(vec![
        serenity::CreateButton::new(format!("{HELP}:random"))
            .label("Random stretch")
            .emoji('🎲')
            .style(serenity::ButtonStyle::Primary),
        serenity::CreateButton::new(format!("{HELP}:timer"))
            .label("Time a random stretch")
            .emoji('⏱')
            .style(serenity::ButtonStyle::Secondary),
    ])
}

/// A click on a help button: a random stretch (easy or moderate) as a private card, or a timer for one.
pub(super) async fn on_help_click(
    ctx: &serenity::Context,
    click: &serenity::ComponentInteraction,
    data: &Data,
    action: &str,
) -> Result<(), Error> {
    let catalog = data.catalog_in(click.guild_id).await?;
    let entry = random_entry(&catalog, &Filters::default(), click.id.get())?;
    match action {
        "random" => {
            let message = card_message(data, entry).await.ephemeral(true);
            respond(ctx, data, click, Answer::Message(message)).await
        }
        "timer" => timer::on_start_click(ctx, click, data, entry.id.as_str()).await,
        _ => Err(Error::user(
            "This button has expired. Run `/help` again for a fresh one.",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every part of the card, as Discord counts an embed's 6,000 characters.
    #[test]
    fn the_help_card_lists_every_command_within_discords_limits() {
        let commands = super::super::all_commands();
        let embed = serde_json::to_value(help_embed(&commands)).unwrap();
        let chars = |value: &serde_json::Value| value.as_str().unwrap_or_default().chars().count();
        let fields = embed["fields"].as_array().unwrap();
        assert!(fields.len() <= 25);
        let mut total = chars(&embed["title"]) + chars(&embed["description"]);
        total += chars(&embed["footer"]["text"]);
        for field in fields {
            assert!(chars(&field["name"]) <= 256, "{field}");
            assert!(chars(&field["value"]) <= FIELD_VALUE_MAX, "{field}");
            assert!(
                !field["value"].as_str().unwrap().ends_with('…'),
                "cut: {field}"
            );
            total += chars(&field["name"]) + chars(&field["value"]);
        }
        assert!(total <= 6000, "{total} characters");

        let text = embed.to_string();
        for command in &commands {
            for sub in &command.subcommands {
                let path = format!("`/{} {}`", command.name, sub.name);
                assert!(text.contains(&path), "{path} is missing");
            }
        }
        assert!(text.contains("`/help` How the bot works"), "{text}");
        assert!(text.contains("`/schedule add`"));
        assert!(text.contains("*(in servers)*"));
        assert!(text.contains(SAFETY_LINE));
    }
}
