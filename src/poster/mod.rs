//! The poster: wakes for the next due fire and posts each fire exactly once.
//!
//! This module owns the posting loop and everything it decides: when to wake (the store's next due fire,
//! an admin's change, or shutdown), which fire of a late schedule is still worth posting (the latest one
//! within the grace window; older ones are skipped, never sent as a burst), what a fire posts (the
//! rotation's next stretch, or a summary schedule's team stats of the fire's local week, which leaves the
//! rotation alone), the claim → send → confirm sequence with the fire's nonce, finishing claims that an earlier pass or run left unconfirmed, retrying
//! Discord's transient failures, and pausing schedules whose channel is unusable. Discord itself is behind
//! the [`PostSender`] seam (serenity's side is `crate::discord::sender`); the rules it applies (nonce,
//! post key, grace) come from [`crate::domain::posting`].
//!
//! Several processes may post from one store. Each finishes its own unconfirmed claims at once, and on
//! start every claim it finds (a crash's). Another process's claim it leaves alone while that process
//! may still be sending it, and finishes it, with the same nonce and the post-key search, once it has
//! stayed unconfirmed for [`TAKEOVER_AFTER`]: its process died.
//!
//! Each delivery ends in one log event carrying `schedule`, `fire`, `nonce` and `outcome` (`posted`,
//! `paused`, `given_up`, `rejected`, `retry_later`, `unrecorded`) as fields; never the post's text.

mod reminders;
#[cfg(test)]
mod tests;

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};
use std::convert::Infallible;
use std::future::Future;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use chrono::{DateTime, NaiveDate, TimeDelta, Utc};
use thiserror::Error;
use tokio::sync::Notify;

use crate::clock::TokioClock;

use crate::domain::catalog::{Catalog, Entry};
use crate::domain::participation::{TeamStats, WEEK_STARTS_ON, local_day};
use crate::domain::posting::{
    ChannelId, Claim, Due, Fire, GuildId, MessageId, Pause, PostKind, PostRecord, PostingSchedule,
    RoleId, ScheduleId, due,
};
use crate::domain::reminder::PERSONAL;
use crate::domain::rotation;
use crate::domain::schedule::{Schedule, Zone};
use crate::domain::store::{
    CatalogStore, ClaimOutcome, ReminderStore, StoreError, load_server_catalog, load_team_stats,
};

/// One post to send: what one fire posts, in the channel it was claimed for.
#[derive(Debug, Clone)]
pub struct Outgoing<'a> {
    pub channel: ChannelId,
    pub body: Body<'a>,
    /// Mentioned in the post, and the only thing the post may ping.
    pub role: Option<RoleId>,
    /// Gives the nonce and the post key the post carries.
    pub fire: Fire,
}

/// What a post shows.
#[derive(Debug, Clone, PartialEq)]
pub enum Body<'a> {
    /// A stretch of the day: a built-in entry borrowed, a server's own one owned.
    Stretch(Cow<'a, Entry>),
    /// A member's personal reminder, by DM: the stretch, with the snooze buttons.
    Reminder(Cow<'a, Entry>),
    /// A summary schedule's team stats.
    TeamSummary(Summary),
}

/// A team summary as sent: the stats of the week holding `today`, the fire's local day in `zone`, the
/// schedule's zone. Read when the post is sent, so a retry after a crash shows the numbers of then.
#[derive(Debug, Clone, PartialEq)]
pub struct Summary {
    pub stats: TeamStats,
    pub today: NaiveDate,
    pub zone: Zone,
}

/// Why Discord did not take a post (or a look for one).
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum SendError {
    #[error("the channel no longer exists (Discord error 10003)")]
    ChannelGone,
    #[error("the bot cannot see the channel (Discord error 50001)")]
    MissingAccess,
    #[error("the bot may not post in the channel (Discord error 50013)")]
    MissingPermissions,
    /// A reminder's member does not take DMs from the bot (DMs closed, or the bot blocked).
    #[error("the member does not take DMs from the bot (Discord error 50007)")]
    CannotDm,
    /// A 5xx, a 429 left after backing off, or a network failure: worth another try, with the same nonce.
    #[error("Discord failed or could not be reached: {0}")]
    Transient(String),
    /// A 4xx that retrying will not fix: a bug on our side.
    #[error("Discord refused the request: {0}")]
    Rejected(String),
}

/// How the poster reaches Discord.
pub trait PostSender: Send + Sync + 'static {
    /// Posts `post` with its fire's nonce, enforced, so that a repeat within Discord's nonce window
    /// returns the first message instead of posting a second.
    fn send(
        &self,
        post: &Outgoing<'_>,
    ) -> impl Future<Output = Result<MessageId, SendError>> + Send;

    /// A recent message of the bot in `channel` carrying `post_key`, if any.
    fn find_post(
        &self,
        channel: ChannelId,
        post_key: &str,
    ) -> impl Future<Output = Result<Option<MessageId>, SendError>> + Send;
}

/// Discord remembers a nonce for "a few minutes". A post whose first attempt may be older than this is
/// looked for in its channel before it is sent again.
const NONCE_WINDOW: TimeDelta = TimeDelta::minutes(3);

/// Waits between the attempts of one send (or look-up) that fails transiently; after the last, the post
/// stays claimed for a later wake.
const RETRY_BACKOFF: [Duration; 4] = [
    Duration::from_secs(1),
    Duration::from_secs(2),
    Duration::from_secs(4),
    Duration::from_secs(8),
];

/// Due schedules are claimed this many at a time: a third of a second of posts at the bot's pace keeps
/// the senders busy while the next batch is claimed, and the first post waits for few claims.
const CLAIM_BATCH: usize = 16;

/// When posts are left claimed, the poster wakes again after at most this long to finish them.
const FINISH_LATER: TimeDelta = TimeDelta::minutes(1);

/// How long another process's claim may stay unconfirmed before this process finishes it. Longer than a
/// live process holds one: two batches of [`CLAIM_BATCH`] at its share of the rate limit (2 s at 16 a
/// second, 11 s at 3) and the 15 s of [`RETRY_BACKOFF`]. Finishing one that is still in flight would
/// cost a request, not a second post: it carries the same nonce.
pub const TAKEOVER_AFTER: TimeDelta = TimeDelta::seconds(30);

/// The poster wakes at least this often. A long sleep is re-aimed at the wall clock (see
/// [`TokioClock::system`]), and a damaged far-future fire in the store cannot overflow tokio's timer.
const LONGEST_SLEEP: TimeDelta = TimeDelta::days(1);

/// The longest wait after the store fails, doubling from a second up to this.
const MAX_STORE_BACKOFF: TimeDelta = TimeDelta::minutes(5);

/// Missed fires are counted for the log up to this many, so that a long outage of a frequent cadence
/// costs little to report.
const MISSED_COUNT_LIMIT: usize = 1000;

/// The posting loop: build it, then [`Poster::run`] it.
pub struct Poster<S, P> {
    store: S,
    sender: P,
    catalog: Arc<Catalog>,
    grace: TimeDelta,
    clock: TokioClock,
    /// Notified by the admin commands, so that a new or edited schedule is not left waiting for whatever
    /// fire the poster was sleeping until. A change made while the poster is busy is not lost: `Notify`
    /// keeps the permit, and the poster looks again as soon as it is done.
    schedules_changed: Arc<Notify>,
    takeover_after: TimeDelta,
    claims: ClaimedHere,
}

/// What this run knows of the unconfirmed claims in the store.
#[derive(Default)]
struct ClaimsSeen {
    /// Whether a pass has run: the first takes every claim it finds, left by an earlier run.
    started: bool,
    /// This run's claims (its own, and others' it took over) left unconfirmed by the last pass.
    mine: HashSet<Fire>,
    /// Other processes' claims, with when this run first saw each unconfirmed.
    others: HashMap<Fire, DateTime<Utc>>,
    /// Claims this process made outside the poster ([`ClaimedHere::record`]), not yet taken in.
    claimed_here: Vec<Fire>,
}

impl ClaimsSeen {
    /// Takes in the claims made here since the last look: they are this run's, whoever saw them first.
    fn adopt_claimed_here(&mut self) {
        for fire in std::mem::take(&mut self.claimed_here) {
            self.others.remove(&fire);
            self.mine.insert(fire);
        }
    }
}

/// Lets the commands of this process hand the poster a post they claimed themselves (an admin's
/// post-now), so that the poster sends it at once instead of waiting the takeover delay it gives
/// another process's claims.
#[derive(Clone, Default)]
pub struct ClaimedHere(Arc<Mutex<ClaimsSeen>>);

impl ClaimedHere {
    /// Call after the claim is in the store, then wake the poster.
    pub fn record(&self, fire: Fire) {
        lock(&self.0).claimed_here.push(fire);
    }
}

/// A claimed fire on its way to Discord.
struct Delivery<'a> {
    post: Outgoing<'a>,
    /// For taking turns between guilds (and between the members of reminders: see
    /// [`reminders::turn_of`]).
    guild: GuildId,
    /// A claim from an earlier pass or run: it may have reached Discord already.
    may_have_been_sent: bool,
}

/// Where a delivery ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    /// Posted and confirmed, paused, or given up: nothing left to do for this fire.
    Settled,
    /// Still claimed and unconfirmed: a later wake finishes it, with the same nonce.
    LeftClaimed,
}

impl<S: ReminderStore + CatalogStore, P: PostSender> Poster<S, P> {
    /// `schedules_changed` is the `Notify` the admin commands call after any change to a schedule;
    /// `grace` is how late a missed fire may still be posted (`poster.grace_minutes`).
    pub fn new(
        store: S,
        sender: P,
        catalog: Arc<Catalog>,
        schedules_changed: Arc<Notify>,
        grace: TimeDelta,
        clock: TokioClock,
    ) -> Self {
        Self {
            store,
            sender,
            catalog,
            grace,
            clock,
            schedules_changed,
            takeover_after: TAKEOVER_AFTER,
            claims: ClaimedHere::default(),
        }
    }

    /// Finishes other processes' claims only after `delay` unconfirmed instead of [`TAKEOVER_AFTER`]:
    /// processes that wait different delays do not both finish a dead one's claims.
    pub fn taking_over_after(mut self, delay: TimeDelta) -> Self {
        self.takeover_after = delay;
        self
    }

    /// Shares this run's knowledge of claims with the commands, which record their own claims in it.
    pub fn sharing_claims(mut self, claims: ClaimedHere) -> Self {
        self.claims = claims;
        self
    }

    /// Posts until `shutdown` resolves, then stops at once. Stopping mid-post is safe: a claim not yet
    /// confirmed is finished by the next run, with the same nonce.
    pub async fn run(self, shutdown: impl Future<Output = ()>) {
        tokio::select! {
            () = shutdown => {}
            never = self.serve() => match never {},
        }
        tracing::info!("poster stopped");
    }

    async fn serve(&self) -> Infallible {
        let mut store_failures = 0;
        loop {
            let wake_at = match self.pass().await {
                Ok(wake_at) => {
                    store_failures = 0;
                    wake_at
                }
                Err(error) => {
                    // A damaged row fails every read of the due schedules until someone repairs it:
                    // back off rather than spin on it.
                    let wait = store_backoff(store_failures);
                    store_failures += 1;
                    tracing::error!(%error, retry_in_s = wait.num_seconds(), "the poster could not use the store");
                    Some(self.clock.now() + wait)
                }
            };
            self.sleep_until(wake_at).await;
        }
    }

    /// Sleeps until `wake_at` (at most [`LONGEST_SLEEP`]) or until schedules change.
    async fn sleep_until(&self, wake_at: Option<DateTime<Utc>>) {
        let latest = self.clock.now() + LONGEST_SLEEP;
        let at = wake_at.map_or(latest, |at| at.min(latest));
        tokio::select! {
            () = tokio::time::sleep_until(self.clock.instant_for(at)) => {}
            () = self.schedules_changed.notified() => {}
        }
    }

    /// One pass: finish the posts earlier passes left claimed, then post what is due, one post per
    /// schedule. Returns when to wake next.
    async fn pass(&self) -> Result<Option<DateTime<Utc>>, StoreError> {
        let unfinished = self.unfinished_posts().await?;
        let still_unfinished = self.deliver_all(unfinished).await;
        // One unfinished post per schedule at a time: while Discord fails, later fires wait unclaimed and
        // the grace window decides about them once it is back, instead of a backlog of claims going out
        // as a burst.
        let blocked: HashSet<ScheduleId> =
            still_unfinished.iter().map(|fire| fire.schedule).collect();
        let mut left_claimed = self.claim_and_deliver_due(&blocked).await?;
        let snoozed = self.claim_due_snoozes(self.clock.now()).await?;
        left_claimed.extend(self.deliver_all(snoozed).await);

        let now = self.clock.now();
        let next_due = earliest(
            self.store.next_due().await?,
            self.store.next_snooze().await?,
        );
        let wake_at = if still_unfinished.is_empty() && left_claimed.is_empty() {
            next_due
        } else {
            // A blocked schedule's next fire is already due: only a future one may come before the
            // retry.
            let finish_at = now + FINISH_LATER;
            Some(
                next_due
                    .filter(|due| *due > now)
                    .map_or(finish_at, |due| due.min(finish_at)),
            )
        };
        let takeover_at = self
            .watch_others(still_unfinished.into_iter().chain(left_claimed))
            .await?;
        Ok(earliest(wake_at, takeover_at))
    }

    /// After a pass: remembers the claims it `left` unconfirmed as this run's, notes other processes'
    /// unconfirmed claims, and returns when the first of those is due to be taken over.
    async fn watch_others(
        &self,
        left: impl Iterator<Item = Fire>,
    ) -> Result<Option<DateTime<Utc>>, StoreError> {
        let unconfirmed: HashSet<Fire> = self
            .store
            .unconfirmed()
            .await?
            .into_iter()
            .map(|record| record.claim.fire)
            .collect();
        let now = self.clock.now();
        let mut claims = lock(&self.claims.0);
        claims.started = true;
        claims.mine.extend(left);
        claims.mine.retain(|fire| unconfirmed.contains(fire));
        // After the pruning: a claim made here after `unconfirmed` was read is missing from it.
        claims.adopt_claimed_here();
        let ClaimsSeen { mine, others, .. } = &mut *claims;
        others.retain(|fire, _| unconfirmed.contains(fire));
        for fire in unconfirmed.iter().filter(|fire| !mine.contains(fire)) {
            others.entry(*fire).or_insert(now);
        }
        Ok(others
            .values()
            .min()
            .map(|seen| *seen + self.takeover_after))
    }

    /// Whether this pass finishes the unconfirmed claim of `fire`: this run's, any on the first pass,
    /// and another process's once it has stayed unconfirmed for the takeover delay, which makes it
    /// this run's.
    fn ours_to_finish(&self, fire: Fire, now: DateTime<Utc>) -> bool {
        let mut claims = lock(&self.claims.0);
        claims.adopt_claimed_here();
        let abandoned_by_its_process = claims
            .others
            .get(&fire)
            .is_some_and(|seen| now - *seen >= self.takeover_after);
        if !claims.started || abandoned_by_its_process {
            claims.others.remove(&fire);
            claims.mine.insert(fire);
        }
        claims.mine.contains(&fire)
    }

    /// The claimed-but-unconfirmed posts to finish now ([`Self::ours_to_finish`]), of a schedule that
    /// still posts. Given-up posts are abandoned in the store, so they are not among them.
    async fn unfinished_posts(&self) -> Result<Vec<Delivery<'_>>, StoreError> {
        let mut posts = Vec::new();
        let now = self.clock.now();
        for record in self.store.unconfirmed().await? {
            if !self.ours_to_finish(record.claim.fire, now) {
                continue;
            }
            // A removed schedule takes its posts with it; a paused one keeps its claim for when it
            // resumes, posted then if still within the grace window.
            let Some(schedule) = self
                .store
                .schedule(record.claim.fire.schedule)
                .await?
                .filter(|schedule| schedule.pause.is_none())
            else {
                continue;
            };
            if let Some(delivery) = self.delivery(&schedule, record, true).await? {
                posts.push(delivery);
            }
        }
        Ok(posts)
    }

    /// Claims the fire worth posting of every due schedule that is not `blocked` and delivers them, a
    /// batch at a time, claiming the next batch while the one before goes out. Claims take a disk sync
    /// each and sends wait for Discord's rate limit, so overlapping them lets 10,000 guilds due at once
    /// start posting at once: claiming them all first held the first post back 7.3 s in the fan-out
    /// benchmark (P1). Returns the fires left claimed.
    async fn claim_and_deliver_due(
        &self,
        blocked: &HashSet<ScheduleId>,
    ) -> Result<Vec<Fire>, StoreError> {
        let now = self.clock.now();
        let due: Vec<PostingSchedule> = self
            .store
            .due_schedules(now)
            .await?
            .into_iter()
            .filter(|schedule| !blocked.contains(&schedule.id))
            .collect();
        // Guilds take turns across batches too, not only within one.
        let due = fair_order(due, |schedule| {
            (
                schedule.next_fire.unwrap_or(now),
                reminders::turn_of(schedule),
            )
        });
        let mut batches = due.chunks(CLAIM_BATCH);
        let mut claimed = match batches.next() {
            Some(batch) => self.claim_batch(batch, now).await?,
            None => return Ok(Vec::new()),
        };
        let mut left_claimed = Vec::new();
        loop {
            let next = batches.next();
            let (left, next_claimed) = tokio::join!(self.deliver_all(claimed), async {
                match next {
                    Some(batch) => self.claim_batch(batch, now).await.map(Some),
                    None => Ok(None),
                }
            });
            left_claimed.extend(left);
            match next_claimed? {
                Some(batch) => claimed = batch,
                None => return Ok(left_claimed),
            }
        }
    }

    async fn claim_batch<'a>(
        &'a self,
        schedules: &[PostingSchedule],
        now: DateTime<Utc>,
    ) -> Result<Vec<Delivery<'a>>, StoreError> {
        let mut posts = Vec::new();
        for schedule in schedules {
            if let Some(delivery) = self.claim_latest(schedule, now).await? {
                posts.push(delivery);
            }
        }
        Ok(posts)
    }

    /// For a due schedule: skips the fires missed beyond the grace window and all but the latest within
    /// it, then claims that one with the rotation's next stretch. `None` when there is nothing to post.
    async fn claim_latest(
        &self,
        schedule: &PostingSchedule,
        now: DateTime<Utc>,
    ) -> Result<Option<Delivery<'_>>, StoreError> {
        let Some(next_fire) = schedule.next_fire else {
            return Ok(None);
        };
        let fire_at = |at| Fire {
            schedule: schedule.id,
            at,
        };
        let following = schedule.schedule.next_after(now);
        let Some(latest) = self.latest_within_grace(&schedule.schedule, next_fire, now) else {
            if self.store.skip(fire_at(next_fire), following).await? {
                crate::metrics::post_skipped();
                tracing::warn!(
                    schedule = %schedule.id,
                    guild = %schedule.guild,
                    first_missed = %next_fire,
                    missed = %missed_fires(&schedule.schedule, next_fire, now),
                    next = ?following,
                    "missed beyond the grace window; skipped"
                );
            }
            return Ok(None);
        };
        if latest > next_fire {
            // `false`: the schedule changed meanwhile; the next pass sees it as it is now.
            if !self.store.skip(fire_at(next_fire), Some(latest)).await? {
                return Ok(None);
            }
            tracing::info!(
                schedule = %schedule.id,
                guild = %schedule.guild,
                first_missed = %next_fire,
                missed = %missed_fires(&schedule.schedule, next_fire, latest),
                posting = %latest,
                "skipped missed fires; posting only the latest"
            );
        }
        let fire = fire_at(latest);
        // A summary leaves the rotation where it is: the next stretch post goes on from it.
        let (stretch, rotation) = match schedule.kind {
            PostKind::TeamSummary => (None, schedule.rotation.clone()),
            PostKind::Stretch => match rotation::next(
                self.catalog_of(schedule.guild).await?.entries(),
                &schedule.filters,
                &schedule.rotation,
            ) {
                Ok(pick) => (Some(pick.id), pick.state),
                Err(error) => {
                    tracing::warn!(schedule = %schedule.id, guild = %schedule.guild, %error, "nothing to post; fire skipped");
                    self.store.skip(fire, following).await?;
                    return Ok(None);
                }
            },
        };
        let claim = Claim { fire, stretch };
        match crate::metrics::claimed(self.store.claim(claim, rotation, following).await?) {
            ClaimOutcome::Claimed => {}
            // Claimed by an earlier run, which settled it: an edit has set the schedule back to it.
            ClaimOutcome::AlreadyClaimed(_) => {
                self.store.skip(fire, following).await?;
                return Ok(None);
            }
            // Edited, paused or removed meanwhile: the next pass sees it as it is now.
            ClaimOutcome::Stale => return Ok(None),
        }
        if let Due::PostLate { by } = due(latest, now, self.grace) {
            tracing::info!(schedule = %schedule.id, guild = %schedule.guild, fire = %latest, late_s = by.num_seconds(), "posting late");
        }
        // Read back rather than assumed: the claim holds the channel the schedule had in its transaction.
        match self.store.post(fire).await? {
            Some(record) => self.delivery(schedule, record, false).await,
            None => Ok(None),
        }
    }

    /// The catalog a schedule's server sees; reminders, of nobody's server, see the built-in one.
    async fn catalog_of(&self, guild: GuildId) -> Result<Cow<'_, Catalog>, StoreError> {
        if guild == PERSONAL {
            return Ok(Cow::Borrowed(&self.catalog));
        }
        load_server_catalog(&self.store, &self.catalog, guild).await
    }

    /// The latest fire from `next_fire` on that is at most `now` and not beyond the grace window.
    fn latest_within_grace(
        &self,
        schedule: &Schedule,
        next_fire: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Option<DateTime<Utc>> {
        // Fires before the window cannot be posted, so the walk starts at it: a long outage of a
        // frequent cadence costs no more than the window holds.
        let window_start = (now - self.grace).max(next_fire);
        std::iter::once(next_fire)
            .chain(schedule.fires_after(window_start))
            .take_while(|at| *at <= now)
            .filter(|at| !matches!(due(*at, now, self.grace), Due::Skip { .. }))
            .last()
    }

    /// A claimed post ready to deliver; `None` (and given up) when its stretch has left the catalog.
    async fn delivery(
        &self,
        schedule: &PostingSchedule,
        record: PostRecord,
        may_have_been_sent: bool,
    ) -> Result<Option<Delivery<'_>>, StoreError> {
        let fire = record.claim.fire;
        let body = match &record.claim.stretch {
            Some(stretch) => {
                let entry = match self.catalog_of(schedule.guild).await? {
                    Cow::Borrowed(catalog) => catalog.get(stretch.as_str()).map(Cow::Borrowed),
                    Cow::Owned(catalog) => catalog.get(stretch.as_str()).cloned().map(Cow::Owned),
                };
                let Some(entry) = entry else {
                    tracing::error!(schedule = %fire.schedule, fire = %fire.at, nonce = %fire.nonce(), outcome = "given_up", %stretch, "the claimed stretch is no longer in the catalog; its post is given up");
                    self.abandon(
                        fire,
                        format!("the stretch {stretch} is no longer in the catalog"),
                    )
                    .await;
                    return Ok(None);
                };
                if schedule.guild == PERSONAL {
                    Body::Reminder(entry)
                } else {
                    Body::Stretch(entry)
                }
            }
            None => {
                let zone = schedule.schedule.zone;
                let today = local_day(fire.at, zone);
                let stats =
                    load_team_stats(&self.store, schedule.guild, today, WEEK_STARTS_ON).await?;
                Body::TeamSummary(Summary { stats, today, zone })
            }
        };
        Ok(Some(Delivery {
            post: Outgoing {
                channel: record.channel,
                body,
                role: schedule.role,
                fire,
            },
            guild: reminders::turn_of(schedule),
            may_have_been_sent,
        }))
    }

    /// Delivers `posts` in fair order, four at a time so that one slow or retried post does not hold the
    /// rest back. Returns the fires left claimed.
    async fn deliver_all(&self, posts: Vec<Delivery<'_>>) -> Vec<Fire> {
        let queue = Mutex::new(
            fair_order(posts, |delivery| (delivery.post.fire.at, delivery.guild)).into_iter(),
        );
        let left_claimed = Mutex::new(Vec::new());
        let worker = || async {
            // Each worker takes the next post in order, so posts start in the order `fair_order` gave.
            loop {
                // Its own statement, so the lock is released before the delivery awaits anything.
                let Some(delivery) = lock(&queue).next() else {
                    break;
                };
                if self.deliver(&delivery).await == Outcome::LeftClaimed {
                    lock(&left_claimed).push(delivery.post.fire);
                }
            }
        };
        tokio::join!(worker(), worker(), worker(), worker());
        left_claimed
            .into_inner()
            .unwrap_or_else(PoisonError::into_inner)
    }

    async fn deliver(&self, delivery: &Delivery<'_>) -> Outcome {
        let post = &delivery.post;
        if delivery.may_have_been_sent {
            let now = self.clock.now();
            let too_late = matches!(due(post.fire.at, now, self.grace), Due::Skip { .. });
            // The first attempt was no earlier than the fire; once Discord may have forgotten its nonce,
            // only the post key in the channel tells whether it went out.
            if too_late || now - post.fire.at > NONCE_WINDOW {
                let key = post.fire.post_key();
                match self
                    .with_retries(post.fire, || self.sender.find_post(post.channel, &key))
                    .await
                {
                    Ok(Some(message)) => return self.confirm(post.fire, message).await,
                    Ok(None) => {}
                    Err(error) => return self.failed(post, error).await,
                }
            }
            if too_late {
                tracing::warn!(schedule = %post.fire.schedule, fire = %post.fire.at, nonce = %post.fire.nonce(), outcome = "given_up", "a claimed post never went out and is now beyond the grace window; given up");
                self.abandon(
                    post.fire,
                    "never sent, and now beyond the grace window".to_owned(),
                )
                .await;
                crate::metrics::post_skipped();
                return Outcome::Settled;
            }
        }
        match self
            .with_retries(post.fire, || self.sender.send(post))
            .await
        {
            Ok(message) => self.confirm(post.fire, message).await,
            Err(error) => self.failed(post, error).await,
        }
    }

    /// Runs `attempt` again after transient failures, waiting longer each time. A send carries the same
    /// nonce every time, so an attempt that reached Discord before failing is not posted twice.
    async fn with_retries<T, Fut>(
        &self,
        fire: Fire,
        mut attempt: impl FnMut() -> Fut,
    ) -> Result<T, SendError>
    where
        Fut: Future<Output = Result<T, SendError>>,
    {
        for wait in RETRY_BACKOFF {
            match attempt().await {
                Err(SendError::Transient(why)) => {
                    tracing::warn!(schedule = %fire.schedule, fire = %fire.at, %why, retry_in = ?wait, "Discord failed; retrying");
                    tokio::time::sleep(wait).await;
                }
                result => return result,
            }
        }
        attempt().await
    }

    async fn confirm(&self, fire: Fire, message: MessageId) -> Outcome {
        match self.store.confirm(fire, message).await {
            Ok(()) => {
                crate::metrics::post_sent(self.clock.now() - fire.at);
                tracing::info!(schedule = %fire.schedule, fire = %fire.at, nonce = %fire.nonce(), outcome = "posted", %message, "posted");
                Outcome::Settled
            }
            Err(error) => {
                // Sent but not recorded: the next wake finds it by nonce or post key and records it.
                tracing::error!(schedule = %fire.schedule, fire = %fire.at, nonce = %fire.nonce(), outcome = "unrecorded", %message, %error, "posted, but recording the post failed");
                Outcome::LeftClaimed
            }
        }
    }

    async fn failed(&self, post: &Outgoing<'_>, error: SendError) -> Outcome {
        let fire = post.fire;
        crate::metrics::post_failed(&error);
        match error {
            SendError::ChannelGone => self.pause(post, Pause::ChannelGone).await,
            SendError::MissingAccess => self.pause(post, Pause::MissingAccess).await,
            SendError::MissingPermissions => self.pause(post, Pause::MissingPermissions).await,
            // Paused, not retried: Discord would refuse every retry the same way.
            SendError::CannotDm => self.pause(post, Pause::DmsClosed).await,
            SendError::Transient(why) => {
                tracing::warn!(schedule = %fire.schedule, fire = %fire.at, nonce = %fire.nonce(), outcome = "retry_later", %why, "Discord kept failing; the post stays claimed for a later wake");
                Outcome::LeftClaimed
            }
            SendError::Rejected(why) => {
                tracing::error!(schedule = %fire.schedule, fire = %fire.at, nonce = %fire.nonce(), outcome = "rejected", channel = %post.channel, %why, "Discord rejected the post; this is a bug in the bot, and the post is given up");
                self.abandon(fire, format!("Discord rejected the post: {why}"))
                    .await;
                Outcome::Settled
            }
        }
    }

    /// Pauses the schedule of `post` with `reason`, which `/schedule list` then shows. The claim stays:
    /// resumed within the grace window, the schedule posts it.
    async fn pause(&self, post: &Outgoing<'_>, reason: Pause) -> Outcome {
        let fire = post.fire;
        let schedule = match self.store.schedule(fire.schedule).await {
            Ok(schedule) => schedule,
            Err(error) => {
                tracing::error!(schedule = %fire.schedule, fire = %fire.at, nonce = %fire.nonce(), outcome = "retry_later", %error, ?reason, "could not pause the schedule");
                return Outcome::LeftClaimed;
            }
        };
        let Some(mut schedule) = schedule.filter(|schedule| schedule.channel == post.channel)
        else {
            // Moved to another channel since this fire was claimed (or removed): the old channel's failure
            // says nothing about the schedule, but this post cannot go out.
            tracing::warn!(schedule = %fire.schedule, fire = %fire.at, nonce = %fire.nonce(), outcome = "given_up", channel = %post.channel, ?reason, "the post's channel is unusable; given up");
            self.abandon(
                fire,
                format!("its channel {} is unusable: {reason:?}", post.channel),
            )
            .await;
            return Outcome::Settled;
        };
        // A schedule paused meanwhile keeps its reason: an admin's pause is theirs to lift.
        if schedule.pause.is_some() {
            tracing::info!(schedule = %fire.schedule, fire = %fire.at, nonce = %fire.nonce(), outcome = "paused", ?reason, "the post waits: its schedule was paused meanwhile");
            return Outcome::Settled;
        }
        schedule.pause = Some(reason);
        if let Err(error) = self.store.update_schedule(&schedule).await {
            tracing::error!(schedule = %fire.schedule, fire = %fire.at, nonce = %fire.nonce(), outcome = "retry_later", %error, ?reason, "could not pause the schedule");
            return Outcome::LeftClaimed;
        }
        tracing::warn!(schedule = %fire.schedule, fire = %fire.at, nonce = %fire.nonce(), outcome = "paused", guild = %schedule.guild, channel = %post.channel, ?reason, "schedule paused: {reason}");
        Outcome::Settled
    }

    /// Records in the store that `fire` is given up, so that no process and no restart takes it again.
    async fn abandon(&self, fire: Fire, reason: String) {
        if let Err(error) = self.store.abandon(fire, reason).await {
            tracing::error!(schedule = %fire.schedule, fire = %fire.at, %error, "could not record the post as given up; it stays claimed, and a later wake tries it again");
        }
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // Nothing here panics while holding a lock; if something did, the data is still a plain collection.
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The earlier of two optional instants.
fn earliest(a: Option<DateTime<Utc>>, b: Option<DateTime<Utc>>) -> Option<DateTime<Utc>> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

/// Orders posts (or due schedules) by fire and, within one fire, takes turns between guilds (every
/// guild's first, then every guild's second…), so that a guild with many schedules cannot hold the others
/// back. Items tied on both keep their order.
fn fair_order<T>(items: Vec<T>, key: impl Fn(&T) -> (DateTime<Utc>, GuildId)) -> Vec<T> {
    let mut turns: HashMap<(DateTime<Utc>, GuildId), usize> = HashMap::new();
    let mut keyed: Vec<((DateTime<Utc>, usize), T)> = items
        .into_iter()
        .map(|item| {
            let (at, guild) = key(&item);
            let turn = turns.entry((at, guild)).or_default();
            *turn += 1;
            ((at, *turn), item)
        })
        .collect();
    keyed.sort_by_key(|(key, _)| *key);
    keyed.into_iter().map(|(_, item)| item).collect()
}

/// The fires of `schedule` from `first` (one of them) up to `end`, excluded, for the log: "1000 or more"
/// past [`MISSED_COUNT_LIMIT`].
fn missed_fires(schedule: &Schedule, first: DateTime<Utc>, end: DateTime<Utc>) -> String {
    let count = std::iter::once(first)
        .chain(schedule.fires_after(first))
        .take_while(|at| *at < end)
        .take(MISSED_COUNT_LIMIT)
        .count();
    if count == MISSED_COUNT_LIMIT {
        format!("{count} or more")
    } else {
        count.to_string()
    }
}

/// The wait after `failures` store failures in a row: 1 s, doubling, at most [`MAX_STORE_BACKOFF`].
fn store_backoff(failures: u32) -> TimeDelta {
    TimeDelta::seconds(1_i64 << failures.min(16)).min(MAX_STORE_BACKOFF)
}
