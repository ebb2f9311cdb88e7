//! The guided timer's script: one entry turned into a list of timed steps (get ready, read the instructions,
//! hold or move through each rep, switch sides, rest between sets, finish), with every start time and the
//! total known before the timer starts, and the picture each step shows.

use std::fmt;

use crate::domain::catalog::{
    Amount, Dose, Entry, Equipment, StretchId, Vocabulary, duration_in_words,
};
use crate::domain::pose::Illustration;

/// How a member likes their timer paced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PlanSettings {
    pub get_ready_s: u32,
    /// Turns a dose counted in breaths into time.
    pub seconds_per_breath: u32,
    /// One rep of a dynamic move that gives no breaths.
    pub rep_tempo_s: u32,
    /// The pause between two held reps.
    pub release_s: u32,
    pub rest_between_sets_s: u32,
    pub intensity: Intensity,
}

impl Default for PlanSettings {
    fn default() -> Self {
        Self {
            get_ready_s: 10,
            seconds_per_breath: 5,
            rep_tempo_s: 4,
            release_s: 3,
            rest_between_sets_s: 30,
            intensity: Intensity::default(),
        }
    }
}

/// Which end of a dose range ("hold 20 to 30 seconds") the timer uses.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Intensity {
    /// The low end of every range.
    #[default]
    Gentle,
    /// The high end of every range.
    Full,
}

impl Vocabulary for Intensity {
    const ALL: &'static [Intensity] = &[Intensity::Gentle, Intensity::Full];

    fn as_str(self) -> &'static str {
        match self {
            Intensity::Gentle => "gentle",
            Intensity::Full => "full",
        }
    }

    fn label(self) -> &'static str {
        match self {
            Intensity::Gentle => "gentle (the low end of each range)",
            Intensity::Full => "full (the high end of each range)",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    Left,
    Right,
}

impl fmt::Display for Side {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Side::Left => "Left side",
            Side::Right => "Right side",
        })
    }
}

/// A position in a count, shown as `3 of 10`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Count {
    pub n: u32,
    pub of: u32,
}

impl fmt::Display for Count {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} of {}", self.n, self.of)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StepKind {
    GetReady,
    /// Reading one of the entry's instructions; `number` counts from 1 as the card shows them.
    Instruction {
        number: usize,
    },
    Hold,
    Move,
    /// The pause after a held rep when another follows.
    Release,
    SwitchSide,
    Rest,
    /// Always last, lasting 0 s.
    Finish,
}

/// One step of the timer.
///
/// The labels say where in the routine the step is: a hold, move or release carries the side, set and rep
/// it belongs to; a switch or a rest carries the side or set it leads into. A label is absent when the dose
/// does not count that part (no sets given, no reps given, not a per-side entry).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimedStep {
    pub kind: StepKind,
    pub text: String,
    pub side: Option<Side>,
    pub rep: Option<Count>,
    pub set: Option<Count>,
    pub starts_at_s: u32,
    pub duration_s: u32,
    /// `None` for an entry without pictures.
    pub picture: Option<StepPicture>,
}

/// What a timer step shows: one of the entry's poses, or its animation.
///
/// Getting ready shows the first instruction's pose and an instruction its own. The work (holds and
/// reps, and the releases, switches and rests between them) shows the entry's `work` pose for the
/// step's side; without one, reps of an entry that moves show its animation and anything else the
/// pose most of its instructions show. The finish keeps the picture of the step before it, so the
/// last edit uploads nothing new.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StepPicture {
    /// An index into the entry's poses.
    Pose(usize),
    Animation,
}

impl StepPicture {
    fn for_step(
        illustration: &Illustration,
        kind: StepKind,
        side: Option<Side>,
        work_kind: Option<StepKind>,
    ) -> Option<StepPicture> {
        let instruction = |number: usize| {
            illustration
                .step_poses
                .get(number.checked_sub(1)?)
                .copied()
                .map(StepPicture::Pose)
        };
        match kind {
            StepKind::GetReady => instruction(1),
            StepKind::Instruction { number } => instruction(number),
            _ => {
                if let Some([left, right]) = illustration.work {
                    let pose = if side == Some(Side::Right) {
                        right
                    } else {
                        left
                    };
                    return Some(StepPicture::Pose(pose));
                }
                if work_kind == Some(StepKind::Move) && illustration.motion.len() > 1 {
                    return Some(StepPicture::Animation);
                }
                most_shown(&illustration.step_poses).map(StepPicture::Pose)
            }
        }
    }
}

/// The pose most steps show, the earliest of those on a tie.
fn most_shown(step_poses: &[usize]) -> Option<usize> {
    let count = |pose: usize| step_poses.iter().filter(|&&p| p == pose).count();
    step_poses
        .iter()
        .copied()
        .rev()
        .max_by_key(|&pose| count(pose))
}

impl TimedStep {
    /// The labels as a message shows them: `Left side · set 2 of 3 · rep 4 of 10`, or empty.
    pub fn progress(&self) -> String {
        let side = self.side.map(|side| side.to_string());
        let set = self.set.map(|set| format!("set {set}"));
        let rep = self.rep.map(|rep| format!("rep {rep}"));
        [side, set, rep]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(" · ")
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimerPlan {
    pub stretch: StretchId,
    pub steps: Vec<TimedStep>,
    /// The sum of the steps' durations.
    pub total_s: u32,
}

/// Turns `entry` into its timer steps, paced by `settings`.
pub fn plan(entry: &Entry, settings: &PlanSettings) -> TimerPlan {
    let mut timeline = Timeline::default();
    timeline.push(
        StepKind::GetReady,
        get_ready_text(entry),
        Labels::default(),
        settings.get_ready_s,
    );
    for (index, instruction) in entry.steps.iter().enumerate() {
        timeline.push(
            StepKind::Instruction { number: index + 1 },
            instruction.clone(),
            Labels::default(),
            reading_time_s(instruction),
        );
    }
    // An entry whose sources give no amount gets no invented one: its instructions are the whole routine.
    let work = Work::from_dose(&entry.dose, settings);
    if let Some(work) = &work {
        push_work(&mut timeline, entry, work, settings);
    }
    let total_s = timeline.elapsed_s;
    timeline.push(
        StepKind::Finish,
        format!(
            "Finished {}: {} in all.",
            entry.name,
            duration_in_words(total_s)
        ),
        Labels::default(),
        0,
    );
    let mut steps = timeline.steps;
    let mut before = None;
    for step in &mut steps {
        step.picture = match step.kind {
            StepKind::Finish => before,
            kind => StepPicture::for_step(
                &entry.illustration,
                kind,
                step.side,
                work.as_ref().map(|work| work.kind),
            ),
        };
        before = step.picture;
    }
    TimerPlan {
        stretch: entry.id.clone(),
        steps,
        total_s,
    }
}

fn get_ready_text(entry: &Entry) -> String {
    let needed: Vec<&str> = entry
        .equipment
        .iter()
        .filter(|item| **item != Equipment::None)
        .map(|item| item.label())
        .collect();
    let equipment = if needed.is_empty() {
        "no equipment needed".to_owned()
    } else {
        format!("you'll need: {}", needed.join(", "))
    };
    let sides = if entry.per_side {
        " Left side first, then right."
    } else {
        ""
    };
    format!(
        "Get ready for {}: {}; {equipment}.{sides}",
        entry.name,
        entry.position.label()
    )
}

/// Enough time to read an instruction at a relaxed pace, without stalling on a long one.
fn reading_time_s(text: &str) -> u32 {
    let words = u32::try_from(text.split_whitespace().count()).unwrap_or(u32::MAX);
    (4 + words.div_ceil(3)).min(15)
}

/// The sets, sides and reps of the dose, with releases between held reps, a switch between sides and
/// rests between sets.
fn push_work(timeline: &mut Timeline, entry: &Entry, work: &Work, settings: &PlanSettings) {
    let sides: &[Option<Side>] = if entry.per_side {
        &[Some(Side::Left), Some(Side::Right)]
    } else {
        &[None]
    };
    for set in work.sets.counts() {
        let set_label = work.sets.label(set);
        if set > 1 {
            timeline.push(
                StepKind::Rest,
                format!("Rest, then set {set} of {}.", work.sets.total),
                Labels {
                    set: set_label,
                    ..Labels::default()
                },
                settings.rest_between_sets_s,
            );
        }
        for &side in sides {
            if side == Some(Side::Right) {
                // As long as getting ready: the member has to turn round or change grip.
                timeline.push(
                    StepKind::SwitchSide,
                    "Switch sides: same steps on the right side.".to_owned(),
                    Labels {
                        side,
                        set: set_label,
                        rep: None,
                    },
                    settings.get_ready_s,
                );
            }
            for n in work.reps.counts() {
                let labels = Labels {
                    side,
                    set: set_label,
                    rep: work.reps.label(n),
                };
                timeline.push(work.kind, work.text.clone(), labels, work.duration_s);
                if work.kind == StepKind::Hold && n < work.reps.total {
                    timeline.push(
                        StepKind::Release,
                        "Release and breathe.".to_owned(),
                        labels,
                        settings.release_s,
                    );
                }
            }
        }
    }
}

/// The timed part of a dose: one rep, held or moved through, and how many reps and sets to do.
struct Work {
    kind: StepKind,
    duration_s: u32,
    text: String,
    reps: Repeat,
    sets: Repeat,
}

impl Work {
    /// `None` when the dose gives nothing to time.
    fn from_dose(dose: &Dose, settings: &PlanSettings) -> Option<Self> {
        let pick = |amount: Option<Amount>| {
            amount.map(|amount| Chosen::from_range(amount, settings.intensity))
        };
        let (hold_s, breaths, reps, sets) = (
            pick(dose.hold_s),
            pick(dose.breaths),
            pick(dose.reps),
            pick(dose.sets),
        );
        let breaths_s = |breaths: Chosen| breaths.value.saturating_mul(settings.seconds_per_breath);
        let in_breaths = |breaths: Chosen| {
            let seconds = duration_in_words(breaths_s(breaths));
            format!("{} (~{seconds})", breaths.phrase(Unit::Breaths))
        };

        // Seconds win over breaths when an article gives both: they are the exact figure.
        let (kind, duration_s, mut text, paced_by) = match (hold_s, breaths, reps) {
            (Some(hold_s), _, _) => (
                StepKind::Hold,
                hold_s.value,
                format!("Hold for {}.", hold_s.phrase(Unit::Seconds)),
                Some((hold_s, Unit::Seconds)),
            ),
            (None, Some(breaths), None) => (
                StepKind::Hold,
                breaths_s(breaths),
                format!("Hold for {}.", in_breaths(breaths)),
                Some((breaths, Unit::Breaths)),
            ),
            (None, Some(breaths), Some(_)) => (
                StepKind::Move,
                breaths_s(breaths),
                format!(
                    "One rep, moving with your breath over {}.",
                    in_breaths(breaths)
                ),
                Some((breaths, Unit::Breaths)),
            ),
            (None, None, Some(_)) => (
                StepKind::Move,
                settings.rep_tempo_s,
                format!(
                    "One slow, controlled rep (~{}).",
                    duration_in_words(settings.rep_tempo_s)
                ),
                None,
            ),
            (None, None, None) => return None,
        };

        let ceilings: Vec<String> = [
            paced_by,
            reps.map(|reps| (reps, Unit::Reps)),
            sets.map(|sets| (sets, Unit::Sets)),
        ]
        .into_iter()
        .flatten()
        .filter(|(chosen, _)| chosen.is_ceiling)
        .map(|(chosen, unit)| unit.quantity(chosen.value))
        .collect();
        if !ceilings.is_empty() {
            text.push_str(&format!(
                " Stop sooner if you've had enough; never more than {}.",
                ceilings.join(" or ")
            ));
        }

        Some(Self {
            kind,
            duration_s,
            text,
            reps: Repeat::from(reps),
            sets: Repeat::from(sets),
        })
    }
}

/// A dose amount settled to one figure for the chosen intensity.
#[derive(Clone, Copy)]
struct Chosen {
    value: u32,
    /// The article gave only an upper bound ("up to 5 minutes").
    is_ceiling: bool,
}

impl Chosen {
    fn from_range(amount: Amount, intensity: Intensity) -> Self {
        // A range from 0 is a ceiling, not a choice: nobody should be timed for a 0-second hold.
        if amount.min == 0 {
            return Self {
                value: amount.max,
                is_ceiling: true,
            };
        }
        let value = match intensity {
            Intensity::Gentle => amount.min,
            Intensity::Full => amount.max,
        };
        Self {
            value,
            is_ceiling: false,
        }
    }

    fn phrase(self, unit: Unit) -> String {
        let quantity = unit.quantity(self.value);
        if self.is_ceiling {
            format!("up to {quantity}")
        } else {
            quantity
        }
    }
}

#[derive(Clone, Copy)]
enum Unit {
    Seconds,
    Breaths,
    Reps,
    Sets,
}

impl Unit {
    fn quantity(self, value: u32) -> String {
        let (one, many) = match self {
            Unit::Seconds => return duration_in_words(value),
            Unit::Breaths => ("breath", "breaths"),
            Unit::Reps => ("rep", "reps"),
            Unit::Sets => ("set", "sets"),
        };
        format!("{value} {}", if value == 1 { one } else { many })
    }
}

/// How many times a part repeats, and whether the dose counts it (only counted parts get labels).
#[derive(Clone, Copy)]
struct Repeat {
    total: u32,
    counted: bool,
}

impl From<Option<Chosen>> for Repeat {
    fn from(chosen: Option<Chosen>) -> Self {
        match chosen {
            Some(chosen) => Self {
                total: chosen.value,
                counted: true,
            },
            None => Self {
                total: 1,
                counted: false,
            },
        }
    }
}

impl Repeat {
    fn counts(self) -> std::ops::RangeInclusive<u32> {
        1..=self.total
    }

    fn label(self, n: u32) -> Option<Count> {
        self.counted.then_some(Count { n, of: self.total })
    }
}

#[derive(Clone, Copy, Default)]
struct Labels {
    side: Option<Side>,
    set: Option<Count>,
    rep: Option<Count>,
}

#[derive(Default)]
struct Timeline {
    steps: Vec<TimedStep>,
    elapsed_s: u32,
}

impl Timeline {
    fn push(&mut self, kind: StepKind, text: String, labels: Labels, duration_s: u32) {
        self.steps.push(TimedStep {
            kind,
            text,
            side: labels.side,
            rep: labels.rep,
            set: labels.set,
            starts_at_s: self.elapsed_s,
            duration_s,
            picture: None,
        });
        // Content bounds keep real plans far below `u32::MAX`; saturating keeps odd settings from panicking.
        self.elapsed_s = self.elapsed_s.saturating_add(duration_s);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn range(min: u32, max: u32) -> Option<Amount> {
        Some(Amount { min, max })
    }

    fn entry(per_side: bool, dose: Dose) -> Entry {
        Entry {
            name: "Test Stretch".to_owned(),
            per_side,
            dose,
            ..Entry::example("test-stretch")
        }
    }

    fn full() -> PlanSettings {
        PlanSettings {
            intensity: Intensity::Full,
            ..PlanSettings::default()
        }
    }

    /// Checks what every plan must satisfy and returns its work: the steps after the instructions, before
    /// the finish.
    fn checked_work(plan: &TimerPlan) -> &[TimedStep] {
        let mut clock = 0;
        for step in &plan.steps {
            assert_eq!(step.starts_at_s, clock, "gap or overlap before {step:?}");
            clock += step.duration_s;
        }
        assert_eq!(plan.total_s, clock);

        let (finish, rest) = plan.steps.split_last().unwrap();
        assert_eq!(finish.kind, StepKind::Finish);
        assert_eq!(finish.duration_s, 0);
        assert!(
            finish.text.contains(&duration_in_words(plan.total_s)),
            "{}",
            finish.text
        );
        assert_eq!(rest[0].kind, StepKind::GetReady);

        let instructions = rest[1..]
            .iter()
            .take_while(|step| matches!(step.kind, StepKind::Instruction { .. }))
            .count();
        for (index, step) in rest[1..=instructions].iter().enumerate() {
            assert_eq!(step.kind, StepKind::Instruction { number: index + 1 });
            assert_eq!(step.duration_s, reading_time_s(&step.text));
            assert_eq!(step.progress(), "");
        }
        &rest[1 + instructions..]
    }

    /// The work in a form that is easy to compare whole: kind, labels and duration of each step.
    fn shape(work: &[TimedStep]) -> Vec<(StepKind, String, u32)> {
        work.iter()
            .map(|step| (step.kind, step.progress(), step.duration_s))
            .collect()
    }

    #[test]
    fn default_settings_are_the_documented_pace() {
        assert_eq!(
            PlanSettings::default(),
            PlanSettings {
                get_ready_s: 10,
                seconds_per_breath: 5,
                rep_tempo_s: 4,
                release_s: 3,
                rest_between_sets_s: 30,
                intensity: Intensity::Gentle,
            }
        );
    }

    #[test]
    fn reading_time_grows_with_words_up_to_a_cap() {
        assert_eq!(reading_time_s("Sit tall."), 5);
        assert_eq!(reading_time_s("one two three"), 5);
        assert_eq!(reading_time_s("one two three four"), 6);
        assert_eq!(reading_time_s(&"word ".repeat(200)), 15);
    }

    #[test]
    fn gentle_takes_the_low_end_of_each_range_and_full_the_high_end() {
        let dose = Dose {
            hold_s: range(20, 30),
            reps: range(2, 3),
            sets: range(1, 2),
            ..Dose::default()
        };
        let entry = entry(false, dose);

        let gentle = plan(&entry, &PlanSettings::default());
        assert_eq!(
            shape(checked_work(&gentle)),
            vec![
                (StepKind::Hold, "set 1 of 1 · rep 1 of 2".to_owned(), 20),
                (StepKind::Release, "set 1 of 1 · rep 1 of 2".to_owned(), 3),
                (StepKind::Hold, "set 1 of 1 · rep 2 of 2".to_owned(), 20),
            ]
        );

        let full = plan(&entry, &full());
        let work = checked_work(&full);
        assert_eq!(
            work.iter().filter(|s| s.kind == StepKind::Hold).count(),
            2 * 3
        );
        assert!(
            work.iter()
                .filter(|s| s.kind == StepKind::Hold)
                .all(|s| s.duration_s == 30)
        );
        assert_eq!(work[0].text, "Hold for 30 s.");
    }

    #[test]
    fn a_range_from_zero_is_a_ceiling_at_either_intensity() {
        let capped_hold = entry(
            false,
            Dose {
                hold_s: range(0, 90),
                ..Dose::default()
            },
        );
        for settings in [PlanSettings::default(), full()] {
            let plan = plan(&capped_hold, &settings);
            let work = checked_work(&plan);
            assert_eq!(shape(work), vec![(StepKind::Hold, String::new(), 90)]);
            assert_eq!(
                work[0].text,
                "Hold for up to 1 min 30 s. Stop sooner if you've had enough; never more than 1 min 30 s."
            );
        }

        let breaths = entry(
            false,
            Dose {
                breaths: range(0, 10),
                reps: range(0, 4),
                ..Dose::default()
            },
        );
        let plan = plan(&breaths, &PlanSettings::default());
        assert_eq!(
            checked_work(&plan)[0].text,
            "One rep, moving with your breath over up to 10 breaths (~50 s). \
             Stop sooner if you've had enough; never more than 10 breaths or 4 reps."
        );
    }

    #[test]
    fn a_hold_in_breaths_is_timed_by_the_breath() {
        let entry = entry(
            false,
            Dose {
                breaths: range(3, 6),
                ..Dose::default()
            },
        );
        let slow = PlanSettings {
            seconds_per_breath: 8,
            ..PlanSettings::default()
        };
        let plan = plan(&entry, &slow);
        let work = checked_work(&plan);
        assert_eq!(shape(work), vec![(StepKind::Hold, String::new(), 24)]);
        assert_eq!(work[0].text, "Hold for 3 breaths (~24 s).");
    }

    #[test]
    fn seconds_win_when_a_dose_gives_both_seconds_and_breaths() {
        let entry = entry(
            false,
            Dose {
                hold_s: range(15, 15),
                breaths: range(5, 5),
                ..Dose::default()
            },
        );
        let plan = plan(&entry, &PlanSettings::default());
        assert_eq!(
            shape(checked_work(&plan)),
            vec![(StepKind::Hold, String::new(), 15)]
        );
    }

    #[test]
    fn reps_without_a_hold_are_moves_at_the_tempo_or_the_breath_with_no_release() {
        let tempo = entry(
            false,
            Dose {
                reps: range(3, 3),
                ..Dose::default()
            },
        );
        let plan_at_tempo = plan(
            &tempo,
            &PlanSettings {
                rep_tempo_s: 6,
                ..PlanSettings::default()
            },
        );
        let work = checked_work(&plan_at_tempo);
        assert_eq!(
            shape(work),
            vec![
                (StepKind::Move, "rep 1 of 3".to_owned(), 6),
                (StepKind::Move, "rep 2 of 3".to_owned(), 6),
                (StepKind::Move, "rep 3 of 3".to_owned(), 6),
            ]
        );
        assert_eq!(work[0].text, "One slow, controlled rep (~6 s).");

        let breath_paced = entry(
            false,
            Dose {
                reps: range(2, 2),
                breaths: range(1, 1),
                ..Dose::default()
            },
        );
        let plan = plan(&breath_paced, &PlanSettings::default());
        let work = checked_work(&plan);
        assert_eq!(
            shape(work),
            vec![
                (StepKind::Move, "rep 1 of 2".to_owned(), 5),
                (StepKind::Move, "rep 2 of 2".to_owned(), 5),
            ]
        );
        assert_eq!(
            work[0].text,
            "One rep, moving with your breath over 1 breath (~5 s)."
        );
    }

    #[test]
    fn a_dose_with_nothing_to_time_gets_no_invented_hold() {
        for dose in [
            Dose::default(),
            Dose {
                frequency: Some("daily".to_owned()),
                sets: range(2, 2),
                ..Dose::default()
            },
        ] {
            let plan = plan(&entry(true, dose), &PlanSettings::default());
            assert!(checked_work(&plan).is_empty(), "{plan:?}");
        }
    }

    #[test]
    fn get_ready_names_the_position_equipment_and_sides() {
        let mut towel_twist = entry(true, Dose::default());
        towel_twist.equipment = vec![Equipment::Chair, Equipment::Towel];
        assert_eq!(
            plan(&towel_twist, &PlanSettings::default()).steps[0].text,
            "Get ready for Test Stretch: seated; you'll need: chair, towel. Left side first, then right."
        );
        assert_eq!(
            plan(&entry(false, Dose::default()), &PlanSettings::default()).steps[0].text,
            "Get ready for Test Stretch: seated; no equipment needed."
        );
    }

    #[test]
    fn progress_reads_side_set_then_rep() {
        let step = TimedStep {
            kind: StepKind::Hold,
            text: String::new(),
            side: Some(Side::Left),
            rep: Some(Count { n: 4, of: 10 }),
            set: Some(Count { n: 2, of: 3 }),
            starts_at_s: 0,
            duration_s: 5,
            picture: None,
        };
        assert_eq!(step.progress(), "Left side · set 2 of 3 · rep 4 of 10");
    }

    #[test]
    fn durations_read_in_minutes_and_seconds() {
        assert_eq!(duration_in_words(0), "0 s");
        assert_eq!(duration_in_words(59), "59 s");
        assert_eq!(duration_in_words(120), "2 min");
        assert_eq!(duration_in_words(125), "2 min 5 s");
    }

    mod real_content {
        use std::path::Path;

        use super::*;
        use crate::domain::catalog::Catalog;

        fn real_entry(id: &str) -> Entry {
            let content = Path::new(env!("CARGO_MANIFEST_DIR")).join("content");
            let catalog = Catalog::load_dir(&content)
                .unwrap_or_else(|errors| panic!("content/ does not load:\n{errors}"));
            catalog
                .get(id)
                .unwrap_or_else(|| panic!("no `{id}` in content/"))
                .clone()
        }

        fn labelled(kind: StepKind, progress: &str, duration_s: u32) -> (StepKind, String, u32) {
            (kind, progress.to_owned(), duration_s)
        }

        #[test]
        fn cat_cow_is_reps_of_a_move_on_no_side_and_in_no_set() {
            let entry = real_entry("cat-cow");
            let gentle = plan(&entry, &PlanSettings::default());
            let work = checked_work(&gentle);

            assert_eq!(gentle.stretch.as_str(), "cat-cow");
            assert_eq!(
                gentle.steps[0],
                TimedStep {
                    kind: StepKind::GetReady,
                    text: "Get ready for Cat-Cow: on hands and knees; you'll need: mat.".to_owned(),
                    side: None,
                    rep: None,
                    set: None,
                    starts_at_s: 0,
                    duration_s: 10,
                    picture: Some(StepPicture::Pose(0)),
                }
            );
            assert_eq!(gentle.steps.len(), 1 + entry.steps.len() + work.len() + 1);
            // "Get down on your hands and knees, with a mat, …": 21 words.
            assert_eq!(gentle.steps[1].duration_s, 4 + 7);
            assert_eq!(
                shape(work),
                vec![
                    labelled(StepKind::Move, "rep 1 of 3", 4),
                    labelled(StepKind::Move, "rep 2 of 3", 4),
                    labelled(StepKind::Move, "rep 3 of 3", 4),
                ]
            );
            let reading_s: u32 = entry.steps.iter().map(|s| reading_time_s(s)).sum();
            assert_eq!(gentle.total_s, 10 + reading_s + 3 * 4);

            let full = plan(&entry, &full());
            assert_eq!(checked_work(&full).len(), 15);
        }

        #[test]
        fn seated_twist_holds_five_breaths_on_each_side() {
            let gentle = plan(&real_entry("seated-twist"), &PlanSettings::default());
            let work = checked_work(&gentle);
            assert_eq!(
                shape(work),
                vec![
                    labelled(StepKind::Hold, "Left side", 25),
                    labelled(StepKind::SwitchSide, "Right side", 10),
                    labelled(StepKind::Hold, "Right side", 25),
                ]
            );
            assert_eq!(work[0].text, "Hold for 5 breaths (~25 s).");
            assert_eq!(work[1].text, "Switch sides: same steps on the right side.");
            assert_eq!(
                plan(&real_entry("seated-twist"), &full()).total_s,
                gentle.total_s,
                "the dose is exactly 5 breaths, so intensity changes nothing"
            );
        }

        #[test]
        fn thread_the_needle_releases_between_held_reps_on_each_side() {
            let gentle = plan(&real_entry("thread-the-needle"), &PlanSettings::default());
            let one_side = |side: &'static str| {
                (1..=5).flat_map(move |n| {
                    let at = format!("{side} · rep {n} of 5");
                    let hold = labelled(StepKind::Hold, &at, 5);
                    let release = (n < 5).then(|| labelled(StepKind::Release, &at, 3));
                    std::iter::once(hold).chain(release)
                })
            };
            let expected: Vec<_> = one_side("Left side")
                .chain([labelled(StepKind::SwitchSide, "Right side", 10)])
                .chain(one_side("Right side"))
                .collect();
            let work = checked_work(&gentle);
            assert_eq!(shape(work), expected);
            assert_eq!(work[0].text, "Hold for 5 s.");

            let full = plan(&real_entry("thread-the-needle"), &full());
            assert!(
                checked_work(&full)
                    .iter()
                    .filter(|s| s.kind == StepKind::Hold)
                    .all(|s| s.duration_s == 10)
            );
        }

        #[test]
        fn thoracic_rotation_rests_between_sets_only() {
            for (settings, sets, reps, hold_s) in
                [(PlanSettings::default(), 2, 10, 3), (full(), 3, 15, 5)]
            {
                let plan = plan(&real_entry("thoracic-rotation"), &settings);
                let work = checked_work(&plan);

                let mut expected = vec![];
                for set in 1..=sets {
                    if set > 1 {
                        expected.push(labelled(
                            StepKind::Rest,
                            &format!("set {set} of {sets}"),
                            30,
                        ));
                    }
                    for side in ["Left side", "Right side"] {
                        if side == "Right side" {
                            expected.push(labelled(
                                StepKind::SwitchSide,
                                &format!("Right side · set {set} of {sets}"),
                                10,
                            ));
                        }
                        for rep in 1..=reps {
                            let at = format!("{side} · set {set} of {sets} · rep {rep} of {reps}");
                            expected.push(labelled(StepKind::Hold, &at, hold_s));
                            if rep < reps {
                                expected.push(labelled(StepKind::Release, &at, 3));
                            }
                        }
                    }
                }
                assert_eq!(shape(work), expected);
                assert_eq!(
                    work.last().unwrap().progress(),
                    format!("Right side · set {sets} of {sets} · rep {reps} of {reps}")
                );
                let rest = work.iter().find(|s| s.kind == StepKind::Rest).unwrap();
                assert_eq!(rest.text, format!("Rest, then set 2 of {sets}."));
            }
        }

        #[test]
        fn towel_back_bend_holds_up_to_five_minutes_as_a_maximum() {
            for settings in [PlanSettings::default(), full()] {
                let plan = plan(&real_entry("towel-back-bend"), &settings);
                let work = checked_work(&plan);
                assert_eq!(shape(work), vec![labelled(StepKind::Hold, "", 300)]);
                assert_eq!(
                    work[0].text,
                    "Hold for up to 5 min. Stop sooner if you've had enough; never more than 5 min."
                );
            }
        }

        #[test]
        fn steps_show_their_instructions_poses_then_the_work_pose_of_their_side() {
            let cat_cow = real_entry("cat-cow");
            let moving = plan(&cat_cow, &PlanSettings::default());
            let poses = &cat_cow.illustration.step_poses;
            for step in &moving.steps {
                let expected = match step.kind {
                    StepKind::GetReady => StepPicture::Pose(poses[0]),
                    StepKind::Instruction { number } => StepPicture::Pose(poses[number - 1]),
                    _ => StepPicture::Animation,
                };
                assert_eq!(step.picture, Some(expected), "{step:?}");
            }

            let cross_arm = real_entry("cross-arm-stretch");
            let pose = |name: &str| {
                let index = cross_arm
                    .illustration
                    .poses
                    .iter()
                    .position(|p| p.name == name);
                index.map(StepPicture::Pose)
            };
            let plan = plan(&cross_arm, &PlanSettings::default());
            for step in checked_work(&plan) {
                let side = if step.side == Some(Side::Right) {
                    "right"
                } else {
                    "left"
                };
                assert_eq!(step.picture, pose(side), "{step:?}");
            }
            let (finish, before) = plan.steps.split_last().unwrap();
            assert_eq!(finish.picture, before.last().unwrap().picture);
        }

        #[test]
        fn without_a_work_pose_a_hold_shows_the_pose_most_steps_show() {
            let entry = real_entry("chest-opener");
            assert_eq!(entry.illustration.work, None);
            let plan = plan(&entry, &PlanSettings::default());
            let open = entry
                .illustration
                .poses
                .iter()
                .position(|p| p.name == "open");
            for step in checked_work(&plan) {
                assert_eq!(step.picture, open.map(StepPicture::Pose), "{step:?}");
            }
        }

        #[test]
        fn mountain_pose_is_just_its_instructions() {
            let entry = real_entry("mountain-pose");
            let plan = plan(&entry, &PlanSettings::default());
            assert!(checked_work(&plan).is_empty());
            assert_eq!(plan.steps.len(), 1 + entry.steps.len() + 1);
            // "Spread your toes apart.": 4 words.
            assert_eq!(plan.steps[2].duration_s, 4 + 2);
            let reading_s: u32 = entry.steps.iter().map(|s| reading_time_s(s)).sum();
            assert_eq!(plan.total_s, 10 + reading_s);
            assert_eq!(
                plan.steps.last().unwrap().text,
                format!(
                    "Finished Mountain Pose: {} in all.",
                    duration_in_words(plan.total_s)
                )
            );
        }
    }
}
