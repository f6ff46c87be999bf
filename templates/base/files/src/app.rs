//! Application assembly: state, router, middleware, server lifecycle.
//!
//! This file only uses module contracts (`db`, `jobs`, `auth`, `api`,
//! `telemetry`), never a concrete backend.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::Context;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use tokio::net::TcpListener;
use tower::ServiceBuilder;
use tower_http::compression::CompressionLayer;
use tower_http::cors::{AllowOrigin, Any, CorsLayer};
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::timeout::TimeoutLayer;

use crate::config::{Config, ServerSettings};
use crate::{api, auth, db, jobs, telemetry};

/// Shared, cheaply clonable state handed to every handler.
#[derive(Clone)]
pub struct AppState {
    pub db: db::Db,
    pub jobs: jobs::Jobs,
    pub auth: auth::Keys,
    pub config: Arc<Config>,
}

impl AppState {
    /// Connects to the database and the job queue.
    pub async fn connect(config: Config) -> anyhow::Result<Self> {
        let db = db::connect(&config.database).await?;
        let jobs = jobs::Jobs::connect(&config.jobs, db.clone()).await?;
        let auth = auth::Keys::new(&config.auth);
        Ok(Self {
            db,
            jobs,
            auth,
            config: Arc::new(config),
        })
    }
}

/// A bound, not-yet-running HTTP server.
pub struct Application {
    listener: TcpListener,
    port: u16,
    router: Router,
    state: AppState,
}

impl Application {
    /// Connects dependencies and binds the listener (port 0 picks a free port).
    pub async fn build(config: Config) -> anyhow::Result<Self> {
        let server = config.server.clone();
        let state = AppState::connect(config).await?;
        let addr = SocketAddr::new(server.host, server.port);
        let listener = TcpListener::bind(addr)
            .await
            .with_context(|| format!("binding {addr}"))?;
        let port = listener.local_addr()?.port();
        let router = router(state.clone(), &server);
        Ok(Self {
            listener,
            port,
            router,
            state,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Serves until `shutdown` completes, then drains in-flight requests.
    pub async fn run_until_stopped(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        tracing::info!(port = self.port, "listening");
        let grace = self.state.config.server.shutdown_grace;
        let (stopping_tx, stopping_rx) = tokio::sync::oneshot::channel::<()>();
        let server = axum::serve(
            self.listener,
            self.router
                .into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(async move {
            shutdown.await;
            let _ = stopping_tx.send(());
        });
        // Drain in-flight requests, but not for longer than the grace period.
        let deadline = async move {
            if stopping_rx.await.is_ok() {
                tokio::time::sleep(grace).await;
            } else {
                std::future::pending::<()>().await;
            }
        };
        tokio::select! {
            result = server.into_future() => result.context("HTTP server")?,
            () = deadline => tracing::warn!(?grace, "shutdown grace period elapsed; dropping open connections"),
        }
        tracing::info!("HTTP server stopped");
        Ok(())
    }
}

/// The complete router with middleware.
pub fn router(state: AppState, server: &ServerSettings) -> Router {
    let probes = Router::new()
        .route("/health", get(health))
        .route("/ready", get(ready))
        .with_state(state.clone());

    let cors = if server.cors_allowed_origins.is_empty() {
        CorsLayer::new()
            .allow_origin(Any)
            .allow_methods(Any)
            .allow_headers(Any)
    } else {
        let origins: Vec<HeaderValue> = server
            .cors_allowed_origins
            .iter()
            .filter_map(|o| o.parse().ok())
            .collect();
        CorsLayer::new()
            .allow_origin(AllowOrigin::list(origins))
            .allow_methods(Any)
            .allow_headers(Any)
    };

    let app = api::router(state)
        .merge(telemetry::router())
        .merge(probes)
        .layer(
            ServiceBuilder::new()
                .layer(cors)
                .layer(axum::middleware::map_response(problem_for_bare_errors))
                .layer(CompressionLayer::new())
                .layer(TimeoutLayer::with_status_code(
                    StatusCode::REQUEST_TIMEOUT,
                    server.request_timeout,
                ))
                .layer(RequestBodyLimitLayer::new(server.body_limit_bytes)),
        );
    // Telemetry sits outside timeouts/limits so those responses are observed,
    // and inside the request-id layers so every span carries the id.
    telemetry::instrument(app).layer(
        ServiceBuilder::new()
            .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
            .layer(PropagateRequestIdLayer::x_request_id()),
    )
}

/// Errors answered by middleware or the router itself (408 from the timeout, 413 from the
/// body limit, 405 for a wrong method) get the same RFC 9457 `application/problem+json`
/// body as the API's own errors. Other headers (request id, CORS) are kept.
async fn problem_for_bare_errors<B>(response: Response<B>) -> Response
where
    B: axum::body::HttpBody<Data = axum::body::Bytes> + Send + 'static,
    B::Error: Into<axum::BoxError>,
{
    let status = response.status();
    let is_json = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("json"));
    if !(status.is_client_error() || status.is_server_error()) || is_json {
        return response.map(Body::new);
    }
    let body = serde_json::json!({
        "type": "about:blank",
        "title": status.canonical_reason().unwrap_or("Error"),
        "status": status.as_u16(),
    });
    let (mut parts, _) = response.into_parts();
    parts.headers.remove(header::CONTENT_LENGTH);
    parts.headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/problem+json"),
    );
    Response::from_parts(parts, Body::from(body.to_string()))
}

/// Liveness: the process is up.
async fn health() -> impl IntoResponse {
    Json(serde_json::json!({ "status": "ok" }))
}

/// Readiness: the database and the job queue answer.
async fn ready(State(state): State<AppState>) -> impl IntoResponse {
    let (db, queue) = tokio::join!(db::ping(&state.db), state.jobs.ping());
    let check = |r: &anyhow::Result<()>| match r {
        Ok(()) => "ok".to_owned(),
        Err(e) => {
            tracing::warn!(error = %e, "readiness check failed");
            "unavailable".to_owned()
        }
    };
    let status = if db.is_ok() && queue.is_ok() {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (
        status,
        Json(serde_json::json!({
            "status": if status == StatusCode::OK { "ready" } else { "not ready" },
            "checks": { "database": check(&db), "queue": check(&queue) },
        })),
    )
}

/// Completes on SIGINT (Ctrl-C) or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutdown signal received");
}
