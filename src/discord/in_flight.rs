//! Counting replies in flight, so that shutdown can let them finish instead of cutting them off.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use tokio::sync::Notify;

#[derive(Clone, Default)]
pub struct InFlight(Arc<Counter>);

#[derive(Default)]
struct Counter {
    running: AtomicUsize,
    idle: Notify,
}

/// Held while one interaction is being answered.
pub struct Working(Arc<Counter>);

impl InFlight {
    pub fn enter(&self) -> Working {
        self.0.running.fetch_add(1, Ordering::SeqCst);
        Working(self.0.clone())
    }

    /// Waits until nothing is in flight, for at most `limit`; false when time ran out first.
    pub async fn wait_idle(&self, limit: Duration) -> bool {
        tokio::time::timeout(limit, async {
            loop {
                let idle = self.0.idle.notified();
                if self.0.running.load(Ordering::SeqCst) == 0 {
                    return;
                }
                idle.await;
            }
        })
        .await
        .is_ok()
    }
}

impl Drop for Working {
    fn drop(&mut self) {
        if self.0.running.fetch_sub(1, Ordering::SeqCst) == 1 {
            self.0.idle.notify_waiters();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn waits_for_work_in_flight_then_returns() {
        let in_flight = InFlight::default();
        assert!(in_flight.wait_idle(Duration::from_secs(1)).await);
        let working = in_flight.enter();
        let waiter = tokio::spawn({
            let in_flight = in_flight.clone();
            async move { in_flight.wait_idle(Duration::from_secs(5)).await }
        });
        tokio::time::sleep(Duration::from_secs(1)).await;
        drop(working);
        assert!(waiter.await.unwrap());
    }

    #[tokio::test(start_paused = true)]
    async fn gives_up_after_the_limit() {
        let in_flight = InFlight::default();
        let _stuck = in_flight.enter();
        assert!(!in_flight.wait_idle(Duration::from_secs(2)).await);
    }
}
