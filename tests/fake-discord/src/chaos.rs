//! Chaos: random request failures at a steady rate, for soak runs of the bot against a hostile network.
//! Unlike a [`Fault`](crate::Fault), which fails the next few matching requests, chaos fails any request
//! (interaction endpoints included, as Discord's edge would) with a fixed probability for as long as it is
//! on. Half of its failures are 5xx (500, 502, 503, 504 in turn), half 429s in the `shared` scope: a limit
//! the bot did not cause, so they do not count as its invalid requests. A seed makes a run repeatable.

use std::time::Duration;

use crate::faults::Failure;
use crate::ratelimit::Scope;

/// How often requests fail; turn it on with [`FakeDiscord::set_chaos`](crate::FakeDiscord::set_chaos).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Chaos {
    /// The share of requests that fail, from 0.0 to 1.0.
    pub rate: f64,
    pub seed: u64,
    /// The `retry_after` of its 429s.
    pub retry_after: Duration,
}

const SERVER_ERRORS: [u16; 4] = [500, 502, 503, 504];

/// Chaos in force: its settings, its random state and what it has done.
#[derive(Debug)]
pub(crate) struct ChaosState {
    chaos: Chaos,
    random: SplitMix,
    pub failed: u64,
}

impl ChaosState {
    pub fn new(chaos: Chaos) -> Self {
        ChaosState {
            chaos,
            random: SplitMix::new(chaos.seed),
            failed: 0,
        }
    }

    /// Whether this request fails, and how.
    pub fn roll(&mut self) -> Option<Failure> {
        let draw = self.random.next_u64();
        // The top 53 bits as a uniform float in [0, 1).
        if (draw >> 11) as f64 / (1u64 << 53) as f64 >= self.chaos.rate {
            return None;
        }
        self.failed += 1;
        Some(if draw & 1 == 0 {
            Failure::Status(SERVER_ERRORS[(draw >> 1) as usize % SERVER_ERRORS.len()])
        } else {
            Failure::RateLimited {
                retry_after: self.chaos.retry_after,
                scope: Scope::Shared,
            }
        })
    }
}

/// splitmix64, a small seeded random generator: enough to spread failures evenly, and public so that
/// benchmarks and fuzz tests driving the fake can draw repeatable random choices too.
#[derive(Clone, Debug)]
pub struct SplitMix(u64);

impl SplitMix {
    pub fn new(seed: u64) -> Self {
        SplitMix(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (`n` > 0).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chaos(rate: f64) -> ChaosState {
        ChaosState::new(Chaos {
            rate,
            seed: 7,
            retry_after: Duration::from_millis(100),
        })
    }

    #[test]
    fn fails_about_the_given_share_with_both_kinds_of_failure() {
        let mut state = chaos(0.1);
        let failures: Vec<Failure> = (0..20_000).filter_map(|_| state.roll()).collect();
        assert!(
            (1_600..2_400).contains(&failures.len()),
            "{}",
            failures.len()
        );
        assert_eq!(state.failed, failures.len() as u64);
        let server = failures
            .iter()
            .filter(|f| matches!(f, Failure::Status(s) if SERVER_ERRORS.contains(s)))
            .count();
        let shared_429 = failures
            .iter()
            .filter(|f| {
                matches!(
                    f,
                    Failure::RateLimited {
                        scope: Scope::Shared,
                        ..
                    }
                )
            })
            .count();
        assert_eq!(server + shared_429, failures.len());
        assert!(server > failures.len() / 3 && shared_429 > failures.len() / 3);
    }

    #[test]
    fn the_same_seed_fails_the_same_requests_and_rate_zero_fails_none() {
        let pattern =
            |mut s: ChaosState| (0..1_000).map(|_| s.roll().is_some()).collect::<Vec<_>>();
        assert_eq!(pattern(chaos(0.3)), pattern(chaos(0.3)));
        assert!(pattern(chaos(0.0)).iter().all(|failed| !failed));
    }
}
