//! The stretch catalog: every entry of `content/`, loaded and validated as a whole, and a server's own
//! entries ([`OwnEntry`]) with the view of the catalog one server sees ([`Catalog::for_server`]).

mod dose_words;
mod entry;
mod filter;
mod load;
mod own;
mod search;

pub use dose_words::{DoseError, DoseWords, parse_dose};
pub use entry::*;
pub use filter::*;
pub use load::{
    Catalog, ContentError, ContentErrors, ContentFile, normalize_name, read_server_stretches,
    write_server_stretches,
};
pub use own::{
    Choices, Draft, FieldProblem, MAX_OWN_ENTRIES, MAX_STEPS, OwnEntry, PoseRef, id_for, lengths,
    mention_in,
};

/// Shown wherever a member sees instructions: cards, daily posts and timers.
pub const SAFETY_LINE: &str =
    "Not medical advice. Stop if it hurts, and see a professional if pain persists.";
