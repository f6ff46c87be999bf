//! `GET /notes/activity`: my new notes per hour or day (TimescaleDB).

use axum::extract::State;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::error::{ApiError, Problem};
use super::extract::Query;
use crate::app::AppState;
use crate::auth::CurrentUser;
use crate::notes::activity::{self as note_activity, ActivityQuery};

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ActivityParams {
    /// `hour` or `day` (default `day`).
    pub bucket: Option<String>,
    /// How many days back, 1-90 (default 7).
    pub days: Option<i64>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ActivityPointResponse {
    /// Start of the bucket.
    pub bucket: DateTime<Utc>,
    /// Notes created in it.
    pub notes: i64,
}

/// My new notes per bucket, oldest first (empty buckets are omitted).
#[utoipa::path(
    get, path = "/notes/activity", tag = "notes",
    security(("bearer" = [])),
    params(ActivityParams),
    responses(
        (status = 200, description = "Counts per bucket", body = Vec<ActivityPointResponse>),
        (status = 401, description = "Missing or invalid token", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid bucket or window", body = Problem, content_type = "application/problem+json"),
    )
)]
#[tracing::instrument(skip_all, fields(user_id = %user.id))]
pub async fn note_activity(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(params): Query<ActivityParams>,
) -> Result<axum::Json<Vec<ActivityPointResponse>>, ApiError> {
    let query = ActivityQuery::parse(params.bucket.as_deref(), params.days)?;
    let points = note_activity::activity(&state.db, user.id, &query).await?;
    Ok(axum::Json(
        points
            .into_iter()
            .map(|p| ActivityPointResponse {
                bucket: p.bucket,
                notes: p.notes,
            })
            .collect(),
    ))
}
