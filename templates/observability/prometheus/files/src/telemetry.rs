//! Observability: JSON logs, OpenTelemetry traces over OTLP/gRPC (only when
//! `OTEL_EXPORTER_OTLP_ENDPOINT` is set), Prometheus metrics at `/metrics`.
//!
//! Public surface (kept identical by alternative implementations):
//! `Settings`, `init`, `Guard`, `router`, `instrument`.

use std::sync::OnceLock;
use std::time::Instant;

use anyhow::Context as _;
use axum::Router;
use axum::extract::{MatchedPath, Request};
use axum::http::{HeaderMap, Response, header};
use axum::middleware::{self, Next};
use axum::response::IntoResponse;
use axum::routing::get;
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use opentelemetry::propagation::Extractor;
use opentelemetry::trace::{TraceContextExt, TracerProvider as _};
use opentelemetry_otlp::WithExportConfig;
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::propagation::TraceContextPropagator;
use opentelemetry_sdk::trace::SdkTracerProvider;
use tower_http::trace::TraceLayer;
use tracing::Span;
use tracing::field::Empty;
use tracing_opentelemetry::OpenTelemetrySpanExt;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Registry};

use crate::config::env::{self, ConfigError};

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
    let mut builder = SdkTracerProvider::builder().with_resource(resource);
    if let Some(endpoint) = &settings.otlp_endpoint {
        let exporter = opentelemetry_otlp::SpanExporter::builder()
            .with_tonic()
            .with_endpoint(endpoint.clone())
            .build()
            .context("building the OTLP span exporter (OTEL_EXPORTER_OTLP_ENDPOINT)")?;
        builder = builder.with_batch_exporter(exporter);
    }
    // Without an exporter the provider still assigns trace ids, so every log
    // line carries one and they can be correlated with upstream traceparent headers.
    let provider = builder.build();
    let tracer = provider.tracer(settings.service_name.clone());
    opentelemetry::global::set_text_map_propagator(TraceContextPropagator::new());
    opentelemetry::global::set_tracer_provider(provider.clone());

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

/// Wraps every route with a request span (request id, trace id, route) and
/// the HTTP metrics middleware. Apply before the request-id layers.
pub fn instrument<S: Clone + Send + Sync + 'static>(router: Router<S>) -> Router<S> {
    router.layer(middleware::from_fn(track_http_metrics)).layer(
        TraceLayer::new_for_http()
            .make_span_with(make_request_span)
            .on_request(())
            .on_response(
                |res: &Response<_>, latency: std::time::Duration, span: &Span| {
                    span.record("http.response.status_code", res.status().as_u16());
                    tracing::info!(
                        status = res.status().as_u16(),
                        latency_ms = latency.as_millis() as u64,
                        "request completed"
                    );
                },
            ),
    )
}

fn route_of<B>(req: &axum::http::Request<B>) -> String {
    req.extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_else(|| "unmatched".to_owned())
}

fn make_request_span<B>(req: &axum::http::Request<B>) -> Span {
    let route = route_of(req);
    let request_id = req
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let span = tracing::info_span!(
        "http.request",
        otel.name = %format!("{} {}", req.method(), route),
        otel.kind = "server",
        http.request.method = %req.method(),
        http.route = %route,
        url.path = %req.uri().path(),
        request_id = %request_id,
        trace_id = Empty,
        user_id = Empty,
        http.response.status_code = Empty,
    );
    let parent = opentelemetry::global::get_text_map_propagator(|p| {
        p.extract(&HeaderExtractor(req.headers()))
    });
    let _ = span.set_parent(parent);
    let trace_id = span.context().span().span_context().trace_id();
    span.record("trace_id", tracing::field::display(trace_id));
    span
}

struct HeaderExtractor<'a>(&'a HeaderMap);

impl Extractor for HeaderExtractor<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).and_then(|v| v.to_str().ok())
    }

    fn keys(&self) -> Vec<&str> {
        self.0.keys().map(|k| k.as_str()).collect()
    }
}

async fn track_http_metrics(req: Request, next: Next) -> axum::response::Response {
    let started = Instant::now();
    let path = route_of(&req);
    let method = req.method().as_str().to_owned();
    let res = next.run(req).await;
    let status = res.status().as_u16().to_string();
    metrics::counter!(
        "http_requests_total",
        "method" => method.clone(),
        "path" => path.clone(),
        "status" => status
    )
    .increment(1);
    metrics::histogram!("http_request_duration_seconds", "method" => method, "path" => path)
        .record(started.elapsed().as_secs_f64());
    res
}
