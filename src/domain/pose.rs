//! Poses: a stick figure described by the direction of each body part, the props around it, and the
//! geometry that turns both into points (forward kinematics), so adapters only have to draw.
//!
//! Units are "body units": a standing figure is about 100 tall, the floor is `y = 0` and `y` grows
//! upward. Angles are whole degrees in the picture plane, measured like a compass drawn on paper:
//! 0 points to the right of the picture, 90 straight up, 180 left, -90 down. Every part's angle is its
//! own direction, not relative to its parent, so each one can be read and written on its own.

use std::f32::consts::PI;

/// Looks a word up in a closed table of spellings; the error lists every allowed spelling.
pub fn lookup<T: Copy>(table: &[(&'static str, T)], what: &str, raw: &str) -> Result<T, String> {
    table
        .iter()
        .find(|(name, _)| *name == raw)
        .map(|(_, value)| *value)
        .ok_or_else(|| {
            let allowed: Vec<_> = table.iter().map(|(name, _)| *name).collect();
            format!("`{raw}` is not a {what}: use one of {}", allowed.join(", "))
        })
}

/// Which way the figure is seen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum View {
    /// From the figure's side; it faces the picture's right unless [`Facing::Left`].
    Side,
    /// From in front: the figure's left is the picture's right, as in a mirror.
    Front,
}

pub const VIEWS: [(&str, View); 2] = [("side", View::Side), ("front", View::Front)];

/// Which way a side-view figure faces. Facing right, its left side is toward the viewer; facing left
/// mirrors the whole picture, so its right side is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Facing {
    Right,
    Left,
}

pub const FACINGS: [(&str, Facing); 2] = [("right", Facing::Right), ("left", Facing::Left)];

/// A body part drawn as one segment. The discriminant indexes [`Pose::parts`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Part {
    LowerBack,
    MiddleBack,
    UpperBack,
    Neck,
    Head,
    LeftUpperArm,
    LeftForearm,
    RightUpperArm,
    RightForearm,
    LeftThigh,
    LeftShin,
    LeftFoot,
    RightThigh,
    RightShin,
    RightFoot,
}

pub const PART_COUNT: usize = 15;

pub const PARTS: [(&str, Part); PART_COUNT] = [
    ("lower_back", Part::LowerBack),
    ("middle_back", Part::MiddleBack),
    ("upper_back", Part::UpperBack),
    ("neck", Part::Neck),
    ("head", Part::Head),
    ("left_upper_arm", Part::LeftUpperArm),
    ("left_forearm", Part::LeftForearm),
    ("right_upper_arm", Part::RightUpperArm),
    ("right_forearm", Part::RightForearm),
    ("left_thigh", Part::LeftThigh),
    ("left_shin", Part::LeftShin),
    ("left_foot", Part::LeftFoot),
    ("right_thigh", Part::RightThigh),
    ("right_shin", Part::RightShin),
    ("right_foot", Part::RightFoot),
];

impl Part {
    /// Full length in body units, as seen when the part lies flat in the picture plane.
    pub fn length(self) -> f32 {
        match self {
            Part::LowerBack => 11.0,
            Part::MiddleBack | Part::UpperBack => 10.0,
            Part::Neck => 5.0,
            Part::Head => 6.5,
            Part::LeftUpperArm | Part::RightUpperArm => 17.0,
            Part::LeftForearm | Part::RightForearm => 17.0,
            Part::LeftThigh | Part::RightThigh => 25.0,
            Part::LeftShin | Part::RightShin => 24.0,
            Part::LeftFoot | Part::RightFoot => 8.0,
        }
    }

    /// Half the drawn thickness, in body units; the torso is the thickest.
    pub fn radius(self) -> f32 {
        match self {
            Part::LowerBack | Part::MiddleBack | Part::UpperBack => 7.0,
            Part::Neck => 3.0,
            Part::Head => 7.0,
            _ => 3.4,
        }
    }

    pub fn is_left(self) -> bool {
        matches!(
            self,
            Part::LeftUpperArm
                | Part::LeftForearm
                | Part::LeftThigh
                | Part::LeftShin
                | Part::LeftFoot
        )
    }

    pub fn is_right(self) -> bool {
        matches!(
            self,
            Part::RightUpperArm
                | Part::RightForearm
                | Part::RightThigh
                | Part::RightShin
                | Part::RightFoot
        )
    }
}

/// One part's direction and how much of its length shows (less than 100 when it points toward or away
/// from the viewer).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bone {
    pub angle: i32,
    pub percent: u32,
}

/// A place the figure's points can be named by: props attach to them and arrows start from them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Joint {
    Hips,
    LowerBack,
    MiddleBack,
    UpperBack,
    Shoulders,
    Head,
    LeftElbow,
    LeftHand,
    RightElbow,
    RightHand,
    LeftKnee,
    LeftAnkle,
    LeftToes,
    RightKnee,
    RightAnkle,
    RightToes,
}

pub const JOINTS: [(&str, Joint); 16] = [
    ("hips", Joint::Hips),
    ("lower_back", Joint::LowerBack),
    ("middle_back", Joint::MiddleBack),
    ("upper_back", Joint::UpperBack),
    ("shoulders", Joint::Shoulders),
    ("head", Joint::Head),
    ("left_elbow", Joint::LeftElbow),
    ("left_hand", Joint::LeftHand),
    ("right_elbow", Joint::RightElbow),
    ("right_hand", Joint::RightHand),
    ("left_knee", Joint::LeftKnee),
    ("left_ankle", Joint::LeftAnkle),
    ("left_toes", Joint::LeftToes),
    ("right_knee", Joint::RightKnee),
    ("right_ankle", Joint::RightAnkle),
    ("right_toes", Joint::RightToes),
];

/// A point in the scene: fixed, or on the figure (so it follows the figure between poses).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Anchor {
    At([i32; 2]),
    Joint(Joint),
}

/// An arrow showing which way a part moves: it starts just clear of `at` and points `toward`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Arrow {
    pub at: Anchor,
    pub toward: i32,
}

/// A named key position of an entry's movement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pose {
    pub name: String,
    pub view: View,
    pub facing: Facing,
    /// Where the hip joint is; `None` rests the figure's lowest point on the floor.
    pub hips: Option<[i32; 2]>,
    /// Indexed by `Part as usize`.
    pub parts: [Bone; PART_COUNT],
    /// Front view only: how far the shoulders turn toward the figure's left (negative: its right).
    pub turn: i32,
    /// The parts being stretched, drawn highlighted.
    pub stretched: Vec<Part>,
    pub arrow: Option<Arrow>,
    /// Props only this pose has (a band in the working hand of one side), besides the entry's.
    pub props: Vec<Prop>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PropKind {
    Mat,
    Chair,
    Wall,
    Doorway,
    TowelRoll,
    FoamRoller,
    ExerciseBall,
    Dumbbell,
    ResistanceBand,
}

pub const PROP_KINDS: [(&str, PropKind); 9] = [
    ("mat", PropKind::Mat),
    ("chair", PropKind::Chair),
    ("wall", PropKind::Wall),
    ("doorway", PropKind::Doorway),
    ("towel-roll", PropKind::TowelRoll),
    ("foam-roller", PropKind::FoamRoller),
    ("exercise-ball", PropKind::ExerciseBall),
    ("dumbbell", PropKind::Dumbbell),
    ("resistance-band", PropKind::ResistanceBand),
];

impl PropKind {
    /// Whether the prop spans from `at` to a second point (`to`) rather than sitting at one.
    pub fn spans(self) -> bool {
        matches!(
            self,
            PropKind::Mat | PropKind::ResistanceBand | PropKind::Doorway
        )
    }
}

/// Something the entry uses besides a body. The floor line is always drawn and is not a prop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Prop {
    pub kind: PropKind,
    pub at: Anchor,
    pub to: Option<Anchor>,
}

/// An entry's pictures: its poses, which pose each step shows, and the movement worth animating.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Illustration {
    pub poses: Vec<Pose>,
    /// For each step of the entry, the index in `poses` of the pose it shows.
    pub step_poses: Vec<usize>,
    /// Indexes in `poses` an animation eases through, back to the first; empty for a still stretch.
    pub motion: Vec<usize>,
    /// The pose a timer shows while the member holds or moves through the reps, for the left side and
    /// the right (the same pose twice unless the entry is done per side); `None` when the content names
    /// none (see [`crate::domain::timer_plan::StepPicture`] for what the timer shows then).
    pub work: Option<[usize; 2]>,
    pub props: Vec<Prop>,
}

/// A pose in continuous numbers, so that two poses can be blended for an animation.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Figure {
    pub view: View,
    pub facing: Facing,
    pub hips: Option<[f32; 2]>,
    /// Direction (radians) and length (body units) of every part.
    pub parts: [(f32, f32); PART_COUNT],
    /// Radians.
    pub turn: f32,
}

impl Pose {
    pub fn figure(&self) -> Figure {
        let mut parts = [(0.0, 0.0); PART_COUNT];
        for (index, (_, part)) in PARTS.iter().enumerate() {
            let bone = self.parts[index];
            parts[index] = (
                (bone.angle as f32).to_radians(),
                part.length() * bone.percent as f32 / 100.0,
            );
        }
        Figure {
            view: self.view,
            facing: self.facing,
            hips: self.hips.map(|[x, y]| [x as f32, y as f32]),
            parts,
            turn: (self.turn as f32).to_radians(),
        }
    }
}

/// Every point of a figure placed in the scene, in body units.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Skeleton {
    /// The spine: hips, then the end of the lower, middle and upper back (the base of the neck).
    pub spine: [[f32; 2]; 4],
    pub neck_top: [f32; 2],
    pub head: [f32; 2],
    pub left_shoulder: [f32; 2],
    pub right_shoulder: [f32; 2],
    pub left_hip: [f32; 2],
    pub right_hip: [f32; 2],
    /// Elbow then hand.
    pub left_arm: [[f32; 2]; 2],
    pub right_arm: [[f32; 2]; 2],
    /// Knee, ankle, toes.
    pub left_leg: [[f32; 2]; 3],
    pub right_leg: [[f32; 2]; 3],
}

/// Half the width of the shoulders and of the hips in a front view.
const SHOULDER_HALF_WIDTH: f32 = 9.0;
const HIP_HALF_WIDTH: f32 = 5.5;

fn step(from: [f32; 2], (angle, length): (f32, f32)) -> [f32; 2] {
    [
        from[0] + angle.cos() * length,
        from[1] + angle.sin() * length,
    ]
}

fn shift(point: [f32; 2], by: [f32; 2]) -> [f32; 2] {
    [point[0] + by[0], point[1] + by[1]]
}

impl Figure {
    fn part(&self, part: Part) -> (f32, f32) {
        self.parts[part as usize]
    }

    /// Eases from `self` (t = 0) to `other` (t = 1), turning each part the short way round.
    pub fn blend(&self, other: &Figure, t: f32) -> Figure {
        let mix = |a: f32, b: f32| a + (b - a) * t;
        let mut parts = self.parts;
        for (index, part) in parts.iter_mut().enumerate() {
            let (a, la) = self.parts[index];
            let (b, lb) = other.parts[index];
            let mut delta = (b - a) % (2.0 * PI);
            if delta > PI {
                delta -= 2.0 * PI;
            } else if delta < -PI {
                delta += 2.0 * PI;
            }
            *part = (a + delta * t, mix(la, lb));
        }
        let hips = match (self.hips, other.hips) {
            (Some(a), Some(b)) => Some([mix(a[0], b[0]), mix(a[1], b[1])]),
            _ => None,
        };
        Figure {
            hips,
            parts,
            turn: mix(self.turn, other.turn),
            ..*self
        }
    }

    /// Places every point: from the hips when they are given, else resting on the floor.
    pub fn skeleton(&self) -> Skeleton {
        let at_origin = self.skeleton_from([0.0, 0.0]);
        let hips = self.hips.unwrap_or_else(|| {
            let lowest = at_origin
                .segments()
                .iter()
                .flat_map(|(part, a, b)| [a[1] - part.radius(), b[1] - part.radius()])
                .fold(f32::INFINITY, f32::min);
            [0.0, -lowest]
        });
        self.skeleton_from(hips)
    }

    fn skeleton_from(&self, hips: [f32; 2]) -> Skeleton {
        let waist = step(hips, self.part(Part::LowerBack));
        let middle = step(waist, self.part(Part::MiddleBack));
        let shoulders = step(middle, self.part(Part::UpperBack));
        let neck_top = step(shoulders, self.part(Part::Neck));
        let head = step(neck_top, self.part(Part::Head));
        let (left_shoulder, right_shoulder, left_hip, right_hip) = match self.view {
            View::Side => (shoulders, shoulders, hips, hips),
            View::Front => {
                let across = |angle: f32, half_width: f32| {
                    let right_of_spine = angle - PI / 2.0;
                    [
                        right_of_spine.cos() * half_width,
                        right_of_spine.sin() * half_width,
                    ]
                };
                let shoulder = across(
                    self.part(Part::UpperBack).0,
                    SHOULDER_HALF_WIDTH * self.turn.cos(),
                );
                let hip = across(self.part(Part::LowerBack).0, HIP_HALF_WIDTH);
                (
                    shift(shoulders, shoulder),
                    shift(shoulders, [-shoulder[0], -shoulder[1]]),
                    shift(hips, hip),
                    shift(hips, [-hip[0], -hip[1]]),
                )
            }
        };
        let limb2 = |from: [f32; 2], a: Part, b: Part| {
            let first = step(from, self.part(a));
            [first, step(first, self.part(b))]
        };
        let limb3 = |from: [f32; 2], a: Part, b: Part, c: Part| {
            let first = step(from, self.part(a));
            let second = step(first, self.part(b));
            [first, second, step(second, self.part(c))]
        };
        Skeleton {
            spine: [hips, waist, middle, shoulders],
            neck_top,
            head,
            left_shoulder,
            right_shoulder,
            left_hip,
            right_hip,
            left_arm: limb2(left_shoulder, Part::LeftUpperArm, Part::LeftForearm),
            right_arm: limb2(right_shoulder, Part::RightUpperArm, Part::RightForearm),
            left_leg: limb3(left_hip, Part::LeftThigh, Part::LeftShin, Part::LeftFoot),
            right_leg: limb3(
                right_hip,
                Part::RightThigh,
                Part::RightShin,
                Part::RightFoot,
            ),
        }
    }

    /// A side-view figure facing left is drawn as the mirror image of the whole scene, props and
    /// fixed points included, so content is always written facing right.
    pub fn mirrored(&self) -> bool {
        self.view == View::Side && self.facing == Facing::Left
    }
}

impl Skeleton {
    /// Every drawn part as a segment from one point to the next (the head from the neck to its centre).
    pub fn segments(&self) -> [(Part, [f32; 2], [f32; 2]); PART_COUNT] {
        let [hips, waist, middle, shoulders] = self.spine;
        [
            (Part::LowerBack, hips, waist),
            (Part::MiddleBack, waist, middle),
            (Part::UpperBack, middle, shoulders),
            (Part::Neck, shoulders, self.neck_top),
            (Part::Head, self.neck_top, self.head),
            (Part::LeftUpperArm, self.left_shoulder, self.left_arm[0]),
            (Part::LeftForearm, self.left_arm[0], self.left_arm[1]),
            (Part::RightUpperArm, self.right_shoulder, self.right_arm[0]),
            (Part::RightForearm, self.right_arm[0], self.right_arm[1]),
            (Part::LeftThigh, self.left_hip, self.left_leg[0]),
            (Part::LeftShin, self.left_leg[0], self.left_leg[1]),
            (Part::LeftFoot, self.left_leg[1], self.left_leg[2]),
            (Part::RightThigh, self.right_hip, self.right_leg[0]),
            (Part::RightShin, self.right_leg[0], self.right_leg[1]),
            (Part::RightFoot, self.right_leg[1], self.right_leg[2]),
        ]
    }

    /// Where a named point is. Back joints are the middle of their part, where an arrow reads best.
    pub fn joint(&self, joint: Joint) -> [f32; 2] {
        let mid = |a: [f32; 2], b: [f32; 2]| [(a[0] + b[0]) / 2.0, (a[1] + b[1]) / 2.0];
        let [hips, waist, middle, shoulders] = self.spine;
        match joint {
            Joint::Hips => hips,
            Joint::LowerBack => mid(hips, waist),
            Joint::MiddleBack => mid(waist, middle),
            Joint::UpperBack => mid(middle, shoulders),
            Joint::Shoulders => shoulders,
            Joint::Head => self.head,
            Joint::LeftElbow => self.left_arm[0],
            Joint::LeftHand => self.left_arm[1],
            Joint::RightElbow => self.right_arm[0],
            Joint::RightHand => self.right_arm[1],
            Joint::LeftKnee => self.left_leg[0],
            Joint::LeftAnkle => self.left_leg[1],
            Joint::LeftToes => self.left_leg[2],
            Joint::RightKnee => self.right_leg[0],
            Joint::RightAnkle => self.right_leg[1],
            Joint::RightToes => self.right_leg[2],
        }
    }

    pub fn anchor(&self, anchor: Anchor) -> [f32; 2] {
        match anchor {
            Anchor::At([x, y]) => [x as f32, y as f32],
            Anchor::Joint(joint) => self.joint(joint),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn standing() -> Pose {
        let bone = |angle| Bone {
            angle,
            percent: 100,
        };
        let mut parts = [bone(-90); PART_COUNT];
        for part in [
            Part::LowerBack,
            Part::MiddleBack,
            Part::UpperBack,
            Part::Neck,
            Part::Head,
        ] {
            parts[part as usize] = bone(90);
        }
        parts[Part::LeftFoot as usize] = bone(0);
        parts[Part::RightFoot as usize] = bone(0);
        Pose {
            name: "standing".into(),
            view: View::Side,
            facing: Facing::Right,
            hips: None,
            parts,
            turn: 0,
            stretched: vec![],
            arrow: None,
            props: vec![],
        }
    }

    #[test]
    fn a_standing_figure_rests_on_the_floor_about_a_hundred_tall() {
        let skeleton = standing().figure().skeleton();
        let ankle = skeleton.left_leg[1];
        assert!((ankle[1] - Part::LeftFoot.radius()).abs() < 0.01);
        let top = skeleton.head[1] + Part::Head.radius();
        assert!((95.0..105.0).contains(&top), "{top}");
    }

    #[test]
    fn only_a_side_view_facing_left_is_mirrored() {
        let mut pose = standing();
        assert!(!pose.figure().mirrored());
        pose.facing = Facing::Left;
        assert!(pose.figure().mirrored());
        pose.view = View::Front;
        assert!(!pose.figure().mirrored());
    }

    #[test]
    fn blending_turns_the_short_way_and_ends_on_the_target() {
        let mut from = standing();
        from.parts[Part::LeftUpperArm as usize].angle = 170;
        let mut to = standing();
        to.parts[Part::LeftUpperArm as usize].angle = -170;
        let half = from.figure().blend(&to.figure(), 0.5);
        assert!((half.parts[Part::LeftUpperArm as usize].0.abs() - PI).abs() < 0.01);
        let end = from.figure().blend(&to.figure(), 1.0);
        let target = to.figure().parts[Part::LeftUpperArm as usize].0;
        assert!((end.parts[Part::LeftUpperArm as usize].0.sin() - target.sin()).abs() < 0.001);
    }
}
