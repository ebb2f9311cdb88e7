//! The shapes of a content file's tables (the keys each allows, which are required and how to add
//! them) and the bounds of each range in `[dose]`.

/// A key a table allows. `missing` says how to add a required key; optional keys have none.
pub(super) struct Key {
    pub(super) name: &'static str,
    pub(super) missing: Option<&'static str>,
}

pub(super) const fn required(name: &'static str, missing: &'static str) -> Key {
    Key {
        name,
        missing: Some(missing),
    }
}

pub(super) const fn optional(name: &'static str) -> Key {
    Key {
        name,
        missing: None,
    }
}

/// A kind of table: the keys it allows and, for messages, what one looks like.
pub(super) struct Shape {
    pub(super) keys: &'static [Key],
    pub(super) looks_like: &'static str,
}

pub(super) const ENTRY: Shape = Shape {
    keys: &[
        required("name", "`name = \"Cat-Cow\"`"),
        required("aliases", "`aliases = [\"cat cow\"]` (or `aliases = []`)"),
        required(
            "why",
            "`why = \"…\"` with one or two sentences on why it helps",
        ),
        required("areas", "`areas = [\"mid back\"]`"),
        required("category", "`category = \"stretch\"`"),
        required("position", "`position = \"seated\"`"),
        required("equipment", "`equipment = [\"none\"]`"),
        required("difficulty", "`difficulty = \"easy\"`"),
        required("per_side", "`per_side = false`"),
        required("steps", "`steps = [\"…\", \"…\"]`"),
        optional("caution"),
        required("dose", "a `[dose]` table (every part of it is optional)"),
        optional("variants"),
        required(
            "sources",
            "a `[[sources]]` table with `title`, `publisher` and `seed`",
        ),
        required(
            "pictures",
            "a `[pictures]` table with the poses the steps show (see \"Pictures\" in the README)",
        ),
    ],
    looks_like: "a content file",
};

pub(super) const DOSE: Shape = Shape {
    keys: &[
        optional("hold_s"),
        optional("reps"),
        optional("sets"),
        optional("breaths"),
        optional("frequency"),
    ],
    looks_like: "`[dose]` followed by its parts",
};

pub(super) const RANGE: Shape = Shape {
    keys: &[optional("min"), required("max", "`max = 30`")],
    looks_like: "`{ min = 20, max = 30 }`",
};

pub(super) const VARIANT: Shape = Shape {
    keys: &[
        required("name", "`name = \"…\"`"),
        required("how", "`how = \"…\"`"),
        required("sources", "`sources = [\"000_0efe8dbd1584015e.txt\"]`"),
    ],
    looks_like: "`[[variants]]` with `name`, `how` and `sources`",
};

pub(super) const SOURCE: Shape = Shape {
    keys: &[
        required("title", "`title = \"…\"`"),
        required("publisher", "`publisher = \"…\"`"),
        required("seed", "`seed = \"000_0efe8dbd1584015e.txt\"`"),
    ],
    looks_like: "`[[sources]]` with `title`, `publisher` and `seed`",
};

/// The bounds of one range of `[dose]`: anything above `most` is a typo, not a dose.
pub(in crate::domain::catalog) struct Limits {
    pub(in crate::domain::catalog) key: &'static str,
    pub(in crate::domain::catalog) unit: &'static str,
    pub(in crate::domain::catalog) most: u32,
    /// The smallest `min` that makes sense when one is written (a count of 0 sets is no exercise).
    pub(in crate::domain::catalog) least_min: u32,
}

pub(in crate::domain::catalog) const DOSE_RANGES: [Limits; 4] = [
    Limits {
        key: "hold_s",
        unit: "seconds",
        most: 3600,
        least_min: 0,
    },
    Limits {
        key: "reps",
        unit: "reps",
        most: 1000,
        least_min: 1,
    },
    Limits {
        key: "sets",
        unit: "sets",
        most: 100,
        least_min: 1,
    },
    Limits {
        key: "breaths",
        unit: "breaths",
        most: 100,
        least_min: 0,
    },
];
