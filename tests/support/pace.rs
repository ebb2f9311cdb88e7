//! How a run used Discord's global rate limit, read from the fake's transcript: the requests that count
//! against it (all but interaction callbacks and interaction-token webhooks), the most of them in any
//! one second, and the mean rate of a run of posts. Figures for the README and reports, not assertions.

use fake_discord::{Entry, Event, FakeDiscord};

const POSTS: &str = "/messages";

/// The global-limit requests of a fake's transcript.
pub struct Pace {
    /// Milliseconds since the fake started, per request that counts against the global limit.
    global_ms: Vec<f64>,
    /// Milliseconds since the fake started, per channel message posted (2xx).
    posts_ms: Vec<f64>,
    /// Responses 429, on any route.
    pub too_many_requests: usize,
}

impl Pace {
    pub fn of(fake: &FakeDiscord) -> Pace {
        let mut pace = Pace {
            global_ms: Vec::new(),
            posts_ms: Vec::new(),
            too_many_requests: 0,
        };
        for Entry {
            elapsed_ms, event, ..
        } in fake.transcript()
        {
            let Event::Http(exchange) = event else {
                continue;
            };
            if exchange.status == 429 {
                pace.too_many_requests += 1;
            }
            let exempt =
                exchange.path.contains("/interactions/") || exchange.path.contains("/webhooks/");
            if !exempt {
                pace.global_ms.push(elapsed_ms);
            }
            if exchange.method == "POST"
                && exchange.path.ends_with(POSTS)
                && (200..300).contains(&exchange.status)
            {
                pace.posts_ms.push(elapsed_ms);
            }
        }
        pace
    }

    /// The most global-limit requests in any one-second window.
    pub fn busiest_second(&self) -> usize {
        let times = &self.global_ms;
        (0..times.len())
            .map(|i| {
                times[i..]
                    .iter()
                    .take_while(|at| **at < times[i] + 1000.0)
                    .count()
            })
            .max()
            .unwrap_or(0)
    }

    /// Posts per second from the first post to the last.
    pub fn posts_per_second(&self) -> f64 {
        match (self.posts_ms.first(), self.posts_ms.last()) {
            (Some(first), Some(last)) if last > first => {
                (self.posts_ms.len() - 1) as f64 / ((last - first) / 1000.0)
            }
            _ => 0.0,
        }
    }

    /// Global-limit requests per second over the posting run (from the first post to the last).
    pub fn global_per_second_while_posting(&self) -> f64 {
        let (Some(first), Some(last)) = (self.posts_ms.first(), self.posts_ms.last()) else {
            return 0.0;
        };
        let during = self
            .global_ms
            .iter()
            .filter(|at| (*first..=*last).contains(*at))
            .count();
        if last > first {
            (during - 1) as f64 / ((last - first) / 1000.0)
        } else {
            0.0
        }
    }
}
