//! The timer runtime on tokio's paused clock, against a screen that records what it was shown and when.

use std::path::Path;
use std::sync::Mutex;

use chrono::{DateTime, Utc};
use tokio::time::Instant;

use super::*;
use crate::domain::catalog::Catalog;
use crate::domain::timer_plan::{PlanSettings, TimerPlan, plan};
use crate::domain::timer_run::{Ending, Status};

/// What a member saw: when, which step, in what state.
#[derive(Debug, Clone, PartialEq)]
struct Shown {
    at: Instant,
    step: usize,
    status: Status,
}

#[derive(Default)]
struct RecordingScreen {
    shown: Mutex<Vec<Shown>>,
    /// How long each show takes, in order (then instant): a rate-limited edit waits this long.
    delays: Mutex<Vec<Duration>>,
    /// How many shows fail before they work again.
    failures: Mutex<usize>,
    gone: Mutex<bool>,
}

impl RecordingScreen {
    fn slow(delays: Vec<Duration>) -> Self {
        Self {
            delays: Mutex::new(delays),
            ..Self::default()
        }
    }

    fn shown(&self) -> Vec<Shown> {
        self.shown.lock().unwrap().clone()
    }
}

impl Screen for RecordingScreen {
    async fn show(&self, frame: &TimerRun) -> Result<(), ShowError> {
        let delay = {
            let mut delays = self.delays.lock().unwrap();
            (!delays.is_empty()).then(|| delays.remove(0))
        };
        if let Some(delay) = delay {
            tokio::time::sleep(delay).await;
        }
        if *self.gone.lock().unwrap() {
            return Err(ShowError::Gone);
        }
        {
            let mut failures = self.failures.lock().unwrap();
            if *failures > 0 {
                *failures -= 1;
                return Err(ShowError::Failed);
            }
        }
        self.shown.lock().unwrap().push(Shown {
            at: Instant::now(),
            step: frame.step_index(),
            status: frame.status(),
        });
        Ok(())
    }
}

const START: &str = "2027-03-14T06:59:50Z";
const ALICE: UserId = UserId(1);
const BOB: UserId = UserId(2);
const WELLNESS: ChannelId = ChannelId(10);
const TOLERANCE: Duration = Duration::from_millis(250);

fn real_plan(id: &str) -> Arc<TimerPlan> {
    let catalog = Catalog::load_dir(&Path::new(env!("CARGO_MANIFEST_DIR")).join("content"))
        .expect("the shipped catalog loads");
    Arc::new(plan(catalog.get(id).unwrap(), &PlanSettings::default()))
}

fn timers() -> Arc<Timers<RecordingScreen>> {
    Timers::new(
        TokioClock::starting_at(START.parse::<DateTime<Utc>>().unwrap()),
        Limits::default(),
    )
}

/// Starts a timer of `owner` in `channel` as the adapter does: reserve, show the first frame, launch.
fn start(
    timers: &Arc<Timers<RecordingScreen>>,
    id: u64,
    owner: UserId,
    channel: ChannelId,
    plan: Arc<TimerPlan>,
    screen: Arc<RecordingScreen>,
) -> Instant {
    let reservation = timers.reserve(TimerId(id), owner, channel).unwrap();
    reservation.launch(TimerRun::start(plan, timers.clock().now()), screen);
    Instant::now()
}

/// Lets the timers run until none is left (paused time jumps straight there).
async fn run_out(timers: &Timers<RecordingScreen>) {
    while !timers.is_empty() {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // The painter may still be showing the last frame.
    tokio::time::sleep(Duration::from_secs(5)).await;
}

fn offset(from: Instant, at: Instant) -> Duration {
    at.duration_since(from)
}

#[tokio::test(start_paused = true)]
async fn every_step_is_shown_once_and_on_time() {
    let timers = timers();
    let plan = real_plan("thread-the-needle");
    let screen = Arc::new(RecordingScreen::default());
    let started = start(&timers, 1, ALICE, WELLNESS, plan.clone(), screen.clone());
    run_out(&timers).await;

    let shown = screen.shown();
    let steps: Vec<usize> = shown.iter().map(|s| s.step).collect();
    assert_eq!(
        steps,
        (1..plan.steps.len()).collect::<Vec<_>>(),
        "one show per step change, in order (the first step was shown on start)"
    );
    for frame in &shown {
        let planned = Duration::from_secs(u64::from(plan.steps[frame.step].starts_at_s));
        let actual = offset(started, frame.at);
        assert!(
            actual.abs_diff(planned) <= TOLERANCE,
            "step {} shown at {actual:?}, planned {planned:?}",
            frame.step
        );
    }
    assert_eq!(
        shown.last().unwrap().status,
        Status::Ended(Ending::Finished)
    );
}

#[tokio::test(start_paused = true)]
async fn a_slow_screen_delays_a_frame_but_never_the_steps() {
    let timers = timers();
    let plan = real_plan("cat-cow");
    // The second show is rate limited for most of a step, then shows whatever is newest.
    let screen = Arc::new(RecordingScreen::slow(vec![
        Duration::ZERO,
        Duration::from_millis(2500),
    ]));
    let started = start(&timers, 1, ALICE, WELLNESS, plan.clone(), screen.clone());
    run_out(&timers).await;

    let shown = screen.shown();
    assert_eq!(
        shown.last().unwrap().status,
        Status::Ended(Ending::Finished),
        "{shown:?}"
    );
    let steps: Vec<usize> = shown.iter().map(|s| s.step).collect();
    assert!(
        steps.windows(2).all(|pair| pair[0] < pair[1]),
        "in order: {steps:?}"
    );
    // After the slow show, every step lands on its planned instant again.
    let delayed = &shown[1];
    assert!(offset(started, delayed.at) >= Duration::from_millis(2500));
    for frame in &shown[2..] {
        let planned = Duration::from_secs(u64::from(plan.steps[frame.step].starts_at_s));
        assert!(
            offset(started, frame.at).abs_diff(planned) <= TOLERANCE,
            "step {} at {:?}, planned {planned:?}",
            frame.step,
            offset(started, frame.at)
        );
    }
}

#[tokio::test(start_paused = true)]
async fn a_failed_show_is_tried_again_while_its_step_lasts() {
    let timers = timers();
    let plan = real_plan("cat-cow");
    let screen = Arc::new(RecordingScreen {
        failures: Mutex::new(2),
        ..RecordingScreen::default()
    });
    let started = start(&timers, 1, ALICE, WELLNESS, plan.clone(), screen.clone());
    run_out(&timers).await;

    let shown = screen.shown();
    let steps: Vec<usize> = shown.iter().map(|s| s.step).collect();
    assert_eq!(steps, (1..plan.steps.len()).collect::<Vec<_>>());
    assert_eq!(
        offset(started, shown[0].at),
        Duration::from_secs(u64::from(plan.steps[1].starts_at_s)) + 2 * RETRY_SHOW,
        "shown on the second retry"
    );
}

#[tokio::test(start_paused = true)]
async fn a_failed_show_gives_way_to_a_newer_step() {
    let timers = timers();
    let plan = real_plan("cat-cow");
    // Fails for longer than the second step lasts.
    let failing = (plan.steps[1].duration_s / RETRY_SHOW.as_secs() as u32) as usize + 1;
    let screen = Arc::new(RecordingScreen {
        failures: Mutex::new(failing),
        ..RecordingScreen::default()
    });
    start(&timers, 1, ALICE, WELLNESS, plan.clone(), screen.clone());
    run_out(&timers).await;

    let steps: Vec<usize> = screen.shown().iter().map(|s| s.step).collect();
    assert_eq!(
        steps,
        (2..plan.steps.len()).collect::<Vec<_>>(),
        "step 1 was over before it could be shown"
    );
}

#[tokio::test(start_paused = true)]
async fn pause_resume_skip_and_stop_each_show_once() {
    let timers = timers();
    let plan = real_plan("cat-cow");
    let screen = Arc::new(RecordingScreen::default());
    start(&timers, 1, ALICE, WELLNESS, plan.clone(), screen.clone());
    let handle = timers.get(TimerId(1)).unwrap();
    assert_eq!(handle.owner, ALICE);

    tokio::time::sleep(Duration::from_secs(3)).await;
    assert!(handle.act(Action::Pause).await);
    tokio::time::sleep(Duration::from_secs(60)).await;
    assert_eq!(screen.shown().len(), 1, "nothing moves while paused");
    assert!(matches!(
        screen.shown()[0].status,
        Status::Paused { left_in_step } if left_in_step == chrono::TimeDelta::seconds(i64::from(plan.steps[0].duration_s) - 3)
    ));

    assert!(handle.act(Action::Resume).await);
    tokio::time::sleep(Duration::from_millis(10)).await;
    assert!(handle.act(Action::Skip).await);
    tokio::time::sleep(Duration::from_millis(10)).await;
    assert!(handle.act(Action::Stop).await);
    run_out(&timers).await;

    let shown: Vec<(usize, Status)> = screen
        .shown()
        .into_iter()
        .map(|s| (s.step, s.status))
        .collect();
    assert_eq!(shown.len(), 4, "pause, resume, skip, stop: {shown:?}");
    assert!(matches!(shown[1], (0, Status::Running { .. })));
    assert!(matches!(shown[2], (1, Status::Running { .. })));
    assert_eq!(shown[3], (1, Status::Ended(Ending::Stopped)));
    assert!(timers.get(TimerId(1)).is_none(), "a stopped timer is gone");
}

#[tokio::test(start_paused = true)]
async fn limits_hold_per_member_per_channel_and_in_all() {
    let timers = Timers::<RecordingScreen>::new(
        TokioClock::starting_at(START.parse().unwrap()),
        Limits {
            per_member: 1,
            per_channel: 2,
            total: 3,
        },
    );
    let first = timers.reserve(TimerId(1), ALICE, WELLNESS).unwrap();
    assert_eq!(
        timers.reserve(TimerId(2), ALICE, ChannelId(11)).err(),
        Some(StartError::MemberBusy { limit: 1 })
    );
    let _second = timers.reserve(TimerId(3), BOB, WELLNESS).unwrap();
    assert_eq!(
        timers.reserve(TimerId(4), UserId(3), WELLNESS).err(),
        Some(StartError::ChannelFull { limit: 2 })
    );
    let _third = timers
        .reserve(TimerId(5), UserId(3), ChannelId(11))
        .unwrap();
    assert_eq!(
        timers.reserve(TimerId(6), UserId(4), ChannelId(12)).err(),
        Some(StartError::Full { limit: 3 })
    );
    drop(first);
    assert!(
        timers.reserve(TimerId(7), ALICE, WELLNESS).is_ok(),
        "an unlaunched reservation frees its place when dropped"
    );
}

#[tokio::test(start_paused = true)]
async fn a_finished_timer_frees_its_members_place() {
    let timers = timers();
    let screen = Arc::new(RecordingScreen::default());
    start(
        &timers,
        1,
        ALICE,
        WELLNESS,
        real_plan("childs-pose"),
        screen,
    );
    assert!(matches!(
        timers.reserve(TimerId(2), ALICE, WELLNESS).err(),
        Some(StartError::MemberBusy { .. })
    ));
    run_out(&timers).await;
    assert!(timers.reserve(TimerId(2), ALICE, WELLNESS).is_ok());
}

#[tokio::test(start_paused = true)]
async fn shutdown_shows_every_running_timer_as_interrupted() {
    let timers = timers();
    let running = Arc::new(RecordingScreen::default());
    let paused = Arc::new(RecordingScreen::default());
    start(
        &timers,
        1,
        ALICE,
        WELLNESS,
        real_plan("cat-cow"),
        running.clone(),
    );
    start(
        &timers,
        2,
        BOB,
        WELLNESS,
        real_plan("cat-cow"),
        paused.clone(),
    );
    timers.get(TimerId(2)).unwrap().act(Action::Pause).await;
    tokio::time::sleep(Duration::from_secs(12)).await;

    assert!(timers.shutdown(Duration::from_secs(5)).await);
    for screen in [running, paused] {
        let shown = screen.shown();
        assert_eq!(
            shown.last().unwrap().status,
            Status::Ended(Ending::Interrupted),
            "{shown:?}"
        );
    }
    assert!(timers.is_empty());
    assert_eq!(
        timers.reserve(TimerId(3), ALICE, WELLNESS).err(),
        Some(StartError::ShuttingDown)
    );
}

#[tokio::test(start_paused = true)]
async fn shutdown_waits_for_a_slow_last_frame() {
    let timers = timers();
    let screen = Arc::new(RecordingScreen::slow(vec![Duration::from_secs(2)]));
    start(
        &timers,
        1,
        ALICE,
        WELLNESS,
        real_plan("cat-cow"),
        screen.clone(),
    );
    assert!(timers.shutdown(Duration::from_secs(5)).await);
    assert_eq!(
        screen.shown().last().map(|s| s.status),
        Some(Status::Ended(Ending::Interrupted))
    );
}

#[tokio::test(start_paused = true)]
async fn a_timer_whose_screen_is_gone_ends_quietly() {
    let timers = timers();
    let screen = Arc::new(RecordingScreen::default());
    *screen.gone.lock().unwrap() = true;
    start(
        &timers,
        1,
        ALICE,
        WELLNESS,
        real_plan("cat-cow"),
        screen.clone(),
    );
    run_out(&timers).await;
    assert!(screen.shown().is_empty());
    assert!(timers.reserve(TimerId(2), ALICE, WELLNESS).is_ok());
}
