//! Slash commands, one file per command group.

mod stretch;

pub use stretch::on_component as on_stretch_component;

use super::{Data, Error};

/// Every command the bot registers.
pub fn all_commands() -> Vec<poise::Command<Data, Error>> {
    vec![stretch::stretch()]
}
