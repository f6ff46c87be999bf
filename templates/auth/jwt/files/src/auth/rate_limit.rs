//! Per-client limits on the auth operations (sign-up, log-in, refresh, log-out), from
//! `AUTH_RATE_LIMIT_PERIOD_MS` and `AUTH_RATE_LIMIT_BURST`, in one place for every API
//! style: styles with routes of their own for the auth operations (REST, RPC) put
//! [`RateLimiter::config`] on them as a tower_governor layer; styles whose operations
//! share one route (GraphQL) call [`RateLimiter::check`] in each operation.

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use governor::clock::{Clock, DefaultClock, QuantaInstant};
use governor::middleware::NoOpMiddleware;
use tower_governor::governor::{GovernorConfig, GovernorConfigBuilder};
use tower_governor::key_extractor::SmartIpKeyExtractor;

use super::Settings;

/// The limits, keyed by client address (`X-Forwarded-For` / `Forwarded`, then the peer).
pub type RateLimitConfig = GovernorConfig<SmartIpKeyExtractor, NoOpMiddleware<QuantaInstant>>;

/// A keyed (per client address) token bucket. Its state is per process.
#[derive(Clone)]
pub struct RateLimiter {
    config: Arc<RateLimitConfig>,
}

impl RateLimiter {
    /// A limiter with the settings' rate and burst; a background task prunes idle
    /// clients every minute while the limiter is in use (call from within the Tokio
    /// runtime).
    pub fn new(settings: &Settings) -> Self {
        let config = Arc::new(
            GovernorConfigBuilder::default()
                .per_millisecond(settings.rate_limit_period_ms.max(1))
                .burst_size(settings.rate_limit_burst.max(1))
                .key_extractor(SmartIpKeyExtractor)
                .finish()
                .expect("valid rate-limit settings"),
        );
        let pruned = Arc::downgrade(&config);
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_secs(60));
            loop {
                tick.tick().await;
                match pruned.upgrade() {
                    Some(config) => config.limiter().retain_recent(),
                    None => break,
                }
            }
        });
        Self { config }
    }

    /// The configuration a tower_governor `GovernorLayer` takes.
    pub fn config(&self) -> Arc<RateLimitConfig> {
        self.config.clone()
    }

    /// Counts one attempt from `client`; `Err` holds how long until the next is allowed.
    pub fn check(&self, client: IpAddr) -> Result<(), Duration> {
        self.config
            .limiter()
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
