//! stretchbot: a Discord bot that posts a stretch of the day to a team's channel and guides members through
//! it.
//!
//! # Layout
//! - [`domain`]: the core, free of Discord, storage and the async runtime.
//!   - [`domain::catalog`]: stretch entries and the loader that validates `content/`.
//!   - [`domain::schedule`]: cadences (daily times or cron), IANA zones, the DST policy and next-fire
//!     computation.
//!   - [`domain::rotation`]: which stretch a schedule posts next, without repeats, from a small stored state.
//!   - [`domain::timer_plan`]: an entry turned into timed steps for the guided timer.
//!   - [`domain::timer_run`]: a timer as it runs: current step, paused or running, how it ended.
//!   - [`domain::posting`]: posting schedules as stored, fires with their nonce and post key, the grace
//!     window.
//!   - [`domain::participation`]: check-ins per member per local day, streaks, member and team stats.
//!   - [`domain::store`]: the storage interface, in the domain's terms.
//! - [`discord`]: the Discord adapter (serenity + poise): connection, slash commands and their buttons
//!   (`/stats` and "I did it" among them), cards, the poster's sender, and pictures as uploads
//!   ([`discord::upload`]).
//! - [`poster`]: wakes for each due fire and posts it exactly once (claim, send with the fire's nonce,
//!   confirm), late within the grace window after downtime, through a seam that `discord` implements.
//! - [`timer`]: runs guided timers (a task and a painter each), with limits and shutdown, through a
//!   screen that `discord` implements.
//! - [`store`]: the SQLite adapter of the domain's storage interface; migrations in `migrations/`.
//! - [`metrics`]: Prometheus metrics and the `/metrics`, `/healthz` and `/readyz` listener.
//! - [`clock`]: the wall clock the poster and the timers read and sleep on (tokio's, so tests pause it).
//! - [`config`]: the configuration file, with file:line errors.
//! - [`cli`]: the command line (`check`, `catalog`, `schedule preview`, `run`); `main.rs` only calls it.

pub mod cli;
pub mod clock;
pub mod config;
pub mod discord;
pub mod domain;
pub mod metrics;
pub mod poster;
pub mod store;
pub mod timer;
