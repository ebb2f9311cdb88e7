//! The `[pictures]` table of a content file: poses, which pose each step shows, the animation and the
//! props, read and validated with the same `file:line` messages as the rest of the file.

use toml_edit::{TableLike, Value};

use super::{Field, FileCheck, Node, Shape, every, no_repeats, optional, required};
use crate::domain::pose::{
    Anchor, Arrow, Bone, FACINGS, Facing, Illustration, JOINTS, PART_COUNT, PARTS, PROP_KINDS,
    Part, Pose, Prop, VIEWS, View, lookup,
};

const PICTURES: Shape = Shape {
    keys: &[
        required(
            "steps",
            "`steps = [\"start\", …]` naming the pose each step shows, one per step",
        ),
        optional("motion"),
        optional("work"),
        optional("props"),
        required(
            "poses",
            "a `[pictures.poses.start]` table for each pose (see \"Pictures\" in the README)",
        ),
    ],
    looks_like: "`[pictures]` with `steps`, `poses` and optionally `motion`, `work` and `props`",
};

const WORK_SIDES: Shape = Shape {
    keys: &[
        required("left", "`left = \"POSE\"`, the pose of the left side"),
        required("right", "`right = \"POSE\"`, the pose of the right side"),
    ],
    looks_like: "`work = \"POSE\"`, or `work = { left = \"POSE\", right = \"POSE\" }` for an entry done per side",
};

const POSE: Shape = Shape {
    keys: &[
        required("view", "`view = \"side\"` (or \"front\")"),
        optional("facing"),
        optional("hips"),
        required("back", "`back = [90, 90, 90]` (lower, middle, upper back)"),
        required("head", "`head = [90, 90]` (neck, head)"),
        required("left_arm", "`left_arm = [-90, -90]` (upper arm, forearm)"),
        required("right_arm", "`right_arm = [-90, -90]` (upper arm, forearm)"),
        required("left_leg", "`left_leg = [-90, -90, 0]` (thigh, shin, foot)"),
        required(
            "right_leg",
            "`right_leg = [-90, -90, 0]` (thigh, shin, foot)",
        ),
        optional("turn"),
        optional("stretch"),
        optional("arrow"),
        optional("props"),
    ],
    looks_like: "`[pictures.poses.NAME]` with `view`, `back`, `head`, arms and legs",
};

const PROP: Shape = Shape {
    keys: &[
        required("kind", "`kind = \"mat\"`"),
        required("at", "`at = [0, 0]` or a joint such as `at = \"hips\"`"),
        optional("to"),
    ],
    looks_like: "`{ kind = \"mat\", at = [-50, 0], to = [50, 0] }`",
};

const ARROW: Shape = Shape {
    keys: &[
        required("at", "`at = \"middle_back\"` (a joint or `[x, y]`)"),
        required(
            "toward",
            "`toward = 90` (the direction it points, in degrees)",
        ),
    ],
    looks_like: "`{ at = \"middle_back\", toward = 90 }`",
};

/// The keys that hold part angles, with the parts they set, in order.
const LIMBS: [(&str, &[Part]); 6] = [
    (
        "back",
        &[Part::LowerBack, Part::MiddleBack, Part::UpperBack],
    ),
    ("head", &[Part::Neck, Part::Head]),
    ("left_arm", &[Part::LeftUpperArm, Part::LeftForearm]),
    ("right_arm", &[Part::RightUpperArm, Part::RightForearm]),
    (
        "left_leg",
        &[Part::LeftThigh, Part::LeftShin, Part::LeftFoot],
    ),
    (
        "right_leg",
        &[Part::RightThigh, Part::RightShin, Part::RightFoot],
    ),
];

/// The furthest a part may point, either way round; beyond it is a typo.
const MOST_DEGREES: i64 = 360;
/// A part seen end-on shows less of its length, never more, and never nothing at all.
const SHORTEST_PERCENT: i64 = 10;
/// Scene coordinates beyond this are far outside any picture.
const FURTHEST: i64 = 300;

fn part_name(part: Part) -> &'static str {
    PARTS
        .iter()
        .find(|(_, p)| *p == part)
        .map_or("part", |(name, _)| name)
}

impl<'d> Field<'d> {
    /// The whole `[pictures]` table; `step_count` is the entry's number of steps, when they were valid.
    pub(super) fn illustration(
        &self,
        check: &mut FileCheck,
        step_count: Option<usize>,
    ) -> Option<Illustration> {
        let pictures = self.table(check, &PICTURES)?;
        let poses = pictures.required(check, "poses", Field::poses);
        let names: Vec<&str> = poses
            .as_ref()
            .map(|poses| poses.iter().map(|pose| pose.name.as_str()).collect())
            .unwrap_or_default();
        let step_poses = pictures.required(check, "steps", |field, check| {
            let items = field.items(check, false)?;
            if let Some(count) = step_count {
                if items.len() != count {
                    check.report(
                        field.line,
                        format!(
                            "{} names {} poses but the entry has {count} steps; name one pose per step",
                            field.label,
                            items.len()
                        ),
                    );
                    return None;
                }
            }
            every(items.iter().map(|item| item.pose_index(check, &names)))
        });
        let motion = pictures.optional(check, "motion", |field, check| {
            let items = field.items(check, false)?;
            if items.len() < 2 {
                check.report(
                    field.line,
                    format!(
                        "{} has one pose; an animation needs at least two, or remove `motion`",
                        field.label
                    ),
                );
                return None;
            }
            every(items.iter().map(|item| item.pose_index(check, &names)))
        });
        let work = pictures.optional(check, "work", |field, check| {
            if field.item.table_like().is_none() {
                return field.pose_index(check, &names).map(|pose| [pose, pose]);
            }
            let sides = field.table(check, &WORK_SIDES)?;
            let left = sides.required(check, "left", |f, c| f.pose_index(c, &names));
            let right = sides.required(check, "right", |f, c| f.pose_index(c, &names));
            Some([left?, right?])
        });
        let props = pictures.optional(check, "props", Field::props);
        Some(Illustration {
            poses: poses?,
            step_poses: step_poses?,
            motion: motion?.unwrap_or_default(),
            work: work?,
            props: props?.unwrap_or_default(),
        })
    }

    fn props(&self, check: &mut FileCheck) -> Option<Vec<Prop>> {
        let tables = self.tables(check, &PROP, true)?;
        every(tables.iter().map(|table| {
            let kind = table.required(check, "kind", |f, c| f.word(c, &PROP_KINDS, "prop"));
            let at = table.required(check, "at", Field::anchor);
            let to = table.optional(check, "to", Field::anchor);
            let (kind, at, to) = (kind?, at?, to?);
            if kind.spans() && to.is_none() {
                check.report(
                    table.line,
                    "this prop spans two points; add `to = [x, y]` (or a joint) for its other end",
                );
                return None;
            }
            Some(Prop { kind, at, to })
        }))
    }

    fn poses(&self, check: &mut FileCheck) -> Option<Vec<Pose>> {
        let Some(table) = self.item.table_like() else {
            self.wrong_type(check, "tables like `[pictures.poses.start]`");
            return None;
        };
        if table.is_empty() {
            check.report(
                self.line,
                format!(
                    "{} has no pose; add at least one `[{}.start]` table",
                    self.label, self.path
                ),
            );
            return None;
        }
        let poses = table.iter().map(|(name, item)| {
            let path = format!("{}.{name}", self.path);
            let field = Field {
                item: Node::Item(item),
                label: format!("`{path}`"),
                line: check.line(
                    table
                        .get_key_value(name)
                        .and_then(|(key, _)| key.span())
                        .or_else(|| item.span()),
                    self.line,
                ),
                path,
            };
            field.pose(check, name)
        });
        every(poses)
    }

    fn pose(&self, check: &mut FileCheck, name: &str) -> Option<Pose> {
        let pose = self.table(check, &POSE)?;
        let view = pose.required(check, "view", |f, c| f.word(c, &VIEWS, "view"));
        let facing = pose.optional(check, "facing", |f, c| f.word(c, &FACINGS, "facing"));
        let hips = pose.optional(check, "hips", Field::point);
        let limbs = LIMBS.map(|(key, parts)| pose.required(check, key, |f, c| f.bones(c, parts)));
        let turn = pose.optional(check, "turn", |f, c| f.degrees(c, 90));
        let stretched = pose.optional(check, "stretch", |field, check| {
            let items = field.items(check, false)?;
            let parts = every(items.iter().map(|item| {
                item.word(check, &PARTS, "body part")
                    .map(|p| (p, item.line))
            }))?;
            no_repeats(
                check,
                &field.label,
                parts.iter().map(|(part, line)| (part_name(*part), *line)),
            )
            .then(|| parts.into_iter().map(|(part, _)| part).collect())
        });
        let arrow = pose.optional(check, "arrow", |field, check| {
            let arrow = field.table(check, &ARROW)?;
            let at = arrow.required(check, "at", Field::anchor);
            let toward = arrow.required(check, "toward", |f, c| f.degrees(c, MOST_DEGREES));
            Some(Arrow {
                at: at?,
                toward: toward?,
            })
        });
        let props = pose.optional(check, "props", Field::props);
        let (view, facing, hips, turn, stretched, arrow, props) =
            (view?, facing?, hips?, turn?, stretched?, arrow?, props?);
        let mut parts = [Bone {
            angle: 0,
            percent: 100,
        }; PART_COUNT];
        for ((_, limb_parts), bones) in LIMBS.iter().zip(limbs) {
            for (part, bone) in limb_parts.iter().zip(bones?) {
                parts[*part as usize] = bone;
            }
        }
        if view == View::Side && turn.is_some() {
            check.report(
                pose.line,
                "`turn` only shows in a front view; remove it or use `view = \"front\"`",
            );
            return None;
        }
        if view == View::Front && facing.is_some() {
            check.report(
                pose.line,
                "`facing` only applies to a side view; remove it or use `view = \"side\"`",
            );
            return None;
        }
        Some(Pose {
            name: name.to_owned(),
            view,
            facing: facing.unwrap_or(Facing::Right),
            hips,
            parts,
            turn: turn.unwrap_or(0),
            stretched: stretched.unwrap_or_default(),
            arrow,
            props: props.unwrap_or_default(),
        })
    }

    /// One angle per part of a limb, each `deg` or `[deg, percent]` for a part seen foreshortened.
    fn bones(&self, check: &mut FileCheck, parts: &[Part]) -> Option<Vec<Bone>> {
        let items = self.items(check, false)?;
        if items.len() != parts.len() {
            let names: Vec<_> = parts.iter().map(|part| part_name(*part)).collect();
            check.report(
                self.line,
                format!(
                    "{} has {} angles; write {}: {}",
                    self.label,
                    items.len(),
                    parts.len(),
                    names.join(", ")
                ),
            );
            return None;
        }
        every(
            items
                .iter()
                .zip(parts)
                .map(|(item, part)| item.bone(check, *part)),
        )
    }

    fn bone(&self, check: &mut FileCheck, part: Part) -> Option<Bone> {
        let value = self.item.value();
        if let Some(pair) = value.and_then(Value::as_array) {
            let numbers: Vec<_> = pair.iter().map(Value::as_integer).collect();
            let [Some(angle), Some(percent)] = numbers[..] else {
                self.wrong_type(
                    check,
                    "an angle, or `[angle, percent]` for a shortened part",
                );
                return None;
            };
            let angle = self.in_range(check, angle, MOST_DEGREES, "degrees")?;
            if !(SHORTEST_PERCENT..=100).contains(&percent) {
                check.report(
                    self.line,
                    format!(
                        "{} shows the {} at {percent}% of its length, which no body can; write {SHORTEST_PERCENT} to 100 (a part seen end-on looks shorter, never longer)",
                        self.label,
                        part_name(part)
                    ),
                );
                return None;
            }
            return Some(Bone {
                angle,
                percent: percent as u32,
            });
        }
        let angle = self.degrees(check, MOST_DEGREES)?;
        Some(Bone {
            angle,
            percent: 100,
        })
    }

    fn degrees(&self, check: &mut FileCheck, most: i64) -> Option<i32> {
        let Some(number) = self.item.value().and_then(Value::as_integer) else {
            self.wrong_type(check, "a whole number of degrees");
            return None;
        };
        self.in_range(check, number, most, "degrees")
    }

    fn in_range(&self, check: &mut FileCheck, number: i64, most: i64, unit: &str) -> Option<i32> {
        if (-most..=most).contains(&number) {
            i32::try_from(number).ok()
        } else {
            check.report(
                self.line,
                format!(
                    "{} is {number}; write a whole number from -{most} to {most} ({unit})",
                    self.label
                ),
            );
            None
        }
    }

    fn point(&self, check: &mut FileCheck) -> Option<[i32; 2]> {
        let pair = self
            .item
            .value()
            .and_then(Value::as_array)
            .and_then(|list| {
                list.iter()
                    .map(Value::as_integer)
                    .collect::<Option<Vec<_>>>()
            })
            .and_then(|numbers| <[i64; 2]>::try_from(numbers).ok());
        let Some([x, y]) = pair else {
            self.wrong_type(check, "a point `[x, y]` of whole numbers");
            return None;
        };
        let x = self.in_range(check, x, FURTHEST, "body units")?;
        let y = self.in_range(check, y, FURTHEST, "body units")?;
        Some([x, y])
    }

    /// A joint name such as `"left_hand"`, or a fixed point `[x, y]`.
    fn anchor(&self, check: &mut FileCheck) -> Option<Anchor> {
        if self.item.value().is_some_and(Value::is_str) {
            return self.word(check, &JOINTS, "joint").map(Anchor::Joint);
        }
        self.point(check).map(Anchor::At)
    }

    fn word<T: Copy>(
        &self,
        check: &mut FileCheck,
        table: &[(&'static str, T)],
        what: &str,
    ) -> Option<T> {
        let text = self.text(check)?;
        lookup(table, what, &text)
            .map_err(|why| check.report(self.line, format!("{}: {why}", self.label)))
            .ok()
    }

    fn pose_index(&self, check: &mut FileCheck, names: &[&str]) -> Option<usize> {
        let name = self.text(check)?;
        let index = names.iter().position(|known| *known == name);
        if index.is_none() && !names.is_empty() {
            check.report(
                self.line,
                format!(
                    "{} is `{name}`, but there is no pose of that name; use one of {} or add `[pictures.poses.{name}]`",
                    self.label,
                    names.join(", ")
                ),
            );
        }
        index
    }
}

impl<'d> Node<'d> {
    fn table_like(self) -> Option<&'d dyn TableLike> {
        match self {
            Node::Item(item) => item.as_table_like(),
            Node::Value(value) => value.as_inline_table().map(|t| t as &dyn TableLike),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::{assert_reported, cat_cow, edited, problems_in};

    /// `path:line` of the first line of the fixture containing `needle`.
    fn at(text: &str, needle: &str) -> String {
        let line = text
            .lines()
            .position(|line| line.contains(needle))
            .map(|index| index + 1)
            .unwrap_or_else(|| panic!("fixture has no `{needle}`"));
        format!("content/cat-cow.toml:{line}:")
    }

    #[track_caller]
    fn assert_edit_reported(from: &str, to: &str, fragment: &str) {
        let text = edited(from, to);
        assert_reported(&problems_in(&text), &at(&text, to), fragment);
    }

    #[test]
    fn the_fixture_poses_load() {
        assert_eq!(problems_in(&cat_cow()), Vec::<String>::new());
    }

    #[test]
    fn an_unknown_joint_suggests_the_name_meant() {
        assert_edit_reported(
            "left_arm = [-90, -90]",
            "left_amr = [-90, -90]",
            "unknown key `left_amr` in `pictures.poses.flat`; did you mean `left_arm`?",
        );
    }

    #[test]
    fn a_part_longer_than_a_body_has_is_reported() {
        assert_edit_reported(
            "back = [0, 0, 0]",
            "back = [0, [0, 140], 0]",
            "shows the middle_back at 140% of its length",
        );
    }

    #[test]
    fn an_angle_out_of_range_is_reported() {
        assert_edit_reported(
            "head = [10, 0]",
            "head = [10, 400]",
            "is 400; write a whole number from -360 to 360",
        );
    }

    #[test]
    fn a_limb_needs_one_angle_per_part() {
        assert_edit_reported(
            "left_leg = [-90, 180, 180]",
            "left_leg = [-90, 180]",
            "has 2 angles; write 3: left_thigh, left_shin, left_foot",
        );
    }

    #[test]
    fn a_step_naming_a_missing_pose_is_reported() {
        assert_edit_reported(
            "steps = [\"flat\", \"cat\"]",
            "steps = [\"flat\", \"cow\"]",
            "is `cow`, but there is no pose of that name; use one of flat, cat",
        );
    }

    #[test]
    fn every_step_names_a_pose() {
        assert_edit_reported(
            "steps = [\"flat\", \"cat\"]",
            "steps = [\"flat\"]",
            "names 1 poses but the entry has 2 steps",
        );
    }

    #[test]
    fn an_entry_with_steps_but_no_pose_is_reported() {
        let text = cat_cow();
        let without = &text[..text.find("\n[pictures]").expect("fixture has pictures")];
        assert_reported(
            &problems_in(without),
            "content/cat-cow.toml:1:",
            "missing key `pictures`",
        );
        let empty =
            format!("{without}\n[pictures]\nsteps = [\"flat\", \"cat\"]\n[pictures.poses]\n");
        assert_reported(
            &problems_in(&empty),
            &at(&empty, "[pictures.poses]"),
            "has no pose",
        );
    }

    #[test]
    fn unknown_props_and_joints_are_reported() {
        assert_edit_reported(
            "{ kind = \"mat\"",
            "{ kind = \"sofa\"",
            "`sofa` is not a prop: use one of mat, chair",
        );
        assert_edit_reported(
            "arrow = { at = \"middle_back\"",
            "arrow = { at = \"elbow\"",
            "`elbow` is not a joint",
        );
        assert_edit_reported(
            "stretch = [\"middle_back\"]",
            "stretch = [\"belly\"]",
            "`belly` is not a body part",
        );
    }

    #[test]
    fn a_motion_needs_two_poses_and_a_span_needs_its_end() {
        assert_edit_reported(
            "motion = [\"flat\", \"cat\"]",
            "motion = [\"flat\"]",
            "an animation needs at least two",
        );
        assert_edit_reported(
            "at = [-40, 0], to = [40, 0] }",
            "at = [-40, 0] }",
            "add `to = [x, y]`",
        );
    }

    #[test]
    fn the_work_pose_names_poses_of_the_entry() {
        let motion = "motion = [\"flat\", \"cat\"]";
        let with_work = |work: &str| edited(motion, &format!("{motion}\nwork = {work}"));
        for (work, fragment) in [
            (
                "\"arch\"",
                "there is no pose of that name; use one of flat, cat",
            ),
            ("{ left = \"cat\" }", "`right = \"POSE\"`"),
        ] {
            let text = with_work(work);
            assert_reported(&problems_in(&text), &at(&text, "work ="), fragment);
        }
        for work in ["\"cat\"", "{ left = \"flat\", right = \"cat\" }"] {
            assert_eq!(
                problems_in(&with_work(work)),
                Vec::<String>::new(),
                "{work}"
            );
        }
    }

    #[test]
    fn turn_belongs_to_a_front_view() {
        let text = edited("back = [0, 0, 0]", "back = [0, 0, 0]\nturn = 30");
        assert_reported(
            &problems_in(&text),
            &at(&text, "[pictures.poses.flat]"),
            "`turn` only shows in a front view",
        );
    }
}
