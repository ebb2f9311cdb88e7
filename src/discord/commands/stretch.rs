//! `/stretch show | random | timer | list | today`: looking stretches up, timing one, and seeing today's
//! stretch of the day again.

use std::hash::{BuildHasher, RandomState};
use std::sync::Arc;

use poise::serenity_prelude as serenity;

use chrono::TimeDelta;

use crate::discord::buttons::{LIST_PAGE, did_it_button, start_timer_button};
use crate::discord::card::{Card, shown, truncate};
use crate::discord::choice::Choice;
use crate::discord::reply::{Answer, reply, respond};
use crate::discord::timer::{self, Starter};
use crate::discord::upload::{Picture, WithPicture, showing};
use crate::discord::{Context, Data, Error};
use crate::domain::catalog::{
    Catalog, Category, Difficulty, Entry, Equipment, Filters, Position, SAFETY_LINE, Vocabulary,
};
use crate::domain::participation::local_day;
use crate::domain::posting::{ChannelId, PostRecord, UserId};
use crate::domain::store::{ReminderStore, Store};
use crate::domain::timer_plan::{Intensity, PlanSettings};

/// Discord shows at most 25 autocomplete choices.
const AUTOCOMPLETE_CHOICES: usize = 25;
/// Entries per page of `/stretch list`.
const PAGE_SIZE: usize = 8;

/// Look up a stretch, pick one at random, or browse the catalog.
#[poise::command(
    slash_command,
    subcommands("show", "random", "timer", "list", "today"),
    subcommand_required
)]
pub async fn stretch(_: Context<'_>) -> Result<(), Error> {
    Ok(())
}

/// Show a stretch: why it helps, every step, the dose and cautions.
#[poise::command(slash_command)]
async fn show(
    ctx: Context<'_>,
    #[description = "Stretch name, alias or body area"]
    #[autocomplete = "autocomplete_stretch"]
    #[max_length = 100]
    name: String,
) -> Result<(), Error> {
    let catalog = ctx.data().catalog_in(ctx.guild_id()).await?;
    let entry = match resolve(&catalog, &name) {
        Ok(entry) => entry,
        Err(not_a_stretch) => {
            let for_area = catalog.for_area(&name);
            if for_area.is_empty() {
                return Err(not_a_stretch);
            }
            return reply(
                ctx,
                poise::CreateReply::default()
                    .embed(area_embed(&name, &for_area))
                    .ephemeral(true),
            )
            .await;
        }
    };
    reply(ctx, card_reply(ctx.data(), entry).await).await
}

/// The stretches that target a body area, for `/stretch show` given an area instead of a name. A line
/// is at most ~150 characters and the catalog holds dozens, well within an embed's 4,096.
fn area_embed(typed: &str, entries: &[&Entry]) -> serenity::CreateEmbed {
    let lines: Vec<String> = entries
        .iter()
        .map(|entry| {
            format!(
                "**{}** · {}, {} · `/stretch show name:{}`",
                shown(entry).name,
                entry.difficulty.label(),
                entry.position.label(),
                entry.id
            )
        })
        .collect();
    serenity::CreateEmbed::new()
        .title(truncate(
            &format!("Stretches for the {}", typed.trim().to_lowercase()),
            256,
        ))
        .description(truncate(&lines.join("\n"), 4096))
        .footer(serenity::CreateEmbedFooter::new(SAFETY_LINE))
}

/// Time a stretch step by step, in a message that follows along.
#[poise::command(slash_command)]
async fn timer(
    ctx: Context<'_>,
    #[description = "Stretch name, alias or body area"]
    #[autocomplete = "autocomplete_stretch"]
    #[max_length = 100]
    name: String,
    #[description = "For a range like \"hold 20 to 30 seconds\": gentle (default) times the low end, full the high"]
    level: Option<Choice<Intensity>>,
) -> Result<(), Error> {
    let catalog = ctx.data().catalog_in(ctx.guild_id()).await?;
    let entry = resolve(&catalog, &name)?;
    let pacing = PlanSettings {
        intensity: level.map_or(ctx.data().pacing.intensity, |Choice(level)| level),
        ..ctx.data().pacing
    };
    let poise::Context::Application(app) = ctx else {
        return Err(Error::user("Use this as a slash command."));
    };
    let starter = Starter {
        interaction: app.interaction.id.get(),
        token: app.interaction.token.clone(),
        member: UserId(app.interaction.user.id.get()),
        channel: ChannelId(app.interaction.channel_id.get()),
    };
    timer::start(
        ctx.data(),
        Arc::clone(&ctx.serenity_context().http),
        starter,
        entry,
        &pacing,
        |embed, components, picture| {
            reply(
                ctx,
                poise::CreateReply::default()
                    .embed(embed)
                    .components(components)
                    .with_picture_if_any(picture.as_ref()),
            )
        },
    )
    .await
}

/// How far back `/stretch today` looks: every zone's today began less than this long ago.
const TODAY_REACH: TimeDelta = TimeDelta::hours(48);

/// Today's stretch of the day in this channel, or in a DM your last reminder, with its buttons.
#[poise::command(slash_command)]
async fn today(ctx: Context<'_>) -> Result<(), Error> {
    let data = ctx.data();
    let now = data.now();
    let in_server = ctx.guild_id().is_some();
    let nothing = || {
        Error::user(if in_server {
            "Nothing was posted in this channel today. `/stretch random` gives you a stretch now, and \
             server admins set up daily posts with `/schedule add`."
        } else {
            "No reminder was sent to you today. `/remind add` sets one up; `/stretch random` gives you \
             a stretch now, and in a server channel `/stretch today` shows the stretch of the day \
             posted there."
        })
    };
    // Outside a server (the bot's DM, or anywhere with the bot installed to the member's account) today's
    // stretch is the member's own: the last reminder sent to their DM with the bot.
    let channels = if in_server {
        vec![ChannelId(ctx.channel_id().get())]
    } else {
        let mut channels: Vec<ChannelId> = data
            .store
            .reminders_of(UserId(ctx.author().id.get()))
            .await?
            .iter()
            .map(|reminder| reminder.posting.channel)
            .collect();
        channels.sort_unstable_by_key(|channel| channel.0);
        channels.dedup();
        channels
    };
    let mut latest: Option<PostRecord> = None;
    for channel in channels {
        let post = data
            .store
            .latest_stretch_post(channel, now - TODAY_REACH)
            .await?;
        latest = latest
            .into_iter()
            .chain(post)
            .max_by_key(|post| post.claim.fire.at);
    }
    let post = latest.ok_or_else(nothing)?;
    let fire = post.claim.fire;
    // A post counts for today in its own schedule's zone, as its check-ins do.
    let schedule = data
        .store
        .schedule(fire.schedule)
        .await?
        .ok_or_else(nothing)?;
    let zone = schedule.schedule.zone;
    if local_day(fire.at, zone) != local_day(now, zone) {
        return Err(nothing());
    }
    let catalog = data.catalog_in(ctx.guild_id()).await?;
    let entry = post
        .claim
        .stretch
        .as_ref()
        .and_then(|id| catalog.get(id.as_str()))
        .ok_or_else(|| {
            Error::user(
                "Today's stretch is no longer in the catalog. Pick another with `/stretch list`.",
            )
        })?;
    let when = fire.at.timestamp();
    let source = if in_server {
        format!("Posted here <t:{when}:R> by schedule #{}.", fire.schedule)
    } else {
        format!("Sent to you <t:{when}:R> by reminder #{}.", fire.schedule)
    };
    let card = card_reply(data, entry)
        .await
        .content(source)
        .components(vec![serenity::CreateActionRow::Buttons(vec![
            start_timer_button(&entry.id),
            did_it_button(&entry.id, Some(fire.schedule)),
        ])])
        .ephemeral(true);
    reply(ctx, card).await
}

/// A stretch's card, with its picture, and the button that times it.
pub(super) async fn card_reply(data: &Data, entry: &Entry) -> poise::CreateReply {
    let embed = Card::for_entry(entry).embed();
    match data.pictures.for_entry(entry).await {
        Some(picture) => poise::CreateReply::default()
            .embed(picture.on_embed(embed))
            .with_picture(&picture),
        None => poise::CreateReply::default().embed(embed),
    }
    .components(vec![serenity::CreateActionRow::Buttons(vec![
        start_timer_button(&entry.id),
    ])])
}

/// A random stretch, optionally filtered.
#[poise::command(slash_command)]
async fn random(
    ctx: Context<'_>,
    #[description = "Starting position"] position: Option<Choice<Position>>,
    #[description = "Equipment you have (stretches needing nothing else)"] equipment: Option<
        Choice<Equipment>,
    >,
    #[description = "How hard (default: easy or moderate)"] difficulty: Option<Choice<Difficulty>>,
    #[description = "Kind of exercise"] category: Option<Choice<Category>>,
) -> Result<(), Error> {
    let filters = filters(position, equipment, difficulty, category);
    let catalog = ctx.data().catalog_in(ctx.guild_id()).await?;
    let entry = random_entry(&catalog, &filters, ctx.id())?;
    let mut card = card_reply(ctx.data(), entry).await;
    if filters.leaves_out_advanced_by_default() {
        card = card.content(ADVANCED_LEFT_OUT);
    }
    reply(ctx, card).await
}

/// One of the entries matching `filters`, chosen by hashing `salt` (an interaction id) with a random key.
pub(super) fn random_entry<'a>(
    catalog: &'a Catalog,
    filters: &Filters,
    salt: u64,
) -> Result<&'a Entry, Error> {
    let matching = matching(catalog, filters);
    if matching.is_empty() {
        return Err(nothing_matches(filters));
    }
    Ok(matching[RandomState::new().hash_one(salt) as usize % matching.len()])
}

/// A stretch's card as the answer to a button click.
pub(super) async fn card_message(
    data: &Data,
    entry: &Entry,
) -> serenity::CreateInteractionResponseMessage {
    card_reply(data, entry)
        .await
        .to_slash_initial_response(serenity::CreateInteractionResponseMessage::new())
}

/// Under a random pick made with the safe default, so that nobody wonders where the advanced ones went.
const ADVANCED_LEFT_OUT: &str = "-# Advanced stretches are left out unless you ask: \
     `/stretch random difficulty:Advanced`.";

/// Browse the catalog, optionally filtered.
#[poise::command(slash_command)]
async fn list(
    ctx: Context<'_>,
    #[description = "Starting position"] position: Option<Choice<Position>>,
    #[description = "Equipment you have (stretches needing nothing else)"] equipment: Option<
        Choice<Equipment>,
    >,
    #[description = "How hard"] difficulty: Option<Choice<Difficulty>>,
    #[description = "Kind of exercise"] category: Option<Choice<Category>>,
) -> Result<(), Error> {
    let filters = Filters {
        // Browsing is not doing: the list shows advanced entries, each marked as such.
        include_advanced: true,
        ..filters(position, equipment, difficulty, category)
    };
    let catalog = ctx.data().catalog_in(ctx.guild_id()).await?;
    let page = ListPage::new(&catalog, filters, 0)?;
    let picture = page.picture(ctx.data()).await;
    reply(
        ctx,
        poise::CreateReply::default()
            .embed(showing(page.embed(), picture.as_ref()))
            .components(page.buttons())
            .with_picture_if_any(picture.as_ref())
            .ephemeral(true),
    )
    .await
}

async fn autocomplete_stretch(
    ctx: Context<'_>,
    partial: &str,
) -> serenity::CreateAutocompleteResponse {
    let catalog = match ctx.data().catalog_in(ctx.guild_id()).await {
        Ok(catalog) => catalog,
        // Nothing rather than the built-in list: that could suggest what this server hid.
        Err(error) => {
            tracing::warn!(%error, "autocomplete without the server's catalog");
            return serenity::CreateAutocompleteResponse::new();
        }
    };
    let choices = catalog
        .search(partial, AUTOCOMPLETE_CHOICES)
        .into_iter()
        .map(|entry| {
            serenity::AutocompleteChoice::new(truncate(&entry.name, 100), entry.id.as_str())
        })
        .collect();
    serenity::CreateAutocompleteResponse::new().set_choices(choices)
}

/// The entry a member meant: an id (what autocomplete sends), a name or alias, or else an error naming
/// the closest matches.
fn resolve<'a>(catalog: &'a Catalog, typed: &str) -> Result<&'a Entry, Error> {
    if let Some(entry) = catalog.get(typed.trim()).or_else(|| catalog.find(typed)) {
        return Ok(entry);
    }
    let shown = truncate(typed.trim(), 50).replace('`', "'");
    let close: Vec<String> = catalog
        .search(typed, 3)
        .iter()
        .map(|entry| format!("**{}**", entry.name))
        .collect();
    Err(Error::user(if close.is_empty() {
        format!(
            "No stretch is called `{shown}`. Pick one from the suggestions as you type, or browse them all with `/stretch list`."
        )
    } else {
        format!(
            "No stretch is called `{shown}`. Did you mean {}? Pick one from the suggestions as you type, or browse with `/stretch list`.",
            close.join(", ")
        )
    }))
}

fn filters(
    position: Option<Choice<Position>>,
    equipment: Option<Choice<Equipment>>,
    difficulty: Option<Choice<Difficulty>>,
    category: Option<Choice<Category>>,
) -> Filters {
    Filters {
        position: position.map(|Choice(value)| value),
        equipment: equipment.map(|Choice(value)| vec![value]),
        difficulty: difficulty.map(|Choice(value)| value),
        category: category.map(|Choice(value)| value),
        include_advanced: false,
    }
}

fn matching<'a>(catalog: &'a Catalog, filters: &Filters) -> Vec<&'a Entry> {
    catalog
        .entries()
        .iter()
        .filter(|entry| filters.matches(entry))
        .collect()
}

fn nothing_matches(filters: &Filters) -> Error {
    Error::user(format!(
        "No stretch matches {}. Try fewer filters, or leave them all out.",
        filters.summary()
    ))
}

/// One page of `/stretch list`. The page and the filters travel in the buttons' custom ids, so paging
/// needs no server-side state and keeps working across restarts.
struct ListPage<'a> {
    entries: Vec<&'a Entry>,
    filters: Filters,
    page: usize,
}

impl<'a> ListPage<'a> {
    fn new(catalog: &'a Catalog, filters: Filters, page: usize) -> Result<Self, Error> {
        let entries = matching(catalog, &filters);
        if entries.is_empty() {
            return Err(nothing_matches(&filters));
        }
        let last_page = (entries.len() - 1) / PAGE_SIZE;
        Ok(Self {
            entries,
            filters,
            page: page.min(last_page),
        })
    }

    fn pages(&self) -> usize {
        self.entries.len().div_ceil(PAGE_SIZE)
    }

    fn shown(&self) -> impl Iterator<Item = &'a Entry> + '_ {
        self.entries
            .iter()
            .copied()
            .skip(self.page * PAGE_SIZE)
            .take(PAGE_SIZE)
    }

    /// The entry's picture when the page shows one entry, as its card would; a page of several has
    /// none (and turning to it drops the picture, since an update lists only the files it uploads).
    async fn picture(&self, data: &Data) -> Option<Picture> {
        let mut shown = self.shown();
        match (shown.next(), shown.next()) {
            (Some(only), None) => data.pictures.for_entry(only).await,
            _ => None,
        }
    }

    fn embed(&self) -> serenity::CreateEmbed {
        let lines: Vec<String> = self
            .shown()
            .map(|entry| {
                format!(
                    "**{}** — {}, {}, {}\n{}",
                    shown(entry).name,
                    entry.category.label(),
                    entry.position.label(),
                    entry.difficulty.label(),
                    entry.dose.summary(entry.per_side)
                )
            })
            .collect();
        serenity::CreateEmbed::new()
            .title(format!(
                "Stretches: {} ({} of {})",
                self.filters.summary(),
                self.page + 1,
                self.pages()
            ))
            .description(format!(
                "{}\n\nSee the steps with `/stretch show`.",
                lines.join("\n\n")
            ))
            .footer(serenity::CreateEmbedFooter::new(SAFETY_LINE))
    }

    fn buttons(&self) -> Vec<serenity::CreateActionRow> {
        let button = |label: &str, page: usize, disabled: bool| {
            serenity::CreateButton::new(list_button_id(page, &self.filters))
                .label(label)
                .style(serenity::ButtonStyle::Secondary)
                .disabled(disabled)
        };
        vec![serenity::CreateActionRow::Buttons(vec![
            button("◀ Previous", self.page.saturating_sub(1), self.page == 0),
            button("Next ▶", self.page + 1, self.page + 1 >= self.pages()),
        ])]
    }
}

/// `stretch-list:<page>:<position>:<equipment>:<difficulty>:<category>`, `-` for no filter. Discord allows
/// 100 characters; the longest is well under 60.
fn list_button_id(page: usize, filters: &Filters) -> String {
    fn part<T: Vocabulary>(value: Option<T>) -> &'static str {
        value.map_or("-", T::as_str)
    }
    format!(
        "{LIST_PAGE}:{page}:{}:{}:{}:{}",
        part(filters.position),
        part(
            filters
                .equipment
                .as_ref()
                .and_then(|items| items.first().copied())
        ),
        part(filters.difficulty),
        part(filters.category)
    )
}

/// Parses what follows `stretch-list:`.
fn parse_list_button_id(id: &str) -> Option<(usize, Filters)> {
    fn part<T: Vocabulary + std::str::FromStr>(raw: &str) -> Option<Option<T>> {
        match raw {
            "-" => Some(None),
            _ => raw.parse().ok().map(Some),
        }
    }
    let mut parts = id.split(':');
    let page = parts.next()?.parse().ok()?;
    let filters = Filters {
        position: part(parts.next()?)?,
        equipment: part::<Equipment>(parts.next()?)?.map(|item| vec![item]),
        difficulty: part(parts.next()?)?,
        category: part(parts.next()?)?,
        include_advanced: true,
    };
    parts.next().is_none().then_some((page, filters))
}

/// Turns the list to the clicked page.
pub(super) async fn on_list_page(
    ctx: &serenity::Context,
    click: &serenity::ComponentInteraction,
    data: &Data,
    id: &str,
) -> Result<(), Error> {
    let (page, filters) = parse_list_button_id(id).ok_or_else(|| {
        Error::user("This button has expired. Run `/stretch list` again for a fresh one.")
    })?;
    let catalog = data.catalog_in(click.guild_id).await?;
    let page = ListPage::new(&catalog, filters, page)?;
    let picture = page.picture(data).await;
    respond(
        ctx,
        data,
        click,
        Answer::Update(
            serenity::CreateInteractionResponseMessage::new()
                .embed(showing(page.embed(), picture.as_ref()))
                .components(page.buttons())
                .with_picture_if_any(picture.as_ref()),
        ),
    )
    .await
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;

    fn catalog() -> Catalog {
        Catalog::load_dir(&Path::new(env!("CARGO_MANIFEST_DIR")).join("content")).unwrap()
    }

    #[test]
    fn list_button_ids_round_trip_and_fit_discord() {
        let filters = Filters {
            position: Some(Position::HandsAndKnees),
            equipment: Some(vec![Equipment::ResistanceBand]),
            difficulty: Some(Difficulty::Moderate),
            category: Some(Category::Mobility),
            include_advanced: true,
        };
        let parse = |custom_id: &str| {
            parse_list_button_id(custom_id.strip_prefix("stretch-list:").unwrap())
        };
        let id = list_button_id(12, &filters);
        assert!(id.len() <= 100, "{id}");
        assert_eq!(parse(&id), Some((12, filters)));
        let none = Filters::everything();
        assert_eq!(parse(&list_button_id(0, &none)), Some((0, none)));
    }

    #[test]
    fn tampered_list_button_ids_are_refused() {
        for id in ["", "1", "x:-:-:-:-", "1:flying:-:-:-", "1:-:-:-:-:extra"] {
            assert_eq!(parse_list_button_id(id), None, "{id}");
        }
    }

    #[test]
    fn resolve_accepts_ids_names_and_aliases_and_suggests_otherwise() {
        let catalog = catalog();
        assert_eq!(resolve(&catalog, "cat-cow").unwrap().id.as_str(), "cat-cow");
        assert_eq!(
            resolve(&catalog, "Child's Pose").unwrap().id.as_str(),
            "childs-pose"
        );
        let Error::User(message) = resolve(&catalog, "thred the needle").unwrap_err() else {
            panic!("a user error");
        };
        assert!(
            message.contains("Did you mean **Thread the Needle**"),
            "{message}"
        );
        assert!(message.contains("/stretch list"), "{message}");
        let Error::User(message) = resolve(&catalog, "`zzzz`").unwrap_err() else {
            panic!("a user error");
        };
        assert!(message.contains("`'zzzz'`"), "{message}");
    }

    #[test]
    fn pages_cover_the_catalog_and_clamp() {
        let catalog = catalog();
        let first = ListPage::new(&catalog, Filters::everything(), 0).unwrap();
        assert_eq!(first.pages(), catalog.len().div_ceil(PAGE_SIZE));
        let beyond = ListPage::new(&catalog, Filters::everything(), 99).unwrap();
        assert_eq!(beyond.page, beyond.pages() - 1);
        let none = Filters {
            position: Some(Position::Standing),
            difficulty: Some(Difficulty::Advanced),
            ..Filters::default()
        };
        assert!(
            matches!(ListPage::new(&catalog, none, 0), Err(Error::User(m)) if m.contains("No stretch matches"))
        );
    }
}
