//! `/stats me | team | forget-me | hide-me` and the buttons of participation: "I did it" (on daily posts
//! and at the end of a timer), which records a member's check-in for their local day, and forget-me's
//! confirm and cancel. Also the team stats card, which the weekly summary post shares with `/stats team`.
//!
//! Days are counted in the zone of the schedule that posted the stretch for a daily post's button, and
//! in the server's default zone (UTC when none is set) for timers and for the stats themselves.

use chrono::{Days, NaiveDate};
use poise::serenity_prelude as serenity;

use crate::discord::buttons::{FORGET, parse_did_it};
use crate::discord::card::{Card, Field};
use crate::discord::reply::{Answer, reply, respond, respond_privately, say};
use crate::discord::{Context, Data, Error};
use crate::domain::catalog::{Catalog, StretchId};
use crate::domain::participation::{
    CheckIn, MemberStats, TeamStats, WEEK_STARTS_ON, local_day, member_stats, week_of,
};
use crate::domain::posting::{GuildId, ScheduleId, UserId};
use crate::domain::reminder::PERSONAL;
use crate::domain::schedule::Zone;
use crate::domain::store::{ReminderStore, Store, load_team_stats};

/// The longest bar of the per-day chart, in blocks; longer weeks are scaled down to it.
const LONGEST_BAR: u32 = 16;

/// Your streaks and check-ins, or the team's week; and your privacy choices.
#[poise::command(
    slash_command,
    guild_only,
    subcommands("me", "team", "forget_me", "hide_me"),
    subcommand_required
)]
pub async fn stats(_: Context<'_>) -> Result<(), Error> {
    Ok(())
}

/// Your streak, best streak, check-ins this week and in total, and favourite stretch (only you see it).
#[poise::command(slash_command, guild_only)]
async fn me(ctx: Context<'_>) -> Result<(), Error> {
    let (guild, zone, today) = where_and_when(ctx).await?;
    let data = ctx.data();
    let check_ins = data
        .store
        .check_ins_of(guild, UserId(ctx.author().id.get()))
        .await?;
    let stats = member_stats(&check_ins, today, WEEK_STARTS_ON);
    let catalog = data.catalog_in(ctx.guild_id()).await?;
    show(ctx, me_card(&stats, &catalog, today, zone)).await
}

/// This week's check-ins per day, members taking part, and the top streaks (only you see it).
#[poise::command(slash_command, guild_only)]
async fn team(ctx: Context<'_>) -> Result<(), Error> {
    // Ephemeral: one member's curiosity should not post the team's numbers to the channel for everyone.
    // Sharing them with the team is an admin's opt-in, the weekly summary schedule.
    let (guild, zone, today) = where_and_when(ctx).await?;
    let stats = load_team_stats(&ctx.data().store, guild, today, WEEK_STARTS_ON).await?;
    show(
        ctx,
        team_card(&stats, "Team stretch stats", today, &zone_line(zone)),
    )
    .await
}

/// The guild of a stats command, its zone if it has one, and today there (in UTC without one).
async fn where_and_when(ctx: Context<'_>) -> Result<(GuildId, Option<Zone>, NaiveDate), Error> {
    let guild = guild_of(ctx)?;
    let zone = ctx.data().store.guild_zone(guild).await?;
    let today = local_day(ctx.data().now(), zone.unwrap_or(Zone::UTC));
    Ok((guild, zone, today))
}

/// Shows a card to the member alone.
pub(super) async fn show(ctx: Context<'_>, card: Card) -> Result<(), Error> {
    reply(
        ctx,
        poise::CreateReply::default()
            .embed(card.embed())
            .ephemeral(true),
    )
    .await
}

/// Delete all your check-ins in this server (asks you to confirm first).
#[poise::command(slash_command, guild_only, rename = "forget-me")]
async fn forget_me(ctx: Context<'_>) -> Result<(), Error> {
    let guild = guild_of(ctx)?;
    let user = ctx.author().id;
    let stored = ctx
        .data()
        .store
        .check_ins_of(guild, UserId(user.get()))
        .await?
        .len();
    let reminders = ctx
        .data()
        .store
        .reminders_of(UserId(user.get()))
        .await?
        .len();
    if stored == 0 && reminders == 0 {
        return say(
            ctx,
            "You have no check-ins stored in this server and no reminders, so there is nothing to delete."
                .to_owned(),
        )
        .await;
    }
    let buttons = serenity::CreateActionRow::Buttons(vec![
        serenity::CreateButton::new(format!("{FORGET}:confirm:{user}"))
            .label("Delete my check-ins")
            .style(serenity::ButtonStyle::Danger),
        serenity::CreateButton::new(format!("{FORGET}:cancel:{user}"))
            .label("Cancel")
            .style(serenity::ButtonStyle::Secondary),
    ]);
    reply(
        ctx,
        poise::CreateReply::default()
            .content(format!(
                "This deletes all {} in this server: your streaks, totals and favourite start from zero, \
                 and it cannot be undone. Your hide-me choice stays as it is. It also deletes your {} \
                 with their check-ins and your saved zone.",
                plural(stored, "check-in"),
                plural(reminders, "personal reminder")
            ))
            .components(vec![buttons])
            .ephemeral(true),
    )
    .await
}

/// Keep your name out of team lists (/stats team, weekly summary); hidden:False lists you again.
#[poise::command(slash_command, guild_only, rename = "hide-me")]
async fn hide_me(
    ctx: Context<'_>,
    #[description = "True (default) to stay out of team lists, False to be listed again"]
    hidden: Option<bool>,
) -> Result<(), Error> {
    let guild = guild_of(ctx)?;
    let hidden = hidden.unwrap_or(true);
    ctx.data()
        .store
        .set_hidden(guild, UserId(ctx.author().id.get()), hidden)
        .await?;
    say(
        ctx,
        if hidden {
            "You're now left out of team lists (`/stats team` and the weekly summary). Your check-ins \
             still count in the team's totals, without your name. Undo it with `/stats hide-me hidden:False`."
        } else {
            "You're back in team lists: your streak can show up in `/stats team` and the weekly summary. \
             Hide again with `/stats hide-me`."
        }
        .to_owned(),
    )
    .await
}

/// Records the clicking member's check-in for their local day and tells them their streak.
pub(super) async fn on_did_it(
    ctx: &serenity::Context,
    click: &serenity::ComponentInteraction,
    data: &Data,
    id: &str,
) -> Result<(), Error> {
    let (stretch, schedule) = parse_did_it(id).ok_or_else(|| {
        Error::user("This button is from an older version of the bot and no longer works.")
    })?;
    // Pressed under a reminder DM: the member's own stats, apart from every server's.
    let guild = click
        .guild_id
        .map_or(PERSONAL, |guild| GuildId(guild.get()));
    let user = UserId(click.user.id.get());
    let zone = check_in_zone(data, guild, schedule).await?;
    let day = local_day(data.now(), zone);
    let catalog = data.catalog_in(click.guild_id).await?;
    let name = stretch_name(&catalog, &stretch).to_owned();
    let new = data
        .store
        .check_in(CheckIn {
            guild,
            user,
            day,
            stretch,
        })
        .await?;
    crate::metrics::check_in(new);
    let history = data.store.check_ins_of(guild, user).await?;
    let streak = member_stats(&history, day, WEEK_STARTS_ON).current;
    let day = day.format("%a %-d %b");
    let content = if new {
        format!(
            "✅ Nice work! **{name}** counts for today ({day}).\n🔥 Streak: {}. See all your stats with `/stats me`.",
            streak_words(streak)
        )
    } else {
        format!(
            "You've already checked in today ({day}), so this press isn't counted twice.\n🔥 Streak: {}.",
            streak_words(streak)
        )
    };
    respond_privately(ctx, data, click, content).await
}

/// The zone a check-in's day is read in: the posting schedule's while it exists in this guild, else the
/// guild's, else UTC.
async fn check_in_zone(
    data: &Data,
    guild: GuildId,
    schedule: Option<ScheduleId>,
) -> Result<Zone, Error> {
    if let Some(id) = schedule {
        let schedule = data.store.schedule(id).await?;
        if let Some(schedule) = schedule.filter(|schedule| schedule.guild == guild) {
            return Ok(schedule.schedule.zone);
        }
    }
    Ok(data.store.guild_zone(guild).await?.unwrap_or(Zone::UTC))
}

/// Forget-me's confirm and cancel. Only the member who asked can act on them.
pub(super) async fn on_forget(
    ctx: &serenity::Context,
    click: &serenity::ComponentInteraction,
    data: &Data,
    id: &str,
) -> Result<(), Error> {
    let expired =
        || Error::user("This button has expired. Run `/stats forget-me` again for a fresh one.");
    let (action, owner) = id.split_once(':').ok_or_else(expired)?;
    let owner: u64 = owner.parse().map_err(|_| expired())?;
    if click.user.id.get() != owner {
        return Err(Error::user(
            "Only the member who asked can press this. To delete your own check-ins, run `/stats forget-me`.",
        ));
    }
    let guild = click.guild_id.ok_or_else(expired)?;
    let content = match action {
        "confirm" => {
            let deleted = data
                .store
                .forget_member(GuildId(guild.get()), UserId(owner))
                .await?;
            let reminders = data.store.forget_reminders(UserId(owner)).await?;
            let personal = data.store.forget_member(PERSONAL, UserId(owner)).await?;
            format!(
                "Deleted {} and {} (with {} from reminder DMs, and your saved zone). Nothing about \
                 your participation is stored in this server any more.",
                plural(deleted, "check-in"),
                plural(reminders, "personal reminder"),
                plural(personal, "check-in")
            )
        }
        "cancel" => "Cancelled: nothing was deleted.".to_owned(),
        _ => return Err(expired()),
    };
    respond(
        ctx,
        data,
        click,
        Answer::Update(
            serenity::CreateInteractionResponseMessage::new()
                .content(content)
                .components(Vec::new()),
        ),
    )
    .await
}

/// The `/stats me` card.
pub(super) fn me_card(
    stats: &MemberStats,
    catalog: &Catalog,
    today: NaiveDate,
    zone: Option<Zone>,
) -> Card {
    let footer = format!(
        "{} Only your user id, the days and the stretches are stored; /stats forget-me deletes them.",
        zone_line(zone)
    );
    if stats.total == 0 {
        return Card {
            title: "Your stretch stats".to_owned(),
            description:
                "No check-ins yet. Press **✅ I did it** under a stretch of the day, or at the \
                          end of a timer, to start a streak."
                    .to_owned(),
            fields: Vec::new(),
            footer,
        };
    }
    let week = week_of(today, WEEK_STARTS_ON);
    let favourite = stats.favourite.as_ref().map_or_else(
        || "—".to_owned(),
        |stretch| stretch_name(catalog, stretch).to_owned(),
    );
    Card {
        title: "Your stretch stats".to_owned(),
        description: if stats.current > 0 {
            "Keep it going: one check-in a day keeps a streak alive.".to_owned()
        } else {
            "No current streak: check in today to start a new one.".to_owned()
        },
        fields: vec![
            field("🔥 Streak", streak_words(stats.current)),
            field("🏆 Best streak", streak_words(stats.best)),
            field(
                "📅 This week",
                format!(
                    "{} (since {})",
                    plural(stats.this_week as usize, "check-in"),
                    week.format("%a %-d %b")
                ),
            ),
            field("✅ Total", plural(stats.total as usize, "check-in")),
            field("⭐ Favourite stretch", favourite),
        ],
        footer,
    }
}

/// The team card of the week holding `today`: `/stats team`, and the weekly summary post under its own
/// `title`. `zone_line` says which zone the days are counted in.
pub fn team_card(stats: &TeamStats, title: &str, today: NaiveDate, zone_line: &str) -> Card {
    let first = week_of(today, WEEK_STARTS_ON);
    let most = stats.per_day.iter().copied().max().unwrap_or(0);
    let chart: Vec<String> = stats
        .per_day
        .iter()
        .enumerate()
        .map(|(offset, &count)| {
            let day = first + Days::new(offset as u64);
            let label = day.format("%a");
            if day > today {
                format!("{label}  ·")
            } else {
                format!("{label} {} {count}", bar(count, most))
            }
        })
        .collect();
    let total: u32 = stats.per_day.iter().sum();
    let top = if stats.top_streaks.is_empty() {
        "Nobody has a streak going yet: press **✅ I did it** under today's stretch.".to_owned()
    } else {
        stats
            .top_streaks
            .iter()
            .enumerate()
            .map(|(rank, (user, streak))| {
                format!("{}. <@{user}> · {}", rank + 1, streak_words(*streak))
            })
            .collect::<Vec<_>>()
            .join("\n")
    };
    Card {
        title: format!("{title} · week of {}", first.format("%a %-d %b %Y")),
        description: format!("Check-ins per day\n```\n{}\n```", chart.join("\n")),
        fields: vec![
            field("✅ Check-ins this week", total.to_string()),
            field("🙋 Members taking part", stats.members.to_string()),
            Field {
                name: "🔥 Top streaks".to_owned(),
                value: top,
                inline: false,
            },
        ],
        footer: format!(
            "{zone_line} Members who chose /stats hide-me count in the totals but are never named."
        ),
    }
}

/// Which zone days are counted in, for a card's footer: the server's, or UTC while it has none.
fn zone_line(zone: Option<Zone>) -> String {
    match zone {
        Some(zone) => format!("Days are counted in {zone}."),
        None => {
            "Days are counted in UTC: this server has no time zone yet (an admin can set one with \
                 /schedule timezone)."
                .to_owned()
        }
    }
}

/// `count` blocks, scaled so the busiest day gets at most [`LONGEST_BAR`]; a day with any check-in shows
/// at least one block.
fn bar(count: u32, most: u32) -> String {
    let blocks = if most <= LONGEST_BAR {
        u64::from(count)
    } else {
        (u64::from(count) * u64::from(LONGEST_BAR)).div_ceil(u64::from(most))
    };
    "█".repeat(blocks as usize)
}

fn field(name: &str, value: String) -> Field {
    Field {
        name: name.to_owned(),
        value,
        inline: true,
    }
}

/// A stretch's name, or its id if it has left the catalog since.
fn stretch_name<'a>(catalog: &'a Catalog, stretch: &'a StretchId) -> &'a str {
    catalog
        .get(stretch.as_str())
        .map_or(stretch.as_str(), |entry| entry.name.as_str())
}

fn streak_words(days: u32) -> String {
    plural(days as usize, "day")
}

fn plural(count: usize, noun: &str) -> String {
    if count == 1 {
        format!("1 {noun}")
    } else {
        format!("{count} {noun}s")
    }
}

fn guild_of(ctx: Context<'_>) -> Result<GuildId, Error> {
    ctx.guild_id()
        .map(|guild| GuildId(guild.get()))
        .ok_or_else(|| Error::user("Stats belong to a server; use this command in one."))
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::discord::card::limits;

    fn catalog() -> Catalog {
        Catalog::load_dir(&Path::new(env!("CARGO_MANIFEST_DIR")).join("content")).unwrap()
    }

    fn date(text: &str) -> NaiveDate {
        text.parse().unwrap()
    }

    #[test]
    fn the_me_card_shows_every_number_and_the_zone() {
        let stats = MemberStats {
            current: 3,
            best: 5,
            this_week: 2,
            total: 1,
            favourite: Some(StretchId::parse("cat-cow").unwrap()),
        };
        let card = me_card(
            &stats,
            &catalog(),
            date("2027-05-05"),
            Some(Zone::parse("Europe/Berlin").unwrap()),
        );
        let values: Vec<(&str, &str)> = card
            .fields
            .iter()
            .map(|f| (f.name.as_str(), f.value.as_str()))
            .collect();
        assert_eq!(
            values,
            [
                ("🔥 Streak", "3 days"),
                ("🏆 Best streak", "5 days"),
                ("📅 This week", "2 check-ins (since Mon 3 May)"),
                ("✅ Total", "1 check-in"),
                ("⭐ Favourite stretch", "Cat-Cow"),
            ]
        );
        assert!(card.footer.contains("Europe/Berlin"), "{}", card.footer);

        let empty = me_card(
            &MemberStats {
                current: 0,
                best: 0,
                this_week: 0,
                total: 0,
                favourite: None,
            },
            &catalog(),
            date("2027-05-05"),
            None,
        );
        assert!(
            empty.description.contains("I did it"),
            "{}",
            empty.description
        );
        assert!(empty.footer.contains("UTC"), "{}", empty.footer);
        assert!(
            empty.footer.contains("/schedule timezone"),
            "{}",
            empty.footer
        );
    }

    #[test]
    fn the_team_card_charts_the_week_and_names_the_top_streaks() {
        let stats = TeamStats {
            per_day: [1, 3, 2, 0, 0, 0, 0],
            members: 3,
            top_streaks: vec![(UserId(22), 3), (UserId(11), 1)],
        };
        // Wednesday: Thursday to Sunday have not happened yet.
        let card = team_card(
            &stats,
            "Team stretch stats",
            date("2027-05-05"),
            "Days are counted in UTC.",
        );
        assert_eq!(card.title, "Team stretch stats · week of Mon 3 May 2027");
        assert!(
            card.description
                .contains("Mon █ 1\nTue ███ 3\nWed ██ 2\nThu  ·\n"),
            "{}",
            card.description
        );
        assert_eq!(card.fields[0].value, "6");
        assert_eq!(card.fields[1].value, "3");
        assert_eq!(card.fields[2].value, "1. <@22> · 3 days\n2. <@11> · 1 day");
        assert!(card.footer.contains("hide-me"), "{}", card.footer);
        assert!(card.total_chars() <= limits::TOTAL);
    }

    #[test]
    fn a_busy_weeks_bars_are_scaled_down() {
        assert_eq!(bar(0, 400), "");
        assert_eq!(bar(1, 400).chars().count(), 1);
        assert_eq!(bar(400, 400).chars().count(), LONGEST_BAR as usize);
        assert_eq!(bar(5, 10).chars().count(), 5);
    }

    #[test]
    fn the_fullest_team_card_fits_discords_limits() {
        let stats = TeamStats {
            per_day: [u32::MAX / LONGEST_BAR; 7],
            members: usize::MAX,
            top_streaks: (0..10).map(|i| (UserId(u64::MAX - i), u32::MAX)).collect(),
        };
        let card = team_card(
            &stats,
            "Weekly stretch summary",
            date("2027-05-09"),
            &zone_line(None),
        );
        assert!(card.total_chars() <= limits::TOTAL);
        assert!(
            card.fields
                .iter()
                .all(|f| f.value.chars().count() <= limits::FIELD_VALUE)
        );
    }
}
