//! Snowflake ids: one newtype per kind of Discord object, and the generator that mints them with
//! Discord's real layout, so ids sort by creation time and carry their creation instant.

use std::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Serialize, Serializer};

/// Milliseconds from the Unix epoch to the Discord epoch (2015-01-01T00:00:00Z).
pub const DISCORD_EPOCH_MS: u64 = 1_420_070_400_000;

macro_rules! snowflake_ids {
    ($($(#[$doc:meta])* $name:ident),* $(,)?) => {$(
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(u64);

        impl $name {
            /// Wraps a raw snowflake.
            pub const fn new(raw: u64) -> Self {
                Self(raw)
            }

            /// The raw snowflake.
            pub const fn get(self) -> u64 {
                self.0
            }

            /// When this id was minted (the timestamp bits of the snowflake).
            pub fn created_at(self) -> SystemTime {
                UNIX_EPOCH + Duration::from_millis((self.0 >> 22) + DISCORD_EPOCH_MS)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }

        /// Discord sends snowflakes as JSON strings (they overflow JavaScript numbers).
        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.collect_str(&self.0)
            }
        }
    )*};
}

snowflake_ids!(
    /// A guild (server).
    GuildId,
    /// A channel.
    ChannelId,
    /// A user; also a member's id within a guild.
    UserId,
    /// A role; a guild's @everyone role has the guild's id.
    RoleId,
    /// A message.
    MessageId,
    /// A registered application command.
    CommandId,
    /// An interaction (a command use, an autocomplete request or a component click).
    InteractionId,
    /// The bot's application.
    ApplicationId,
);

// The worker and process bits of the ids this fake mints; any constant is as good as another.
const WORKER: u64 = 1;
const PROCESS: u64 = 0;

/// Mints snowflakes: milliseconds since the Discord epoch << 22 | worker << 17 | process << 12 | increment.
#[derive(Debug, Default)]
pub(crate) struct Snowflakes {
    last_ms: u64,
    increment: u64,
}

impl Snowflakes {
    /// A fresh id, strictly greater than every id minted before by this generator.
    pub(crate) fn next(&mut self) -> u64 {
        let now_ms = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as u64)
            .saturating_sub(DISCORD_EPOCH_MS);
        if now_ms > self.last_ms {
            self.last_ms = now_ms;
            self.increment = 0;
        } else {
            // Same millisecond (or the clock stepped back): keep counting, borrowing the next
            // millisecond when the 12-bit increment is used up, so ids stay unique and ordered.
            self.increment += 1;
            if self.increment == 1 << 12 {
                self.last_ms += 1;
                self.increment = 0;
            }
        }
        (self.last_ms << 22) | (WORKER << 17) | (PROCESS << 12) | self.increment
    }
}

/// Mints the ids of things that existed before the bot met them (servers it joins): one millisecond
/// apart, going back from the first one. Servers are created years apart, not in the same millisecond as
/// a test adds them: ids minted in one millisecond would all fall on one shard (the Sharding Formula
/// looks only at the timestamp bits), where these spread over shards as evenly as real servers do.
/// The countdown is shared by every fake in the process, so no two fakes hand out the same guild id.
/// A fresh id one millisecond before the one minted before it (by any fake), and before now.
pub(crate) fn past_snowflake() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static LAST_MS: AtomicU64 = AtomicU64::new(0);
    let now_ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
        .saturating_sub(DISCORD_EPOCH_MS);
    let previous = LAST_MS
        .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |last| {
            Some(if last == 0 { now_ms } else { last }.saturating_sub(1))
        })
        .unwrap_or(now_ms);
    let ms = if previous == 0 { now_ms } else { previous }.saturating_sub(1);
    (ms << 22) | (WORKER << 17) | (PROCESS << 12)
}

/// 64 unpredictable bits, for session ids and interaction tokens. `RandomState` is seeded randomly
/// per process; hashing a counter with it avoids a dependency on a random number crate.
pub(crate) fn random_u64() -> u64 {
    use std::hash::BuildHasher;
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    std::collections::hash_map::RandomState::new().hash_one(COUNTER.fetch_add(1, Ordering::Relaxed))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snowflakes_are_ordered_and_carry_their_time() {
        let mut ids = Snowflakes::default();
        let before = SystemTime::now() - Duration::from_millis(1);
        let minted: Vec<u64> = (0..10_000).map(|_| ids.next()).collect();
        assert!(minted.windows(2).all(|w| w[0] < w[1]));
        let first = MessageId::new(minted[0]);
        assert!(first.created_at() >= before);
        assert_eq!((minted[0] >> 17) & 0x1f, WORKER);
        assert_eq!(
            serde_json::to_value(first).unwrap(),
            serde_json::json!(minted[0].to_string())
        );
    }

    #[test]
    fn past_snowflakes_are_distinct_older_than_new_ones_and_a_millisecond_apart() {
        let old: Vec<u64> = (0..3).map(|_| past_snowflake()).collect();
        let new = Snowflakes::default().next();
        assert!(old.windows(2).all(|w| (w[0] >> 22) == (w[1] >> 22) + 1));
        assert!(old[0] < new);
    }
}
