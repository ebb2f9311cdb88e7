//! `/schedule …`: server admins set when and where the stretch of the day is posted.
//!
//! Discord hides the group from members without Manage Server (`default_member_permissions`), but a
//! server can change that default, so every subcommand checks the permission again from the
//! interaction itself.

use std::hash::{BuildHasher, RandomState};

use chrono::{DateTime, Utc};
use poise::serenity_prelude as serenity;

use crate::discord::card::capitalise;
use crate::discord::choice::Choice;
use crate::discord::limiter::Route;
use crate::discord::reply::{reply, say};
use crate::discord::{Context, Error};
use crate::domain::catalog::{Category, Difficulty, Equipment, Filters, Position, Vocabulary};
use crate::domain::posting::{
    ChannelId, Claim, Fire, GuildId, NewSchedule, Pause, PostKind, PostingSchedule, RoleId,
    ScheduleId, UserId,
};
use crate::domain::rotation::{self, RotationState};
use crate::domain::schedule::{Cadence, CronExpr, DailyTimes, Schedule, Weekdays, Zone};
use crate::domain::store::{ClaimOutcome, Store};

/// What the bot needs in a channel to post cards there.
const POSTING_PERMISSIONS: [(serenity::Permissions, &str); 3] = [
    (serenity::Permissions::VIEW_CHANNEL, "View Channel"),
    (serenity::Permissions::SEND_MESSAGES, "Send Messages"),
    (serenity::Permissions::EMBED_LINKS, "Embed Links"),
];
/// Upcoming posts shown after adding or editing a schedule.
const PREVIEW_AFTER_CHANGE: usize = 3;
const MAX_PREVIEW: u8 = 10;

/// Set when and where the stretch of the day is posted (Manage Server).
#[poise::command(
    slash_command,
    guild_only,
    default_member_permissions = "MANAGE_GUILD",
    subcommands(
        "add", "list", "remove", "pause", "resume", "edit", "preview", "post_now", "timezone"
    ),
    subcommand_required
)]
pub async fn schedule(_: Context<'_>) -> Result<(), Error> {
    Ok(())
}

/// Post the stretch of the day (or the team's weekly summary) to a channel at set times or on a cron.
#[allow(clippy::too_many_arguments)] // one parameter per slash-command option
#[poise::command(slash_command, guild_only)]
async fn add(
    ctx: Context<'_>,
    #[description = "Channel to post in"]
    #[channel_types("Text")]
    channel: serenity::ChannelId,
    #[description = "What to post: the stretch of the day (default) or the team summary of the week"]
    post: Option<Choice<PostKind>>,
    #[description = "Times of day, e.g. 09:00 or 9am, 3pm"]
    #[max_length = 200]
    times: Option<String>,
    #[description = "Days for the times: mon-fri (default: every day), mon,wed,fri, weekends"]
    #[max_length = 100]
    days: Option<String>,
    #[description = "Time zone, e.g. Europe/Berlin (default: the server's, see /schedule timezone)"]
    #[autocomplete = "autocomplete_zone"]
    #[max_length = 100]
    tz: Option<String>,
    #[description = "Instead of times: a 5-field cron expression, e.g. 0 9 * * 1-5"]
    #[max_length = 100]
    cron: Option<String>,
    #[description = "Role to mention in each post"] role: Option<serenity::RoleId>,
    #[description = "Only stretches from this position"] position: Option<Choice<Position>>,
    #[description = "Only stretches needing nothing beyond this"] equipment: Option<
        Choice<Equipment>,
    >,
    #[description = "Only stretches of this difficulty (default: easy and moderate)"]
    difficulty: Option<Choice<Difficulty>>,
    #[description = "Only this kind of exercise"] category: Option<Choice<Category>>,
    #[description = "Also post advanced stretches, left out by default (default: False)"]
    include_advanced: Option<bool>,
) -> Result<(), Error> {
    let guild = require_manage_server(ctx)?;
    let kind = post.map_or(PostKind::default(), |Choice(kind)| kind);
    let include_advanced = include_advanced == Some(true);
    if include_advanced && difficulty.is_some() {
        return Err(difficulty_and_include_advanced());
    }
    let filters = Filters {
        position: position.map(|Choice(value)| value),
        equipment: equipment.map(|Choice(value)| vec![value]),
        difficulty: difficulty.map(|Choice(value)| value),
        category: category.map(|Choice(value)| value),
        include_advanced,
    };
    if kind == PostKind::TeamSummary && !filters.is_empty() {
        return Err(filters_on_summary());
    }
    let cadence = cadence(times.as_deref(), days.as_deref(), cron.as_deref())?
        .ok_or_else(|| Error::user("Give `times` (like 09:00) or a `cron` expression."))?;
    let zone = zone_or_default(ctx, guild, tz.as_deref()).await?;
    ctx.defer_ephemeral().await?;
    check_target(ctx, guild, Some(channel), role).await?;

    let schedule = Schedule::new(zone, cadence);
    let now = ctx.data().now();
    let next_fire = schedule.next_after(now);
    let new = NewSchedule {
        guild,
        channel: ChannelId(channel.get()),
        kind,
        schedule,
        role: role.map(|role| RoleId(role.get())),
        filters,
        created_by: UserId(ctx.author().id.get()),
    };
    let seed = RandomState::new().hash_one((guild.0, channel.get(), now.timestamp()));
    let added = ctx
        .data()
        .store
        .add_schedule(new, RotationState::new(seed), next_fire)
        .await?;
    ctx.data().schedules_changed.notify_one();
    reply(
        ctx,
        poise::CreateReply::default()
            .content(format!(
                "Added schedule **#{}**: {}.\nNext posts: {}{}",
                added.id,
                describe(&added),
                upcoming(&added.schedule, now, PREVIEW_AFTER_CHANGE),
                advanced_note(&added)
            ))
            .ephemeral(true),
    )
    .await
}

/// Every schedule of this server, with its next post and whether it is paused.
#[poise::command(slash_command, guild_only)]
async fn list(ctx: Context<'_>) -> Result<(), Error> {
    let guild = require_manage_server(ctx)?;
    let schedules = ctx.data().store.schedules_in(guild).await?;
    let zone = ctx.data().store.guild_zone(guild).await?;
    let zone = zone.map_or("not set".to_owned(), |zone| zone.to_string());
    if schedules.is_empty() {
        return reply(
            ctx,
            poise::CreateReply::default()
                .content(format!(
                    "No schedules yet (server time zone: {zone}). Add one with `/schedule add`."
                ))
                .ephemeral(true),
        )
        .await;
    }
    // One field per schedule: at most 25 schedules, and Discord allows 25 fields.
    let embed = schedules.iter().fold(
        serenity::CreateEmbed::new()
            .title("Posting schedules")
            .description(format!("Server time zone: {zone}")),
        |embed, schedule| {
            let status = match schedule.pause {
                Some(pause) => format!("⏸ Paused: {pause}"),
                None => match schedule.next_fire {
                    Some(next) => format!("▶ Next: {}", timestamp(next)),
                    None => "No more posts (the cadence has ended)".to_owned(),
                },
            };
            embed.field(
                format!("#{}", schedule.id),
                format!("{}\n{status}", describe(schedule)),
                false,
            )
        },
    );
    reply(
        ctx,
        poise::CreateReply::default().embed(embed).ephemeral(true),
    )
    .await
}

/// Delete a schedule.
#[poise::command(slash_command, guild_only)]
async fn remove(
    ctx: Context<'_>,
    #[description = "Schedule number, from /schedule list"] id: i64,
) -> Result<(), Error> {
    let guild = require_manage_server(ctx)?;
    let removed = ctx
        .data()
        .store
        .remove_schedule(guild, ScheduleId(id))
        .await?;
    if !removed {
        return Err(no_such_schedule(id));
    }
    ctx.data().schedules_changed.notify_one();
    say(ctx, format!("Removed schedule **#{id}**.")).await
}

/// Stop a schedule from posting until you resume it.
#[poise::command(slash_command, guild_only)]
async fn pause(
    ctx: Context<'_>,
    #[description = "Schedule number, from /schedule list"] id: i64,
) -> Result<(), Error> {
    let guild = require_manage_server(ctx)?;
    let mut schedule = load(ctx, guild, id).await?;
    if schedule.pause.is_some() {
        return say(ctx, format!("Schedule **#{id}** is already paused.")).await;
    }
    schedule.pause = Some(Pause::ByAdmin);
    save(ctx, &schedule).await?;
    say(
        ctx,
        format!("Paused schedule **#{id}**. Resume it with `/schedule resume id:{id}`."),
    )
    .await
}

/// Start a paused schedule again from its next time (missed posts are not sent).
#[poise::command(slash_command, guild_only)]
async fn resume(
    ctx: Context<'_>,
    #[description = "Schedule number, from /schedule list"] id: i64,
) -> Result<(), Error> {
    let guild = require_manage_server(ctx)?;
    let mut schedule = load(ctx, guild, id).await?;
    if schedule.pause.is_none() {
        return say(ctx, format!("Schedule **#{id}** is not paused.")).await;
    }
    if schedule.pause != Some(Pause::ByAdmin) {
        // It was paused because posting failed: make sure that is fixed before trying again.
        ctx.defer_ephemeral().await?;
        // serenity's id constructor panics on 0, which only a damaged row holds.
        let channel = std::num::NonZeroU64::new(schedule.channel.0)
            .map(serenity::ChannelId::from)
            .ok_or_else(|| Error::Internal(format!("schedule #{id} has channel id 0")))?;
        check_target(ctx, guild, Some(channel), None).await?;
    }
    let now = ctx.data().now();
    schedule.pause = None;
    schedule.next_fire = schedule.schedule.next_after(now);
    save(ctx, &schedule).await?;
    say(
        ctx,
        format!(
            "Resumed schedule **#{id}**. Next posts: {}",
            upcoming(&schedule.schedule, now, PREVIEW_AFTER_CHANGE)
        ),
    )
    .await
}

/// Change a schedule: give only what should change.
#[allow(clippy::too_many_arguments)] // one parameter per slash-command option
#[poise::command(slash_command, guild_only)]
async fn edit(
    ctx: Context<'_>,
    #[description = "Schedule number, from /schedule list"] id: i64,
    #[description = "New channel"]
    #[channel_types("Text")]
    channel: Option<serenity::ChannelId>,
    #[description = "New times of day, e.g. 09:00, 3pm"]
    #[max_length = 200]
    times: Option<String>,
    #[description = "New days for the times, e.g. mon-fri"]
    #[max_length = 100]
    days: Option<String>,
    #[description = "New time zone"]
    #[autocomplete = "autocomplete_zone"]
    #[max_length = 100]
    tz: Option<String>,
    #[description = "New cron expression (replaces times)"]
    #[max_length = 100]
    cron: Option<String>,
    #[description = "Role to mention"] role: Option<serenity::RoleId>,
    #[description = "Stop mentioning a role"] no_role: Option<bool>,
    #[description = "Only stretches from this position"] position: Option<Choice<Position>>,
    #[description = "Only stretches needing nothing beyond this"] equipment: Option<
        Choice<Equipment>,
    >,
    #[description = "Only stretches of this difficulty"] difficulty: Option<Choice<Difficulty>>,
    #[description = "Only this kind of exercise"] category: Option<Choice<Category>>,
    #[description = "Clear every stretch filter (back to easy and moderate only)"]
    no_filters: Option<bool>,
    #[description = "Also post advanced stretches (True), or leave them out again (False)"]
    include_advanced: Option<bool>,
) -> Result<(), Error> {
    let guild = require_manage_server(ctx)?;
    let mut schedule = load(ctx, guild, id).await?;
    let days_only = times.is_none() && cron.is_none() && days.is_some();
    if days_only {
        let Cadence::Daily(daily) = &schedule.schedule.cadence else {
            return Err(Error::user(
                "This schedule uses cron, so `days` does not apply; give a new `cron` or new `times` instead.",
            ));
        };
        let days = Weekdays::parse(days.as_deref().unwrap_or_default()).map_err(user)?;
        schedule.schedule.cadence =
            Cadence::Daily(DailyTimes::new(daily.times().to_vec(), days).map_err(user)?);
    } else if let Some(cadence) = cadence(times.as_deref(), days.as_deref(), cron.as_deref())? {
        schedule.schedule.cadence = cadence;
    }
    if let Some(tz) = tz {
        schedule.schedule.zone = Zone::parse(&tz).map_err(user)?;
    }
    if role.is_some() && no_role == Some(true) {
        return Err(Error::user("Give a `role` or `no_role`, not both."));
    }
    if let Some(role) = role {
        schedule.role = Some(RoleId(role.get()));
    }
    if no_role == Some(true) {
        schedule.role = None;
    }
    if no_filters == Some(true) {
        schedule.filters = Filters::default();
    }
    if let Some(Choice(value)) = position {
        schedule.filters.position = Some(value);
    }
    if let Some(Choice(value)) = equipment {
        schedule.filters.equipment = Some(vec![value]);
    }
    if include_advanced == Some(true) && difficulty.is_some() {
        return Err(difficulty_and_include_advanced());
    }
    if let Some(Choice(value)) = difficulty {
        schedule.filters.difficulty = Some(value);
        schedule.filters.include_advanced = false;
    }
    if let Some(include) = include_advanced {
        schedule.filters.include_advanced = include;
        if include {
            schedule.filters.difficulty = None;
        }
    }
    if let Some(Choice(value)) = category {
        schedule.filters.category = Some(value);
    }
    if schedule.kind == PostKind::TeamSummary && !schedule.filters.is_empty() {
        return Err(filters_on_summary());
    }
    if channel.is_some() || role.is_some() {
        ctx.defer_ephemeral().await?;
        check_target(ctx, guild, channel, role).await?;
    }
    if let Some(channel) = channel {
        schedule.channel = ChannelId(channel.get());
        if matches!(
            schedule.pause,
            Some(Pause::ChannelGone | Pause::MissingAccess | Pause::MissingPermissions)
        ) {
            // The new channel was just checked, so the reason for that pause is gone.
            schedule.pause = None;
        }
    }
    let now = ctx.data().now();
    schedule.next_fire = schedule.schedule.next_after(now);
    save(ctx, &schedule).await?;
    say(
        ctx,
        format!(
            "Updated schedule **#{id}**: {}.\nNext posts: {}{}",
            describe(&schedule),
            upcoming(&schedule.schedule, now, PREVIEW_AFTER_CHANGE),
            advanced_note(&schedule)
        ),
    )
    .await
}

/// Show when a schedule will post next.
#[poise::command(slash_command, guild_only)]
async fn preview(
    ctx: Context<'_>,
    #[description = "Schedule number, from /schedule list"] id: i64,
    #[description = "How many posts to show (1–10, default 3)"]
    #[min = 1]
    #[max = 10]
    count: Option<u8>,
) -> Result<(), Error> {
    let guild = require_manage_server(ctx)?;
    let schedule = load(ctx, guild, id).await?;
    let count = usize::from(count.unwrap_or(3).clamp(1, MAX_PREVIEW));
    let paused = schedule
        .pause
        .map(|pause| format!("\n(Paused: {pause}.)"))
        .unwrap_or_default();
    say(
        ctx,
        format!(
            "Schedule **#{id}** ({}) posts next: {}{paused}",
            describe(&schedule),
            upcoming(&schedule.schedule, ctx.data().now(), count)
        ),
    )
    .await
}

/// Post this schedule's next stretch (or its team summary) now; it counts as one of its posts.
#[poise::command(slash_command, guild_only, rename = "post-now")]
async fn post_now(
    ctx: Context<'_>,
    #[description = "Schedule number, from /schedule list"] id: i64,
) -> Result<(), Error> {
    let guild = require_manage_server(ctx)?;
    let schedule = load(ctx, guild, id).await?;
    let data = ctx.data();
    // What is posted, as shown to the admin, and the claim's stretch and rotation.
    let (what, stretch, rotation) = match schedule.kind {
        PostKind::TeamSummary => (
            "this week's team summary".to_owned(),
            None,
            schedule.rotation.clone(),
        ),
        PostKind::Stretch => {
            let catalog = data.catalog_in(ctx.guild_id()).await?;
            let pick = rotation::next(catalog.entries(), &schedule.filters, &schedule.rotation)
                .map_err(user)?;
            let name = catalog
                .get(pick.id.as_str())
                .map_or(pick.id.as_str(), |entry| entry.name.as_str());
            (format!("**{name}**"), Some(pick.id), pick.state)
        }
    };
    let now = data.now();
    // Whole seconds: the fire's nonce and post key are built from its second.
    let at = DateTime::from_timestamp(now.timestamp(), 0).unwrap_or(now);
    let fire = Fire {
        schedule: schedule.id,
        at,
    };
    match data
        .store
        .claim_extra(Claim { fire, stretch }, rotation)
        .await?
    {
        // The poster sends claimed posts, with their nonce, retries and pauses, as for any fire.
        ClaimOutcome::Claimed => {
            data.claimed_here.record(fire);
            data.schedules_changed.notify_one();
        }
        ClaimOutcome::AlreadyClaimed(_) => {
            return Err(Error::user(
                "A post for this schedule went out this very second; wait a moment before posting again.",
            ));
        }
        ClaimOutcome::Stale => return Err(no_such_schedule(id)),
    }
    say(
        ctx,
        format!(
            "Posting {what} to <#{}> now. It counts as a post of schedule **#{id}**; its next post is still {}.",
            schedule.channel,
            schedule
                .next_fire
                .map_or("not planned".to_owned(), timestamp)
        ),
    )
    .await
}

/// Show or set the server's default time zone for new schedules.
#[poise::command(slash_command, guild_only)]
async fn timezone(
    ctx: Context<'_>,
    #[description = "IANA zone, e.g. Europe/Berlin; leave out to see the current one"]
    #[autocomplete = "autocomplete_zone"]
    #[max_length = 100]
    zone: Option<String>,
) -> Result<(), Error> {
    let guild = require_manage_server(ctx)?;
    let store = &ctx.data().store;
    match zone {
        Some(zone) => {
            let zone = Zone::parse(&zone).map_err(user)?;
            store.set_guild_zone(guild, zone).await?;
            say(
                ctx,
                format!("New schedules in this server now default to **{zone}**. Existing schedules keep their own zone."),
            )
            .await
        }
        None => {
            let current = store.guild_zone(guild).await?;
            say(
                ctx,
                match current {
                    Some(zone) => format!("This server's time zone is **{zone}**."),
                    None => "No server time zone is set. Set one with `/schedule timezone zone:Europe/Berlin`, or give `tz` to each schedule.".to_owned(),
                },
            )
            .await
        }
    }
}

pub(super) async fn autocomplete_zone(
    _ctx: Context<'_>,
    partial: &str,
) -> serenity::CreateAutocompleteResponse {
    let choices = Zone::suggest(partial, 25)
        .into_iter()
        .map(|name| serenity::AutocompleteChoice::new(name, name))
        .collect();
    serenity::CreateAutocompleteResponse::new().set_choices(choices)
}

/// The guild, once the member is known to have Manage Server there (from the interaction's own
/// permissions, which Discord computes for the member in this channel).
fn require_manage_server(ctx: Context<'_>) -> Result<GuildId, Error> {
    let poise::Context::Application(app) = ctx else {
        return Err(Error::user("Use this as a slash command."));
    };
    let guild = app
        .interaction
        .guild_id
        .ok_or_else(|| Error::user("Schedules belong to a server; use this command in one."))?;
    let allowed = app
        .interaction
        .member
        .as_ref()
        .and_then(|member| member.permissions)
        .is_some_and(|permissions| permissions.manage_guild());
    if !allowed {
        return Err(Error::user(
            "Only members with the **Manage Server** permission can change posting schedules. Ask a server admin.",
        ));
    }
    Ok(GuildId(guild.get()))
}

/// Refuses a channel or a role of another server, and a channel the bot could not post cards in (naming
/// what is missing). Checked against Discord's own copy of the channel and the server, never against the
/// interaction's: whatever an interaction carries, a schedule only ever posts in, and pings, its server.
async fn check_target(
    ctx: Context<'_>,
    guild: GuildId,
    channel: Option<serenity::ChannelId>,
    role: Option<serenity::RoleId>,
) -> Result<(), Error> {
    let http = ctx.http();
    let guild_id = serenity::GuildId::new(guild.0);
    let bot = ctx.framework().bot_id;
    let in_channel = async {
        match channel {
            Some(channel) => tokio::try_join!(
                limited(ctx, || http.get_member(guild_id, bot)),
                limited(ctx, || http.get_channel(channel)),
            )
            .map(Some),
            None => Ok(None),
        }
    };
    let (server, in_channel) =
        match tokio::try_join!(limited(ctx, || http.get_guild(guild_id)), in_channel) {
            Err(error) if is_out_of_sight(&error) => return Err(unusable_channel()),
            other => other?,
        };
    if role.is_some_and(|role| !server.roles.contains_key(&role)) {
        return Err(Error::user(
            "That role belongs to another server. Pick a role of this server to mention, or leave `role` out.",
        ));
    }
    let (Some(channel), Some((member, target))) = (channel, in_channel) else {
        return Ok(());
    };
    let serenity::Channel::Guild(target) = target else {
        return Err(unusable_channel());
    };
    if target.guild_id != guild_id {
        return Err(unusable_channel());
    }
    let permissions = server.user_permissions_in(&target, &member);
    let missing: Vec<&str> = POSTING_PERMISSIONS
        .iter()
        .filter(|(needed, _)| !permissions.contains(*needed))
        .map(|(_, name)| *name)
        .collect();
    if missing.is_empty() {
        Ok(())
    } else {
        Err(Error::user(format!(
            "I can't post in <#{channel}>: I'm missing **{}** there. Give me {} in that channel's settings (Permissions), then try again.",
            missing.join("**, **"),
            if missing.len() == 1 {
                "that permission"
            } else {
                "those permissions"
            }
        )))
    }
}

fn unusable_channel() -> Error {
    Error::user(
        "Pick a text channel of this server for the posts: that one belongs to another server, or I can't see it.",
    )
}

/// Discord's answer for a channel that does not exist or that the bot cannot see (10003 Unknown
/// Channel, 50001 Missing Access), such as one of a server the bot is not in.
fn is_out_of_sight(error: &serenity::Error) -> bool {
    matches!(
        error,
        serenity::Error::Http(serenity::HttpError::UnsuccessfulRequest(response))
            if matches!(response.error.code, 10003 | 50001)
    )
}

/// A REST call of ours, under the bot's own rate limits in proxy mode.
async fn limited<T, Fut>(
    ctx: Context<'_>,
    request: impl FnMut() -> Fut,
) -> Result<T, serenity::Error>
where
    Fut: std::future::Future<Output = Result<T, serenity::Error>>,
{
    ctx.data().limiter.send(Route::Global, request).await
}

/// The cadence the options describe, or `None` when they describe none (an edit that keeps it).
fn cadence(
    times: Option<&str>,
    days: Option<&str>,
    cron: Option<&str>,
) -> Result<Option<Cadence>, Error> {
    match (times, cron) {
        (Some(_), Some(_)) => Err(Error::user("Give either `times` or `cron`, not both.")),
        (None, Some(_)) if days.is_some() => Err(Error::user(
            "`days` goes with `times`; a cron expression has its own day fields.",
        )),
        (None, Some(expr)) => Ok(Some(Cadence::Cron(CronExpr::parse(expr).map_err(user)?))),
        (Some(times), None) => Ok(Some(Cadence::Daily(
            DailyTimes::parse(times, days.unwrap_or("daily")).map_err(user)?,
        ))),
        (None, None) => Ok(None),
    }
}

async fn zone_or_default(
    ctx: Context<'_>,
    guild: GuildId,
    tz: Option<&str>,
) -> Result<Zone, Error> {
    if let Some(tz) = tz {
        return Zone::parse(tz).map_err(user);
    }
    ctx.data()
        .store
        .guild_zone(guild)
        .await?
        .ok_or_else(|| {
            Error::user(
                "Which time zone? Add `tz` (like Europe/Berlin), or set the server's default with `/schedule timezone`.",
            )
        })
}

async fn load(ctx: Context<'_>, guild: GuildId, id: i64) -> Result<PostingSchedule, Error> {
    ctx.data()
        .store
        .schedule(ScheduleId(id))
        .await?
        .filter(|schedule| schedule.guild == guild)
        .ok_or_else(|| no_such_schedule(id))
}

async fn save(ctx: Context<'_>, schedule: &PostingSchedule) -> Result<(), Error> {
    ctx.data().store.update_schedule(schedule).await?;
    ctx.data().schedules_changed.notify_one();
    Ok(())
}

/// "Stretch of the day in <#channel> · 09:00 mon-fri (Europe/Berlin) · mentions <@&role> · seated,
/// easy".
fn describe(schedule: &PostingSchedule) -> String {
    let mut parts = vec![
        format!(
            "{} in <#{}>",
            capitalise(schedule.kind.label()),
            schedule.channel
        ),
        format!("{} ({})", schedule.schedule.cadence, schedule.schedule.zone),
    ];
    if let Some(role) = schedule.role {
        parts.push(format!("mentions <@&{role}>"));
    }
    if schedule.kind == PostKind::Stretch {
        parts.push(schedule.filters.summary());
    }
    parts.join(" · ")
}

/// Tells an admin whether advanced stretches are in a stretch schedule, and how to change that.
fn advanced_note(schedule: &PostingSchedule) -> String {
    if schedule.kind != PostKind::Stretch {
        String::new()
    } else if schedule.filters.leaves_out_advanced_by_default() {
        format!(
            "\nAdvanced stretches are left out by default: their cautions ask for an instructor first. \
             To post them too, use `/schedule edit id:{} include_advanced:True`.",
            schedule.id
        )
    } else if schedule.filters.difficulty.is_none() {
        "\nAdvanced stretches are included; each card shows its cautions.".to_owned()
    } else {
        String::new()
    }
}

fn difficulty_and_include_advanced() -> Error {
    Error::user(
        "`include_advanced` widens the default (easy and moderate) to every difficulty, and `difficulty` \
         picks one: give one of them, not both.",
    )
}

/// The next `count` posts as Discord timestamps, which every reader sees in their own time zone.
pub(super) fn upcoming(schedule: &Schedule, now: DateTime<Utc>, count: usize) -> String {
    let fires: Vec<String> = schedule
        .fires_after(now)
        .take(count)
        .map(timestamp)
        .collect();
    if fires.is_empty() {
        "none (the cadence has no more times)".to_owned()
    } else {
        fires.join(", ")
    }
}

pub(super) fn timestamp(at: DateTime<Utc>) -> String {
    format!("<t:{}:F>", at.timestamp())
}

fn filters_on_summary() -> Error {
    Error::user(
        "A team summary posts no stretch, so stretch filters do not apply to it. Leave `position`, \
         `equipment`, `difficulty`, `category` and `include_advanced` out.",
    )
}

fn no_such_schedule(id: i64) -> Error {
    Error::user(format!(
        "There is no schedule #{id} in this server. See the numbers with `/schedule list`."
    ))
}

fn user(error: impl std::fmt::Display) -> Error {
    Error::user(error.to_string())
}
