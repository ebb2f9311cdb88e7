//! The storage interface, in the domain's terms. The SQLite and PostgreSQL adapters (`crate::store`)
//! implement it.
//!
//! Every method is async so that adapters keep blocking work off the runtime; the domain itself does not
//! name a runtime.

use std::borrow::Cow;
use std::future::Future;

use std::collections::HashSet;

use chrono::{DateTime, Days, NaiveDate, Utc, Weekday};
use thiserror::Error;

use super::catalog::{Catalog, OwnEntry, StretchId};
use super::participation::{CheckIn, TeamStats, team_stats, week_of};
use super::posting::{
    ChannelId, Claim, Fire, GuildId, MessageId, NewSchedule, Pause, PostRecord, PostingSchedule,
    ScheduleId, UserId,
};
use super::reminder::{NewReminder, Reminder, Snooze};
use super::rotation::RotationState;
use super::schedule::Zone;

#[derive(Debug, Error)]
pub enum StoreError {
    /// A guild already has the most schedules it may have.
    #[error("this server already has {limit} schedules, the most allowed; remove one first")]
    TooManySchedules { limit: usize },
    /// A member already has the most reminders they may have.
    #[error(
        "You already have {limit} reminders, the most allowed; remove one with `/remind remove` first"
    )]
    TooManyReminders { limit: usize },
    #[error("no schedule {0} in this server")]
    NoSuchSchedule(ScheduleId),
    /// A guild already has the most own stretches it may have.
    #[error(
        "this server already has {limit} own stretches, the most allowed; remove one with `/catalog remove` first"
    )]
    TooManyOwnEntries { limit: usize },
    /// A guild already has an own stretch by this id.
    #[error(
        "this server already has its own stretch `{0}`; change it with `/catalog edit`, or pick another name"
    )]
    OwnEntryExists(StretchId),
    /// The database failed; the text is for logs, not for members.
    #[error("storage failed: {0}")]
    Backend(String),
}

/// The result of trying to claim a fire.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClaimOutcome {
    /// Ours to post: nothing had claimed it.
    Claimed,
    /// Claimed before (by an earlier run, before a crash): finish that post instead.
    AlreadyClaimed(PostRecord),
    /// The schedule changed since the fire was computed (edited, paused, removed): do nothing.
    Stale,
}

pub trait Store: Send + Sync + 'static {
    fn guild_zone(
        &self,
        guild: GuildId,
    ) -> impl Future<Output = Result<Option<Zone>, StoreError>> + Send;
    fn set_guild_zone(
        &self,
        guild: GuildId,
        zone: Zone,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Stores a new schedule, refusing a guild's 26th ([`super::posting::MAX_SCHEDULES_PER_GUILD`]).
    fn add_schedule(
        &self,
        new: NewSchedule,
        rotation: RotationState,
        next_fire: Option<DateTime<Utc>>,
    ) -> impl Future<Output = Result<PostingSchedule, StoreError>> + Send;
    /// A guild's schedules, oldest first.
    fn schedules_in(
        &self,
        guild: GuildId,
    ) -> impl Future<Output = Result<Vec<PostingSchedule>, StoreError>> + Send;
    fn schedule(
        &self,
        id: ScheduleId,
    ) -> impl Future<Output = Result<Option<PostingSchedule>, StoreError>> + Send;
    /// Replaces a schedule's settings (channel, cadence, role, filters, pause, next fire); the rotation is
    /// kept.
    fn update_schedule(
        &self,
        schedule: &PostingSchedule,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
    /// Removes a schedule of `guild`; false when there was none.
    fn remove_schedule(
        &self,
        guild: GuildId,
        id: ScheduleId,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;
    /// Pauses every schedule of a guild that is not paused already (the bot left it); returns how many.
    /// Schedules paused before keep their reason, so that resuming the guild does not resume what an
    /// admin paused.
    fn pause_guild(
        &self,
        guild: GuildId,
        pause: Pause,
    ) -> impl Future<Output = Result<usize, StoreError>> + Send;

    /// The earliest next fire of any schedule that is not paused: when the poster wakes.
    fn next_due(&self) -> impl Future<Output = Result<Option<DateTime<Utc>>, StoreError>> + Send;
    /// Schedules not paused whose next fire is at or before `until`, earliest first.
    fn due_schedules(
        &self,
        until: DateTime<Utc>,
    ) -> impl Future<Output = Result<Vec<PostingSchedule>, StoreError>> + Send;

    /// In one transaction: if the fire was claimed before, returns that record; otherwise, if the schedule
    /// is not paused and its next fire is still `claim.fire.at`, records the claim (in the schedule's
    /// current channel) and moves the schedule on (`rotation`, `next_fire`). Claiming a fire twice never
    /// records it twice.
    fn claim(
        &self,
        claim: Claim,
        rotation: RotationState,
        next_fire: Option<DateTime<Utc>>,
    ) -> impl Future<Output = Result<ClaimOutcome, StoreError>> + Send;
    /// An extra post an admin asked for (`/schedule post-now`): records the claim for `claim.fire` and moves
    /// the rotation on, leaving the schedule's next fire alone (paused or not). `Stale` when the schedule
    /// is gone.
    fn claim_extra(
        &self,
        claim: Claim,
        rotation: RotationState,
    ) -> impl Future<Output = Result<ClaimOutcome, StoreError>> + Send;
    /// Moves a schedule past a fire that is not posted (missed beyond the grace window), if it is not
    /// paused and its next fire is still `fire.at`; returns whether it moved.
    fn skip(
        &self,
        fire: Fire,
        next_fire: Option<DateTime<Utc>>,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;
    /// Records the message a claimed fire was posted as. Confirming again with the same message does
    /// nothing; a fire already confirmed as another message keeps the first and is a `Backend` error (it
    /// was posted twice). A fire with no claim on record (its schedule was removed meanwhile) has nothing
    /// to record.
    fn confirm(
        &self,
        fire: Fire,
        message: MessageId,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
    /// Records that the poster gave up a claimed fire, with why (for whoever reads the post log): it is
    /// no longer unconfirmed, so no process and no restart takes it up again. A fire with no claim on
    /// record, or confirmed meanwhile, keeps what it has.
    fn abandon(
        &self,
        fire: Fire,
        reason: String,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
    /// Claimed fires neither confirmed nor abandoned, whichever process claimed them: to finish after a
    /// crash or restart, by any process.
    fn unconfirmed(&self) -> impl Future<Output = Result<Vec<PostRecord>, StoreError>> + Send;
    fn post(
        &self,
        fire: Fire,
    ) -> impl Future<Output = Result<Option<PostRecord>, StoreError>> + Send;
    /// The stretch post sent in `channel` with the latest fire at or after `since` (`/stretch today`);
    /// team summaries, and posts still claimed or abandoned, do not count.
    fn latest_stretch_post(
        &self,
        channel: ChannelId,
        since: DateTime<Utc>,
    ) -> impl Future<Output = Result<Option<PostRecord>, StoreError>> + Send;

    /// Records a member's check-in for its day; false when they had checked in that day already, which
    /// keeps the first one (pressing twice counts once).
    fn check_in(&self, check_in: CheckIn) -> impl Future<Output = Result<bool, StoreError>> + Send;
    /// A member's check-ins in a guild, oldest day first.
    fn check_ins_of(
        &self,
        guild: GuildId,
        user: UserId,
    ) -> impl Future<Output = Result<Vec<CheckIn>, StoreError>> + Send;
    /// A guild's check-ins from `from` to `to`, both included, by day then member.
    fn check_ins_in(
        &self,
        guild: GuildId,
        from: NaiveDate,
        to: NaiveDate,
    ) -> impl Future<Output = Result<Vec<CheckIn>, StoreError>> + Send;
    /// Forget-me: deletes a member's check-ins in a guild; returns how many went. A hide-me setting stays,
    /// so that forgetting never makes a member visible again.
    fn forget_member(
        &self,
        guild: GuildId,
        user: UserId,
    ) -> impl Future<Output = Result<usize, StoreError>> + Send;
    /// Hide-me: keeps a member out of (or lets them back into) the guild's team lists.
    fn set_hidden(
        &self,
        guild: GuildId,
        user: UserId,
        hidden: bool,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
    /// The members of a guild who chose hide-me.
    fn hidden_members(
        &self,
        guild: GuildId,
    ) -> impl Future<Output = Result<HashSet<UserId>, StoreError>> + Send;
}

/// Personal reminders and members' own settings. A reminder's schedule is also one of [`Store`]'s
/// schedules (guild [`super::reminder::PERSONAL`]), so claiming, skipping, confirming, pausing and
/// resuming it go through [`Store`] as for any schedule.
pub trait ReminderStore: Store {
    fn member_zone(
        &self,
        user: UserId,
    ) -> impl Future<Output = Result<Option<Zone>, StoreError>> + Send;
    fn set_member_zone(
        &self,
        user: UserId,
        zone: Zone,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
    /// Stores a new reminder, refusing a member's sixth
    /// ([`super::reminder::MAX_REMINDERS_PER_MEMBER`]).
    fn add_reminder(
        &self,
        new: NewReminder,
        rotation: RotationState,
        next_fire: Option<DateTime<Utc>>,
    ) -> impl Future<Output = Result<Reminder, StoreError>> + Send;
    /// A member's reminders, oldest first.
    fn reminders_of(
        &self,
        user: UserId,
    ) -> impl Future<Output = Result<Vec<Reminder>, StoreError>> + Send;
    fn reminder(
        &self,
        id: ScheduleId,
    ) -> impl Future<Output = Result<Option<Reminder>, StoreError>> + Send;
    /// Removes a member's reminder with its post log; false when they have none by that id.
    fn remove_reminder(
        &self,
        user: UserId,
        id: ScheduleId,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;
    /// Sets (or with `None`, clears) a reminder's snooze.
    fn set_snooze(
        &self,
        id: ScheduleId,
        snooze: Option<Snooze>,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
    /// Reminders with a snooze due at or before `until`, earliest first.
    fn due_snoozes(
        &self,
        until: DateTime<Utc>,
    ) -> impl Future<Output = Result<Vec<Reminder>, StoreError>> + Send;
    /// The earliest pending snooze: the poster wakes for it too.
    fn next_snooze(&self)
    -> impl Future<Output = Result<Option<DateTime<Utc>>, StoreError>> + Send;
    /// Sets whether the member was told why the reminder paused.
    fn set_pause_told(
        &self,
        id: ScheduleId,
        told: bool,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
    /// Forget-me: deletes every reminder of a member (with their post logs) and their saved zone;
    /// returns how many reminders went.
    fn forget_reminders(
        &self,
        user: UserId,
    ) -> impl Future<Output = Result<usize, StoreError>> + Send;
}

/// A server's own stretches and the built-in ones it hid. They stay when the bot leaves the server.
pub trait CatalogStore: Store {
    /// A guild's own entries, by id.
    fn own_entries(
        &self,
        guild: GuildId,
    ) -> impl Future<Output = Result<Vec<OwnEntry>, StoreError>> + Send;
    /// Adds all of `entries` or none: none when one of their ids is taken in the guild
    /// ([`StoreError::OwnEntryExists`]) or the guild would have more than
    /// [`super::catalog::MAX_OWN_ENTRIES`] ([`StoreError::TooManyOwnEntries`]).
    fn add_own_entries(
        &self,
        guild: GuildId,
        entries: Vec<OwnEntry>,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
    /// Replaces the guild's own entry with `entry`'s id; false when it has none.
    fn replace_own_entry(
        &self,
        guild: GuildId,
        entry: OwnEntry,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;
    /// Removes a guild's own entry; false when it had none by that id.
    fn remove_own_entry(
        &self,
        guild: GuildId,
        id: StretchId,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;
    /// The built-in entries a guild hid.
    fn hidden_stretches(
        &self,
        guild: GuildId,
    ) -> impl Future<Output = Result<HashSet<StretchId>, StoreError>> + Send;
    /// Hides a built-in entry in a guild, or shows it again.
    fn set_stretch_hidden(
        &self,
        guild: GuildId,
        id: StretchId,
        hidden: bool,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
}

/// The catalog `guild` sees: `builtin` without what it hid, with its own entries; `builtin` itself
/// when it has neither, as most servers do.
pub async fn load_server_catalog<'c, S: CatalogStore>(
    store: &S,
    builtin: &'c Catalog,
    guild: GuildId,
) -> Result<Cow<'c, Catalog>, StoreError> {
    let own = store.own_entries(guild).await?;
    let hidden = store.hidden_stretches(guild).await?;
    Ok(if own.is_empty() && hidden.is_empty() {
        Cow::Borrowed(builtin)
    } else {
        Cow::Owned(builtin.for_server(&own, &hidden))
    })
}

/// How far back [`load_team_stats`] reads at first; most streaks are shorter, so one read usually does.
const FIRST_LOOKBACK_DAYS: u64 = 28;

/// A guild's [`TeamStats`] for the week holding `today`. `team_stats` needs each member's history back to
/// the start of their current streak: the read starts four weeks back and doubles its reach while anyone
/// checked in on its first day, since only then can a streak run past it.
pub async fn load_team_stats<S: Store>(
    store: &S,
    guild: GuildId,
    today: NaiveDate,
    week_start: Weekday,
) -> Result<TeamStats, StoreError> {
    let hidden = store.hidden_members(guild).await?;
    let first_of_week = week_of(today, week_start);
    // A check-in on a later day (a schedule in a zone ahead of the guild's) may still join a streak.
    let last = today + Days::new(1);
    let mut lookback = FIRST_LOOKBACK_DAYS;
    loop {
        let from = first_of_week
            .checked_sub_days(Days::new(lookback))
            .unwrap_or(NaiveDate::MIN);
        let check_ins = store.check_ins_in(guild, from, last).await?;
        let cut_short =
            from > NaiveDate::MIN && check_ins.iter().any(|check_in| check_in.day == from);
        if !cut_short {
            return Ok(team_stats(&check_ins, &hidden, today, week_start));
        }
        lookback = lookback.saturating_mul(2);
    }
}
