//! A guided timer as it runs: which step of its plan is on, whether it is running or paused, when the step
//! ends, and how it ended. Pure state moved by the instants it is given, so the runtime decides what time
//! it is and tests need no clock at all.

use std::sync::Arc;

use chrono::{DateTime, TimeDelta, Utc};

use crate::domain::timer_plan::{StepKind, TimedStep, TimerPlan};

/// A paused timer stops by itself after this long, so a forgotten one does not hold its member's slot.
pub const MAX_PAUSE: TimeDelta = TimeDelta::minutes(10);

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimerRun {
    plan: Arc<TimerPlan>,
    step: usize,
    state: State,
    /// Time spent on steps so far (pauses excluded), up to the current step's start or the pause.
    active: TimeDelta,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Running {
        step_started: DateTime<Utc>,
    },
    Paused {
        since: DateTime<Utc>,
        /// How long the current step had run when it was paused.
        done: TimeDelta,
    },
    Ended(Ending),
}

/// What a member sees of the timer's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Running { step_ends_at: DateTime<Utc> },
    Paused { left_in_step: TimeDelta },
    Ended(Ending),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ending {
    /// Every step ran (or was skipped) to the finish.
    Finished,
    /// Its member stopped it.
    Stopped,
    /// Paused for longer than [`MAX_PAUSE`].
    PausedTooLong,
    /// The bot shut down under it.
    Interrupted,
}

/// What a member can do to a running timer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Pause,
    Resume,
    Skip,
    Stop,
}

impl Action {
    pub const ALL: [Action; 4] = [Action::Pause, Action::Resume, Action::Skip, Action::Stop];

    pub fn as_str(self) -> &'static str {
        match self {
            Action::Pause => "pause",
            Action::Resume => "resume",
            Action::Skip => "skip",
            Action::Stop => "stop",
        }
    }

    pub fn parse(raw: &str) -> Option<Action> {
        Action::ALL
            .into_iter()
            .find(|action| action.as_str() == raw)
    }
}

impl TimerRun {
    /// Starts `plan` at its first step at `now`.
    pub fn start(plan: Arc<TimerPlan>, now: DateTime<Utc>) -> Self {
        let mut run = TimerRun {
            plan,
            step: 0,
            state: State::Running { step_started: now },
            active: TimeDelta::zero(),
        };
        run.finish_if_at_end();
        run
    }

    pub fn plan(&self) -> &TimerPlan {
        &self.plan
    }

    /// The index of the current step in the plan.
    pub fn step_index(&self) -> usize {
        self.step
    }

    pub fn current(&self) -> &TimedStep {
        &self.plan.steps[self.step]
    }

    /// The step after the current one, if any.
    pub fn upcoming(&self) -> Option<&TimedStep> {
        self.plan.steps.get(self.step + 1)
    }

    pub fn status(&self) -> Status {
        match self.state {
            State::Running { step_started } => Status::Running {
                step_ends_at: step_started + self.step_length(),
            },
            State::Paused { done, .. } => Status::Paused {
                left_in_step: self.step_length() - done,
            },
            State::Ended(ending) => Status::Ended(ending),
        }
    }

    pub fn has_ended(&self) -> bool {
        matches!(self.state, State::Ended(_))
    }

    /// The plan's seconds behind the current moment as the progress bar shows them: the steps before
    /// this one, plus the part of this one done when paused (a running step counts from its start, since
    /// the message changes only between steps).
    pub fn plan_done_s(&self) -> u32 {
        match self.state {
            State::Ended(Ending::Finished) => self.plan.total_s,
            State::Paused { done, .. } => {
                self.current().starts_at_s + u32::try_from(done.num_seconds()).unwrap_or(0)
            }
            _ => self.current().starts_at_s,
        }
    }

    /// Time spent stretching, pauses excluded; final once the timer has ended.
    pub fn active_time(&self) -> TimeDelta {
        self.active
    }

    /// When the timer next changes by itself: the current step's end, or a pause running out.
    pub fn next_change(&self) -> Option<DateTime<Utc>> {
        match self.state {
            State::Running { step_started } => Some(step_started + self.step_length()),
            State::Paused { since, .. } => Some(since + MAX_PAUSE),
            State::Ended(_) => None,
        }
    }

    /// Moves past every step that has ended by `now` (and stops a pause that ran out). Returns whether
    /// anything changed.
    pub fn advance(&mut self, now: DateTime<Utc>) -> bool {
        match self.state {
            State::Running { mut step_started } => {
                let before = self.step;
                // Steps follow on from the plan's instants, not from when this is called, so a late wake
                // does not push the rest of the routine later.
                while !self.at_finish() && now >= step_started + self.step_length() {
                    let length = self.step_length();
                    step_started += length;
                    self.active += length;
                    self.step += 1;
                }
                self.state = State::Running { step_started };
                self.finish_if_at_end();
                self.step != before
            }
            State::Paused { since, done } if now >= since + MAX_PAUSE => {
                self.active += done;
                self.state = State::Ended(Ending::PausedTooLong);
                true
            }
            State::Paused { .. } | State::Ended(_) => false,
        }
    }

    /// Applies a member's action at `now`. Returns whether it changed anything: pausing a paused timer,
    /// say, does not.
    pub fn apply(&mut self, action: Action, now: DateTime<Utc>) -> bool {
        let moved = self.advance(now);
        let acted = match (action, self.state) {
            (_, State::Ended(_)) => false,
            (Action::Pause, State::Running { step_started }) => {
                self.state = State::Paused {
                    since: now,
                    done: (now - step_started).clamp(TimeDelta::zero(), self.step_length()),
                };
                true
            }
            (Action::Resume, State::Paused { done, .. }) => {
                self.state = State::Running {
                    step_started: now - done,
                };
                true
            }
            (Action::Skip, State::Running { step_started }) => {
                self.active += (now - step_started).clamp(TimeDelta::zero(), self.step_length());
                self.step += 1;
                self.state = State::Running { step_started: now };
                self.finish_if_at_end();
                true
            }
            // A paused timer stays paused on the next step, which starts from its beginning.
            (Action::Skip, State::Paused { done, .. }) => {
                self.active += done;
                self.step += 1;
                self.state = State::Paused {
                    since: now,
                    done: TimeDelta::zero(),
                };
                self.finish_if_at_end();
                true
            }
            (Action::Stop, State::Running { step_started }) => {
                self.active += (now - step_started).clamp(TimeDelta::zero(), self.step_length());
                self.state = State::Ended(Ending::Stopped);
                true
            }
            (Action::Stop, State::Paused { done, .. }) => {
                self.active += done;
                self.state = State::Ended(Ending::Stopped);
                true
            }
            (Action::Pause, State::Paused { .. }) | (Action::Resume, State::Running { .. }) => {
                false
            }
        };
        moved || acted
    }

    /// Ends a timer that is still going because the bot is shutting down.
    pub fn interrupt(&mut self, now: DateTime<Utc>) -> bool {
        let moved = self.advance(now);
        match self.state {
            State::Ended(_) => moved,
            State::Running { step_started } => {
                self.active += (now - step_started).clamp(TimeDelta::zero(), self.step_length());
                self.state = State::Ended(Ending::Interrupted);
                true
            }
            State::Paused { done, .. } => {
                self.active += done;
                self.state = State::Ended(Ending::Interrupted);
                true
            }
        }
    }

    fn step_length(&self) -> TimeDelta {
        TimeDelta::seconds(i64::from(self.current().duration_s))
    }

    fn at_finish(&self) -> bool {
        self.current().kind == StepKind::Finish
    }

    fn finish_if_at_end(&mut self) {
        if self.at_finish() {
            self.state = State::Ended(Ending::Finished);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::catalog::{Amount, Dose, Entry};
    use crate::domain::timer_plan::{PlanSettings, plan};

    fn t0() -> DateTime<Utc> {
        "2027-01-04T09:00:00Z".parse().unwrap()
    }

    fn at(seconds: i64) -> DateTime<Utc> {
        t0() + TimeDelta::seconds(seconds)
    }

    /// Get ready, one instruction, then three 5-second holds with releases between them.
    fn sample_plan() -> Arc<TimerPlan> {
        let entry = Entry {
            dose: Dose {
                hold_s: Some(Amount { min: 5, max: 5 }),
                reps: Some(Amount { min: 3, max: 3 }),
                ..Dose::default()
            },
            ..Entry::example("test-stretch")
        };
        let plan = plan(&entry, &PlanSettings::default());
        assert!(plan.steps.len() >= 6, "{plan:?}");
        Arc::new(plan)
    }

    #[test]
    fn each_step_starts_at_its_planned_instant() {
        let plan = sample_plan();
        let mut run = TimerRun::start(plan.clone(), t0());
        for (index, step) in plan.steps.iter().enumerate().skip(1) {
            let starts = at(i64::from(step.starts_at_s));
            assert!(
                !run.advance(starts - TimeDelta::milliseconds(1)),
                "{step:?}"
            );
            assert!(run.advance(starts), "{step:?}");
            assert_eq!(run.step_index(), index);
        }
        assert_eq!(run.status(), Status::Ended(Ending::Finished));
        assert_eq!(
            run.active_time(),
            TimeDelta::seconds(i64::from(plan.total_s))
        );
        assert_eq!(run.plan_done_s(), plan.total_s);
        assert_eq!(run.next_change(), None);
    }

    #[test]
    fn a_late_wake_catches_up_without_shifting_later_steps() {
        let plan = sample_plan();
        let mut run = TimerRun::start(plan.clone(), t0());
        let third = &plan.steps[2];
        assert!(run.advance(at(i64::from(third.starts_at_s) + 1)));
        assert_eq!(run.step_index(), 2);
        assert_eq!(
            run.status(),
            Status::Running {
                step_ends_at: at(i64::from(third.starts_at_s + third.duration_s))
            }
        );
    }

    #[test]
    fn pausing_keeps_the_rest_of_the_step_for_after_resume() {
        let plan = sample_plan();
        let first = plan.steps[0].duration_s as i64;
        let mut run = TimerRun::start(plan.clone(), t0());
        assert!(run.apply(Action::Pause, at(4)));
        assert!(!run.apply(Action::Pause, at(5)), "already paused");
        assert_eq!(
            run.status(),
            Status::Paused {
                left_in_step: TimeDelta::seconds(first - 4)
            }
        );
        assert_eq!(run.plan_done_s(), 4);
        assert!(!run.advance(at(300)), "nothing moves while paused");
        assert!(run.apply(Action::Resume, at(300)));
        assert!(!run.apply(Action::Resume, at(301)), "already running");
        assert_eq!(
            run.status(),
            Status::Running {
                step_ends_at: at(300 + first - 4)
            }
        );
    }

    #[test]
    fn a_pause_left_too_long_stops_the_timer() {
        let mut run = TimerRun::start(sample_plan(), t0());
        run.apply(Action::Pause, at(3));
        assert_eq!(run.next_change(), Some(at(3) + MAX_PAUSE));
        assert!(run.advance(at(3) + MAX_PAUSE));
        assert_eq!(run.status(), Status::Ended(Ending::PausedTooLong));
        assert_eq!(run.active_time(), TimeDelta::seconds(3));
    }

    #[test]
    fn skip_starts_the_next_step_now_and_the_last_skip_finishes() {
        let plan = sample_plan();
        let mut run = TimerRun::start(plan.clone(), t0());
        assert!(run.apply(Action::Skip, at(2)));
        assert_eq!(run.step_index(), 1);
        assert_eq!(
            run.status(),
            Status::Running {
                step_ends_at: at(2 + i64::from(plan.steps[1].duration_s))
            }
        );
        let mut now = 2;
        while !run.has_ended() {
            now += 1;
            assert!(run.apply(Action::Skip, at(now)));
        }
        assert_eq!(run.status(), Status::Ended(Ending::Finished));
        assert_eq!(run.step_index(), plan.steps.len() - 1);
        assert_eq!(run.active_time(), TimeDelta::seconds(now));
        assert!(
            !run.apply(Action::Skip, at(now + 1)),
            "an ended timer stays"
        );
    }

    #[test]
    fn skipping_while_paused_stays_paused_at_the_start_of_the_next_step() {
        let plan = sample_plan();
        let mut run = TimerRun::start(plan.clone(), t0());
        run.apply(Action::Pause, at(1));
        assert!(run.apply(Action::Skip, at(50)));
        assert_eq!(run.step_index(), 1);
        assert_eq!(
            run.status(),
            Status::Paused {
                left_in_step: TimeDelta::seconds(i64::from(plan.steps[1].duration_s))
            }
        );
    }

    #[test]
    fn stop_and_interrupt_end_the_timer_once() {
        let mut stopped = TimerRun::start(sample_plan(), t0());
        assert!(stopped.apply(Action::Stop, at(7)));
        assert_eq!(stopped.status(), Status::Ended(Ending::Stopped));
        assert_eq!(stopped.active_time(), TimeDelta::seconds(7));
        assert!(!stopped.interrupt(at(8)), "already over");

        let mut interrupted = TimerRun::start(sample_plan(), t0());
        interrupted.apply(Action::Pause, at(2));
        assert!(interrupted.interrupt(at(9)));
        assert_eq!(interrupted.status(), Status::Ended(Ending::Interrupted));
        assert_eq!(interrupted.active_time(), TimeDelta::seconds(2));
    }

    #[test]
    fn a_timer_interrupted_after_its_end_counts_as_finished() {
        let plan = sample_plan();
        let mut run = TimerRun::start(plan.clone(), t0());
        assert!(run.interrupt(at(i64::from(plan.total_s) + 5)));
        assert_eq!(run.status(), Status::Ended(Ending::Finished));
    }

    #[test]
    fn actions_round_trip_through_their_names() {
        for action in Action::ALL {
            assert_eq!(Action::parse(action.as_str()), Some(action));
        }
        assert_eq!(Action::parse("PAUSE"), None);
    }
}
