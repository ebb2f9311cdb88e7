//! The poster's rules, one test each, on tokio's paused clock: the real catalog, a real SQLite store, and
//! a fake Discord that records posts, honours nonces like Discord does, and fails on demand.

use std::collections::{HashMap, VecDeque};
use std::io;
use std::path::Path;
use std::sync::MutexGuard;

use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use super::*;
use crate::domain::catalog::{Difficulty, Filters, Position, StretchId};
use crate::domain::posting::{NewSchedule, PostState, UserId};
use crate::domain::rotation::RotationState;
use crate::domain::schedule::{Cadence, CronExpr, DailyTimes, Zone};
use crate::domain::store::Store;
use crate::store::SqliteStore;

mod reminders;

/// How long the fake remembers a nonce: Discord's "few minutes", longer than the poster relies on.
const NONCE_MEMORY: TimeDelta = TimeDelta::minutes(5);

/// The grace window the tests run with: the default of `poster.grace_minutes`.
const GRACE: TimeDelta = TimeDelta::minutes(30);

fn utc(text: &str) -> DateTime<Utc> {
    text.parse().unwrap()
}

fn daily(zone: &str, times: &str) -> Schedule {
    Schedule::new(
        Zone::parse(zone).unwrap(),
        Cadence::Daily(DailyTimes::parse(times, "daily").unwrap()),
    )
}

fn cron(zone: &str, expression: &str) -> Schedule {
    Schedule::new(
        Zone::parse(zone).unwrap(),
        Cadence::Cron(CronExpr::parse(expression).unwrap()),
    )
}

/// A schedule for any stretch, mentioning no role.
fn new_schedule(guild: u64, channel: u64, schedule: Schedule) -> NewSchedule {
    NewSchedule {
        guild: GuildId(guild),
        channel: ChannelId(channel),
        kind: PostKind::Stretch,
        schedule,
        role: None,
        filters: Filters::default(),
        created_by: UserId(7),
    }
}

/// A message in the fake's channels.
#[derive(Debug, Clone, PartialEq)]
struct Message {
    id: MessageId,
    channel: ChannelId,
    /// `None` for a team summary.
    stretch: Option<StretchId>,
    summary: Option<Summary>,
    role: Option<RoleId>,
    nonce: String,
    post_key: String,
    sent_at: DateTime<Utc>,
}

#[derive(Default)]
struct DiscordState {
    messages: Vec<Message>,
    /// The nonce of every send, failed ones included.
    attempts: Vec<String>,
    /// The post key of every look-up.
    lookups: Vec<String>,
    /// The next requests fail with these, in order.
    failures: VecDeque<SendError>,
    /// Every request to these channels fails so.
    broken: HashMap<ChannelId, SendError>,
}

impl DiscordState {
    fn refusal(&mut self, channel: ChannelId) -> Result<(), SendError> {
        if let Some(error) = self.broken.get(&channel) {
            return Err(error.clone());
        }
        self.failures.pop_front().map_or(Ok(()), Err)
    }
}

/// Discord as the poster sees it through the seam.
#[derive(Clone)]
struct FakeDiscord {
    clock: TokioClock,
    state: Arc<Mutex<DiscordState>>,
}

impl FakeDiscord {
    fn state(&self) -> MutexGuard<'_, DiscordState> {
        self.state.lock().unwrap()
    }

    fn messages(&self) -> Vec<Message> {
        self.state().messages.clone()
    }

    fn attempts(&self) -> Vec<String> {
        self.state().attempts.clone()
    }

    fn lookups(&self) -> Vec<String> {
        self.state().lookups.clone()
    }

    fn fail_next(&self, error: SendError, times: usize) {
        self.state()
            .failures
            .extend(std::iter::repeat_n(error, times));
    }

    fn break_channel(&self, channel: ChannelId, error: SendError) {
        self.state().broken.insert(channel, error);
    }

    fn repair_channel(&self, channel: ChannelId) {
        self.state().broken.remove(&channel);
    }
}

impl PostSender for FakeDiscord {
    async fn send(&self, post: &Outgoing<'_>) -> Result<MessageId, SendError> {
        let now = self.clock.now();
        let nonce = post.fire.nonce();
        let mut state = self.state();
        state.attempts.push(nonce.clone());
        state.refusal(post.channel)?;
        if let Some(first) = state.messages.iter().find(|message| {
            message.channel == post.channel
                && message.nonce == nonce
                && now - message.sent_at < NONCE_MEMORY
        }) {
            return Ok(first.id);
        }
        let id = MessageId(1000 + state.messages.len() as u64);
        state.messages.push(Message {
            id,
            channel: post.channel,
            stretch: match &post.body {
                Body::Stretch(entry) | Body::Reminder(entry) => Some(entry.id.clone()),
                Body::TeamSummary(_) => None,
            },
            summary: match &post.body {
                Body::Stretch(_) | Body::Reminder(_) => None,
                Body::TeamSummary(summary) => Some(summary.clone()),
            },
            role: post.role,
            nonce,
            post_key: post.fire.post_key(),
            sent_at: now,
        });
        Ok(id)
    }

    async fn find_post(
        &self,
        channel: ChannelId,
        post_key: &str,
    ) -> Result<Option<MessageId>, SendError> {
        let mut state = self.state();
        state.lookups.push(post_key.to_owned());
        state.refusal(channel)?;
        Ok(state
            .messages
            .iter()
            .rev()
            .filter(|message| message.channel == channel)
            .take(50)
            .find(|message| message.post_key == post_key)
            .map(|message| message.id))
    }
}

/// Everything a poster works with, kept across posters so that a test can "restart" the bot.
struct World {
    store: SqliteStore,
    discord: FakeDiscord,
    clock: TokioClock,
    catalog: Arc<Catalog>,
}

/// A started poster.
struct Running {
    schedules_changed: Arc<Notify>,
    claimed_here: ClaimedHere,
    stop: oneshot::Sender<()>,
    task: JoinHandle<()>,
}

impl Running {
    /// Stops the poster, failing the test unless it stops within a second of (paused) time.
    async fn stop(self) {
        self.stop.send(()).unwrap();
        tokio::time::timeout(Duration::from_secs(1), self.task)
            .await
            .expect("the poster stops promptly")
            .expect("the poster does not panic");
    }
}

impl World {
    /// A world with an empty store whose clock reads `start`.
    fn at(start: &str) -> Self {
        Self::with_store(SqliteStore::open_in_memory().unwrap(), start)
    }

    fn with_store(store: SqliteStore, start: &str) -> Self {
        let clock = TokioClock::starting_at(utc(start));
        Self {
            store,
            discord: FakeDiscord {
                clock,
                state: Arc::default(),
            },
            clock,
            catalog: Arc::new(
                Catalog::load_dir(&Path::new(env!("CARGO_MANIFEST_DIR")).join("content")).unwrap(),
            ),
        }
    }

    /// Stores a schedule as `/schedule add` does, waiting for its first fire after now.
    async fn add(&self, new: NewSchedule) -> PostingSchedule {
        let next_fire = new.schedule.next_after(self.clock.now());
        self.store
            .add_schedule(new, RotationState::new(7), next_fire)
            .await
            .unwrap()
    }

    fn start(&self) -> Running {
        let schedules_changed = Arc::new(Notify::new());
        let claimed_here = ClaimedHere::default();
        let poster = Poster::new(
            self.store.clone(),
            self.discord.clone(),
            Arc::clone(&self.catalog),
            Arc::clone(&schedules_changed),
            GRACE,
            self.clock,
        )
        .sharing_claims(claimed_here.clone());
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(poster.run(async {
            let _ = stopped.await;
        }));
        Running {
            schedules_changed,
            claimed_here,
            stop,
            task,
        }
    }

    /// Lets time run to a moment after `at`, once the poster has done what was due at `at`.
    async fn settle_at(&self, at: DateTime<Utc>) {
        tokio::time::sleep_until(self.clock.instant_for(at) + Duration::from_millis(1)).await;
    }

    async fn stored(&self, schedule: &PostingSchedule) -> PostingSchedule {
        self.store.schedule(schedule.id).await.unwrap().unwrap()
    }

    async fn post_state(&self, fire: Fire) -> PostState {
        self.store.post(fire).await.unwrap().unwrap().state
    }

    /// Claims a schedule's next fire as a poster would, without sending it: what a crash right after
    /// the claim leaves behind.
    /// The stretch `schedule` posts next, with the rotation after it.
    fn next_pick(&self, schedule: &PostingSchedule) -> rotation::Pick {
        rotation::next(
            self.catalog.entries(),
            &schedule.filters,
            &schedule.rotation,
        )
        .unwrap()
    }

    async fn claim_by_hand(&self, schedule: &PostingSchedule) -> Fire {
        let fire = Fire {
            schedule: schedule.id,
            at: schedule.next_fire.unwrap(),
        };
        let pick = self.next_pick(schedule);
        let outcome = self
            .store
            .claim(
                Claim {
                    fire,
                    stretch: Some(pick.id),
                },
                pick.state,
                schedule.schedule.next_after(fire.at),
            )
            .await
            .unwrap();
        assert_eq!(outcome, ClaimOutcome::Claimed);
        fire
    }

    /// Sends a claimed fire as an earlier run would have, before it crashed without confirming.
    async fn send_by_hand(&self, fire: Fire) -> MessageId {
        let record = self.store.post(fire).await.unwrap().unwrap();
        self.discord
            .send(&Outgoing {
                channel: record.channel,
                body: Body::Stretch(std::borrow::Cow::Borrowed(
                    self.catalog
                        .get(record.claim.stretch.unwrap().as_str())
                        .unwrap(),
                )),
                role: None,
                fire,
            })
            .await
            .unwrap()
    }
}

fn nonce(schedule: &PostingSchedule, at: DateTime<Utc>) -> String {
    Fire {
        schedule: schedule.id,
        at,
    }
    .nonce()
}

/// The log lines written while the guard lives, from this thread: the tests' runtime runs the poster on
/// it too.
#[derive(Clone, Default)]
struct Logs(Arc<Mutex<Vec<u8>>>);

impl io::Write for Logs {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Logs {
    fn capture() -> (Logs, tracing::subscriber::DefaultGuard) {
        let logs = Logs::default();
        let writer = logs.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_writer(move || writer.clone())
            .with_ansi(false)
            .finish();
        (logs, tracing::subscriber::set_default(subscriber))
    }

    fn lines_with(&self, text: &str) -> Vec<String> {
        String::from_utf8(self.0.lock().unwrap().clone())
            .unwrap()
            .lines()
            .filter(|line| line.contains(text))
            .map(str::to_owned)
            .collect()
    }
}

/// Checks that a message went out at `at`: not before, and not later than the moment it takes.
fn assert_sent_at(message: &Message, at: DateTime<Utc>) {
    assert!(
        message.sent_at >= at && message.sent_at - at < TimeDelta::seconds(1),
        "due at {at}, posted at {}",
        message.sent_at
    );
}

/// Walks through `fires`, checking that each one, and nothing else, is posted at its instant.
async fn assert_posts_at(world: &World, fires: &[&str]) {
    for fire in fires.iter().map(|fire| utc(fire)) {
        let posted_before = world.discord.messages().len();
        world.settle_at(fire - TimeDelta::seconds(1)).await;
        assert_eq!(
            world.discord.messages().len(),
            posted_before,
            "before {fire}"
        );
        world.settle_at(fire).await;
        let messages = world.discord.messages();
        assert_eq!(messages.len(), posted_before + 1, "at {fire}");
        assert_sent_at(&messages[posted_before], fire);
    }
}

#[tokio::test(start_paused = true)]
async fn posts_at_the_fire_instant_and_not_before() {
    let world = World::at("2027-03-15T06:00:00Z");
    let schedule = world
        .add(new_schedule(1, 10, daily("Europe/Berlin", "09:00")))
        .await;
    let _poster = world.start();

    // 09:00 in Berlin, still on winter time (UTC+1).
    let fire = utc("2027-03-15T08:00:00Z");
    assert_posts_at(&world, &["2027-03-15T08:00:00Z"]).await;

    let message = &world.discord.messages()[0];
    assert_eq!(message.nonce, nonce(&schedule, fire));
    assert_eq!(message.channel, ChannelId(10));
    let expected = rotation::next(
        world.catalog.entries(),
        &Filters::default(),
        &schedule.rotation,
    )
    .unwrap();
    assert_eq!(message.stretch, Some(expected.id), "the rotation's pick");
    let fire = Fire {
        schedule: schedule.id,
        at: fire,
    };
    assert_eq!(
        world.post_state(fire).await,
        PostState::Sent {
            message: message.id
        }
    );
    let moved = world.stored(&schedule).await;
    assert_eq!(moved.next_fire, Some(utc("2027-03-16T08:00:00Z")));
    assert_eq!(moved.rotation, expected.state);
}

#[tokio::test(start_paused = true)]
async fn a_schedule_across_a_dst_change_posts_at_the_right_instants() {
    // New York springs forward on 14 March 2027: 02:30 does not exist and goes out at 03:00 EDT.
    let spring = World::at("2027-03-13T00:00:00Z");
    spring
        .add(new_schedule(1, 10, daily("America/New_York", "02:30")))
        .await;
    let _poster = spring.start();
    assert_posts_at(
        &spring,
        &[
            "2027-03-13T07:30:00Z",
            "2027-03-14T07:00:00Z",
            "2027-03-15T06:30:00Z",
        ],
    )
    .await;

    // It falls back on 7 November 2027: 01:30 happens twice and is posted the first time only.
    let autumn = World::at("2027-11-06T00:00:00Z");
    autumn
        .add(new_schedule(1, 10, daily("America/New_York", "01:30")))
        .await;
    let _poster = autumn.start();
    assert_posts_at(
        &autumn,
        &[
            "2027-11-06T05:30:00Z",
            "2027-11-07T05:30:00Z",
            "2027-11-08T06:30:00Z",
        ],
    )
    .await;
}

#[tokio::test(start_paused = true)]
async fn schedules_due_together_all_post_once_taking_turns_between_guilds() {
    let world = World::at("2027-03-15T08:00:00Z");
    let nine = || daily("UTC", "09:00");
    let mut schedules = Vec::new();
    for (guild, channel) in [(1, 11), (1, 12), (1, 13), (2, 21), (2, 22), (3, 31)] {
        schedules.push(world.add(new_schedule(guild, channel, nine())).await);
    }
    let _poster = world.start();

    let fire = utc("2027-03-15T09:00:00Z");
    world.settle_at(fire).await;
    let channels: Vec<u64> = world
        .discord
        .messages()
        .iter()
        .map(|message| message.channel.0)
        .collect();
    assert_eq!(channels, [11, 21, 31, 12, 22, 13]);
    for schedule in &schedules {
        let fire = Fire {
            schedule: schedule.id,
            at: fire,
        };
        assert!(matches!(
            world.post_state(fire).await,
            PostState::Sent { .. }
        ));
    }

    world.settle_at(fire + TimeDelta::hours(1)).await;
    assert_eq!(world.discord.attempts().len(), 6, "each once");
}

#[tokio::test(start_paused = true)]
async fn a_claim_left_by_a_crash_before_sending_is_posted_once_with_its_nonce() {
    let world = World::at("2027-03-15T08:59:00Z");
    let schedule = world.add(new_schedule(1, 10, daily("UTC", "09:00"))).await;
    world.settle_at(utc("2027-03-15T09:00:00Z")).await;
    let fire = world.claim_by_hand(&schedule).await;
    let claimed = world.store.post(fire).await.unwrap().unwrap().claim.stretch;

    world.settle_at(utc("2027-03-15T09:01:00Z")).await;
    let _poster = world.start();
    world.settle_at(utc("2027-03-15T09:30:00Z")).await;

    let messages = world.discord.messages();
    assert_eq!(messages.len(), 1);
    assert_eq!(messages[0].nonce, fire.nonce());
    assert_eq!(messages[0].stretch, claimed, "the stretch of the claim");
    assert_eq!(world.discord.attempts().len(), 1);
    assert_eq!(
        world.post_state(fire).await,
        PostState::Sent {
            message: messages[0].id
        }
    );
}

#[tokio::test(start_paused = true)]
async fn a_claim_of_another_process_is_left_to_it_and_finished_once_it_stays_unconfirmed() {
    let world = World::at("2027-03-15T08:59:00Z");
    let ours = world.add(new_schedule(1, 10, daily("UTC", "09:00"))).await;
    let theirs = world.add(new_schedule(2, 20, daily("UTC", "09:00"))).await;
    let confirmed = world.add(new_schedule(3, 30, daily("UTC", "09:00"))).await;
    let _poster = world.start();
    world.settle_at(utc("2027-03-15T08:59:01Z")).await;
    // Another process, running alongside, claims two of the fires; it posts and confirms one of them
    // late, and dies before sending the other.
    let dead = world.claim_by_hand(&theirs).await;
    let alive = world.claim_by_hand(&confirmed).await;

    world.settle_at(utc("2027-03-15T09:00:00Z")).await;
    assert_eq!(
        world.discord.attempts(),
        [nonce(&ours, utc("2027-03-15T09:00:00Z"))]
    );
    let takeover = utc("2027-03-15T09:00:00Z") + TAKEOVER_AFTER;
    world.settle_at(takeover - TimeDelta::seconds(1)).await;
    assert_eq!(
        world.discord.attempts().len(),
        1,
        "in flight at the other process"
    );
    let message = world.send_by_hand(alive).await;
    world.store.confirm(alive, message).await.unwrap();

    world.settle_at(takeover).await;
    assert_eq!(
        world.discord.attempts()[1..],
        [nonce(&confirmed, alive.at), dead.nonce()],
        "the dead process's claim, with its nonce; not the one confirmed meanwhile"
    );
    let sent = world.discord.messages();
    assert_eq!(sent.len(), 3);
    assert_eq!(
        world.post_state(dead).await,
        PostState::Sent {
            message: sent[2].id
        }
    );
    assert!(world.store.unconfirmed().await.unwrap().is_empty());
}

#[tokio::test(start_paused = true)]
async fn a_post_claimed_by_a_command_of_this_process_is_sent_at_once_not_after_the_takeover_delay()
{
    let world = World::at("2027-03-15T08:59:00Z");
    let schedule = world.add(new_schedule(1, 10, daily("UTC", "09:00"))).await;
    let poster = world.start();
    world.settle_at(utc("2027-03-15T08:59:01Z")).await;
    // As `/schedule post-now` does: claim an extra post, hand it to the poster, wake it.
    let fire = Fire {
        schedule: schedule.id,
        at: utc("2027-03-15T08:59:01Z"),
    };
    let pick = world.next_pick(&schedule);
    let outcome = world
        .store
        .claim_extra(
            Claim {
                fire,
                stretch: Some(pick.id),
            },
            pick.state,
        )
        .await
        .unwrap();
    assert_eq!(outcome, ClaimOutcome::Claimed);
    poster.claimed_here.record(fire);
    poster.schedules_changed.notify_one();

    world.settle_at(utc("2027-03-15T08:59:03Z")).await;
    assert_eq!(
        world.discord.attempts(),
        [fire.nonce()],
        "sent within seconds"
    );
}

#[tokio::test(start_paused = true)]
async fn an_older_claim_that_never_went_out_is_looked_for_then_sent() {
    let world = World::at("2027-03-15T08:59:00Z");
    let schedule = world.add(new_schedule(1, 10, daily("UTC", "09:00"))).await;
    world.settle_at(utc("2027-03-15T09:00:00Z")).await;
    let fire = world.claim_by_hand(&schedule).await;

    // Past Discord's nonce window: only a look in the channel can tell whether it went out.
    world.settle_at(utc("2027-03-15T09:10:00Z")).await;
    let _poster = world.start();
    world.settle_at(utc("2027-03-15T09:10:00Z")).await;

    assert_eq!(world.discord.lookups(), [fire.post_key()]);
    assert_eq!(world.discord.attempts(), [fire.nonce()]);
    assert_eq!(world.discord.messages().len(), 1);
}

#[tokio::test(start_paused = true)]
async fn a_recent_post_whose_confirmation_was_lost_is_not_posted_again() {
    let world = World::at("2027-03-15T08:59:00Z");
    let schedule = world.add(new_schedule(1, 10, daily("UTC", "09:00"))).await;
    world.settle_at(utc("2027-03-15T09:00:00Z")).await;
    let fire = world.claim_by_hand(&schedule).await;
    let sent = world.send_by_hand(fire).await;

    world.settle_at(utc("2027-03-15T09:01:00Z")).await;
    let _poster = world.start();
    world.settle_at(utc("2027-03-15T09:01:00Z")).await;

    assert_eq!(
        world.discord.attempts(),
        [fire.nonce(), fire.nonce()],
        "sent again with the same nonce"
    );
    assert_eq!(
        world.discord.messages().len(),
        1,
        "Discord kept one message"
    );
    assert_eq!(
        world.post_state(fire).await,
        PostState::Sent { message: sent }
    );
}

#[tokio::test(start_paused = true)]
async fn an_old_post_whose_confirmation_was_lost_is_found_and_confirmed_without_sending() {
    let world = World::at("2027-03-15T08:59:00Z");
    let schedule = world.add(new_schedule(1, 10, daily("UTC", "09:00"))).await;
    world.settle_at(utc("2027-03-15T09:00:00Z")).await;
    let fire = world.claim_by_hand(&schedule).await;
    let sent = world.send_by_hand(fire).await;

    // Discord has forgotten the nonce by now: sending again would post twice.
    world.settle_at(utc("2027-03-15T09:10:00Z")).await;
    let _poster = world.start();
    world.settle_at(utc("2027-03-15T09:10:00Z")).await;

    assert_eq!(world.discord.lookups(), [fire.post_key()]);
    assert_eq!(world.discord.attempts().len(), 1, "only the earlier run's");
    assert_eq!(
        world.post_state(fire).await,
        PostState::Sent { message: sent }
    );
}

#[tokio::test(start_paused = true)]
async fn a_claim_that_never_went_out_is_given_up_beyond_the_grace_window() {
    let (logs, _guard) = Logs::capture();
    let world = World::at("2027-03-15T08:59:00Z");
    let schedule = world.add(new_schedule(1, 10, daily("UTC", "09:00"))).await;
    world.settle_at(utc("2027-03-15T09:00:00Z")).await;
    let fire = world.claim_by_hand(&schedule).await;

    world.settle_at(utc("2027-03-15T09:45:00Z")).await;
    let _poster = world.start();
    world.settle_at(utc("2027-03-15T09:45:00Z")).await;

    assert_eq!(world.discord.lookups(), [fire.post_key()], "looked for");
    assert!(world.discord.attempts().is_empty(), "not posted this late");
    assert_eq!(logs.lines_with("given up").len(), 1);
    assert_eq!(
        world.post_state(fire).await,
        PostState::Abandoned {
            reason: "never sent, and now beyond the grace window".to_owned()
        },
        "recorded in the store, so that no other process or restart takes it up"
    );

    // Given up once: the next day's post neither waits for it nor looks for it again.
    assert_posts_at(&world, &["2027-03-16T09:00:00Z"]).await;
    assert_eq!(world.discord.lookups().len(), 1);
}

#[tokio::test(start_paused = true)]
async fn a_fire_missed_within_the_grace_window_is_posted_late_once() {
    let (logs, _guard) = Logs::capture();
    let world = World::at("2027-03-15T08:59:00Z");
    let schedule = world.add(new_schedule(1, 10, daily("UTC", "09:00"))).await;

    // The bot was down from before the fire until 09:20.
    world.settle_at(utc("2027-03-15T09:20:00Z")).await;
    let _poster = world.start();
    world.settle_at(utc("2027-03-15T09:20:00Z")).await;

    let messages = world.discord.messages();
    assert_eq!(messages.len(), 1);
    assert_eq!(
        messages[0].nonce,
        nonce(&schedule, utc("2027-03-15T09:00:00Z"))
    );
    assert_eq!(logs.lines_with("posting late").len(), 1);

    world.settle_at(utc("2027-03-15T12:00:00Z")).await;
    assert_eq!(world.discord.attempts().len(), 1, "once");
    assert_posts_at(&world, &["2027-03-16T09:00:00Z"]).await;
}

#[tokio::test(start_paused = true)]
async fn a_fire_missed_beyond_the_grace_window_is_skipped_and_logged_and_the_next_is_on_time() {
    let (logs, _guard) = Logs::capture();
    let world = World::at("2027-03-15T08:59:00Z");
    let schedule = world.add(new_schedule(1, 10, daily("UTC", "09:00"))).await;

    world.settle_at(utc("2027-03-15T09:45:00Z")).await;
    let _poster = world.start();
    world.settle_at(utc("2027-03-15T09:45:00Z")).await;

    assert!(world.discord.attempts().is_empty());
    let skipped = logs.lines_with("missed beyond the grace window");
    assert_eq!(skipped.len(), 1, "{skipped:?}");
    assert!(
        skipped[0].contains(&format!("schedule={}", schedule.id)),
        "{}",
        skipped[0]
    );
    assert_eq!(
        world.stored(&schedule).await.next_fire,
        Some(utc("2027-03-16T09:00:00Z"))
    );
    assert_posts_at(&world, &["2027-03-16T09:00:00Z"]).await;
}

#[tokio::test(start_paused = true)]
async fn every_five_minutes_after_twenty_minutes_down_posts_one_late_post() {
    let (logs, _guard) = Logs::capture();
    let world = World::at("2027-03-15T08:59:00Z");
    let schedule = world
        .add(new_schedule(1, 10, cron("UTC", "*/5 * * * *")))
        .await;

    // Down from 09:00 to 09:22: the fires of 09:00, 09:05, 09:10, 09:15 and 09:20 were missed.
    world.settle_at(utc("2027-03-15T09:22:00Z")).await;
    let _poster = world.start();
    world.settle_at(utc("2027-03-15T09:22:00Z")).await;

    let messages = world.discord.messages();
    assert_eq!(messages.len(), 1, "{messages:?}");
    assert_eq!(
        messages[0].nonce,
        nonce(&schedule, utc("2027-03-15T09:20:00Z"))
    );
    let skipped = logs.lines_with("posting only the latest");
    assert_eq!(skipped.len(), 1, "{skipped:?}");
    assert!(skipped[0].contains("missed=4"), "{}", skipped[0]);

    assert_posts_at(&world, &["2027-03-15T09:25:00Z", "2027-03-15T09:30:00Z"]).await;
}

#[tokio::test(start_paused = true)]
async fn unusable_channels_pause_the_schedule_with_the_reason_and_stop_trying() {
    for (error, reason) in [
        (SendError::ChannelGone, Pause::ChannelGone),
        (SendError::MissingAccess, Pause::MissingAccess),
        (SendError::MissingPermissions, Pause::MissingPermissions),
    ] {
        let world = World::at("2027-03-15T08:59:00Z");
        let schedule = world.add(new_schedule(1, 10, daily("UTC", "09:00"))).await;
        world.discord.break_channel(ChannelId(10), error.clone());
        let _poster = world.start();

        world.settle_at(utc("2027-03-15T09:00:00Z")).await;
        assert_eq!(world.stored(&schedule).await.pause, Some(reason), "{error}");
        assert_eq!(world.discord.attempts().len(), 1, "{error}: not retried");

        world.settle_at(utc("2027-03-17T12:00:00Z")).await;
        assert_eq!(world.discord.attempts().len(), 1, "{error}: paused");
        assert!(world.discord.lookups().is_empty(), "{error}");
    }
}

#[tokio::test(start_paused = true)]
async fn transient_errors_are_retried_with_the_same_nonce_until_the_post_goes_out() {
    let world = World::at("2027-03-15T08:59:00Z");
    let schedule = world.add(new_schedule(1, 10, daily("UTC", "09:00"))).await;
    world
        .discord
        .fail_next(SendError::Transient("502 Bad Gateway".to_owned()), 2);
    let _poster = world.start();

    let fire = utc("2027-03-15T09:00:00Z");
    world.settle_at(fire + TimeDelta::minutes(1)).await;
    assert_eq!(world.discord.attempts(), vec![nonce(&schedule, fire); 3]);
    let messages = world.discord.messages();
    assert_eq!(messages.len(), 1);
    // After waiting 1 s, then 2 s.
    assert_sent_at(&messages[0], fire + TimeDelta::seconds(3));
}

#[tokio::test(start_paused = true)]
async fn a_post_that_keeps_failing_stays_claimed_and_goes_out_at_a_later_wake() {
    let world = World::at("2027-03-15T08:59:00Z");
    let schedule = world.add(new_schedule(1, 10, daily("UTC", "09:00"))).await;
    world
        .discord
        .fail_next(SendError::Transient("connection reset".to_owned()), 5);
    let _poster = world.start();

    let fire = utc("2027-03-15T09:00:00Z");
    world.settle_at(fire + TimeDelta::seconds(30)).await;
    assert_eq!(
        world.discord.attempts().len(),
        5,
        "1 s, 2 s, 4 s, 8 s apart"
    );
    let claimed = Fire {
        schedule: schedule.id,
        at: fire,
    };
    assert_eq!(world.post_state(claimed).await, PostState::Claimed);

    world.settle_at(fire + TimeDelta::minutes(2)).await;
    assert_eq!(world.discord.attempts(), vec![claimed.nonce(); 6]);
    let messages = world.discord.messages();
    assert_eq!(messages.len(), 1);
    assert_eq!(
        world.post_state(claimed).await,
        PostState::Sent {
            message: messages[0].id
        }
    );
}

#[tokio::test(start_paused = true)]
async fn while_discord_fails_a_schedule_holds_one_claim_and_recovers_without_a_burst() {
    let world = World::at("2027-03-15T08:59:00Z");
    let schedule = world
        .add(new_schedule(1, 10, cron("UTC", "*/5 * * * *")))
        .await;
    let outage = SendError::Transient("503 Service Unavailable".to_owned());
    world.discord.break_channel(ChannelId(10), outage);
    let _poster = world.start();

    // Failing from 09:00 to 09:20:30: the 09:00 fire is claimed and retried; the four after it wait.
    world.settle_at(utc("2027-03-15T09:20:30Z")).await;
    assert!(world.discord.messages().is_empty());
    let tried: HashSet<String> = world.discord.attempts().into_iter().collect();
    assert_eq!(
        tried,
        HashSet::from([nonce(&schedule, utc("2027-03-15T09:00:00Z"))])
    );
    assert_eq!(world.store.unconfirmed().await.unwrap().len(), 1);

    world.discord.repair_channel(ChannelId(10));
    world.settle_at(utc("2027-03-15T09:24:00Z")).await;
    let posted: Vec<String> = world
        .discord
        .messages()
        .into_iter()
        .map(|message| message.nonce)
        .collect();
    assert_eq!(
        posted,
        [
            nonce(&schedule, utc("2027-03-15T09:00:00Z")),
            nonce(&schedule, utc("2027-03-15T09:20:00Z"))
        ],
        "the claim it held, then the latest fire only"
    );
    assert_posts_at(&world, &["2027-03-15T09:25:00Z"]).await;
}

#[tokio::test(start_paused = true)]
async fn a_rejected_post_is_logged_loudly_and_not_tried_again() {
    let (logs, _guard) = Logs::capture();
    let world = World::at("2027-03-15T08:59:00Z");
    let schedule = world.add(new_schedule(1, 10, daily("UTC", "09:00"))).await;
    world.discord.fail_next(
        SendError::Rejected("400 (code 50035): Invalid Form Body".to_owned()),
        1,
    );
    let _poster = world.start();

    world.settle_at(utc("2027-03-16T09:00:00Z")).await;
    assert_eq!(
        world.discord.attempts(),
        [
            nonce(&schedule, utc("2027-03-15T09:00:00Z")),
            nonce(&schedule, utc("2027-03-16T09:00:00Z"))
        ],
        "the next day's post, and no second try of the rejected one"
    );
    let rejected = logs.lines_with("Discord rejected the post");
    assert_eq!(rejected.len(), 1);
    assert!(rejected[0].contains("ERROR"), "{}", rejected[0]);
    let first = Fire {
        schedule: schedule.id,
        at: utc("2027-03-15T09:00:00Z"),
    };
    assert!(
        matches!(
            world.post_state(first).await,
            PostState::Abandoned { reason } if reason.contains("Invalid Form Body")
        ),
        "recorded in the store, so that no other process or restart takes it up"
    );
}

#[tokio::test(start_paused = true)]
async fn a_rotation_with_nothing_eligible_skips_the_fire_with_a_warning() {
    let (logs, _guard) = Logs::capture();
    let world = World::at("2027-03-15T08:59:00Z");
    let filters = Filters {
        position: Some(Position::Seated),
        difficulty: Some(Difficulty::Advanced),
        ..Filters::default()
    };
    assert!(
        !world
            .catalog
            .entries()
            .iter()
            .any(|entry| filters.matches(entry)),
        "the test needs filters that match nothing"
    );
    let schedule = world
        .add(NewSchedule {
            filters,
            ..new_schedule(1, 10, daily("UTC", "09:00"))
        })
        .await;
    let _poster = world.start();

    world.settle_at(utc("2027-03-15T09:00:00Z")).await;
    assert!(world.discord.attempts().is_empty());
    let warnings = logs.lines_with("nothing to post");
    assert_eq!(warnings.len(), 1);
    assert!(warnings[0].contains("WARN"), "{}", warnings[0]);
    assert!(
        warnings[0].contains(&format!("schedule={}", schedule.id)),
        "{}",
        warnings[0]
    );
    assert_eq!(
        world.stored(&schedule).await.next_fire,
        Some(utc("2027-03-16T09:00:00Z"))
    );
}

#[tokio::test(start_paused = true)]
async fn the_poster_wakes_early_when_told_of_a_new_schedule() {
    let world = World::at("2027-03-15T08:00:00Z");
    world.add(new_schedule(1, 10, daily("UTC", "23:00"))).await;
    let poster = world.start();

    // The poster now sleeps until 23:00; a schedule for 08:30 arrives.
    world.settle_at(utc("2027-03-15T08:10:00Z")).await;
    let early = world.add(new_schedule(2, 20, daily("UTC", "08:30"))).await;
    poster.schedules_changed.notify_one();

    world.settle_at(utc("2027-03-15T08:30:00Z")).await;
    let messages = world.discord.messages();
    assert_eq!(messages.len(), 1);
    assert_eq!(
        messages[0].nonce,
        nonce(&early, utc("2027-03-15T08:30:00Z"))
    );
    assert_sent_at(&messages[0], utc("2027-03-15T08:30:00Z"));
}

#[tokio::test(start_paused = true)]
async fn shutdown_stops_the_poster_promptly() {
    let world = World::at("2027-03-15T08:00:00Z");
    world.add(new_schedule(1, 10, daily("UTC", "09:00"))).await;
    let poster = world.start();
    world.settle_at(utc("2027-03-15T08:30:00Z")).await;

    poster.stop().await;
    world.settle_at(utc("2027-03-15T09:30:00Z")).await;
    assert!(world.discord.attempts().is_empty(), "stopped for good");
}

#[tokio::test(start_paused = true)]
async fn a_schedule_that_fails_to_load_is_logged_and_retried_with_backoff() {
    let (logs, _guard) = Logs::capture();
    let folder = tempfile::tempdir().unwrap();
    let path = folder.path().join("stretchbot.sqlite3");
    let world = World::with_store(SqliteStore::open(&path).unwrap(), "2027-03-15T08:59:00Z");
    let schedule = world.add(new_schedule(1, 10, daily("UTC", "09:00"))).await;
    let database = rusqlite::Connection::open(&path).unwrap();
    database
        .execute("UPDATE schedules SET zone = 'Mars/Olympus_Mons'", [])
        .unwrap();
    let _poster = world.start();

    world.settle_at(utc("2027-03-15T09:10:00Z")).await;
    let failures = logs.lines_with("could not use the store");
    // Waits of 1, 2, 4 … 256 s put ten attempts in the first ten minutes; spinning would be thousands.
    assert_eq!(failures.len(), 10, "{failures:?}");
    assert!(failures[0].contains("column zone"), "{}", failures[0]);

    // Repaired, it is picked up at the next attempt (the wait is at most five minutes), late but within
    // the grace window.
    database
        .execute("UPDATE schedules SET zone = 'UTC'", [])
        .unwrap();
    world.settle_at(utc("2027-03-15T09:16:00Z")).await;
    let messages = world.discord.messages();
    assert_eq!(messages.len(), 1);
    assert_eq!(
        messages[0].nonce,
        nonce(&schedule, utc("2027-03-15T09:00:00Z"))
    );
}

#[tokio::test(start_paused = true)]
async fn a_team_summary_posts_the_week_of_its_local_day_and_leaves_the_rotation() {
    use crate::domain::participation::CheckIn;

    // Sunday 20:00 in Honolulu is already Monday in UTC: the summary is of the local week, which ends
    // that Sunday.
    let world = World::at("2027-05-10T05:00:00Z");
    let schedule = world
        .add(NewSchedule {
            kind: PostKind::TeamSummary,
            ..new_schedule(1, 10, cron("Pacific/Honolulu", "0 20 * * SUN"))
        })
        .await;
    let check_in = |user: u64, day: &str| CheckIn {
        guild: GuildId(1),
        user: UserId(user),
        day: day.parse().unwrap(),
        stretch: StretchId::parse("cat-cow").unwrap(),
    };
    for check_in in [
        check_in(1, "2027-05-08"),
        check_in(1, "2027-05-09"),
        check_in(2, "2027-05-03"),
        check_in(3, "2027-05-09"),
        // Another guild's members are not this team's.
        CheckIn {
            guild: GuildId(2),
            ..check_in(4, "2027-05-09")
        },
    ] {
        world.store.check_in(check_in).await.unwrap();
    }
    world
        .store
        .set_hidden(GuildId(1), UserId(3), true)
        .await
        .unwrap();
    let _poster = world.start();

    assert_posts_at(&world, &["2027-05-10T06:00:00Z"]).await;
    let message = &world.discord.messages()[0];
    assert_eq!(message.stretch, None);
    let summary = message.summary.as_ref().expect("a team summary");
    assert_eq!(summary.today, "2027-05-09".parse::<NaiveDate>().unwrap());
    assert_eq!(summary.zone, Zone::parse("Pacific/Honolulu").unwrap());
    assert_eq!(summary.stats.per_day, [1, 0, 0, 0, 0, 1, 2]);
    assert_eq!(summary.stats.members, 3);
    assert_eq!(summary.stats.top_streaks, [(UserId(1), 2)]);

    let stored = world.stored(&schedule).await;
    assert_eq!(stored.rotation, schedule.rotation, "no stretch was used up");
    assert_eq!(stored.next_fire, Some(utc("2027-05-17T06:00:00Z")));
}
