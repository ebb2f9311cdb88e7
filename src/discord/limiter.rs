//! The bot's own rate limiting: this process's share of Discord's global limit, and retries. Discord
//! counts its global 50 requests per second per bot token, across every process that uses it, so each
//! process paces its requests to its share of the bot's [`GLOBAL_PER_SECOND`]: the shards it runs over
//! the total ([`Share`]). A 429 is retried after a short backoff in proxy mode (serenity's limiter is off
//! there, since it would bypass the proxy; against discord.com serenity retries 429s itself), and so is
//! a 5xx on an interaction callback, in either mode.
//!
//! The shares interleave on the wall clock instead of each process running a bucket of its own: the
//! bot's requests have one slot every 1/48 s of Unix time, slot `k` belongs to shard `k % total`, and a
//! process sends only in its shards' slots. Independent buckets of 16/s each in three processes may
//! line up, and each paced stream can put one request more than its rate into a one-second window
//! (one at its start, one at its end), so together they could reach 48 + one per process; interleaved
//! slots are one stream of 48 a second whichever processes send. Nothing is shared at run time, not even
//! through PostgreSQL: a round trip to the database per request would cost more than the request. The
//! price: a share is fixed by the shard ranges, so a dead process's share goes unused until it is
//! restarted (its fires are still posted by the others, at their pace), and the machines' clocks must
//! agree to well under a slot (NTP keeps them within milliseconds; a slot is 20.8 ms).
//!
//! serenity, with its limiter off, reports a 429 without the `retry_after` of its body, so the backoff
//! is a fixed schedule; it is short because the proxy in front normally absorbs rate limits itself.

use std::future::Future;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use poise::serenity_prelude as serenity;
use tokio::sync::Mutex;
use tokio::time::Instant;

/// Requests per second the bot allows itself, all processes together: under Discord's global 50,
/// leaving room for clock skew.
pub const GLOBAL_PER_SECOND: u32 = 48;
/// Waits before each retry of a request answered 429; short enough for the 3-second interaction deadline.
const BACKOFF: [Duration; 2] = [Duration::from_millis(500), Duration::from_millis(1000)];
const NANOS_PER_SECOND: u128 = 1_000_000_000;

/// Paces the bot's REST requests to this process's share of the global limit.
pub struct Limiter {
    slots: Mutex<Slots>,
    /// Proxy mode: serenity's limiter is off, so 429s are ours to retry.
    retries_rate_limits: bool,
}

/// This process's part of the bot's request slots: the slots of shards `first` to `first + count - 1`
/// of `total`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Share {
    first: u32,
    count: u32,
    total: u32,
}

impl Share {
    /// Every slot: one process runs the whole bot.
    pub const WHOLE: Share = Share {
        first: 0,
        count: 1,
        total: 1,
    };

    /// The slots of `count` shards from `first` on, of `total`; `None` unless `0 < count` and
    /// `first + count <= total`.
    pub fn of_shards(first: u32, count: u32, total: u32) -> Option<Share> {
        (count > 0 && first.checked_add(count)? <= total).then_some(Share {
            first,
            count,
            total,
        })
    }

    /// The requests per second this share allows.
    pub fn per_second(self) -> f64 {
        f64::from(GLOBAL_PER_SECOND) * f64::from(self.count) / f64::from(self.total)
    }

    fn owns(self, slot: u128) -> bool {
        let shard = slot % u128::from(self.total);
        shard >= u128::from(self.first) && shard < u128::from(self.first + self.count)
    }

    /// The first slot of this share at or after `slot`.
    fn next_from(self, slot: u128) -> u128 {
        let total = u128::from(self.total);
        let shard = slot % total;
        let first = u128::from(self.first);
        if self.owns(slot) {
            slot
        } else if shard < first {
            slot + (first - shard)
        } else {
            slot + (total - shard) + first
        }
    }
}

/// Whether a request counts against the global limit; interaction callbacks do not (rate-limits.mdx).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Route {
    Global,
    InteractionCallback,
}

impl Route {
    /// The route's name as a metrics label.
    pub fn group(self) -> &'static str {
        match self {
            Route::Global => "global",
            Route::InteractionCallback => "interaction_callback",
        }
    }
}

impl Limiter {
    /// Paces requests to `share` and retries 429s itself: proxy mode, with serenity's limiter off.
    pub fn retrying(share: Share) -> Self {
        Self::new(share, true)
    }

    /// Paces requests to `share` and leaves 429s to serenity's limiter, which is on.
    pub fn pacing(share: Share) -> Self {
        Self::new(share, false)
    }

    fn new(share: Share, retries_rate_limits: bool) -> Self {
        Self {
            slots: Mutex::new(Slots::new(share)),
            retries_rate_limits,
        }
    }

    /// Runs `request` under the limits, retrying it after a 429 (in proxy mode) and, for an interaction
    /// callback, after a 5xx. A member's command has one callback and three seconds: Discord's edge
    /// failing it once must not leave them with "The application did not respond" (the hostile-network
    /// run, R2, lost replies that way). A callback that did get through answers the retry with an error,
    /// never a second reply. Posts are retried by the poster, with their nonce, not here.
    pub async fn send<T, F, Fut>(&self, route: Route, mut request: F) -> Result<T, serenity::Error>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, serenity::Error>>,
    {
        let mut backoff = BACKOFF.iter();
        loop {
            if route == Route::Global {
                // The lock is held until the slot comes: the next request takes its slot only once
                // this one goes, from the time it really goes. A runtime stalled past several slots
                // (a shard's flood of GUILD_CREATEs) then delays the requests behind it instead of
                // waking them all at once, which put more than Discord's 50 into one second (P1).
                let mut slots = self.slots.lock().await;
                let wait = slots.take(Instant::now());
                if !wait.is_zero() {
                    tokio::time::sleep(wait).await;
                }
                drop(slots);
            }
            let result = request().await;
            crate::metrics::discord_response(route.group(), &result);
            let retry = match result {
                Err(error) if self.retries_rate_limits && is_rate_limited(&error) => error,
                Err(error) if route == Route::InteractionCallback && is_server_error(&error) => {
                    error
                }
                result => return result,
            };
            match backoff.next() {
                Some(wait) => {
                    tracing::warn!(?wait, error = %retry, "retrying");
                    crate::metrics::discord_retry(route.group());
                    tokio::time::sleep(*wait).await;
                }
                None => return Err(retry),
            }
        }
    }
}

fn is_server_error(error: &serenity::Error) -> bool {
    matches!(
        error,
        serenity::Error::Http(serenity::HttpError::UnsuccessfulRequest(response))
            if response.status_code.is_server_error()
    )
}

fn is_rate_limited(error: &serenity::Error) -> bool {
    matches!(
        error,
        serenity::Error::Http(serenity::HttpError::UnsuccessfulRequest(response))
            if response.status_code == serenity::StatusCode::TOO_MANY_REQUESTS
    )
}

/// The slots this process takes, on the wall clock. Each request takes the next free slot of the share,
/// possibly in the future, and waits for it: callers keep their arrival order, no two requests go in one
/// slot's time, and nothing is saved up while idle (a bucket that held a second's worth let 96
/// through in one of Discord's one-second windows, and the fan-out benchmark, P1, got 429s for it).
struct Slots {
    share: Share,
    /// A tokio instant and the wall-clock time (since the Unix epoch) it stands for. Read once: tokio's
    /// monotonic clock follows NTP's rate corrections, so it keeps to the wall clock unless the wall
    /// clock is stepped, and it follows tokio's paused clock in tests.
    anchor: (Instant, Duration),
    last: Option<u128>,
}

impl Slots {
    fn new(share: Share) -> Self {
        let wall = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default();
        Self {
            share,
            anchor: (Instant::now(), wall),
            last: None,
        }
    }

    /// Takes the next free slot at tokio instant `now` and returns how long to wait for it.
    fn take(&mut self, now: Instant) -> Duration {
        let (instant, wall) = self.anchor;
        self.take_at(wall + now.saturating_duration_since(instant))
    }

    /// Takes the next free slot of the share at or after `wall` (time since the Unix epoch) and returns
    /// how long after `wall` it comes.
    fn take_at(&mut self, wall: Duration) -> Duration {
        let per_second = u128::from(GLOBAL_PER_SECOND);
        let now = wall.as_nanos();
        let earliest = (now * per_second).div_ceil(NANOS_PER_SECOND);
        let free = self.last.map_or(earliest, |last| earliest.max(last + 1));
        let slot = self.share.next_from(free);
        self.last = Some(slot);
        let starts = (slot * NANOS_PER_SECOND).div_ceil(per_second);
        Duration::from_nanos(u64::try_from(starts.saturating_sub(now)).unwrap_or(u64::MAX))
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicU32, Ordering};

    use super::*;

    /// A second of slots, in nanoseconds.
    const SLOT_NANOS: f64 = 1e9 / GLOBAL_PER_SECOND as f64;

    #[test]
    fn a_share_is_the_shards_run_over_the_total_of_the_bots_48_a_second() {
        assert_eq!(Share::WHOLE.per_second(), 48.0);
        assert_eq!(Share::of_shards(0, 1, 3).unwrap().per_second(), 16.0);
        assert_eq!(Share::of_shards(4, 4, 16).unwrap().per_second(), 12.0);
        assert_eq!(Share::of_shards(0, 16, 16).unwrap().per_second(), 48.0);
        assert_eq!(Share::of_shards(0, 0, 3), None);
        assert_eq!(Share::of_shards(2, 2, 3), None);
        assert_eq!(Share::of_shards(u32::MAX, 1, 3), None);
    }

    /// The instants (ns since the epoch) of the slots `share` takes when it is always busy for `seconds`
    /// from `start`.
    fn busy(share: Share, start: Duration, seconds: u32) -> Vec<u128> {
        let mut slots = Slots {
            share,
            anchor: (Instant::now(), start),
            last: None,
        };
        let end = start + Duration::from_secs(u64::from(seconds));
        std::iter::repeat_with(|| (start + slots.take_at(start)).as_nanos())
            .take_while(|at| *at < end.as_nanos())
            .collect()
    }

    /// The most instants in any one-second window, as Discord counts them.
    fn busiest_second(instants: &[u128]) -> usize {
        (0..instants.len())
            .map(|i| {
                instants[i..]
                    .iter()
                    .take_while(|at| **at < instants[i] + NANOS_PER_SECOND)
                    .count()
            })
            .max()
            .unwrap_or(0)
    }

    #[test]
    fn processes_with_shares_of_one_total_interleave_into_one_stream_of_48_a_second() {
        // Three processes, a shard each of three, all busy from the same odd instant.
        let start = Duration::from_nanos(1_800_000_000_123_456_789);
        for (shares, each) in [
            (vec![(0, 1), (1, 1), (2, 1)], 16 * 3),
            (vec![(0, 4), (4, 4), (8, 4), (12, 4)], 12 * 3),
            (vec![(0, 1), (1, 4)], 0),
        ] {
            let total = shares.iter().map(|(_, count)| count).sum();
            let mut all: Vec<u128> = Vec::new();
            for (first, count) in shares {
                let share = Share::of_shards(first, count, total).unwrap();
                let taken = busy(share, start, 3);
                let expected = (share.per_second() * 3.0).round() as usize;
                assert!(
                    taken.len().abs_diff(expected) <= 1,
                    "{share:?}: {}",
                    taken.len()
                );
                if each > 0 {
                    assert_eq!(taken.len(), each, "{share:?}");
                }
                all.extend(taken);
            }
            all.sort_unstable();
            // Together: every slot of the bot once, none twice, 48 to a second.
            assert_eq!(all.len(), 3 * GLOBAL_PER_SECOND as usize);
            assert!(
                all.windows(2)
                    .all(|pair| (pair[1] - pair[0]) as f64 >= SLOT_NANOS - 1.0),
                "two requests closer than a slot"
            );
            assert_eq!(busiest_second(&all), GLOBAL_PER_SECOND as usize);
        }
    }

    /// Whether `wait` is `slots` slots, to the nanosecond a slot's start is rounded to.
    fn slots_after(wait: Duration, slots: u32) -> bool {
        (wait.as_nanos() as f64 - SLOT_NANOS * f64::from(slots)).abs() <= 1.0
    }

    #[test]
    fn slots_are_spaced_evenly_and_none_is_saved_up_while_idle() {
        let mut slots = Slots::new(Share::WHOLE);
        // On a slot's instant: that slot, then the next ones.
        let start = Duration::from_secs(1_800_000_000);
        assert_eq!(slots.take_at(start), Duration::ZERO);
        assert!(slots_after(slots.take_at(start), 1));
        assert!(slots_after(slots.take_at(start), 2));
        // Ten seconds idle save up one request, not a second's worth.
        let later = start + Duration::from_secs(10);
        assert_eq!(slots.take_at(later), Duration::ZERO);
        assert!(slots_after(slots.take_at(later), 1));
        // A process with the second of three shards waits for its own slot.
        let mut second = Slots::new(Share::of_shards(1, 1, 3).unwrap());
        assert!(slots_after(second.take_at(start), 1));
        assert!(slots_after(second.take_at(start), 4));
    }

    #[tokio::test(start_paused = true)]
    async fn a_burst_beyond_the_global_rate_is_spread_out() {
        let limiter = Limiter::retrying(Share::WHOLE);
        let started = Instant::now();
        for _ in 0..(2 * GLOBAL_PER_SECOND + 1) {
            limiter
                .send(Route::Global, || async { Ok::<_, serenity::Error>(()) })
                .await
                .unwrap();
        }
        // The first goes in the next slot, the rest one slot apart, so no second sees more than 48.
        let took = started.elapsed();
        assert!(took >= Duration::from_secs(2), "{took:?}");
        assert!(took < Duration::from_millis(2100), "{took:?}");
    }

    #[tokio::test(start_paused = true)]
    async fn requests_held_up_by_a_stall_go_out_in_slots_of_their_own_not_together() {
        let limiter = Arc::new(Limiter::retrying(Share::WHOLE));
        let sent = Arc::new(std::sync::Mutex::new(Vec::new()));
        let mut requests = tokio::task::JoinSet::new();
        for n in 0..12 {
            let (limiter, sent) = (Arc::clone(&limiter), Arc::clone(&sent));
            requests.spawn(async move {
                limiter
                    .send(Route::Global, || {
                        sent.lock().unwrap().push(Instant::now());
                        async move {
                            if n == 2 {
                                // The runtime stalls for 5 slots' time.
                                tokio::time::advance(Duration::from_millis(105)).await;
                            }
                            Ok::<_, serenity::Error>(())
                        }
                    })
                    .await
                    .unwrap();
            });
            // Queued in order.
            tokio::task::yield_now().await;
        }
        while requests.join_next().await.is_some() {}
        let (anchor, wall) = limiter.slots.lock().await.anchor;
        let slot_of = |at: &Instant| {
            ((wall + at.duration_since(anchor)).as_nanos() * u128::from(GLOBAL_PER_SECOND))
                / NANOS_PER_SECOND
        };
        let slots: Vec<u128> = sent.lock().unwrap().iter().map(slot_of).collect();
        assert_eq!(slots.len(), 12);
        assert!(
            slots.windows(2).all(|pair| pair[0] < pair[1]),
            "two requests in one slot: {slots:?}"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_third_of_the_shards_gets_a_third_of_the_rate() {
        let limiter = Limiter::pacing(Share::of_shards(2, 1, 3).unwrap());
        let started = Instant::now();
        for _ in 0..=32 {
            limiter
                .send(Route::Global, || async { Ok::<_, serenity::Error>(()) })
                .await
                .unwrap();
        }
        let took = started.elapsed();
        assert!(took >= Duration::from_secs(2), "{took:?}");
        assert!(took < Duration::from_millis(2100), "{took:?}");
    }

    #[tokio::test(start_paused = true)]
    async fn interaction_callbacks_do_not_wait_for_the_global_slots() {
        let limiter = Limiter::retrying(Share::of_shards(0, 1, 100).unwrap());
        let started = Instant::now();
        for _ in 0..(3 * GLOBAL_PER_SECOND) {
            limiter
                .send(Route::InteractionCallback, || async {
                    Ok::<_, serenity::Error>(())
                })
                .await
                .unwrap();
        }
        assert_eq!(started.elapsed(), Duration::ZERO);
    }

    #[tokio::test(start_paused = true)]
    async fn other_errors_are_returned_at_once() {
        let limiter = Limiter::retrying(Share::WHOLE);
        let calls = Arc::new(AtomicU32::new(0));
        let result = limiter
            .send(Route::Global, || {
                calls.fetch_add(1, Ordering::SeqCst);
                async { Err::<(), _>(serenity::Error::Other("boom")) }
            })
            .await;
        assert!(result.is_err());
        assert_eq!(calls.load(Ordering::SeqCst), 1);
    }
}
