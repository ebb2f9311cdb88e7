//! The stretch catalog: every entry of `content/`, loaded and validated as a whole.

mod entry;
mod filter;
mod load;

pub use entry::*;
pub use filter::*;
pub use load::{Catalog, ContentError, ContentErrors, ContentFile, normalize_name};
