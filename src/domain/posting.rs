//! Scheduled posting: a team's posting schedule as the bot keeps it, its fires, and the rules that make
//! each fire post exactly once, on time or late within a grace window, and never as a burst of old posts.
//!
//! A fire is posted in three steps that survive a crash at any point: **claim** it in the store (with the
//! stretch chosen and the rotation advanced, in one transaction), **send** it with a nonce derived from
//! the claim, then **confirm** it with the message id. A claimed-but-unconfirmed fire found after a
//! restart is sent again with the same nonce, which Discord deduplicates for a few minutes; after longer,
//! the post key carried in the card finds it among the channel's recent messages.

use std::fmt;

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use super::catalog::{Filters, StretchId, Vocabulary};
use super::rotation::RotationState;
use super::schedule::Schedule;

/// At most this many posting schedules per guild.
pub const MAX_SCHEDULES_PER_GUILD: usize = 25;

macro_rules! discord_ids {
    ($($(#[$doc:meta])* $name:ident),+ $(,)?) => {$(
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        pub struct $name(pub u64);

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }
    )+};
}

discord_ids!(
    /// A Discord server.
    GuildId,
    /// A channel posts go to.
    ChannelId,
    /// A role a post may mention.
    RoleId,
    /// A posted message.
    MessageId,
    /// A member (the admin who made a schedule).
    UserId,
);

/// The store's id for a posting schedule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct ScheduleId(pub i64);

impl fmt::Display for ScheduleId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// Why a schedule is not posting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Pause {
    ByAdmin,
    /// Discord said the channel does not exist (10003).
    ChannelGone,
    /// The bot cannot see the channel (50001).
    MissingAccess,
    /// The bot may not send or embed there (50013).
    MissingPermissions,
    /// The bot was removed from the guild.
    LeftGuild,
    /// A reminder's member does not take DMs from the bot (50007: DMs closed, or the bot blocked).
    DmsClosed,
}

impl fmt::Display for Pause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Pause::ByAdmin => "paused by an admin",
            Pause::ChannelGone => "the channel no longer exists; edit the schedule to pick another",
            Pause::MissingAccess => {
                "the bot cannot see the channel; give it View Channel there, then resume"
            }
            Pause::MissingPermissions => {
                "the bot may not post there; give it Send Messages and Embed Links, then resume"
            }
            Pause::LeftGuild => "the bot was removed from the server",
            Pause::DmsClosed => {
                "Discord would not deliver the DM (your DMs are closed to the bot, or it is blocked); \
                 allow direct messages from server members in your privacy settings, then `/remind resume`"
            }
        })
    }
}

/// What a schedule posts at each fire.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PostKind {
    /// The next stretch of the rotation, with its Start-timer and I-did-it buttons.
    #[default]
    Stretch,
    /// The team's participation stats for the week of the fire: an admin's opt-in, since it names the
    /// members with the longest streaks (those who did not choose hide-me).
    TeamSummary,
}

impl Vocabulary for PostKind {
    const ALL: &'static [Self] = &[PostKind::Stretch, PostKind::TeamSummary];

    fn as_str(self) -> &'static str {
        match self {
            PostKind::Stretch => "stretch",
            PostKind::TeamSummary => "team-summary",
        }
    }

    fn label(self) -> &'static str {
        match self {
            PostKind::Stretch => "stretch of the day",
            PostKind::TeamSummary => "team summary",
        }
    }
}

impl std::str::FromStr for PostKind {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        Self::ALL
            .iter()
            .copied()
            .find(|kind| kind.as_str() == text)
            .ok_or_else(|| format!("`{text}` is not a kind of post (stretch, team-summary)"))
    }
}

/// What an admin sets up; the store adds the id and keeps the running state.
#[derive(Debug, Clone, PartialEq)]
pub struct NewSchedule {
    pub guild: GuildId,
    pub channel: ChannelId,
    pub kind: PostKind,
    pub schedule: Schedule,
    pub role: Option<RoleId>,
    pub filters: Filters,
    pub created_by: UserId,
}

/// A posting schedule as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct PostingSchedule {
    pub id: ScheduleId,
    pub guild: GuildId,
    pub channel: ChannelId,
    pub kind: PostKind,
    pub schedule: Schedule,
    pub role: Option<RoleId>,
    pub filters: Filters,
    pub created_by: UserId,
    pub pause: Option<Pause>,
    pub rotation: RotationState,
    /// The next fire not yet claimed or skipped; `None` when the cadence has no more.
    pub next_fire: Option<DateTime<Utc>>,
}

/// One scheduled moment of one schedule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Fire {
    pub schedule: ScheduleId,
    pub at: DateTime<Utc>,
}

impl Fire {
    /// The message nonce for this fire: the same on every attempt, different for every fire, and within
    /// Discord's 25 characters (`sb` + schedule id + fire second, both base 36: at most 2 + 13 + 1 + 9).
    pub fn nonce(&self) -> String {
        format!(
            "sb{}-{}",
            base36(self.schedule.0.unsigned_abs()),
            base36(self.at.timestamp().unsigned_abs())
        )
    }

    /// The key carried in the posted card, to recognise the post among a channel's messages once Discord
    /// has forgotten the nonce.
    pub fn post_key(&self) -> String {
        self.nonce()
    }
}

fn base36(mut n: u64) -> String {
    const DIGITS: &[u8; 36] = b"0123456789abcdefghijklmnopqrstuvwxyz";
    let mut out = Vec::new();
    loop {
        out.push(DIGITS[(n % 36) as usize]);
        n /= 36;
        if n == 0 {
            break;
        }
    }
    out.reverse();
    String::from_utf8(out).expect("base 36 digits are ASCII")
}

/// What to do with a fire that is due, given how late it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Due {
    /// On time (or early): post now.
    Post,
    /// Missed by less than the grace window (the bot was down): post now, once.
    PostLate { by: Duration },
    /// Missed by more than the grace window: skip it and log it.
    Skip { by: Duration },
}

/// How to handle the fire at `at` when it is `now`; `grace` is the configured window.
pub fn due(at: DateTime<Utc>, now: DateTime<Utc>, grace: Duration) -> Due {
    let late = now - at;
    // A second of slack: waking up a moment after the due instant is on time, not "late".
    if late <= Duration::seconds(1) {
        Due::Post
    } else if late <= grace {
        Due::PostLate { by: late }
    } else {
        Due::Skip { by: late }
    }
}

/// A claimed fire: what the store records before anything is sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claim {
    pub fire: Fire,
    /// The stretch to post; `None` for a team summary, whose numbers are read when it is sent.
    pub stretch: Option<StretchId>,
}

/// Where a claimed post stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PostState {
    /// Claimed, not known to be sent: send (again) with the fire's nonce.
    Claimed,
    /// Sent and confirmed.
    Sent { message: MessageId },
    /// Given up by the poster (Discord refused it, it fell beyond the grace window, its stretch left the
    /// catalog), for `reason`: no process takes it up again.
    Abandoned { reason: String },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PostRecord {
    pub claim: Claim,
    pub channel: ChannelId,
    pub state: PostState,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> DateTime<Utc> {
        text.parse().unwrap()
    }

    #[test]
    fn nonces_are_stable_distinct_and_within_discords_limit() {
        let fire = Fire {
            schedule: ScheduleId(42),
            at: at("2027-03-14T07:00:00Z"),
        };
        assert_eq!(fire.nonce(), fire.nonce());
        assert_ne!(
            fire.nonce(),
            Fire {
                at: at("2027-03-14T07:00:01Z"),
                ..fire
            }
            .nonce()
        );
        assert_ne!(
            fire.nonce(),
            Fire {
                schedule: ScheduleId(43),
                ..fire
            }
            .nonce()
        );
        let widest = Fire {
            schedule: ScheduleId(i64::MAX),
            at: DateTime::<Utc>::MAX_UTC,
        };
        assert!(widest.nonce().len() <= 25, "{}", widest.nonce());
        assert_eq!(base36(0), "0");
        assert_eq!(base36(35), "z");
        assert_eq!(base36(36), "10");
    }

    #[test]
    fn fires_within_the_grace_window_post_late_and_older_ones_are_skipped() {
        let fire = at("2027-03-14T07:00:00Z");
        let grace = Duration::minutes(30);
        assert_eq!(due(fire, fire, grace), Due::Post);
        assert_eq!(due(fire, at("2027-03-14T06:59:00Z"), grace), Due::Post);
        assert_eq!(due(fire, at("2027-03-14T07:00:01Z"), grace), Due::Post);
        assert_eq!(
            due(fire, at("2027-03-14T07:29:00Z"), grace),
            Due::PostLate {
                by: Duration::minutes(29)
            }
        );
        assert_eq!(
            due(fire, at("2027-03-14T07:31:00Z"), grace),
            Due::Skip {
                by: Duration::minutes(31)
            }
        );
    }

    #[test]
    fn pause_reasons_say_what_to_do() {
        assert!(
            Pause::MissingPermissions
                .to_string()
                .contains("Send Messages")
        );
        assert!(Pause::ChannelGone.to_string().contains("edit the schedule"));
    }
}
