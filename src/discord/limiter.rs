//! The bot's own rate limiting, used when serenity's is off (proxy mode: serenity's limiter would bypass
//! the proxy). A global token bucket keeps the bot under Discord's 50 requests per second, and a 429 is
//! retried after a short backoff instead of failing the reply; so is a 5xx on an interaction callback, in
//! either mode.
//!
//! serenity, with its limiter off, reports a 429 without the `retry_after` of its body, so the backoff
//! is a fixed schedule; it is short because the proxy in front normally absorbs rate limits itself.

use std::future::Future;
use std::time::Duration;

use poise::serenity_prelude as serenity;
use tokio::sync::Mutex;
use tokio::time::Instant;

/// Requests per second the bot allows itself: under Discord's global 50, leaving room for clock skew.
pub const GLOBAL_PER_SECOND: u32 = 48;
/// Waits before each retry of a request answered 429; short enough for the 3-second interaction deadline.
const BACKOFF: [Duration; 2] = [Duration::from_millis(500), Duration::from_millis(1000)];

/// Paces the bot's REST requests. Inactive (a pass-through) when serenity does the limiting.
pub struct Limiter {
    bucket: Option<Mutex<TokenBucket>>,
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
    /// Limits requests itself.
    pub fn active() -> Self {
        Self {
            bucket: Some(Mutex::new(TokenBucket::new(GLOBAL_PER_SECOND))),
        }
    }

    /// Leaves limiting to serenity.
    pub fn inactive() -> Self {
        Self { bucket: None }
    }

    /// Runs `request` under the limits, retrying it after a 429 (when active) and, for an interaction
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
            if let Some(bucket) = self.bucket.as_ref().filter(|_| route == Route::Global) {
                let wait = bucket.lock().await.take(Instant::now());
                if !wait.is_zero() {
                    tokio::time::sleep(wait).await;
                }
            }
            let result = request().await;
            crate::metrics::discord_response(route.group(), &result);
            let retry = match result {
                Err(error) if self.bucket.is_some() && is_rate_limited(&error) => error,
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

/// `per_second` tokens a second, holding at most one: requests are spaced evenly. A bucket holding a
/// second's worth let a burst of 48 plus 48 more refilled within the same second through, 96 in one of
/// Discord's one-second windows, and the fan-out benchmark (P1) got 429s for it.
struct TokenBucket {
    per_second: u32,
    tokens: f64,
    refilled_at: Option<Instant>,
}

impl TokenBucket {
    fn new(per_second: u32) -> Self {
        Self {
            per_second,
            tokens: 1.0,
            refilled_at: None,
        }
    }

    /// Takes a token (possibly borrowed from the future) and returns how long to wait before using it.
    /// Borrowing keeps callers in arrival order: each waits for its own slot.
    fn take(&mut self, now: Instant) -> Duration {
        let rate = f64::from(self.per_second);
        if let Some(then) = self.refilled_at {
            self.tokens = (self.tokens + now.duration_since(then).as_secs_f64() * rate).min(1.0);
        }
        self.refilled_at = Some(now);
        self.tokens -= 1.0;
        if self.tokens >= 0.0 {
            Duration::ZERO
        } else {
            Duration::from_secs_f64(-self.tokens / rate)
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicU32, Ordering};

    use super::*;

    #[tokio::test(start_paused = true)]
    async fn a_burst_beyond_the_global_rate_is_spread_out() {
        let limiter = Limiter::active();
        let started = Instant::now();
        for _ in 0..(2 * GLOBAL_PER_SECOND + 1) {
            limiter
                .send(Route::Global, || async { Ok::<_, serenity::Error>(()) })
                .await
                .unwrap();
        }
        // The first goes at once, the rest at the steady rate, so no second sees more than 48.
        let took = started.elapsed();
        assert!(took >= Duration::from_secs(2), "{took:?}");
        assert!(took < Duration::from_millis(2100), "{took:?}");
    }

    #[tokio::test(start_paused = true)]
    async fn interaction_callbacks_do_not_wait_for_the_global_bucket() {
        let limiter = Limiter::active();
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
    async fn the_inactive_limiter_passes_requests_straight_through() {
        let limiter = Limiter::inactive();
        let started = Instant::now();
        for _ in 0..(3 * GLOBAL_PER_SECOND) {
            limiter
                .send(Route::Global, || async { Ok::<_, serenity::Error>(()) })
                .await
                .unwrap();
        }
        assert_eq!(started.elapsed(), Duration::ZERO);
    }

    #[tokio::test(start_paused = true)]
    async fn other_errors_are_returned_at_once() {
        let limiter = Limiter::active();
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

    #[test]
    fn the_bucket_spaces_requests_evenly_and_saves_up_no_burst() {
        let mut bucket = TokenBucket::new(10);
        let start = Instant::now();
        assert_eq!(bucket.take(start), Duration::ZERO);
        assert_eq!(bucket.take(start), Duration::from_millis(100));
        assert_eq!(bucket.take(start), Duration::from_millis(200));
        // Ten seconds idle save up one request, not a second's worth.
        let later = start + Duration::from_secs(10);
        assert_eq!(bucket.take(later), Duration::ZERO);
        assert_eq!(bucket.take(later), Duration::from_millis(100));
    }
}
