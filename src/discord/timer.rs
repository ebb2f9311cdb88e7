//! The guided timer on Discord: the timer message and its buttons, starting a timer (from
//! `/stretch timer` or a card's "Start timer" button) and members' clicks on its controls.
//!
//! How a timer outlives nothing it depends on: the timer message is the response to the interaction
//! that started it, and every change is an edit through that interaction's webhook
//! (`PATCH /webhooks/{app}/{token}/messages/@original`). Those edits are outside the bot's global rate
//! limit and each timer has a bucket of its own, so timers in one channel never slow one another. An
//! interaction's token lasts 15 minutes; a control click is answered with a deferred update and hands the
//! timer that click's fresh token. So the token a timer edits with is never older than the plan's
//! running time, and plans longer than [`MAX_PLAN_S`] are refused up front, with the reason.
//!
//! The message shows the picture of the current step (`TimedStep::picture`), uploaded with the edit
//! that first shows it: still one `PATCH` per change, as `multipart/form-data` whose `attachments` lists
//! only the new file, so Discord drops the one before. An edit whose step shows the same picture
//! uploads nothing and leaves `attachments` out, which keeps the message's file, and its embed names
//! that file again.

use std::future::Future;
use std::sync::{Arc, Mutex};

use poise::serenity_prelude as serenity;
use serenity::Builder as _;

use super::buttons::{TIMER_CONTROL, did_it_button, start_timer_button};
use super::card::truncate;
use super::limiter::{Limiter, Route};
use super::pictures::CardPictures;
use super::reply::{Answer, no_pings, respond};
use super::upload::{Picture, WithPicture, showing};
use super::{Data, Error};
use crate::domain::catalog::{Entry, SAFETY_LINE, StretchId, duration_in_words};
use crate::domain::posting::{ChannelId, UserId};
use crate::domain::timer_plan::{PlanSettings, StepKind, StepPicture, plan};
use crate::domain::timer_run::{Action, Ending, MAX_PAUSE, Status, TimerRun};
use crate::timer::{Screen, ShowError, StartError, TimerId, Timers};

/// The running timers of the bot, shown on Discord.
pub type DiscordTimers = Timers<DiscordScreen>;

/// The longest plan the bot times: 13 minutes, leaving two of the token's 15 for edits a rate limit
/// delays.
pub const MAX_PLAN_S: u32 = 13 * 60;

/// Cells of the progress bar.
const BAR_CELLS: usize = 12;
/// Room for the upcoming step's text; the current step's instruction gets the space.
const UPCOMING_CHARS: usize = 200;
/// Discord's 10015 Unknown Webhook, 10008 Unknown Message, 50027 Invalid Webhook Token: the timer
/// message is gone or can no longer be edited.
const GONE_CODES: [isize; 3] = [10015, 10008, 50027];

/// A timer's message, edited through the latest interaction token its member gave it.
pub struct DiscordScreen {
    http: Arc<serenity::Http>,
    limiter: Arc<Limiter>,
    token: Mutex<String>,
    id: TimerId,
    entry: Entry,
    owner: UserId,
    pictures: Arc<CardPictures>,
    /// The picture the message has now; `None` when it has none.
    shown: Mutex<Option<StepPicture>>,
}

impl DiscordScreen {
    /// Edits go through `token` from now on: a click's token is fresher than the one before.
    fn refresh_token(&self, token: &str) {
        *self.token.lock().unwrap_or_else(|e| e.into_inner()) = token.to_owned();
    }

    fn shown(&self) -> std::sync::MutexGuard<'_, Option<StepPicture>> {
        self.shown.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Screen for DiscordScreen {
    async fn show(&self, frame: &TimerRun) -> Result<(), ShowError> {
        let token = self.token.lock().unwrap_or_else(|e| e.into_inner()).clone();
        let (wanted, picture) = step_picture(&self.pictures, &self.entry, frame)
            .await
            .unzip();
        let view = TimerView::new(
            frame,
            &self.entry.name,
            self.entry.caution.as_deref(),
            self.owner,
        );
        let mut edit = serenity::EditInteractionResponse::new()
            .embed(showing(view.embed(), picture.as_ref()))
            .allowed_mentions(no_pings())
            .components(buttons(frame, self.id, &self.entry.id));
        if wanted != *self.shown() {
            edit = match &picture {
                Some(picture) => edit.with_picture(picture),
                None => edit.clear_attachments(),
            };
        }
        let result = self
            .limiter
            .send(Route::InteractionCallback, || {
                edit.clone().execute(&self.http, &token)
            })
            .await;
        match result {
            Ok(_) => {
                *self.shown() = wanted;
                Ok(())
            }
            Err(error) if is_gone(&error) => {
                tracing::info!(%error, "a timer's message is gone; the timer ends");
                Err(ShowError::Gone)
            }
            Err(error) => {
                tracing::warn!(%error, "could not update a timer message; trying again");
                Err(ShowError::Failed)
            }
        }
    }
}

/// The picture `run`'s current step shows, with which one it is; `None` when it has none, or it could
/// not be drawn (then the message has none either).
async fn step_picture(
    pictures: &CardPictures,
    entry: &Entry,
    run: &TimerRun,
) -> Option<(StepPicture, Picture)> {
    let which = run.current().picture?;
    Some((which, pictures.for_step(entry, which).await?))
}

fn is_gone(error: &serenity::Error) -> bool {
    matches!(
        error,
        serenity::Error::Http(serenity::HttpError::UnsuccessfulRequest(response))
            if GONE_CODES.contains(&response.error.code)
    )
}

/// Who starts a timer, from which interaction.
pub struct Starter {
    /// The starting interaction's id, which becomes the timer's.
    pub interaction: u64,
    pub token: String,
    pub member: UserId,
    pub channel: ChannelId,
}

/// Starts a timer for `entry`: checks its length and the limits, shows the first step through
/// `respond` (the reply to the starting interaction: the step's embed, showing its picture when there
/// is one, its buttons, and the picture to upload), then lets it run.
pub async fn start<F, Fut>(
    data: &Data,
    http: Arc<serenity::Http>,
    starter: Starter,
    entry: &Entry,
    pacing: &PlanSettings,
    respond: F,
) -> Result<(), Error>
where
    F: FnOnce(serenity::CreateEmbed, Vec<serenity::CreateActionRow>, Option<Picture>) -> Fut,
    Fut: Future<Output = Result<(), Error>>,
{
    let entry = &*crate::discord::card::shown(entry);
    let plan = plan(entry, pacing);
    if plan.total_s > MAX_PLAN_S {
        return Err(Error::user(format!(
            "The {} timer would run {}, longer than the {} a timer can run. Follow the steps on its card with `/stretch show` instead.",
            entry.name,
            duration_in_words(plan.total_s),
            duration_in_words(MAX_PLAN_S)
        )));
    }
    let reservation = data
        .timers
        .reserve(
            TimerId(starter.interaction),
            starter.member,
            starter.channel,
        )
        .map_err(|error| Error::User(start_refusal(error)))?;
    let run = TimerRun::start(Arc::new(plan), data.now());
    let view = TimerView::new(&run, &entry.name, entry.caution.as_deref(), starter.member);
    let (shown, picture) = step_picture(&data.pictures, entry, &run).await.unzip();
    let embed = showing(view.embed(), picture.as_ref());
    // Dropping the reservation on failure frees the member's place.
    respond(embed, buttons(&run, reservation.id(), &entry.id), picture).await?;
    let screen = DiscordScreen {
        http,
        limiter: Arc::clone(&data.limiter),
        token: Mutex::new(starter.token),
        id: reservation.id(),
        entry: entry.clone(),
        owner: starter.member,
        pictures: Arc::clone(&data.pictures),
        shown: Mutex::new(shown),
    };
    reservation.launch(run, Arc::new(screen));
    Ok(())
}

fn start_refusal(error: StartError) -> String {
    match error {
        StartError::MemberBusy { .. } => "You already have a timer running. Stop it with ⏹ on its message (or let it finish), then start this one.".to_owned(),
        StartError::ChannelFull { limit } => format!(
            "{limit} timers are already running in this channel, the most one channel gets. Start yours when one finishes, or in another channel."
        ),
        StartError::Full { limit } => format!(
            "The bot is running {limit} timers, as many as it can at once. Please try again in a few minutes."
        ),
        StartError::ShuttingDown => {
            "The bot is restarting. Please try again in a minute.".to_owned()
        }
    }
}

/// A click on "Start timer" under a card, a daily post or a finished timer.
pub async fn on_start_click(
    ctx: &serenity::Context,
    click: &serenity::ComponentInteraction,
    data: &Data,
    id: &str,
) -> Result<(), Error> {
    let catalog = data.catalog_in(click.guild_id).await?;
    let entry = catalog.get(id).ok_or_else(|| {
        Error::user("That stretch is no longer in the catalog. Pick another with `/stretch list`.")
    })?;
    let starter = Starter {
        interaction: click.id.get(),
        token: click.token.clone(),
        member: UserId(click.user.id.get()),
        channel: ChannelId(click.channel_id.get()),
    };
    start(
        data,
        Arc::clone(&ctx.http),
        starter,
        entry,
        &data.pacing,
        |embed, components, picture| {
            respond(
                ctx,
                data,
                click,
                Answer::Message(
                    serenity::CreateInteractionResponseMessage::new()
                        .embed(embed)
                        .components(components)
                        .with_picture_if_any(picture.as_ref()),
                ),
            )
        },
    )
    .await
}

/// A click on a timer's pause, resume, skip or stop.
pub async fn on_control_click(
    ctx: &serenity::Context,
    click: &serenity::ComponentInteraction,
    data: &Data,
    id: &str,
) -> Result<(), Error> {
    let (action, timer) = parse_control(id).ok_or_else(|| {
        Error::user("This button has expired. Start a new timer with `/stretch timer`.")
    })?;
    let handle = data.timers.get(timer).ok_or_else(|| {
        Error::user(
            "This timer has already ended. Start a new one with `/stretch timer` or the Start timer button on a card.",
        )
    })?;
    let member = UserId(click.user.id.get());
    let may_manage = click
        .member
        .as_ref()
        .and_then(|member| member.permissions)
        .is_some_and(|permissions| permissions.manage_messages());
    if member != handle.owner && !may_manage {
        return respond(
            ctx,
            data,
            click,
            Answer::Message(
                serenity::CreateInteractionResponseMessage::new()
                    .content(format!(
                        "This is <@{}>'s timer: only they, or someone who can manage messages, can control it. Start your own:",
                        handle.owner
                    ))
                    .components(vec![serenity::CreateActionRow::Buttons(vec![
                        start_timer_button(&handle.screen.entry.id),
                    ])])
                    .ephemeral(true),
            ),
        )
        .await;
    }
    // Acknowledged without a change: the timer's painter edits the message, so every change goes
    // through one place, in order.
    respond(ctx, data, click, Answer::Acknowledge).await?;
    handle.screen.refresh_token(&click.token);
    // `false`: the timer ended meanwhile, and its message already says so.
    handle.act(action).await;
    Ok(())
}

fn control_id(action: Action, timer: TimerId) -> String {
    format!("{TIMER_CONTROL}:{}:{}", action.as_str(), timer.0)
}

/// Parses what follows `timer:`.
fn parse_control(id: &str) -> Option<(Action, TimerId)> {
    let (action, timer) = id.split_once(':')?;
    Some((Action::parse(action)?, TimerId(timer.parse().ok()?)))
}

/// The timer message's buttons: the controls while it runs, "Start again" once it has ended.
fn buttons(run: &TimerRun, id: TimerId, stretch: &StretchId) -> Vec<serenity::CreateActionRow> {
    let control = |action: Action, label: &str, emoji: char, style| {
        serenity::CreateButton::new(control_id(action, id))
            .label(label)
            .emoji(emoji)
            .style(style)
    };
    let row = match run.status() {
        Status::Running { .. } => vec![
            control(
                Action::Pause,
                "Pause",
                '⏸',
                serenity::ButtonStyle::Secondary,
            ),
            control(
                Action::Skip,
                "Skip step",
                '⏭',
                serenity::ButtonStyle::Secondary,
            ),
            control(Action::Stop, "Stop", '⏹', serenity::ButtonStyle::Danger),
        ],
        Status::Paused { .. } => vec![
            control(
                Action::Resume,
                "Resume",
                '▶',
                serenity::ButtonStyle::Success,
            ),
            control(
                Action::Skip,
                "Skip step",
                '⏭',
                serenity::ButtonStyle::Secondary,
            ),
            control(Action::Stop, "Stop", '⏹', serenity::ButtonStyle::Danger),
        ],
        Status::Ended(Ending::Finished) => vec![
            did_it_button(stretch, None),
            start_timer_button(stretch).label("Start again"),
        ],
        Status::Ended(_) => vec![start_timer_button(stretch).label("Start again")],
    };
    vec![serenity::CreateActionRow::Buttons(row)]
}

/// A timer message as text, kept apart from serenity's builder so its wording and limits are tested
/// without Discord.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimerView {
    pub title: String,
    pub description: String,
    /// The stretch's own cautions, shown while it runs.
    pub caution: Option<String>,
    pub footer: String,
}

impl TimerView {
    pub fn new(run: &TimerRun, name: &str, caution: Option<&str>, owner: UserId) -> Self {
        // The finish step is not one a member does.
        let count = run.plan().steps.len() - 1;
        let number = (run.step_index() + 1).min(count);
        let (title, description, caution) = match run.status() {
            Status::Ended(ending) => {
                let took =
                    duration_in_words(u32::try_from(run.active_time().num_seconds()).unwrap_or(0));
                let (title, text) = match ending {
                    Ending::Finished => (
                        format!("✅ {name} · done"),
                        format!(
                            "Finished in {took}. Nice work, <@{owner}>! Press **I did it** to count it for today."
                        ),
                    ),
                    Ending::Stopped => (
                        format!("⏹ {name} · stopped"),
                        format!("Stopped at step {number} of {count}, after {took}."),
                    ),
                    Ending::PausedTooLong => (
                        format!("⏹ {name} · stopped"),
                        format!(
                            "Paused for {}, so it stopped by itself at step {number} of {count}.",
                            duration_in_words(MAX_PAUSE.num_seconds() as u32)
                        ),
                    ),
                    Ending::Interrupted => (
                        format!("⚠️ {name} · interrupted"),
                        format!(
                            "The bot restarted, so this timer stopped at step {number} of {count}. Start it again whenever you like."
                        ),
                    ),
                };
                (title, text, None)
            }
            Status::Running { step_ends_at } => {
                let finishing = run
                    .upcoming()
                    .is_none_or(|next| next.kind == StepKind::Finish);
                let what = if finishing { "Finishes" } else { "Next step" };
                let when = format!("{what} <t:{}:R>", step_ends_at.timestamp());
                going(run, name, caution, owner, when)
            }
            Status::Paused { left_in_step } => {
                let when = format!(
                    "⏸ **Paused** with {} left in this step. Press Resume when you are ready; it stops by itself after {}.",
                    duration_in_words(u32::try_from(left_in_step.num_seconds()).unwrap_or(0)),
                    duration_in_words(MAX_PAUSE.num_seconds() as u32)
                );
                going(run, name, caution, owner, when)
            }
        };
        TimerView {
            title: truncate(&title, super::card::limits::TITLE),
            description: truncate(&description, super::card::limits::DESCRIPTION),
            caution,
            footer: SAFETY_LINE.to_owned(),
        }
    }

    pub fn embed(&self) -> serenity::CreateEmbed {
        let embed = serenity::CreateEmbed::new()
            .title(&self.title)
            .description(&self.description)
            .colour(super::card::COLOUR)
            .footer(serenity::CreateEmbedFooter::new(&self.footer));
        match &self.caution {
            Some(caution) => embed.field("Take care", caution, false),
            None => embed,
        }
    }
}

/// The title, description and caution of a timer still going; `when` says when the step ends, or that
/// it is paused.
fn going(
    run: &TimerRun,
    name: &str,
    caution: Option<&str>,
    owner: UserId,
    when: String,
) -> (String, String, Option<String>) {
    let count = run.plan().steps.len() - 1;
    let step = run.current();
    let upcoming = match run.upcoming() {
        Some(next) if next.kind != StepKind::Finish => truncate(
            &format!("{} · {}", heading(next.kind, &next.progress()), next.text),
            UPCOMING_CHARS,
        ),
        _ => "done!".to_owned(),
    };
    let description = [
        heading(step.kind, &step.progress()),
        step.text.clone(),
        String::new(),
        when,
        progress_bar(run.plan_done_s(), run.plan().total_s),
        format!("**Up next:** {upcoming}"),
        format!("Timer of <@{owner}>"),
    ]
    .join("\n");
    (
        format!("⏱ {name} · step {} of {count}", run.step_index() + 1),
        description,
        caution.map(|caution| truncate(caution, super::card::limits::FIELD_VALUE)),
    )
}

/// `**Hold** · Left side · rep 2 of 5`
fn heading(kind: StepKind, progress: &str) -> String {
    let label = match kind {
        StepKind::GetReady => "Get ready".to_owned(),
        StepKind::Instruction { number } => format!("Instruction {number}"),
        StepKind::Hold => "Hold".to_owned(),
        StepKind::Move => "Move".to_owned(),
        StepKind::Release => "Release".to_owned(),
        StepKind::SwitchSide => "Switch sides".to_owned(),
        StepKind::Rest => "Rest".to_owned(),
        StepKind::Finish => "Done".to_owned(),
    };
    if progress.is_empty() {
        format!("**{label}**")
    } else {
        format!("**{label}** · {progress}")
    }
}

/// `▰▰▰▰▱▱▱▱▱▱▱▱ 35% · 1:05 of 3:05`
fn progress_bar(done_s: u32, total_s: u32) -> String {
    let total = total_s.max(1);
    let done = done_s.min(total);
    let filled = (done as usize * BAR_CELLS) / total as usize;
    format!(
        "{}{} {}% · {} of {}",
        "▰".repeat(filled),
        "▱".repeat(BAR_CELLS - filled),
        done * 100 / total,
        clock_time(done),
        clock_time(total)
    )
}

fn clock_time(seconds: u32) -> String {
    format!("{}:{:02}", seconds / 60, seconds % 60)
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use chrono::{TimeDelta, Utc};

    use super::*;
    use crate::domain::catalog::Catalog;
    use crate::domain::timer_plan::PlanSettings;

    fn catalog() -> Catalog {
        Catalog::load_dir(&Path::new(env!("CARGO_MANIFEST_DIR")).join("content")).unwrap()
    }

    /// Every frame of every catalog timer, running, paused and ended, fits Discord's embed limits and
    /// carries the safety line.
    #[test]
    fn every_frame_of_every_catalog_timer_fits_discord() {
        let owner = UserId(u64::MAX);
        let now = Utc::now();
        for entry in catalog().entries() {
            let plan = Arc::new(plan(entry, &PlanSettings::default()));
            assert!(
                plan.total_s <= MAX_PLAN_S,
                "{} is too long to time",
                entry.id
            );
            let mut run = TimerRun::start(plan.clone(), now);
            let mut frames = vec![run.clone()];
            for step in &plan.steps[1..] {
                run.advance(now + TimeDelta::seconds(i64::from(step.starts_at_s)));
                frames.push(run.clone());
                let mut paused = run.clone();
                paused.apply(
                    Action::Pause,
                    now + TimeDelta::seconds(i64::from(step.starts_at_s)),
                );
                frames.push(paused);
            }
            for frame in frames {
                let view = TimerView::new(&frame, &entry.name, entry.caution.as_deref(), owner);
                let total = [&view.title, &view.description, &view.footer]
                    .iter()
                    .map(|text| text.chars().count())
                    .sum::<usize>()
                    + view.caution.as_ref().map_or(0, |c| c.chars().count() + 9);
                assert!(total <= super::super::card::limits::TOTAL, "{view:?}");
                assert!(view.description.chars().count() <= 4096);
                assert!(view.title.chars().count() <= 256, "{}", view.title);
                assert_eq!(view.footer, SAFETY_LINE);
            }
        }
    }

    #[test]
    fn control_ids_round_trip_and_fit_discord() {
        for action in Action::ALL {
            let id = control_id(action, TimerId(u64::MAX));
            assert!(id.len() <= 100, "{id}");
            let rest = id.strip_prefix("timer:").unwrap();
            assert_eq!(parse_control(rest), Some((action, TimerId(u64::MAX))));
        }
        for tampered in [
            "",
            "pause",
            "pause:",
            "pause:x",
            "jump:1",
            "pause:1:2",
            "pause:-1",
        ] {
            assert_eq!(parse_control(tampered), None, "{tampered}");
        }
    }

    #[test]
    fn the_progress_bar_fills_with_the_plan() {
        assert_eq!(progress_bar(0, 90), "▱▱▱▱▱▱▱▱▱▱▱▱ 0% · 0:00 of 1:30");
        assert_eq!(progress_bar(45, 90), "▰▰▰▰▰▰▱▱▱▱▱▱ 50% · 0:45 of 1:30");
        assert_eq!(progress_bar(90, 90), "▰▰▰▰▰▰▰▰▰▰▰▰ 100% · 1:30 of 1:30");
        assert_eq!(progress_bar(5, 0), "▰▰▰▰▰▰▰▰▰▰▰▰ 100% · 0:01 of 0:01");
    }

    #[test]
    fn a_running_step_counts_down_to_its_end_and_names_what_comes_next() {
        let entry = catalog().get("cat-cow").unwrap().clone();
        let plan = Arc::new(plan(&entry, &PlanSettings::default()));
        let start: chrono::DateTime<Utc> = "2027-01-04T09:00:00Z".parse().unwrap();
        let run = TimerRun::start(plan.clone(), start);
        let view = TimerView::new(&run, &entry.name, None, UserId(7));
        let ends = start.timestamp() + i64::from(plan.steps[0].duration_s);
        assert!(
            view.description
                .contains(&format!("Next step <t:{ends}:R>")),
            "{}",
            view.description
        );
        assert!(view.description.contains("**Up next:** **Instruction 1**"));
        assert!(view.description.contains("Timer of <@7>"));
        assert_eq!(view.title, "⏱ Cat-Cow · step 1 of 10");
    }
}
