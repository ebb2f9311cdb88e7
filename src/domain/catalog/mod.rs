//! The stretch catalog: every entry of `content/`, loaded and validated as a whole.

mod entry;
mod filter;
mod load;
mod search;

pub use entry::*;
pub use filter::*;
pub use load::{Catalog, ContentError, ContentErrors, ContentFile, normalize_name};

/// Shown wherever a member sees instructions: cards, daily posts and timers.
pub const SAFETY_LINE: &str =
    "Not medical advice. Stop if it hurts, and see a professional if pain persists.";
