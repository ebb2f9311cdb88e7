//! Slash commands, one file per command group.

mod schedule;
mod stretch;

pub use stretch::component_response as stretch_component_response;

use super::{Data, Error};

/// Every command the bot registers.
pub fn all_commands() -> Vec<poise::Command<Data, Error>> {
    vec![stretch::stretch(), schedule::schedule()]
}
