//! Faults a test injects into one fake: server errors, 429s and slow responses on chosen routes, and
//! state faults (a channel the bot may no longer write to, a channel that vanished, an interaction that
//! expired). Gateway faults are methods of the handle, since they act on the live connection.

use std::time::Duration;

use crate::chaos::ChaosState;
use crate::ids::{ChannelId, InteractionId};
use crate::ratelimit::Scope;

/// Which requests a fault applies to: a method and a spec route template, or any request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RoutePattern {
    method: Option<String>,
    template: Option<String>,
}

impl RoutePattern {
    /// Every request.
    pub fn any() -> Self {
        RoutePattern {
            method: None,
            template: None,
        }
    }

    /// One route, written like the spec: `"POST /channels/{channel_id}/messages"`. A bare template
    /// (`"/channels/{channel_id}/messages"`) matches every method.
    pub fn new(route: &str) -> Self {
        match route.split_once(' ') {
            Some((method, template)) => RoutePattern {
                method: Some(method.to_ascii_uppercase()),
                template: Some(template.to_owned()),
            },
            None => RoutePattern {
                method: None,
                template: Some(route.to_owned()),
            },
        }
    }

    pub(crate) fn matches(&self, method: &str, template: &str) -> bool {
        self.method.as_deref().is_none_or(|m| m == method)
            && self.template.as_deref().is_none_or(|t| t == template)
    }
}

impl From<&str> for RoutePattern {
    fn from(route: &str) -> Self {
        RoutePattern::new(route)
    }
}

/// A fault to inject with [`FakeDiscord::inject`](crate::FakeDiscord::inject).
#[derive(Clone, Debug)]
pub enum Fault {
    /// The next `times` matching requests get `status` (a 5xx) with Discord's error body.
    ServerError {
        route: RoutePattern,
        status: u16,
        times: u32,
    },
    /// The next `times` matching requests get a 429 from their route bucket.
    RateLimited {
        route: RoutePattern,
        retry_after: Duration,
        scope: Scope,
        times: u32,
    },
    /// The next `times` requests (interaction endpoints excepted) get a global 429.
    GlobalRateLimited { retry_after: Duration, times: u32 },
    /// The next `times` matching requests are answered only after `delay`.
    Slow {
        route: RoutePattern,
        delay: Duration,
        times: u32,
    },
    /// The bot loses SEND_MESSAGES in `channel` (a member overwrite, as a moderator would set), so
    /// sending there answers 50013 Missing Permissions.
    MissingPermissions { channel: ChannelId },
    /// `channel` is deleted (CHANNEL_DELETE is dispatched), so using it answers 10003 Unknown Channel.
    UnknownChannel { channel: ChannelId },
    /// The interaction's token expires now: its callback answers 10062 Unknown interaction and its
    /// webhooks 50027 Invalid Webhook Token.
    ExpiredInteraction { interaction: InteractionId },
}

/// What happens to one request because of armed faults.
#[derive(Debug, Default)]
pub(crate) struct Effects {
    pub delay: Option<Duration>,
    pub failure: Option<Failure>,
}

/// A response that replaces the real one.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Failure {
    Status(u16),
    RateLimited { retry_after: Duration, scope: Scope },
}

#[derive(Debug)]
struct Armed {
    route: RoutePattern,
    /// Global 429s spare the interaction endpoints, like the real global limit.
    spares_exempt_routes: bool,
    effect: ArmedEffect,
    times: u32,
}

#[derive(Clone, Copy, Debug)]
enum ArmedEffect {
    Delay(Duration),
    Fail(Failure),
}

/// The request faults armed on one fake, consumed as matching requests arrive, and chaos if it is on.
#[derive(Debug, Default)]
pub(crate) struct Faults {
    armed: Vec<Armed>,
    pub chaos: Option<ChaosState>,
}

impl Faults {
    /// Arms a request fault; returns the fault back if it acts on state instead.
    pub fn arm(&mut self, fault: Fault) -> Option<Fault> {
        let (route, spares_exempt_routes, effect, times) = match fault {
            Fault::ServerError {
                route,
                status,
                times,
            } => (
                route,
                false,
                ArmedEffect::Fail(Failure::Status(status)),
                times,
            ),
            Fault::RateLimited {
                route,
                retry_after,
                scope,
                times,
            } => (
                route,
                false,
                ArmedEffect::Fail(Failure::RateLimited { retry_after, scope }),
                times,
            ),
            Fault::GlobalRateLimited { retry_after, times } => {
                let failure = Failure::RateLimited {
                    retry_after,
                    scope: Scope::Global,
                };
                (RoutePattern::any(), true, ArmedEffect::Fail(failure), times)
            }
            Fault::Slow {
                route,
                delay,
                times,
            } => (route, false, ArmedEffect::Delay(delay), times),
            state_fault => return Some(state_fault),
        };
        if times > 0 {
            self.armed.push(Armed {
                route,
                spares_exempt_routes,
                effect,
                times,
            });
        }
        None
    }

    /// Consumes the faults that apply to this request: at most one delay and one failure, each from
    /// the earliest armed fault that matches; chaos may fail a request that no armed fault fails.
    pub fn take(&mut self, method: &str, template: &str, exempt_from_global: bool) -> Effects {
        let mut effects = Effects::default();
        for armed in &mut self.armed {
            if !armed.route.matches(method, template)
                || (armed.spares_exempt_routes && exempt_from_global)
            {
                continue;
            }
            let used = match armed.effect {
                ArmedEffect::Delay(d) if effects.delay.is_none() => {
                    effects.delay = Some(d);
                    true
                }
                ArmedEffect::Fail(f) if effects.failure.is_none() => {
                    effects.failure = Some(f);
                    true
                }
                _ => false,
            };
            if used {
                armed.times -= 1;
            }
        }
        self.armed.retain(|a| a.times > 0);
        if effects.failure.is_none() {
            effects.failure = self.chaos.as_mut().and_then(ChaosState::roll);
        }
        effects
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn faults_fire_the_given_number_of_times_on_matching_routes_only() {
        let mut faults = Faults::default();
        let route = "POST /channels/{channel_id}/messages";
        assert!(
            faults
                .arm(Fault::ServerError {
                    route: route.into(),
                    status: 502,
                    times: 2
                })
                .is_none()
        );
        assert!(
            faults
                .arm(Fault::Slow {
                    route: RoutePattern::any(),
                    delay: Duration::from_millis(5),
                    times: 1
                })
                .is_none()
        );
        let other = faults.take("GET", "/channels/{channel_id}", false);
        assert!(other.failure.is_none() && other.delay.is_some());
        assert!(matches!(
            faults
                .take("POST", "/channels/{channel_id}/messages", false)
                .failure,
            Some(Failure::Status(502))
        ));
        assert!(
            faults
                .take("POST", "/channels/{channel_id}/messages", false)
                .failure
                .is_some()
        );
        let spent = faults.take("POST", "/channels/{channel_id}/messages", false);
        assert!(spent.failure.is_none() && spent.delay.is_none());
    }

    #[test]
    fn global_429s_spare_interaction_endpoints_and_state_faults_are_returned() {
        let mut faults = Faults::default();
        faults.arm(Fault::GlobalRateLimited {
            retry_after: Duration::from_secs(1),
            times: 1,
        });
        assert!(
            faults
                .take(
                    "POST",
                    "/interactions/{interaction_id}/{interaction_token}/callback",
                    true
                )
                .failure
                .is_none()
        );
        assert!(faults.take("GET", "/gateway", false).failure.is_some());
        let state = Fault::UnknownChannel {
            channel: ChannelId::new(1),
        };
        assert!(faults.arm(state).is_some());
    }
}
