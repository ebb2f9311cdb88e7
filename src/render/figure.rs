//! Drawing one scene: the floor, the props, the body and the arrow, in body units mapped to pixels.

use tiny_skia::{
    FillRule, LineCap, LineJoin, Paint, Path, PathBuilder, Pixmap, Rect, Stroke, Transform,
};

use super::RenderError;
use crate::domain::catalog::Entry;
use crate::domain::pose::{Anchor, Arrow, Facing, Figure, Part, Prop, PropKind, Skeleton, View};

pub mod style {
    /// Colours as RGB; see [`super::colour`].
    pub type Rgb = [u8; 3];

    /// A warm light card: dark figures read on it, and it stands out on Discord's dark theme too.
    pub const BACKGROUND: Rgb = [0xF3, 0xEF, 0xE6];
    pub const BODY: Rgb = [0x2E, 0x3F, 0x55];
    /// The far-side limbs: the body colour, lighter, so near and far read apart.
    pub const FAR_BODY: Rgb = [0x7D, 0x8D, 0xA1];
    pub const STRETCHED: Rgb = [0xE2, 0x5B, 0x2A];
    pub const FAR_STRETCHED: Rgb = [0xEE, 0x9C, 0x7C];
    pub const PROP: Rgb = [0xB9, 0xB0, 0xA0];
    pub const PROP_EDGE: Rgb = [0x9A, 0x90, 0x80];
    pub const ARROW: Rgb = [0x1F, 0x8A, 0x7E];
}

/// Radius of the props that are round, in body units.
const TOWEL_ROLL_RADIUS: f32 = 4.5;
const FOAM_ROLLER_RADIUS: f32 = 7.5;
const BALL_RADIUS: f32 = 20.0;
/// In a front view a wall is the panel behind the figure, this wide either side of `at`.
const WALL_HALF_WIDTH: f32 = 45.0;
const WALL_HEIGHT: f32 = 130.0;
const DOOR_HEIGHT: f32 = 125.0;
/// How far below the hip joint a chair's seat is, and the chair's size.
const SEAT_BELOW_HIPS: f32 = 7.5;
const SEAT_DEPTH: f32 = 24.0;
const CHAIR_BACK: f32 = 34.0;
/// An arrow starts this far from its joint (clear of the body) and is this long.
const ARROW_CLEARANCE: f32 = 12.0;
const ARROW_LENGTH: f32 = 16.0;
const MARGIN_PX: f32 = 14.0;

/// How body units map to pixels for one entry: every pose of the entry fits, at one scale, so stills
/// line up and an animation does not jump.
pub struct Frame {
    scale: f32,
    left: f32,
    bottom: f32,
    width: u32,
    height: u32,
}

impl Frame {
    pub fn for_entry(entry: &Entry, width: u32, height: u32) -> Result<Frame, RenderError> {
        let poses = &entry.illustration.poses;
        if poses.is_empty() {
            return Err(RenderError::NoPoses(entry.id.to_string()));
        }
        let mut bounds = Bounds::new();
        bounds.add([0.0, 0.0], 0.0);
        for pose in poses {
            let figure = pose.figure();
            let skeleton = figure.skeleton();
            let mut pose_bounds = Bounds::new();
            for (part, a, b) in skeleton.segments() {
                pose_bounds.add(a, part.radius());
                pose_bounds.add(b, part.radius());
            }
            for prop in entry.illustration.props.iter().chain(&pose.props) {
                prop_bounds(&mut pose_bounds, prop, &skeleton, figure.view);
            }
            if let Some(arrow) = pose.arrow {
                let (start, end) = arrow_ends(&skeleton, arrow);
                pose_bounds.add(start, 3.0);
                pose_bounds.add(end, 3.0);
            }
            if figure.mirrored() {
                pose_bounds = pose_bounds.mirrored();
            }
            bounds.add(pose_bounds.min, 0.0);
            bounds.add(pose_bounds.max, 0.0);
        }
        let (w, h) = (
            width as f32 - 2.0 * MARGIN_PX,
            height as f32 - 2.0 * MARGIN_PX,
        );
        let scale = (w / bounds.width()).min(h / bounds.height());
        let left = bounds.min[0] - (w / scale - bounds.width()) / 2.0;
        let bottom = bounds.min[1] - (h / scale - bounds.height()) / 2.0;
        Ok(Frame {
            scale,
            left,
            bottom,
            width,
            height,
        })
    }

    /// The transform for a figure: mirrored about `x = 0` when it faces left.
    pub fn transform_for(&self, mirrored: bool) -> Transform {
        if mirrored {
            self.transform().pre_scale(-1.0, 1.0)
        } else {
            self.transform()
        }
    }

    pub fn transform(&self) -> Transform {
        // Flips y so that body units grow upward.
        Transform::from_row(
            self.scale,
            0.0,
            0.0,
            -self.scale,
            MARGIN_PX - self.left * self.scale,
            self.height as f32 - MARGIN_PX + self.bottom * self.scale,
        )
    }
}

struct Bounds {
    min: [f32; 2],
    max: [f32; 2],
}

impl Bounds {
    fn new() -> Self {
        Bounds {
            min: [f32::INFINITY; 2],
            max: [f32::NEG_INFINITY; 2],
        }
    }

    fn add(&mut self, point: [f32; 2], radius: f32) {
        for (axis, value) in point.into_iter().enumerate() {
            self.min[axis] = self.min[axis].min(value - radius);
            self.max[axis] = self.max[axis].max(value + radius);
        }
    }

    fn mirrored(&self) -> Bounds {
        Bounds {
            min: [-self.max[0], self.min[1]],
            max: [-self.min[0], self.max[1]],
        }
    }

    fn width(&self) -> f32 {
        (self.max[0] - self.min[0]).max(1.0)
    }

    fn height(&self) -> f32 {
        (self.max[1] - self.min[1]).max(1.0)
    }
}

pub fn colour([r, g, b]: style::Rgb) -> tiny_skia::Color {
    tiny_skia::Color::from_rgba8(r, g, b, 0xFF)
}

fn paint(rgb: style::Rgb) -> Paint<'static> {
    let mut paint = Paint::default();
    paint.set_color(colour(rgb));
    paint.anti_alias = true;
    paint
}

fn round_stroke(width: f32) -> Stroke {
    Stroke {
        width,
        line_cap: LineCap::Round,
        line_join: LineJoin::Round,
        ..Stroke::default()
    }
}

fn polyline(points: &[[f32; 2]]) -> Option<Path> {
    let mut path = PathBuilder::new();
    let (first, rest) = points.split_first()?;
    path.move_to(first[0], first[1]);
    for point in rest {
        path.line_to(point[0], point[1]);
    }
    path.finish()
}

fn circle(center: [f32; 2], radius: f32) -> Option<Path> {
    PathBuilder::from_circle(center[0], center[1], radius)
}

fn rect(x0: f32, y0: f32, x1: f32, y1: f32) -> Option<Path> {
    Rect::from_ltrb(x0.min(x1), y0.min(y1), x0.max(x1), y0.max(y1)).map(PathBuilder::from_rect)
}

pub fn draw_floor(pixmap: &mut Pixmap, frame: &Frame) {
    let y = frame.transform().ty;
    if let Some(path) = polyline(&[[0.0, y], [frame.width as f32, y]]) {
        pixmap.stroke_path(
            &path,
            &paint(style::PROP_EDGE),
            &Stroke {
                width: 3.0,
                ..Stroke::default()
            },
            Transform::identity(),
            None,
        );
    }
}

/// Props that a body lies on or stands by are drawn behind it; what the hands hold, and the near end
/// of a roll lying across under the body, in front.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Layer {
    Behind,
    InFront,
}

fn layer(kind: PropKind) -> Layer {
    match kind {
        PropKind::Dumbbell
        | PropKind::ResistanceBand
        | PropKind::TowelRoll
        | PropKind::FoamRoller => Layer::InFront,
        _ => Layer::Behind,
    }
}

fn prop_bounds(bounds: &mut Bounds, prop: &Prop, skeleton: &Skeleton, view: View) {
    let at = skeleton.anchor(prop.at);
    let to = prop.to.map(|to| skeleton.anchor(to));
    match prop.kind {
        PropKind::Mat => {
            bounds.add([at[0], 0.0], 1.0);
            bounds.add([to.unwrap_or(at)[0], 0.0], 1.0);
        }
        PropKind::Chair => {
            let seat = at[1] - SEAT_BELOW_HIPS;
            let depth = if view == View::Front {
                15.0
            } else {
                SEAT_DEPTH
            };
            bounds.add([at[0] - depth, seat + CHAIR_BACK], 2.0);
            bounds.add([at[0] + depth, 0.0], 2.0);
        }
        PropKind::Wall if view == View::Front => {
            bounds.add([at[0] - WALL_HALF_WIDTH, WALL_HEIGHT], 0.0);
            bounds.add([at[0] + WALL_HALF_WIDTH, 0.0], 0.0);
        }
        PropKind::Wall => {
            bounds.add([at[0], WALL_HEIGHT], 3.0);
            bounds.add([at[0], 0.0], 3.0);
        }
        PropKind::Doorway => {
            bounds.add([at[0], DOOR_HEIGHT], 3.0);
            bounds.add([to.unwrap_or(at)[0], 0.0], 3.0);
        }
        PropKind::TowelRoll => bounds.add(at, TOWEL_ROLL_RADIUS),
        PropKind::FoamRoller => bounds.add(at, FOAM_ROLLER_RADIUS),
        PropKind::ExerciseBall => bounds.add(at, BALL_RADIUS),
        PropKind::Dumbbell => bounds.add(at, 7.0),
        PropKind::ResistanceBand => {
            bounds.add(at, 1.0);
            bounds.add(to.unwrap_or(at), 1.0);
        }
    }
}

pub fn draw_props(
    pixmap: &mut Pixmap,
    transform: Transform,
    props: &[&Prop],
    skeleton: &Skeleton,
    view: View,
    only: Layer,
) {
    let fill = paint(style::PROP);
    let edge = paint(style::PROP_EDGE);
    let mut fill_path = |path: Option<Path>| {
        if let Some(path) = path {
            pixmap.fill_path(&path, &fill, FillRule::Winding, transform, None);
        }
    };
    let mut strokes: Vec<(Path, f32)> = Vec::new();
    for prop in props.iter().filter(|prop| layer(prop.kind) == only) {
        let at = skeleton.anchor(prop.at);
        let to = prop.to.map(|to| skeleton.anchor(to)).unwrap_or(at);
        match prop.kind {
            PropKind::Mat => fill_path(rect(at[0], 0.0, to[0], 2.2)),
            PropKind::Chair => {
                let seat = at[1] - SEAT_BELOW_HIPS;
                if view == View::Front {
                    fill_path(rect(at[0] - 15.0, seat, at[0] + 15.0, seat - 3.0));
                    for x in [at[0] - 13.5, at[0] + 13.5] {
                        fill_path(rect(x - 1.5, seat, x + 1.5, 0.0));
                    }
                } else {
                    // The seat extends behind the hips; the backrest rises from its back edge.
                    let rear = at[0] - (SEAT_DEPTH - 6.0);
                    let front = at[0] + 6.0;
                    fill_path(rect(rear, seat, front, seat - 3.0));
                    for x in [rear, front] {
                        fill_path(rect(x - 1.5, seat, x + 1.5, 0.0));
                    }
                    fill_path(rect(rear - 1.5, seat, rear + 1.5, seat + CHAIR_BACK));
                }
            }
            PropKind::Wall if view == View::Front => fill_path(rect(
                at[0] - WALL_HALF_WIDTH,
                0.0,
                at[0] + WALL_HALF_WIDTH,
                WALL_HEIGHT,
            )),
            PropKind::Wall => fill_path(rect(at[0] - 2.5, 0.0, at[0] + 2.5, WALL_HEIGHT)),
            PropKind::Doorway => {
                for x in [at[0], to[0]] {
                    fill_path(rect(x - 2.5, 0.0, x + 2.5, DOOR_HEIGHT));
                }
                if (to[0] - at[0]).abs() > 6.0 {
                    fill_path(rect(at[0], DOOR_HEIGHT, to[0], DOOR_HEIGHT - 4.0));
                }
            }
            PropKind::TowelRoll => fill_path(circle(at, TOWEL_ROLL_RADIUS)),
            PropKind::FoamRoller => fill_path(circle(at, FOAM_ROLLER_RADIUS)),
            PropKind::ExerciseBall => fill_path(circle(at, BALL_RADIUS)),
            PropKind::Dumbbell => {
                fill_path(rect(at[0] - 6.0, at[1] - 1.2, at[0] + 6.0, at[1] + 1.2));
                for x in [at[0] - 6.0, at[0] + 6.0] {
                    fill_path(rect(x - 1.8, at[1] - 4.0, x + 1.8, at[1] + 4.0));
                }
            }
            PropKind::ResistanceBand => {
                if let Some(path) = polyline(&[at, to]) {
                    strokes.push((path, 1.8));
                }
            }
        }
    }
    for (path, width) in strokes {
        pixmap.stroke_path(&path, &edge, &round_stroke(width), transform, None);
    }
}

/// Cubic Bézier pieces of a smooth curve through the spine points, one per part of the back.
fn spine_curve(points: &[[f32; 2]; 4]) -> [[[f32; 2]; 4]; 3] {
    let at = |i: isize| -> [f32; 2] {
        match i {
            -1 => [
                2.0 * points[0][0] - points[1][0],
                2.0 * points[0][1] - points[1][1],
            ],
            4 => [
                2.0 * points[3][0] - points[2][0],
                2.0 * points[3][1] - points[2][1],
            ],
            i => points[i as usize],
        }
    };
    std::array::from_fn(|piece| {
        let i = piece as isize;
        let (p0, p1, p2, p3) = (at(i - 1), at(i), at(i + 1), at(i + 2));
        [
            p1,
            [p1[0] + (p2[0] - p0[0]) / 6.0, p1[1] + (p2[1] - p0[1]) / 6.0],
            [p2[0] - (p3[0] - p1[0]) / 6.0, p2[1] - (p3[1] - p1[1]) / 6.0],
            p2,
        ]
    })
}

fn bezier(pieces: &[[[f32; 2]; 4]]) -> Option<Path> {
    let mut path = PathBuilder::new();
    let first = pieces.first()?;
    path.move_to(first[0][0], first[0][1]);
    for [_, c1, c2, end] in pieces {
        path.cubic_to(c1[0], c1[1], c2[0], c2[1], end[0], end[1]);
    }
    path.finish()
}

/// Which limbs are away from the viewer: in a side view, the side facing away; in a front view, the
/// arm behind the turned shoulders.
fn is_far(part: Part, figure: &Figure) -> bool {
    match figure.view {
        View::Side => match figure.facing {
            Facing::Right => part.is_right(),
            Facing::Left => part.is_left(),
        },
        View::Front => {
            let arm_left = matches!(part, Part::LeftUpperArm | Part::LeftForearm);
            let arm_right = matches!(part, Part::RightUpperArm | Part::RightForearm);
            (figure.turn > 0.05 && arm_left) || (figure.turn < -0.05 && arm_right)
        }
    }
}

pub fn draw_body(
    pixmap: &mut Pixmap,
    transform: Transform,
    figure: &Figure,
    skeleton: &Skeleton,
    pose: Option<&crate::domain::pose::Pose>,
) {
    let stretched = |part: Part| pose.is_some_and(|pose| pose.stretched.contains(&part));
    let segments = skeleton.segments();
    let limb = |part: Part| segments[part as usize];
    let limbs: [[Part; 3]; 4] = [
        [Part::LeftUpperArm, Part::LeftForearm, Part::LeftForearm],
        [Part::RightUpperArm, Part::RightForearm, Part::RightForearm],
        [Part::LeftThigh, Part::LeftShin, Part::LeftFoot],
        [Part::RightThigh, Part::RightShin, Part::RightFoot],
    ];
    let draw_limb = |pixmap: &mut Pixmap, parts: &[Part; 3]| {
        let far = is_far(parts[0], figure);
        let (base, highlight) = if far {
            (style::FAR_BODY, style::FAR_STRETCHED)
        } else {
            (style::BODY, style::STRETCHED)
        };
        let (_, start, _) = limb(parts[0]);
        let mut points = vec![start];
        let mut last = None;
        for part in parts {
            if last != Some(*part) {
                points.push(limb(*part).2);
            }
            last = Some(*part);
        }
        let stroke = round_stroke(2.0 * parts[0].radius());
        if let Some(path) = polyline(&points) {
            pixmap.stroke_path(&path, &paint(base), &stroke, transform, None);
        }
        for part in parts.iter().filter(|part| stretched(**part)) {
            let (_, a, b) = limb(*part);
            if let Some(path) = polyline(&[a, b]) {
                pixmap.stroke_path(&path, &paint(highlight), &stroke, transform, None);
            }
        }
    };
    // Far limbs, then the legs, then the trunk over the tops of the legs, then the near arms, so a
    // back folded over the thighs stays whole and hands resting on knees show.
    let is_leg = |parts: &[Part; 3]| matches!(parts[0], Part::LeftThigh | Part::RightThigh);
    let far = limbs.iter().filter(|parts| is_far(parts[0], figure));
    let near_legs = limbs
        .iter()
        .filter(|parts| !is_far(parts[0], figure) && is_leg(parts));
    let mut far: Vec<_> = far.collect();
    far.sort_by_key(|parts| !is_leg(parts));
    for parts in far.into_iter().chain(near_legs) {
        draw_limb(pixmap, parts);
    }
    draw_trunk(pixmap, transform, skeleton, &stretched);
    for parts in limbs
        .iter()
        .filter(|parts| !is_far(parts[0], figure) && !is_leg(parts))
    {
        draw_limb(pixmap, parts);
    }
}

fn draw_trunk(
    pixmap: &mut Pixmap,
    transform: Transform,
    skeleton: &Skeleton,
    stretched: &dyn Fn(Part) -> bool,
) {
    let body = paint(style::BODY);
    let highlight = paint(style::STRETCHED);
    let neck = round_stroke(2.0 * Part::Neck.radius());
    let neck_colour = if stretched(Part::Neck) {
        &highlight
    } else {
        &body
    };
    if let Some(path) = polyline(&[skeleton.spine[3], skeleton.neck_top]) {
        pixmap.stroke_path(&path, neck_colour, &neck, transform, None);
    }
    let pieces = spine_curve(&skeleton.spine);
    let torso = round_stroke(2.0 * Part::MiddleBack.radius());
    if let Some(path) = bezier(&pieces) {
        pixmap.stroke_path(&path, &body, &torso, transform, None);
    }
    let back_parts = [Part::LowerBack, Part::MiddleBack, Part::UpperBack];
    for (piece, part) in pieces.iter().zip(back_parts) {
        if stretched(part) {
            if let Some(path) = bezier(std::slice::from_ref(piece)) {
                pixmap.stroke_path(&path, &highlight, &torso, transform, None);
            }
        }
    }
    let head_colour = if stretched(Part::Head) {
        &highlight
    } else {
        &body
    };
    if let Some(path) = circle(skeleton.head, Part::Head.radius()) {
        pixmap.fill_path(&path, head_colour, FillRule::Winding, transform, None);
    }
}

fn arrow_ends(skeleton: &Skeleton, arrow: Arrow) -> ([f32; 2], [f32; 2]) {
    let from = skeleton.anchor(arrow.at);
    let direction = (arrow.toward as f32).to_radians();
    let (dx, dy) = (direction.cos(), direction.sin());
    let clearance = match arrow.at {
        Anchor::At(_) => 0.0,
        Anchor::Joint(_) => ARROW_CLEARANCE,
    };
    let start = [from[0] + dx * clearance, from[1] + dy * clearance];
    let end = [start[0] + dx * ARROW_LENGTH, start[1] + dy * ARROW_LENGTH];
    (start, end)
}

pub fn draw_arrow(pixmap: &mut Pixmap, transform: Transform, skeleton: &Skeleton, arrow: Arrow) {
    let (start, end) = arrow_ends(skeleton, arrow);
    let direction = (arrow.toward as f32).to_radians();
    let (dx, dy) = (direction.cos(), direction.sin());
    let colour = paint(style::ARROW);
    let head = 6.0;
    let shaft_end = [end[0] - dx * head * 0.8, end[1] - dy * head * 0.8];
    if let Some(path) = polyline(&[start, shaft_end]) {
        pixmap.stroke_path(&path, &colour, &round_stroke(3.0), transform, None);
    }
    let (px, py) = (-dy, dx);
    let base = [end[0] - dx * head, end[1] - dy * head];
    let mut tip = PathBuilder::new();
    tip.move_to(end[0], end[1]);
    tip.line_to(base[0] + px * head * 0.7, base[1] + py * head * 0.7);
    tip.line_to(base[0] - px * head * 0.7, base[1] - py * head * 0.7);
    tip.close();
    if let Some(path) = tip.finish() {
        pixmap.fill_path(&path, &colour, FillRule::Winding, transform, None);
    }
}
