//! Observability for Datadog, with no vendor SDK: OpenTelemetry traces and
//! metrics over OTLP/gRPC to the Datadog Agent's OTLP intake (only when
//! `OTEL_EXPORTER_OTLP_ENDPOINT` is set), and JSON logs carrying Datadog's
//! trace correlation fields and unified service tags.
//!
//! Public surface (kept identical by alternative implementations):
//! `Settings`, `init`, `Guard`, `router`, `instrument`, `trace_parent`, `link`.

mod datadog_logs;
mod otel;

use std::time::Duration;

use anyhow::Context as _;
use axum::Router;
use opentelemetry::KeyValue;
use opentelemetry::trace::TracerProvider as _;
use opentelemetry_otlp::WithExportConfig;
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::metrics::{
    Aggregation, Instrument, InstrumentKind, PeriodicReader, SdkMeterProvider, Stream, Temporality,
};
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
    /// The Agent's OTLP gRPC intake, e.g. `http://datadog-agent:4317`; nothing is
    /// exported when unset.
    pub otlp_endpoint: Option<String>,
    /// How often metrics are pushed to the Agent.
    pub metric_interval: Duration,
    /// Unified service tags.
    pub service: String,
    pub env: String,
    pub version: String,
}

impl Settings {
    pub fn from_env() -> Result<Self, ConfigError> {
        Ok(Self {
            log_filter: env::optional("RUST_LOG").unwrap_or_else(|| "info".to_owned()),
            otlp_endpoint: env::optional("OTEL_EXPORTER_OTLP_ENDPOINT"),
            metric_interval: Duration::from_millis(env::parse_or(
                "OTEL_METRIC_EXPORT_INTERVAL",
                "a whole number of milliseconds",
                10_000,
            )?),
            service: env::string_or("DD_SERVICE", env!("CARGO_PKG_NAME")),
            env: env::string_or("DD_ENV", "local"),
            version: env::string_or("DD_VERSION", env!("CARGO_PKG_VERSION")),
        })
    }

    pub fn for_tests() -> Self {
        Self {
            log_filter: env::optional("RUST_LOG").unwrap_or_else(|| "info".to_owned()),
            otlp_endpoint: None,
            metric_interval: Duration::from_secs(1),
            service: env!("CARGO_PKG_NAME").to_owned(),
            env: "test".to_owned(),
            version: env!("CARGO_PKG_VERSION").to_owned(),
        }
    }
}

/// Flushes and shuts down the trace and metric pipelines on
/// [`Guard::shutdown`] or drop.
#[must_use = "dropping the guard shuts telemetry down"]
pub struct Guard {
    tracer: Option<SdkTracerProvider>,
    meter: Option<SdkMeterProvider>,
}

impl Guard {
    pub fn shutdown(mut self) {
        self.shutdown_inner();
    }

    fn shutdown_inner(&mut self) {
        if let Some(meter) = self.meter.take()
            && let Err(e) = meter.shutdown()
        {
            eprintln!("telemetry: error shutting down the meter provider: {e}");
        }
        if let Some(tracer) = self.tracer.take()
            && let Err(e) = tracer.shutdown()
        {
            eprintln!("telemetry: error shutting down the tracer provider: {e}");
        }
    }
}

impl Drop for Guard {
    fn drop(&mut self) {
        self.shutdown_inner();
    }
}

/// Installs the global subscriber (Datadog-shaped JSON logs + OpenTelemetry
/// layer) and the `metrics` recorder. Must run inside a Tokio runtime.
pub fn init(settings: &Settings) -> anyhow::Result<Guard> {
    // Unified service tagging: the Agent maps these resource attributes to
    // Datadog's `service`, `env` and `version` tags.
    let resource = Resource::builder()
        .with_service_name(settings.service.clone())
        .with_attributes([
            KeyValue::new("service.version", settings.version.clone()),
            KeyValue::new("deployment.environment.name", settings.env.clone()),
            KeyValue::new("deployment.environment", settings.env.clone()),
        ])
        .build();
    let tracer = otel::tracer_provider(settings.otlp_endpoint.as_deref(), resource.clone())?;
    let meter = meter_provider(settings, resource)?;

    let filter = EnvFilter::try_new(&settings.log_filter)
        .with_context(|| format!("RUST_LOG is not a valid filter: {:?}", settings.log_filter))?;
    let logs = datadog_logs::layer(
        &settings.service,
        &settings.env,
        &settings.version,
        std::io::stdout,
    );
    Registry::default()
        .with(filter)
        .with(logs)
        .with(tracing_opentelemetry::layer().with_tracer(tracer.tracer(settings.service.clone())))
        .try_init()
        .context("installing the global tracing subscriber")?;
    if settings.otlp_endpoint.is_some() {
        tracing::info!("exporting traces and metrics over OTLP");
    }
    Ok(Guard {
        tracer: Some(tracer),
        meter,
    })
}

/// Seconds-based histogram buckets, the same as the Prometheus option's.
const BUCKETS: &[f64] = &[
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];

/// Routes metrics from the `metrics` facade to an OTLP exporter (delta
/// temporality, as Datadog recommends). Without an endpoint, no recorder is
/// installed and the facade stays a no-op.
fn meter_provider(
    settings: &Settings,
    resource: Resource,
) -> anyhow::Result<Option<SdkMeterProvider>> {
    let Some(endpoint) = &settings.otlp_endpoint else {
        return Ok(None);
    };
    let exporter = opentelemetry_otlp::MetricExporter::builder()
        .with_tonic()
        .with_endpoint(endpoint)
        .with_temporality(Temporality::Delta)
        .build()
        .context("building the OTLP metric exporter (OTEL_EXPORTER_OTLP_ENDPOINT)")?;
    let reader = PeriodicReader::builder(exporter)
        .with_interval(settings.metric_interval)
        .build();
    let (provider, recorder) =
        metrics_exporter_opentelemetry::Recorder::builder(settings.service.clone())
            .with_meter_provider(|builder| {
                builder
                    .with_resource(resource)
                    .with_reader(reader)
                    .with_view(seconds_buckets)
            })
            .build();
    metrics::set_global_recorder(recorder)
        .map_err(|e| anyhow::anyhow!("installing the metrics recorder: {e}"))?;
    Ok(Some(provider))
}

fn seconds_buckets(instrument: &Instrument) -> Option<Stream> {
    (instrument.kind() == InstrumentKind::Histogram && instrument.name().ends_with("_seconds"))
        .then(|| {
            Stream::builder()
                .with_aggregation(Aggregation::ExplicitBucketHistogram {
                    boundaries: BUCKETS.to_vec(),
                    record_min_max: true,
                })
                .build()
                .ok()
        })
        .flatten()
}

/// Datadog has no scrape endpoint to serve: metrics are pushed to the Agent.
pub fn router<S: Clone + Send + Sync + 'static>() -> Router<S> {
    Router::new()
}
