//! Per-client limits on the auth operations (sign-up, log-in, refresh, log-out), from
//! `AUTH_RATE_LIMIT_PERIOD_MS` and `AUTH_RATE_LIMIT_BURST`. API styles whose auth
//! operations share one route with everything else (GraphQL) check each operation
//! here; styles with routes of their own put tower_governor on them with the same
//! settings.

use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota};

use super::Settings;

/// A keyed (per client address) token bucket. Its state is per process.
#[derive(Clone)]
pub struct RateLimiter {
    limiter: Arc<DefaultKeyedRateLimiter<IpAddr>>,
}

impl RateLimiter {
    /// A limiter with the settings' rate and burst; a background task prunes idle
    /// clients every minute (call from within the Tokio runtime).
    pub fn new(settings: &Settings) -> Self {
        let period = Duration::from_millis(settings.rate_limit_period_ms.max(1));
        let burst = NonZeroU32::new(settings.rate_limit_burst.max(1)).unwrap_or(NonZeroU32::MIN);
        let quota = Quota::with_period(period)
            .expect("the period is at least 1 ms")
            .allow_burst(burst);
        let limiter = Arc::new(DefaultKeyedRateLimiter::keyed(quota));
        let pruned = Arc::downgrade(&limiter);
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_secs(60));
            loop {
                tick.tick().await;
                match pruned.upgrade() {
                    Some(limiter) => limiter.retain_recent(),
                    None => break,
                }
            }
        });
        Self { limiter }
    }

    /// Counts one attempt from `client`; `Err` holds how long until the next is allowed.
    pub fn check(&self, client: IpAddr) -> Result<(), Duration> {
        self.limiter
            .check_key(&client)
            .map_err(|not_until| not_until.wait_time_from(DefaultClock::default().now()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_client_past_its_burst_waits() {
        let settings = Settings {
            rate_limit_period_ms: 60_000,
            rate_limit_burst: 2,
            ..Settings::for_tests()
        };
        let limiter = RateLimiter::new(&settings);
        let ann: IpAddr = "192.0.2.1".parse().unwrap();
        let bob: IpAddr = "192.0.2.2".parse().unwrap();
        assert!(limiter.check(ann).is_ok());
        assert!(limiter.check(ann).is_ok());
        let wait = limiter.check(ann).unwrap_err();
        assert!(wait > Duration::from_secs(50), "{wait:?}");
        assert!(limiter.check(bob).is_ok(), "limits are per client");
    }
}
