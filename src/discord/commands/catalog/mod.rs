//! `/catalog …`: a server's admins add their own stretches, edit and remove them, hide built-in ones
//! the server does not want, and list what they changed.
//!
//! A command of its own, so Discord offers it to members with Manage Server only by default
//! (`default_member_permissions`); every subcommand, the form's submit and its retry button check the
//! permission again from the interaction, as `/schedule` does. The form is in [`form`], export and
//! import in [`transfer`].

mod form;
mod transfer;

use std::collections::HashSet;

use poise::serenity_prelude as serenity;

use crate::discord::card::{escape_markdown, truncate};
use crate::discord::choice::Choice;
use crate::discord::limiter::Route;
use crate::discord::reply::{reply, say};
use crate::discord::{Context, Error};
use crate::domain::catalog::{
    Catalog, Category, Choices, Difficulty, Draft, Entry, Equipment, OwnEntry, PoseRef, Position,
    SAFETY_LINE, StretchId, normalize_name,
};
use crate::domain::posting::GuildId;
use crate::domain::store::CatalogStore;

pub use form::{KeptForms, on_retry, on_submit};
use transfer::{export, import};

/// Discord shows at most 25 autocomplete choices.
const AUTOCOMPLETE_CHOICES: usize = 25;

/// Add your own stretches, hide built-in ones (Manage Server).
#[poise::command(
    slash_command,
    guild_only,
    default_member_permissions = "MANAGE_GUILD",
    subcommands(
        "add", "edit", "picture", "remove", "hide", "unhide", "list", "export", "import"
    ),
    subcommand_required
)]
pub async fn catalog(_: Context<'_>) -> Result<(), Error> {
    Ok(())
}

/// Add a stretch of your own: pick how it is done here, then fill in the form.
#[poise::command(slash_command, guild_only)]
async fn add(
    ctx: Context<'_>,
    #[description = "Starting position"] position: Choice<Position>,
    #[description = "What it needs (default: nothing)"] equipment: Option<Choice<Equipment>>,
    #[description = "How hard (default: easy)"] difficulty: Option<Choice<Difficulty>>,
    #[description = "Kind of exercise (default: stretch)"] category: Option<Choice<Category>>,
) -> Result<(), Error> {
    require_manage_server(ctx)?;
    let choices = form::choices(
        position.0,
        equipment.map(|Choice(value)| value),
        difficulty.map(|Choice(value)| value),
        category.map(|Choice(value)| value),
    );
    let purpose = form::Purpose {
        editing: None,
        choices,
    };
    open_form(ctx, form::modal(&purpose, &Draft::default())).await
}

/// Change one of this server's own stretches in the form, and optionally how it is done.
#[poise::command(slash_command, guild_only)]
async fn edit(
    ctx: Context<'_>,
    #[description = "One of this server's own stretches"]
    #[autocomplete = "autocomplete_own"]
    #[max_length = 100]
    name: String,
    #[description = "Starting position (default: as it is)"] position: Option<Choice<Position>>,
    #[description = "What it needs (default: as it is)"] equipment: Option<Choice<Equipment>>,
    #[description = "How hard (default: as it is)"] difficulty: Option<Choice<Difficulty>>,
    #[description = "Kind of exercise (default: as it is)"] category: Option<Choice<Category>>,
) -> Result<(), Error> {
    let guild = require_manage_server(ctx)?;
    let own = ctx.data().store.own_entries(guild).await?;
    let entry = own_named(&own, &name)?;
    let choices = Choices {
        position: position.map_or(entry.position, |Choice(value)| value),
        equipment: equipment.map_or(
            entry.equipment.first().copied().unwrap_or(Equipment::None),
            |Choice(value)| value,
        ),
        difficulty: difficulty.map_or(entry.difficulty, |Choice(value)| value),
        category: category.map_or(entry.category, |Choice(value)| value),
    };
    let purpose = form::Purpose {
        editing: Some(entry.id.clone()),
        choices,
    };
    open_form(ctx, form::modal(&purpose, &Draft::of(entry))).await
}

/// Give one of this server's own stretches a built-in pose as its picture, or none.
#[poise::command(slash_command, guild_only)]
async fn picture(
    ctx: Context<'_>,
    #[description = "One of this server's own stretches"]
    #[autocomplete = "autocomplete_own"]
    #[max_length = 100]
    name: String,
    #[description = "A built-in pose, like cat-cow/cow, or none"]
    #[autocomplete = "autocomplete_pose"]
    #[max_length = 100]
    pose: String,
) -> Result<(), Error> {
    let guild = require_manage_server(ctx)?;
    let data = ctx.data();
    let own = data.store.own_entries(guild).await?;
    let entry = own_named(&own, &name)?;
    let picture = match pose.trim() {
        "" | "none" => None,
        typed => Some(PoseRef::parse(typed, &data.catalog).map_err(Error::User)?),
    };
    let changed = OwnEntry {
        picture,
        ..entry.clone()
    };
    data.store.replace_own_entry(guild, changed.clone()).await?;
    let name = escape_markdown(&changed.name);
    let said = match &changed.picture {
        Some(pose) => format!("**{name}** now shows the pose `{pose}`."),
        None => format!("**{name}** has no picture now."),
    };
    let card = super::stretch::card_reply(data, &changed.to_entry(&data.catalog)).await;
    reply(ctx, card.content(said).ephemeral(true)).await
}

/// Remove one of this server's own stretches; schedules that had it in their rotation move on.
#[poise::command(slash_command, guild_only)]
async fn remove(
    ctx: Context<'_>,
    #[description = "One of this server's own stretches"]
    #[autocomplete = "autocomplete_own"]
    #[max_length = 100]
    name: String,
) -> Result<(), Error> {
    let guild = require_manage_server(ctx)?;
    let data = ctx.data();
    let own = data.store.own_entries(guild).await?;
    let entry = own_named(&own, &name)?;
    data.store.remove_own_entry(guild, entry.id.clone()).await?;
    say(
        ctx,
        format!(
            "Removed **{}** from this server's stretches. Schedules that had it in their rotation simply move on.",
            escape_markdown(&entry.name)
        ),
    )
    .await
}

/// Hide a built-in stretch here: it is never posted, listed or suggested in this server.
#[poise::command(slash_command, guild_only)]
async fn hide(
    ctx: Context<'_>,
    #[description = "A built-in stretch"]
    #[autocomplete = "autocomplete_built_in"]
    #[max_length = 100]
    name: String,
) -> Result<(), Error> {
    let guild = require_manage_server(ctx)?;
    let data = ctx.data();
    let entry = built_in_named(&data.catalog, &name)?;
    data.store
        .set_stretch_hidden(guild, entry.id.clone(), true)
        .await?;
    say(
        ctx,
        format!(
            "Hidden **{}**: it is no longer posted, listed or suggested in this server. `/catalog unhide name:{}` brings it back.",
            entry.name, entry.id
        ),
    )
    .await
}

/// Bring back a built-in stretch this server hid.
#[poise::command(slash_command, guild_only)]
async fn unhide(
    ctx: Context<'_>,
    #[description = "A built-in stretch this server hid"]
    #[autocomplete = "autocomplete_hidden"]
    #[max_length = 100]
    name: String,
) -> Result<(), Error> {
    let guild = require_manage_server(ctx)?;
    let data = ctx.data();
    let entry = built_in_named(&data.catalog, &name)?;
    let hidden = data.store.hidden_stretches(guild).await?;
    if !hidden.contains(&entry.id) {
        return Err(Error::user(format!(
            "**{}** is not hidden in this server; `/catalog list` shows what is.",
            entry.name
        )));
    }
    data.store
        .set_stretch_hidden(guild, entry.id.clone(), false)
        .await?;
    say(
        ctx,
        format!(
            "**{}** is back: it is posted, listed and suggested in this server again.",
            entry.name
        ),
    )
    .await
}

/// What this server added to the catalog and what it hid.
#[poise::command(slash_command, guild_only)]
async fn list(ctx: Context<'_>) -> Result<(), Error> {
    let guild = require_manage_server(ctx)?;
    let data = ctx.data();
    let own = data.store.own_entries(guild).await?;
    let hidden = data.store.hidden_stretches(guild).await?;
    reply(
        ctx,
        poise::CreateReply::default()
            .embed(list_embed(&own, &hidden, &data.catalog))
            .ephemeral(true),
    )
    .await
}

fn list_embed(
    own: &[OwnEntry],
    hidden: &HashSet<StretchId>,
    builtin: &Catalog,
) -> serenity::CreateEmbed {
    let own_lines: Vec<String> = own
        .iter()
        .map(|entry| {
            format!(
                "**{}** · `{}` · {}, {}",
                escape_markdown(&entry.name),
                entry.id,
                entry.difficulty,
                entry.position
            )
        })
        .collect();
    let mut hidden_names: Vec<&str> = builtin
        .entries()
        .iter()
        .filter(|entry| hidden.contains(&entry.id))
        .map(|entry| entry.name.as_str())
        .collect();
    hidden_names.sort_unstable();
    let own_text = if own_lines.is_empty() {
        "None yet: `/catalog add` adds one.".to_owned()
    } else {
        own_lines.join("\n")
    };
    let hidden_text = if hidden_names.is_empty() {
        "None: every built-in stretch is in use.".to_owned()
    } else {
        hidden_names.join(", ")
    };
    serenity::CreateEmbed::new()
        .title("This server's catalog")
        .field(
            format!("Added by this server ({} of 100)", own.len()),
            truncate(&own_text, 1024),
            false,
        )
        .field(
            "Hidden built-in stretches",
            truncate(&hidden_text, 1024),
            false,
        )
        .footer(serenity::CreateEmbedFooter::new(SAFETY_LINE))
}

/// Opens the form in answer to the command.
async fn open_form(ctx: Context<'_>, modal: serenity::CreateModal) -> Result<(), Error> {
    let poise::Context::Application(app) = ctx else {
        return Err(Error::user("Use this as a slash command."));
    };
    let response = serenity::CreateInteractionResponse::Modal(modal);
    ctx.data()
        .limiter
        .send(Route::InteractionCallback, || {
            app.interaction.create_response(ctx, response.clone())
        })
        .await?;
    // poise would otherwise answer an error after this as a first response, which Discord refuses.
    app.has_sent_initial_response
        .store(true, std::sync::atomic::Ordering::SeqCst);
    Ok(())
}

/// The guild of the interaction, if the member may change its catalog there.
pub(super) fn require_manage_server(ctx: Context<'_>) -> Result<GuildId, Error> {
    let poise::Context::Application(app) = ctx else {
        return Err(Error::user("Use this as a slash command."));
    };
    let guild = app.interaction.guild_id.ok_or_else(|| {
        Error::user("A server's own stretches belong to a server; use this command in one.")
    })?;
    if !form::may_manage(app.interaction.member.as_deref()) {
        return Err(Error::user(form::NOT_AN_ADMIN));
    }
    Ok(GuildId(guild.get()))
}

/// The server's own entry a member meant, by id or name.
fn own_named<'a>(own: &'a [OwnEntry], typed: &str) -> Result<&'a OwnEntry, Error> {
    let wanted = normalize_name(typed);
    own.iter()
        .find(|entry| entry.id.as_str() == typed.trim() || normalize_name(&entry.name) == wanted)
        .ok_or_else(|| {
            Error::user(
                "This server has no stretch of its own by that name; `/catalog list` shows them.",
            )
        })
}

/// The built-in entry a member meant.
fn built_in_named<'a>(builtin: &'a Catalog, typed: &str) -> Result<&'a Entry, Error> {
    builtin
        .get(typed.trim())
        .or_else(|| builtin.find(typed))
        .ok_or_else(|| {
            Error::user(
                "No built-in stretch is called that. Pick one from the suggestions, or see `/stretch list`; a server's own stretch is removed with `/catalog remove`.",
            )
        })
}

fn choice(name: &str, id: &StretchId) -> serenity::AutocompleteChoice {
    serenity::AutocompleteChoice::new(truncate(name, 100), id.as_str())
}

async fn autocomplete_own(ctx: Context<'_>, partial: &str) -> serenity::CreateAutocompleteResponse {
    let Some(guild) = ctx.guild_id() else {
        return serenity::CreateAutocompleteResponse::new();
    };
    let own = match ctx.data().store.own_entries(GuildId(guild.get())).await {
        Ok(own) => own,
        Err(error) => {
            tracing::warn!(%error, "autocomplete without the server's own stretches");
            Vec::new()
        }
    };
    let typed = normalize_name(partial);
    let choices = own
        .iter()
        .filter(|entry| normalize_name(&entry.name).contains(&typed))
        .take(AUTOCOMPLETE_CHOICES)
        .map(|entry| choice(&entry.name, &entry.id))
        .collect();
    serenity::CreateAutocompleteResponse::new().set_choices(choices)
}

async fn autocomplete_pose(
    ctx: Context<'_>,
    partial: &str,
) -> serenity::CreateAutocompleteResponse {
    let typed = normalize_name(partial);
    let none = normalize_name("none")
        .contains(&typed)
        .then(|| serenity::AutocompleteChoice::new("No picture", "none"));
    let poses = PoseRef::all(&ctx.data().catalog)
        .into_iter()
        .map(|(pose, entry)| (format!("{}: {}", entry.name, pose.pose), pose))
        .filter(|(label, _)| normalize_name(label).contains(&typed))
        .map(|(label, pose)| {
            serenity::AutocompleteChoice::new(truncate(&label, 100), pose.to_string())
        });
    let choices = none
        .into_iter()
        .chain(poses)
        .take(AUTOCOMPLETE_CHOICES)
        .collect();
    serenity::CreateAutocompleteResponse::new().set_choices(choices)
}

async fn autocomplete_built_in(
    ctx: Context<'_>,
    partial: &str,
) -> serenity::CreateAutocompleteResponse {
    let choices = ctx
        .data()
        .catalog
        .search(partial, AUTOCOMPLETE_CHOICES)
        .into_iter()
        .map(|entry| choice(&entry.name, &entry.id))
        .collect();
    serenity::CreateAutocompleteResponse::new().set_choices(choices)
}

async fn autocomplete_hidden(
    ctx: Context<'_>,
    partial: &str,
) -> serenity::CreateAutocompleteResponse {
    let Some(guild) = ctx.guild_id() else {
        return serenity::CreateAutocompleteResponse::new();
    };
    let data = ctx.data();
    let hidden = match data.store.hidden_stretches(GuildId(guild.get())).await {
        Ok(hidden) => hidden,
        Err(error) => {
            tracing::warn!(%error, "autocomplete without the server's hidden stretches");
            HashSet::new()
        }
    };
    let choices = data
        .catalog
        .search(partial, data.catalog.len())
        .into_iter()
        .filter(|entry| hidden.contains(&entry.id))
        .take(AUTOCOMPLETE_CHOICES)
        .map(|entry| choice(&entry.name, &entry.id))
        .collect();
    serenity::CreateAutocompleteResponse::new().set_choices(choices)
}
