//! Minimal observability: human-readable logs only. No OpenTelemetry export,
//! no metrics endpoint (`router()` is empty; `metrics` macros are no-ops).
//!
//! Same public surface as the Prometheus/OTLP implementation:
//! `Settings`, `init`, `Guard`, `router`, `instrument`, `trace_parent`, `link`.

use anyhow::Context as _;
use axum::Router;
use axum::extract::MatchedPath;
use axum::http::Response;
use tower_http::trace::TraceLayer;
use tracing::Span;
use tracing_subscriber::EnvFilter;

use crate::config::env::{self, ConfigError};

/// Telemetry settings.
#[derive(Debug, Clone)]
pub struct Settings {
    /// `tracing` filter directives (`RUST_LOG` syntax).
    pub log_filter: String,
}

impl Settings {
    pub fn from_env() -> Result<Self, ConfigError> {
        Ok(Self {
            log_filter: env::optional("RUST_LOG").unwrap_or_else(|| "info".to_owned()),
        })
    }

    pub fn for_tests() -> Self {
        Self {
            log_filter: env::optional("RUST_LOG").unwrap_or_else(|| "info".to_owned()),
        }
    }
}

/// Nothing to flush; kept for interface parity.
#[must_use = "dropping the guard shuts telemetry down"]
pub struct Guard(());

impl Guard {
    pub fn shutdown(self) {}
}

/// Installs a plain-text `tracing` subscriber.
pub fn init(settings: &Settings) -> anyhow::Result<Guard> {
    let filter = EnvFilter::try_new(&settings.log_filter)
        .with_context(|| format!("RUST_LOG is not a valid filter: {:?}", settings.log_filter))?;
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .try_init()
        .map_err(|e| anyhow::anyhow!("installing the global tracing subscriber: {e}"))?;
    Ok(Guard(()))
}

/// No observability routes.
pub fn router<S: Clone + Send + Sync + 'static>() -> Router<S> {
    Router::new()
}

/// Request spans carrying the request id and matched route.
pub fn instrument<S: Clone + Send + Sync + 'static>(router: Router<S>) -> Router<S> {
    router.layer(
        TraceLayer::new_for_http()
            .make_span_with(|req: &axum::http::Request<_>| {
                let route = req
                    .extensions()
                    .get::<MatchedPath>()
                    .map(|p| p.as_str().to_owned())
                    .unwrap_or_else(|| "unmatched".to_owned());
                let request_id = req
                    .headers()
                    .get("x-request-id")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("");
                tracing::info_span!(
                    "request",
                    method = %req.method(),
                    route = %route,
                    request_id = %request_id,
                    user_id = tracing::field::Empty,
                )
            })
            .on_request(())
            .on_response(
                |res: &Response<_>, latency: std::time::Duration, _: &Span| {
                    tracing::info!(
                        status = res.status().as_u16(),
                        latency_ms = latency.as_millis() as u64,
                        "request completed"
                    );
                },
            ),
    )
}

/// No traces, so nothing to carry across a queue.
pub fn trace_parent() -> Option<String> {
    None
}

/// No traces, so nothing to link.
pub fn link(_span: &Span, _trace_parent: &str) {}
