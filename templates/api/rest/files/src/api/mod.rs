//! REST API: routes, handlers, problem+json errors and the OpenAPI document
//! (served at `/openapi.json`, browsable at `/docs`).

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::response::IntoResponse;
use axum::routing::get;
use tower_governor::GovernorLayer;
use tower_governor::governor::GovernorConfigBuilder;
use tower_governor::key_extractor::SmartIpKeyExtractor;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use utoipa_scalar::{Scalar, Servable};

use crate::app::AppState;

mod auth;
pub mod error;
mod extract;
mod notes;

pub use error::{ApiError, Problem};

#[derive(OpenApi)]
#[openapi(
    info(description = "Sample users-and-notes service."),
    modifiers(&BearerAuth),
    tags(
        (name = "auth", description = "Sign up, log in, token refresh and log out"),
        (name = "notes", description = "A user's notes"),
    )
)]
struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .build(),
            ),
        );
    }
}

/// The OpenAPI document generated from the handlers.
pub fn openapi() -> utoipa::openapi::OpenApi {
    api_routes().split_for_parts().1
}

fn api_routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(auth::me))
        .routes(routes!(notes::create_note, notes::list_notes))
        .routes(routes!(notes::get_note, notes::delete_note))
}

fn auth_routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(auth::sign_up))
        .routes(routes!(auth::log_in))
        .routes(routes!(auth::refresh))
        .routes(routes!(auth::log_out))
}

/// Builds the REST router, with per-IP rate limiting on the auth routes.
pub fn router(state: AppState) -> Router {
    let settings = &state.config.auth;
    let governor = Arc::new(
        GovernorConfigBuilder::default()
            .per_millisecond(settings.rate_limit_period_ms.max(1))
            .burst_size(settings.rate_limit_burst.max(1))
            .key_extractor(SmartIpKeyExtractor)
            .finish()
            .expect("valid rate-limit settings"),
    );
    let limiter = governor.limiter().clone();
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(60));
        loop {
            tick.tick().await;
            limiter.retain_recent();
        }
    });
    let rate_limit = GovernorLayer::new(governor).error_handler(|e| {
        use tower_governor::GovernorError;
        let err = match e {
            GovernorError::TooManyRequests { wait_time, .. } => ApiError::TooManyRequests {
                retry_after_secs: Some(wait_time),
            },
            GovernorError::UnableToExtractKey => {
                ApiError::BadRequest("could not determine client address".to_owned())
            }
            GovernorError::Other { msg, .. } => {
                ApiError::Internal(anyhow::anyhow!(msg.unwrap_or_default()))
            }
        };
        err.into_response()
    });

    let (router, openapi) = api_routes()
        .merge(auth_routes().layer(rate_limit))
        .split_for_parts();
    let spec = openapi.clone();
    router
        .route(
            "/openapi.json",
            get(move || async move { axum::Json(spec) }),
        )
        .merge(Scalar::with_url("/docs", openapi))
        .fallback(|| async { ApiError::NotFound })
        .with_state(state)
}
