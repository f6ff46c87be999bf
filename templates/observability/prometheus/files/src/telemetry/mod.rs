//! Observability: JSON logs, OpenTelemetry traces over OTLP/gRPC (only when
//! `OTEL_EXPORTER_OTLP_ENDPOINT` is set), Prometheus metrics at `/metrics`.
//!
//! Public surface (kept identical by alternative implementations):
//! `Settings`, `init`, `Guard`, `router`, `instrument`, `trace_parent`, `link`.

mod otel;

use std::sync::OnceLock;

use anyhow::Context as _;
use axum::Router;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use opentelemetry::trace::TracerProvider as _;
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::trace::SdkTracerProvider;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Registry};

use crate::config::env::{self, ConfigError};

pub use otel::{instrument, link, trace_parent};

/// Telemetry settings.
#[derive(Debug, Clone)]
pub struct Settings {
    /// `tracing` filter directives (`RUST_LOG` syntax).
    pub log_filter: String,
    /// OTLP gRPC endpoint, e.g. `http://otel-collector:4317`; traces are only exported when set.
    pub otlp_endpoint: Option<String>,
    pub service_name: String,
}

impl Settings {
    pub fn from_env() -> Result<Self, ConfigError> {
        Ok(Self {
            log_filter: env::optional("RUST_LOG").unwrap_or_else(|| "info".to_owned()),
            otlp_endpoint: env::optional("OTEL_EXPORTER_OTLP_ENDPOINT"),
            service_name: env::string_or("OTEL_SERVICE_NAME", env!("CARGO_PKG_NAME")),
        })
    }

    pub fn for_tests() -> Self {
        Self {
            log_filter: env::optional("RUST_LOG").unwrap_or_else(|| "info".to_owned()),
            otlp_endpoint: None,
            service_name: env!("CARGO_PKG_NAME").to_owned(),
        }
    }
}

/// Flushes and shuts down the trace pipeline on [`Guard::shutdown`] or drop.
#[must_use = "dropping the guard shuts telemetry down"]
pub struct Guard {
    provider: Option<SdkTracerProvider>,
}

impl Guard {
    pub fn shutdown(mut self) {
        self.shutdown_inner();
    }

    fn shutdown_inner(&mut self) {
        if let Some(provider) = self.provider.take()
            && let Err(e) = provider.shutdown()
        {
            eprintln!("telemetry: error shutting down tracer provider: {e}");
        }
    }
}

impl Drop for Guard {
    fn drop(&mut self) {
        self.shutdown_inner();
    }
}

/// Installs the global subscriber (JSON logs + OpenTelemetry layer) and the
/// Prometheus recorder. Must run inside a Tokio runtime.
pub fn init(settings: &Settings) -> anyhow::Result<Guard> {
    let resource = Resource::builder()
        .with_service_name(settings.service_name.clone())
        .build();
    let provider = otel::tracer_provider(settings.otlp_endpoint.as_deref(), resource)?;
    let tracer = provider.tracer(settings.service_name.clone());

    let filter = EnvFilter::try_new(&settings.log_filter)
        .with_context(|| format!("RUST_LOG is not a valid filter: {:?}", settings.log_filter))?;
    let json = tracing_subscriber::fmt::layer()
        .json()
        .flatten_event(true)
        .with_current_span(true)
        .with_span_list(true)
        .with_target(true);
    Registry::default()
        .with(filter)
        .with(json)
        .with(tracing_opentelemetry::layer().with_tracer(tracer))
        .try_init()
        .context("installing the global tracing subscriber")?;
    let _ = recorder();
    if settings.otlp_endpoint.is_some() {
        tracing::info!("exporting traces over OTLP");
    }
    Ok(Guard {
        provider: Some(provider),
    })
}

const BUCKETS: &[f64] = &[
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];

/// The process-wide Prometheus recorder (installed on first use).
fn recorder() -> &'static PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE.get_or_init(|| {
        let builder = PrometheusBuilder::new()
            .set_buckets(BUCKETS)
            .expect("non-empty bucket list");
        match builder.install_recorder() {
            Ok(handle) => handle,
            Err(e) => {
                eprintln!("telemetry: could not install the Prometheus recorder: {e}");
                PrometheusBuilder::new().build_recorder().handle()
            }
        }
    })
}

/// Routes owned by observability: `GET /metrics` (Prometheus text format).
pub fn router<S: Clone + Send + Sync + 'static>() -> Router<S> {
    let _ = recorder();
    Router::new().route("/metrics", get(metrics_handler))
}

async fn metrics_handler() -> impl IntoResponse {
    let handle = recorder();
    handle.run_upkeep();
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        handle.render(),
    )
}
