//! Runs guided timers. Each timer is a task that moves its [`TimerRun`] along the clock and a painter
//! that shows each change on the timer's [`Screen`], one at a time: when showing is slow (a rate limit,
//! say) the timer keeps its pace and the painter shows the newest state next. The registry holds the
//! running timers in memory, enforces the limits per member, per channel and in all, and on shutdown
//! interrupts every timer and waits until each has shown that it stopped.
//!
//! Nothing here knows Discord: the adapter supplies the screen, and the ids are plain numbers.

#[cfg(test)]
mod tests;

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::{mpsc, watch};

use crate::clock::TokioClock;
use crate::domain::posting::{ChannelId, UserId};
use crate::domain::timer_run::{Action, TimerRun};

/// Where a timer is shown.
pub trait Screen: Send + Sync + 'static {
    /// Shows `frame`, waiting out rate limits.
    fn show(&self, frame: &TimerRun) -> impl Future<Output = Result<(), ShowError>> + Send;
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ShowError {
    /// Not shown this time (rate limited past the screen's own retries, a network error): tried again
    /// while the frame is still the newest.
    Failed,
    /// The timer can no longer be shown (its message was deleted, say): it ends without another word.
    Gone,
}

/// The wait before showing a failed frame again.
const RETRY_SHOW: Duration = Duration::from_secs(1);
/// Tries at one frame before the painter gives it up, so a last frame Discord keeps refusing does not
/// keep its painter alive for ever.
const SHOW_ATTEMPTS: usize = 30;

/// A timer's id, unique across restarts (the adapter uses the id of the interaction that started it),
/// so a button on an old message can never reach a newer timer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TimerId(pub u64);

/// How many timers may run at once.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub per_member: usize,
    /// Keeps one channel readable and its messages' edits few.
    pub per_channel: usize,
    pub total: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            per_member: 1,
            per_channel: 5,
            total: 2000,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum StartError {
    #[error("the member already has {limit} timer(s) running")]
    MemberBusy { limit: usize },
    #[error("the channel already has {limit} timers running")]
    ChannelFull { limit: usize },
    #[error("{limit} timers are running, the most the bot runs at once")]
    Full { limit: usize },
    #[error("the bot is shutting down")]
    ShuttingDown,
}

/// The running timers.
pub struct Timers<S: Screen> {
    clock: TokioClock,
    limits: Limits,
    registry: Mutex<Registry<S>>,
    /// Set once on shutdown; every timer task watches it.
    interrupt: watch::Sender<bool>,
    /// Every task holds a clone of `done_tx`; once all are dropped, `done_rx` reports that shutdown
    /// is complete (tokio's mini-redis pattern).
    done: tokio::sync::Mutex<mpsc::Receiver<()>>,
}

struct Registry<S> {
    slots: HashMap<TimerId, Slot<S>>,
    /// `None` once shutdown began: no timer starts after that.
    done_tx: Option<mpsc::Sender<()>>,
}

struct Slot<S> {
    owner: UserId,
    channel: ChannelId,
    /// Set when the timer is launched; a reserved slot has no task yet.
    running: Option<(mpsc::Sender<Command>, Arc<S>)>,
}

enum Command {
    Act(Action),
    ScreenGone,
}

/// A running timer, as the adapter needs it to handle a member's click.
pub struct TimerHandle<S> {
    pub owner: UserId,
    pub screen: Arc<S>,
    commands: mpsc::Sender<Command>,
}

impl<S> TimerHandle<S> {
    /// Asks the timer to act. `false`: it ended meanwhile.
    pub async fn act(&self, action: Action) -> bool {
        self.commands.send(Command::Act(action)).await.is_ok()
    }
}

/// A place taken under the limits for a timer about to start; released if dropped unlaunched.
pub struct Reservation<S: Screen> {
    timers: Arc<Timers<S>>,
    id: TimerId,
    launched: bool,
}

/// How long a timer's control waits in line; a member cannot click faster than this drains.
const COMMAND_QUEUE: usize = 8;

impl<S: Screen> Timers<S> {
    pub fn new(clock: TokioClock, limits: Limits) -> Arc<Self> {
        let (done_tx, done_rx) = mpsc::channel(1);
        Arc::new(Self {
            clock,
            limits,
            registry: Mutex::new(Registry {
                slots: HashMap::new(),
                done_tx: Some(done_tx),
            }),
            interrupt: watch::channel(false).0,
            done: tokio::sync::Mutex::new(done_rx),
        })
    }

    pub fn clock(&self) -> TokioClock {
        self.clock
    }

    /// Takes a place for a timer of `owner` in `channel`, or says which limit is reached.
    pub fn reserve(
        self: &Arc<Self>,
        id: TimerId,
        owner: UserId,
        channel: ChannelId,
    ) -> Result<Reservation<S>, StartError> {
        let mut registry = self.lock();
        if registry.done_tx.is_none() {
            return Err(StartError::ShuttingDown);
        }
        let slots = registry.slots.values();
        let count =
            |matches: &dyn Fn(&Slot<S>) -> bool| slots.clone().filter(|s| matches(s)).count();
        if count(&|slot| slot.owner == owner) >= self.limits.per_member {
            return Err(StartError::MemberBusy {
                limit: self.limits.per_member,
            });
        }
        if count(&|slot| slot.channel == channel) >= self.limits.per_channel {
            return Err(StartError::ChannelFull {
                limit: self.limits.per_channel,
            });
        }
        if registry.slots.len() >= self.limits.total {
            return Err(StartError::Full {
                limit: self.limits.total,
            });
        }
        registry.slots.insert(
            id,
            Slot {
                owner,
                channel,
                running: None,
            },
        );
        Ok(Reservation {
            timers: Arc::clone(self),
            id,
            launched: false,
        })
    }

    /// The timer `id` if it is still running.
    pub fn get(&self, id: TimerId) -> Option<TimerHandle<S>> {
        let registry = self.lock();
        let slot = registry.slots.get(&id)?;
        let (commands, screen) = slot.running.as_ref()?;
        Some(TimerHandle {
            owner: slot.owner,
            screen: Arc::clone(screen),
            commands: commands.clone(),
        })
    }

    /// How many timers are running or about to start.
    pub fn len(&self) -> usize {
        self.lock().slots.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Interrupts every timer and waits up to `timeout` for each to show that it stopped. Returns
    /// whether all did. No timer starts afterwards.
    pub async fn shutdown(&self, timeout: Duration) -> bool {
        self.lock().done_tx = None;
        self.interrupt.send_replace(true);
        let mut done = self.done.lock().await;
        tokio::time::timeout(timeout, done.recv()).await.is_ok()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Registry<S>> {
        // A panic while holding this lock cannot leave the map half-changed: every change is one call.
        self.registry
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn release(&self, id: TimerId) {
        self.lock().slots.remove(&id);
    }
}

impl<S: Screen> Reservation<S> {
    pub fn id(&self) -> TimerId {
        self.id
    }

    /// Runs `run`, whose first frame the adapter has already shown on `screen`.
    pub fn launch(mut self, run: TimerRun, screen: Arc<S>) {
        self.launched = true;
        let timers = Arc::clone(&self.timers);
        let (commands_tx, commands_rx) = mpsc::channel(COMMAND_QUEUE);
        let done = {
            let mut registry = timers.lock();
            if let Some(slot) = registry.slots.get_mut(&self.id) {
                slot.running = Some((commands_tx.clone(), Arc::clone(&screen)));
            }
            registry.done_tx.clone()
        };
        let (frames_tx, frames_rx) = watch::channel(run.clone());
        tokio::spawn(paint(
            frames_rx,
            Arc::clone(&screen),
            commands_tx,
            done.clone(),
        ));
        tokio::spawn(drive(
            Arc::clone(&timers),
            self.id,
            run,
            commands_rx,
            frames_tx,
            done,
        ));
    }
}

impl<S: Screen> Drop for Reservation<S> {
    fn drop(&mut self) {
        if !self.launched {
            self.timers.release(self.id);
        }
    }
}

/// Moves one timer along: wakes at its next step (or a member's action, or shutdown), and hands every
/// change to the painter.
async fn drive<S: Screen>(
    timers: Arc<Timers<S>>,
    id: TimerId,
    mut run: TimerRun,
    mut commands: mpsc::Receiver<Command>,
    frames: watch::Sender<TimerRun>,
    _done: Option<mpsc::Sender<()>>,
) {
    let clock = timers.clock;
    let mut interrupt = timers.interrupt.subscribe();
    // A timer that has not ended always changes again, by its next step or its pause running out.
    while let Some(next_change) = run.next_change() {
        let wake = clock.instant_for(next_change);
        let changed = tokio::select! {
            // Shutdown first, so a timer always shows it was interrupted rather than one more step.
            biased;
            _ = interrupt.wait_for(|stop| *stop) => run.interrupt(clock.now()),
            command = commands.recv() => match command {
                Some(Command::Act(action)) => run.apply(action, clock.now()),
                Some(Command::ScreenGone) | None => break,
            },
            () = tokio::time::sleep_until(wake) => run.advance(clock.now()),
        };
        if changed {
            frames.send_replace(run.clone());
        }
    }
    // Free the member's and the channel's place now; the painter may still be showing the end.
    timers.release(id);
}

/// Shows a timer's frames in order, skipping to the newest when it falls behind.
async fn paint<S: Screen>(
    mut frames: watch::Receiver<TimerRun>,
    screen: Arc<S>,
    commands: mpsc::Sender<Command>,
    _done: Option<mpsc::Sender<()>>,
) {
    // `changed` still reports a final frame sent just before the timer's task ended.
    while frames.changed().await.is_ok() {
        let frame = frames.borrow_and_update().clone();
        for attempt in 1..=SHOW_ATTEMPTS {
            match screen.show(&frame).await {
                Ok(()) => break,
                Err(ShowError::Gone) => {
                    let _ = commands.send(Command::ScreenGone).await;
                    return;
                }
                // A newer frame replaces this one; the member never needs a step that is over.
                Err(ShowError::Failed) if frames.has_changed().unwrap_or(false) => break,
                Err(ShowError::Failed) if attempt == SHOW_ATTEMPTS => {
                    tracing::warn!("gave up showing a timer's frame after {SHOW_ATTEMPTS} tries");
                }
                Err(ShowError::Failed) => tokio::time::sleep(RETRY_SHOW).await,
            }
        }
    }
}
