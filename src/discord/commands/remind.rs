//! `/remind …`: a member's personal reminders, sent to them by DM in their own zone, and the buttons
//! under every reminder DM (snooze for 30 min, 1 h or until tomorrow, and skip today). Also the notice,
//! after any command, that a reminder paused because Discord would not deliver its DMs.
//!
//! A reminder is the member's own: every subcommand acts on the reminders of the member who runs it,
//! wherever they run it. The poster sends the DMs (see `crate::poster`).

use std::hash::{BuildHasher, RandomState};

use poise::serenity_prelude as serenity;

use super::schedule::{autocomplete_zone, timestamp, upcoming};
use crate::discord::buttons::{ReminderButton, parse_reminder_button};
use crate::discord::choice::Choice;
use crate::discord::limiter::Route;
use crate::discord::reply::{reply, respond_privately, say};
use crate::discord::{Context, Data, Error};
use crate::domain::catalog::{Category, Difficulty, Equipment, Filters, Position};
use crate::domain::participation::{WEEK_STARTS_ON, local_day, member_stats};
use crate::domain::posting::{ChannelId, Pause, ScheduleId, UserId};
use crate::domain::reminder::{
    NewReminder, PERSONAL, Reminder, Snooze, next_after_today, reminder_schedule,
};
use crate::domain::rotation::RotationState;
use crate::domain::schedule::Zone;
use crate::domain::store::{ReminderStore, Store};

/// Upcoming DMs shown after adding or resuming a reminder.
const PREVIEW_AFTER_CHANGE: usize = 3;
const MAX_PREVIEW: u8 = 10;

/// Your own stretch reminders, sent to you by direct message.
#[poise::command(
    slash_command,
    subcommands(
        "add", "list", "remove", "pause", "resume", "preview", "timezone", "stats"
    ),
    subcommand_required
)]
pub async fn remind(_: Context<'_>) -> Result<(), Error> {
    Ok(())
}

/// Get a stretch by DM at set times, in your time zone.
#[allow(clippy::too_many_arguments)] // one parameter per slash-command option
#[poise::command(slash_command)]
async fn add(
    ctx: Context<'_>,
    #[description = "Times of day, e.g. 09:00 or 9am, 3pm"]
    #[max_length = 200]
    times: String,
    #[description = "Days for the times: mon-fri, mon,wed,fri, weekends (default: every day)"]
    #[max_length = 100]
    days: Option<String>,
    #[description = "Time zone, e.g. Europe/Berlin (default: yours, see /remind timezone)"]
    #[autocomplete = "autocomplete_zone"]
    #[max_length = 100]
    tz: Option<String>,
    #[description = "Only stretches from this position"] position: Option<Choice<Position>>,
    #[description = "Only stretches needing nothing beyond this"] equipment: Option<
        Choice<Equipment>,
    >,
    #[description = "Only stretches of this difficulty (default: easy and moderate)"]
    difficulty: Option<Choice<Difficulty>>,
    #[description = "Only this kind of exercise"] category: Option<Choice<Category>>,
) -> Result<(), Error> {
    let data = ctx.data();
    let user = UserId(ctx.author().id.get());
    let saved = data.store.member_zone(user).await?;
    let schedule = reminder_schedule(&times, days.as_deref(), tz.as_deref(), saved)
        .map_err(|error| Error::user(error.to_string()))?;
    let filters = Filters {
        position: position.map(|Choice(value)| value),
        equipment: equipment.map(|Choice(value)| vec![value]),
        difficulty: difficulty.map(|Choice(value)| value),
        category: category.map(|Choice(value)| value),
        // As for a team: advanced stretches only when the member picks that difficulty.
        include_advanced: false,
    };
    ctx.defer_ephemeral().await?;
    // The DM channel is opened now, at the member's request; the poster only ever sends to it.
    let author = ctx.author().id;
    let http = ctx.http();
    let dm = data
        .limiter
        .send(Route::Global, || author.create_dm_channel(http))
        .await?;
    let now = data.now();
    let next_fire = schedule.next_after(now);
    let seed = RandomState::new().hash_one((user.0, now.timestamp()));
    let new = NewReminder {
        user,
        dm_channel: ChannelId(dm.id.get()),
        schedule,
        filters,
    };
    let added = data
        .store
        .add_reminder(new, RotationState::new(seed), next_fire)
        .await?;
    data.schedules_changed.notify_one();
    say(
        ctx,
        format!(
            "Added reminder **#{}**: {}.\nI'll send it to you by DM. Next: {}",
            added.posting.id,
            describe(&added),
            upcoming(&added.posting.schedule, now, PREVIEW_AFTER_CHANGE)
        ),
    )
    .await
}

/// Your reminders, their next DM, and whether they are paused and why.
#[poise::command(slash_command)]
async fn list(ctx: Context<'_>) -> Result<(), Error> {
    let user = UserId(ctx.author().id.get());
    let reminders = ctx.data().store.reminders_of(user).await?;
    let zone = ctx.data().store.member_zone(user).await?;
    let zone = zone.map_or("not set".to_owned(), |zone| zone.to_string());
    if reminders.is_empty() {
        return say(
            ctx,
            format!("You have no reminders (your time zone: {zone}). Add one with `/remind add times:09:00`."),
        )
        .await;
    }
    let embed = reminders.iter().fold(
        serenity::CreateEmbed::new()
            .title("Your reminders")
            .description(format!("Your time zone: {zone}")),
        |embed, reminder| {
            embed.field(
                format!("#{}", reminder.posting.id),
                format!("{}\n{}", describe(reminder), status(reminder)),
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

/// Delete one of your reminders (and its log of sent DMs).
#[poise::command(slash_command)]
async fn remove(
    ctx: Context<'_>,
    #[description = "Reminder number, from /remind list"] id: i64,
) -> Result<(), Error> {
    let user = UserId(ctx.author().id.get());
    if !ctx
        .data()
        .store
        .remove_reminder(user, ScheduleId(id))
        .await?
    {
        return Err(no_such_reminder(id));
    }
    ctx.data().schedules_changed.notify_one();
    say(
        ctx,
        format!("Removed reminder **#{id}**; nothing of it is kept."),
    )
    .await
}

/// Stop a reminder for now; /remind resume starts it again.
#[poise::command(slash_command)]
async fn pause(
    ctx: Context<'_>,
    #[description = "Reminder number, from /remind list"] id: i64,
) -> Result<(), Error> {
    let mut reminder = load(ctx, id).await?;
    reminder.posting.pause = Some(Pause::ByAdmin);
    save(ctx, &reminder).await?;
    say(
        ctx,
        format!("Paused reminder **#{id}**. Start it again with `/remind resume id:{id}`."),
    )
    .await
}

/// Start a paused reminder again, from its next time on.
#[poise::command(slash_command)]
async fn resume(
    ctx: Context<'_>,
    #[description = "Reminder number, from /remind list"] id: i64,
) -> Result<(), Error> {
    let mut reminder = load(ctx, id).await?;
    if reminder.posting.pause.is_none() {
        return say(ctx, format!("Reminder **#{id}** is not paused.")).await;
    }
    let now = ctx.data().now();
    reminder.posting.pause = None;
    // From now on: what it missed while paused is not sent late.
    reminder.posting.next_fire = reminder.posting.schedule.next_after(now);
    save(ctx, &reminder).await?;
    ctx.data()
        .store
        .set_pause_told(reminder.posting.id, false)
        .await?;
    say(
        ctx,
        format!(
            "Resumed reminder **#{id}**. Next: {}",
            upcoming(&reminder.posting.schedule, now, PREVIEW_AFTER_CHANGE)
        ),
    )
    .await
}

/// Show when one of your reminders will DM you next.
#[poise::command(slash_command)]
async fn preview(
    ctx: Context<'_>,
    #[description = "Reminder number, from /remind list"] id: i64,
    #[description = "How many to show (1–10, default 3)"]
    #[min = 1]
    #[max = 10]
    count: Option<u8>,
) -> Result<(), Error> {
    let reminder = load(ctx, id).await?;
    let count = usize::from(count.unwrap_or(3).clamp(1, MAX_PREVIEW));
    let paused = reminder
        .posting
        .pause
        .map(|pause| format!("\n(Paused: {pause}.)"))
        .unwrap_or_default();
    say(
        ctx,
        format!(
            "Reminder **#{id}** ({}) DMs you next: {}{paused}",
            describe(&reminder),
            upcoming(&reminder.posting.schedule, ctx.data().now(), count)
        ),
    )
    .await
}

/// Show or save your time zone, the default for your new reminders.
#[poise::command(slash_command)]
async fn timezone(
    ctx: Context<'_>,
    #[description = "IANA zone, e.g. Europe/Berlin; leave out to see yours"]
    #[autocomplete = "autocomplete_zone"]
    #[max_length = 100]
    zone: Option<String>,
) -> Result<(), Error> {
    let user = UserId(ctx.author().id.get());
    let store = &ctx.data().store;
    match zone {
        Some(zone) => {
            let zone = Zone::parse(&zone).map_err(|error| Error::user(error.to_string()))?;
            store.set_member_zone(user, zone).await?;
            say(ctx, format!("Your new reminders now default to **{zone}**. Reminders you have keep their own zone.")).await
        }
        None => {
            let text = match store.member_zone(user).await? {
                Some(zone) => format!("Your time zone is **{zone}**."),
                None => "You have not saved a time zone. Save one with `/remind timezone zone:Europe/Berlin`, or give `tz` to each reminder.".to_owned(),
            };
            say(ctx, text).await
        }
    }
}

/// Your stats from the check-ins under your reminder DMs, kept apart from every server's.
#[poise::command(slash_command)]
async fn stats(ctx: Context<'_>) -> Result<(), Error> {
    let data = ctx.data();
    let user = UserId(ctx.author().id.get());
    let zone = data.store.member_zone(user).await?;
    let today = local_day(data.now(), zone.unwrap_or(Zone::UTC));
    let check_ins = data.store.check_ins_of(PERSONAL, user).await?;
    let stats = member_stats(&check_ins, today, WEEK_STARTS_ON);
    let mut card = super::stats::me_card(&stats, &data.catalog, today, zone);
    card.title = "Your reminder stats".to_owned();
    super::stats::show(ctx, card).await
}

/// The snooze and skip-today buttons under a reminder DM; only the reminder's member has them.
pub(super) async fn on_click(
    ctx: &serenity::Context,
    click: &serenity::ComponentInteraction,
    data: &Data,
    id: &str,
) -> Result<(), Error> {
    let button = parse_reminder_button(id).ok_or_else(|| {
        Error::user("This button is from an older version of the bot and no longer works.")
    })?;
    let schedule = match &button {
        ReminderButton::Snooze(_, schedule, _) | ReminderButton::SkipToday(schedule) => *schedule,
    };
    let user = UserId(click.user.id.get());
    let reminder = data
        .store
        .reminder(schedule)
        .await?
        .filter(|reminder| reminder.user == user)
        .ok_or_else(|| {
            Error::user("This reminder no longer exists. See yours with `/remind list`.")
        })?;
    let now = data.now();
    let content = match button {
        ReminderButton::Snooze(choice, _, stretch) => {
            let at = choice.until(now, reminder.posting.schedule.zone);
            data.store
                .set_snooze(schedule, Some(Snooze { at, stretch }))
                .await?;
            format!(
                "💤 Snoozed: I'll send it again {} ({}). Your regular reminders go on as before.",
                choice.label(),
                timestamp(at)
            )
        }
        ReminderButton::SkipToday(_) => {
            let mut posting = reminder.posting;
            posting.next_fire = next_after_today(&posting.schedule, now);
            data.store.update_schedule(&posting).await?;
            data.store.set_snooze(schedule, None).await?;
            format!(
                "Skipped for today. Next: {}",
                posting.next_fire.map_or("none".to_owned(), timestamp)
            )
        }
    };
    data.schedules_changed.notify_one();
    respond_privately(ctx, data, click, content).await
}

/// After a command: tells the member, once, of each reminder that paused because Discord would not
/// deliver its DMs (the DM itself could not say so).
pub async fn tell_of_paused_reminders(ctx: Context<'_>) {
    let user = UserId(ctx.author().id.get());
    let store = &ctx.data().store;
    let untold: Vec<Reminder> = match store.reminders_of(user).await {
        Ok(reminders) => reminders
            .into_iter()
            .filter(|r| r.posting.pause == Some(Pause::DmsClosed) && !r.pause_told)
            .collect(),
        Err(error) => {
            tracing::warn!(%error, "could not look for paused reminders to tell of");
            return;
        }
    };
    if untold.is_empty() {
        return;
    }
    let ids: Vec<String> = untold
        .iter()
        .map(|r| format!("**#{}**", r.posting.id))
        .collect();
    let text = format!(
        "⏸ Your reminder {} paused: {}.",
        ids.join(", "),
        Pause::DmsClosed
    );
    if let Err(error) = reply(
        ctx,
        poise::CreateReply::default().content(text).ephemeral(true),
    )
    .await
    {
        tracing::warn!(%error, "could not tell a member of their paused reminders");
        return;
    }
    for reminder in untold {
        if let Err(error) = store.set_pause_told(reminder.posting.id, true).await {
            tracing::warn!(%error, reminder = %reminder.posting.id, "could not record that the member was told");
        }
    }
}

async fn load(ctx: Context<'_>, id: i64) -> Result<Reminder, Error> {
    let user = UserId(ctx.author().id.get());
    ctx.data()
        .store
        .reminder(ScheduleId(id))
        .await?
        .filter(|reminder| reminder.user == user)
        .ok_or_else(|| no_such_reminder(id))
}

async fn save(ctx: Context<'_>, reminder: &Reminder) -> Result<(), Error> {
    ctx.data().store.update_schedule(&reminder.posting).await?;
    ctx.data().schedules_changed.notify_one();
    Ok(())
}

/// "09:00 mon-fri (Europe/Berlin) · seated, easy".
fn describe(reminder: &Reminder) -> String {
    let posting = &reminder.posting;
    let mut parts = vec![format!(
        "{} ({})",
        posting.schedule.cadence, posting.schedule.zone
    )];
    if !posting.filters.is_empty() {
        parts.push(posting.filters.summary());
    }
    parts.join(" · ")
}

fn status(reminder: &Reminder) -> String {
    let posting = &reminder.posting;
    let mut status = match posting.pause {
        Some(Pause::ByAdmin) => "⏸ Paused by you".to_owned(),
        Some(pause) => format!("⏸ Paused: {pause}"),
        None => match posting.next_fire {
            Some(next) => format!("▶ Next: {}", timestamp(next)),
            None => "No more reminders (the cadence has ended)".to_owned(),
        },
    };
    if let Some(snooze) = &reminder.snooze {
        status.push_str(&format!("\n💤 Snoozed until {}", timestamp(snooze.at)));
    }
    status
}

fn no_such_reminder(id: i64) -> Error {
    Error::user(format!(
        "You have no reminder #{id}. See the numbers with `/remind list`."
    ))
}
