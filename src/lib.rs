//! stretchbot: a Discord bot that posts a stretch of the day to a team's channel and guides members through
//! it.
//!
//! # Layout
//! - [`domain`]: the core, free of Discord, storage and the async runtime.
//!   - [`domain::catalog`]: stretch entries and the loader that validates `content/` (its `[pictures]`
//!     tables too); a server's own entries, the dose in plain words, and the catalog one server sees
//!     (built-in minus hidden plus own).
//!   - [`domain::pose`]: poses, props and the geometry that places a figure's points.
//!   - [`domain::schedule`]: cadences (daily times or cron), IANA zones, the DST policy and next-fire
//!     computation.
//!   - [`domain::rotation`]: which stretch a schedule posts next, without repeats, from a small stored state.
//!   - [`domain::timer_plan`]: an entry turned into timed steps for the guided timer.
//!   - [`domain::timer_run`]: a timer as it runs: current step, paused or running, how it ended.
//!   - [`domain::posting`]: posting schedules as stored, fires with their nonce and post key, the grace
//!     window.
//!   - [`domain::participation`]: check-ins per member per local day, streaks, member and team stats.
//!   - [`domain::reminder`]: personal reminders, posted as schedules of the member's own space by DM;
//!     snoozes and skip-today.
//!   - [`domain::store`]: the storage interface, in the domain's terms.
//! - [`discord`]: the Discord adapter (serenity + poise): connection and gateway shards, slash commands
//!   and the answers to their buttons and forms (`/stats`, "I did it" and `/catalog`'s modal among them), replies and the mention policy (`reply`), button
//!   ids and the shared buttons (`buttons`), cards, the poster's sender, pictures as uploads
//!   ([`discord::upload`]), and each picture (a card's, a timer step's) drawn once
//!   ([`discord::pictures`]).
//! - [`poster`]: wakes for each due fire and posts it exactly once (claim, send with the fire's nonce,
//!   confirm), late within the grace window after downtime, through a seam that `discord` implements;
//!   reminders' snoozes as extra claims.
//! - [`timer`]: runs guided timers (a task and a painter each), with limits and shutdown, through a
//!   screen that `discord` implements.
//! - [`store`]: the storage adapters of the domain's interface, SQLite (`store/sqlite/`) and PostgreSQL
//!   (`store/postgres/`, for several processes), each split by aggregate, and `AnyStore`, the one the
//!   bot runs on, chosen by the config; `store copy`; migrations in `migrations/sqlite/` and
//!   `migrations/postgres/`.
//! - [`render`]: the rendering adapter (tiny-skia): PNG stills of poses, the GIF of a movement, the contact
//!   sheet.
//! - [`metrics`]: Prometheus metrics and the `/metrics`, `/healthz` and `/readyz` listener.
//! - [`clock`]: the wall clock the poster and the timers read and sleep on (tokio's, so tests pause it).
//! - [`config`]: the configuration file, with file:line errors.
//! - [`logging`]: the log subscriber (`RUST_LOG`, text or JSON) and every line the bot prints, none of
//!   which can panic or fail on a closed pipe.
//! - [`cli`]: the command line (`check`, `catalog`, `schedule preview`, `render`, `backup`, `run`, `migrate`,
//!   `store copy`); `main.rs` only calls it.

pub mod cli;
pub mod clock;
pub mod config;
pub mod discord;
pub mod domain;
pub mod logging;
pub mod metrics;
pub mod poster;
pub mod render;
pub mod store;
pub mod timer;
