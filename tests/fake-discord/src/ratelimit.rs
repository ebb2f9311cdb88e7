//! Discord's HTTP rate limits (rate-limits.mdx): per-route buckets counted separately for each top-level
//! resource (channel, guild, webhook + token), the global limit per bot (interaction endpoints exempt),
//! the `X-RateLimit-*` headers, and the count of invalid requests (401, 403, 429) over ten minutes.

use std::collections::{HashMap, VecDeque};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use tokio::time::Instant;

/// Discord's window for counting invalid requests.
pub const INVALID_REQUEST_WINDOW: Duration = Duration::from_secs(600);

/// A bucket size: `requests` per `per`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limit {
    pub requests: u32,
    pub per: Duration,
}

impl Limit {
    pub const fn new(requests: u32, per: Duration) -> Self {
        Limit { requests, per }
    }
}

/// Bucket sizes. Routes are named like the spec, `"POST /channels/{channel_id}/messages"`.
#[derive(Clone, Debug)]
pub struct RateLimits {
    /// Requests per bot across all routes except the interaction endpoints (Discord: 50 per second).
    pub global: Limit,
    /// The size of every route's bucket unless `routes` names it.
    pub default_route: Limit,
    /// Per-route sizes.
    pub routes: Vec<(String, Limit)>,
}

impl Default for RateLimits {
    fn default() -> Self {
        let five_per_five = Limit::new(5, Duration::from_secs(5));
        RateLimits {
            global: Limit::new(50, Duration::from_secs(1)),
            default_route: Limit::new(10, Duration::from_secs(1)),
            routes: vec![
                // Discord's message buckets: 5 per 5 s per channel.
                (
                    "POST /channels/{channel_id}/messages".to_owned(),
                    five_per_five,
                ),
                (
                    "PATCH /channels/{channel_id}/messages/{message_id}".to_owned(),
                    five_per_five,
                ),
                (
                    "DELETE /channels/{channel_id}/messages/{message_id}".to_owned(),
                    five_per_five,
                ),
            ],
        }
    }
}

/// The `X-RateLimit-Scope` of a 429.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    /// The bot's own per-route limit.
    User,
    /// The bot's global limit.
    Global,
    /// A limit on the resource shared by everyone; does not count as an invalid request.
    Shared,
}

impl Scope {
    pub(crate) fn wire(self) -> &'static str {
        match self {
            Scope::User => "user",
            Scope::Global => "global",
            Scope::Shared => "shared",
        }
    }
}

/// Who is being limited: the bot (valid token) or an unauthenticated caller (Discord limits by IP).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Identity {
    Bot,
    Anonymous,
}

/// The state of the bucket a request fell in, as the `X-RateLimit-*` headers report it.
#[derive(Clone, Debug)]
pub(crate) struct BucketState {
    pub limit: u32,
    pub remaining: u32,
    pub reset_after: Duration,
    pub bucket: String,
}

/// Why a request gets a 429.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Limited {
    pub retry_after: Duration,
    pub scope: Scope,
}

#[derive(Clone, Copy, Debug)]
struct Window {
    started: Instant,
    used: u32,
}

impl Window {
    /// The window as of `now`, restarted if its period is over.
    fn current(self, now: Instant, per: Duration) -> Window {
        if now >= self.started + per {
            Window {
                started: now,
                used: 0,
            }
        } else {
            self
        }
    }

    fn reset_after(&self, now: Instant, per: Duration) -> Duration {
        (self.started + per).saturating_duration_since(now)
    }
}

/// The rate limiter of one fake.
pub(crate) struct Limiter {
    config: RateLimits,
    routes: HashMap<(Identity, String, String), Window>,
    global: HashMap<Identity, Window>,
    invalid: VecDeque<Instant>,
}

impl Limiter {
    pub fn new(config: RateLimits) -> Self {
        Limiter {
            config,
            routes: HashMap::new(),
            global: HashMap::new(),
            invalid: VecDeque::new(),
        }
    }

    /// Counts a request on `route` (method and template) for the top-level resource `major`, and on
    /// the global limit unless `exempt_from_global`. A refused request is counted on neither.
    pub fn check(
        &mut self,
        identity: Identity,
        route: &str,
        major: &str,
        exempt_from_global: bool,
        now: Instant,
    ) -> (BucketState, Option<Limited>) {
        let limit = self
            .config
            .routes
            .iter()
            .find(|(r, _)| r == route)
            .map_or(self.config.default_route, |(_, l)| *l);
        let key = (identity, route.to_owned(), major.to_owned());
        let fresh = Window {
            started: now,
            used: 0,
        };
        let window = self
            .routes
            .get(&key)
            .copied()
            .unwrap_or(fresh)
            .current(now, limit.per);
        let global_limit = self.config.global;
        let global = self
            .global
            .get(&identity)
            .copied()
            .unwrap_or(fresh)
            .current(now, global_limit.per);

        let refused = if !exempt_from_global && global.used >= global_limit.requests {
            Some(Limited {
                retry_after: global.reset_after(now, global_limit.per),
                scope: Scope::Global,
            })
        } else if window.used >= limit.requests {
            Some(Limited {
                retry_after: window.reset_after(now, limit.per),
                scope: Scope::User,
            })
        } else {
            None
        };
        let mut window = window;
        if refused.is_none() {
            window.used += 1;
            if !exempt_from_global {
                self.global.insert(
                    identity,
                    Window {
                        used: global.used + 1,
                        ..global
                    },
                );
            }
        }
        self.routes.insert(key, window);
        let state = BucketState {
            limit: limit.requests,
            remaining: limit.requests.saturating_sub(window.used),
            reset_after: window.reset_after(now, limit.per),
            bucket: bucket_hash(route),
        };
        (state, refused)
    }

    /// Notes a response's status; 401, 403 and 429 (except `shared` ones) are invalid requests.
    pub fn note_status(&mut self, status: u16, scope: Option<Scope>, now: Instant) {
        let invalid =
            matches!(status, 401 | 403) || (status == 429 && scope != Some(Scope::Shared));
        if invalid {
            self.invalid.push_back(now);
        }
    }

    /// Invalid requests within the last ten minutes.
    pub fn invalid_count(&mut self, now: Instant) -> usize {
        while self
            .invalid
            .front()
            .is_some_and(|t| now.saturating_duration_since(*t) >= INVALID_REQUEST_WINDOW)
        {
            self.invalid.pop_front();
        }
        self.invalid.len()
    }
}

/// Discord's bucket ids are opaque hashes of the route (not of its top-level resource); FNV-1a keeps
/// them stable from run to run.
fn bucket_hash(route: &str) -> String {
    let hash = route.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    });
    format!("{hash:016x}")
}

/// The rate-limit headers of a response: the bucket's state, plus `Retry-After`, `X-RateLimit-Scope`
/// (and `X-RateLimit-Global`) on a 429.
pub(crate) fn headers(
    state: &BucketState,
    limited: Option<&Limited>,
) -> Vec<(&'static str, String)> {
    let reset_at = (SystemTime::now() + state.reset_after)
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    let mut headers = vec![
        ("x-ratelimit-limit", state.limit.to_string()),
        ("x-ratelimit-remaining", state.remaining.to_string()),
        (
            "x-ratelimit-reset",
            format!("{:.3}", reset_at.as_secs_f64()),
        ),
        (
            "x-ratelimit-reset-after",
            format!("{:.3}", state.reset_after.as_secs_f64()),
        ),
        ("x-ratelimit-bucket", state.bucket.clone()),
    ];
    if let Some(limited) = limited {
        // Retry-After is whole seconds, rounded up so a client that honours it is never early.
        headers.push((
            "retry-after",
            limited
                .retry_after
                .as_secs_f64()
                .ceil()
                .max(1.0)
                .to_string(),
        ));
        headers.push(("x-ratelimit-scope", limited.scope.wire().to_owned()));
        if limited.scope == Scope::Global {
            headers.push(("x-ratelimit-global", "true".to_owned()));
        }
    }
    headers
}

/// The 429 body.
pub(crate) fn body(limited: &Limited) -> serde_json::Value {
    let message = match limited.scope {
        Scope::Shared => "The resource is being rate limited.",
        Scope::User | Scope::Global => "You are being rate limited.",
    };
    // Milliseconds precision, like Discord's.
    let retry_after = (limited.retry_after.as_secs_f64() * 1000.0).ceil() / 1000.0;
    serde_json::json!({
        "message": message,
        "retry_after": retry_after,
        "global": limited.scope == Scope::Global,
        "code": 0,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_are_per_resource_and_reset_after_their_window() {
        let route = "POST /channels/{channel_id}/messages";
        let mut limiter = Limiter::new(RateLimits::default());
        let t0 = Instant::now();
        for n in 0..5 {
            let (state, refused) = limiter.check(Identity::Bot, route, "1", false, t0);
            assert!(refused.is_none());
            assert_eq!(state.remaining, 4 - n);
        }
        let (_, refused) = limiter.check(
            Identity::Bot,
            route,
            "1",
            false,
            t0 + Duration::from_secs(2),
        );
        let refused = refused.expect("sixth message in 5 s is refused");
        assert_eq!(refused.scope, Scope::User);
        assert_eq!(refused.retry_after, Duration::from_secs(3));
        let (_, other_channel) = limiter.check(
            Identity::Bot,
            route,
            "2",
            false,
            t0 + Duration::from_secs(2),
        );
        assert!(
            other_channel.is_none(),
            "another channel has its own bucket"
        );
        let (state, refused) = limiter.check(
            Identity::Bot,
            route,
            "1",
            false,
            t0 + Duration::from_secs(5),
        );
        assert!(refused.is_none());
        assert_eq!(state.remaining, 4);
    }

    #[test]
    fn global_limit_spans_routes_but_not_exempt_ones() {
        let mut limiter = Limiter::new(RateLimits {
            global: Limit::new(3, Duration::from_secs(1)),
            ..Default::default()
        });
        let now = Instant::now();
        for i in 0..3 {
            assert!(
                limiter
                    .check(
                        Identity::Bot,
                        "GET /channels/{channel_id}",
                        &i.to_string(),
                        false,
                        now
                    )
                    .1
                    .is_none()
            );
        }
        let (_, refused) = limiter.check(Identity::Bot, "GET /guilds/{guild_id}", "9", false, now);
        assert_eq!(refused.map(|r| r.scope), Some(Scope::Global));
        let (_, exempt) = limiter.check(
            Identity::Bot,
            "POST /interactions/{interaction_id}/{interaction_token}/callback",
            "5",
            true,
            now,
        );
        assert!(exempt.is_none());
    }

    #[test]
    fn invalid_requests_expire_after_ten_minutes() {
        let mut limiter = Limiter::new(RateLimits::default());
        let t0 = Instant::now();
        limiter.note_status(401, None, t0);
        limiter.note_status(429, Some(Scope::Shared), t0);
        limiter.note_status(404, None, t0);
        limiter.note_status(403, None, t0 + Duration::from_secs(300));
        assert_eq!(limiter.invalid_count(t0 + Duration::from_secs(300)), 2);
        assert_eq!(limiter.invalid_count(t0 + INVALID_REQUEST_WINDOW), 1);
    }
}
