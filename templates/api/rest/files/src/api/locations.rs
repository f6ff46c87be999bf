//! Note locations and "near me" (PostGIS): `PUT /notes/{id}/location`,
//! `GET /notes/near`.

use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::error::{ApiError, Problem};
use super::extract::{Json, Path, Query};
use super::notes::NoteResponse;
use crate::app::AppState;
use crate::auth::CurrentUser;
use crate::notes::locations::{self as note_locations, Location, NearQuery};

#[derive(Debug, Deserialize, ToSchema)]
pub struct LocationRequest {
    #[schema(example = 48.8566)]
    pub lat: f64,
    #[schema(example = 2.3522)]
    pub lon: f64,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct NearParams {
    /// Latitude of the centre, -90 to 90.
    pub lat: f64,
    /// Longitude of the centre, -180 to 180.
    pub lon: f64,
    /// Radius in metres, up to 100 km (default 1 km).
    pub radius_m: Option<f64>,
    /// At most this many notes, 1-50 (default 10).
    pub limit: Option<u64>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct NearbyNoteResponse {
    pub note: NoteResponse,
    /// Distance from the centre, in metres.
    pub distance_m: f64,
}

/// Place one of my notes on the map.
#[utoipa::path(
    put, path = "/notes/{id}/location", tag = "notes",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Note id")),
    request_body = LocationRequest,
    responses(
        (status = 204, description = "Location set"),
        (status = 401, description = "Missing or invalid token", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such note (or not mine)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid coordinates", body = Problem, content_type = "application/problem+json"),
    )
)]
#[tracing::instrument(skip_all, fields(user_id = %user.id, note_id = %id))]
pub async fn set_note_location(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<Uuid>,
    Json(req): Json<LocationRequest>,
) -> Result<StatusCode, ApiError> {
    let location = Location::parse(req.lat, req.lon)?;
    note_locations::set_location(&state.db, user.id, id, location).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// My notes within a radius of a point, nearest first.
#[utoipa::path(
    get, path = "/notes/near", tag = "notes",
    security(("bearer" = [])),
    params(NearParams),
    responses(
        (status = 200, description = "Nearby notes, nearest first", body = Vec<NearbyNoteResponse>),
        (status = 401, description = "Missing or invalid token", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid centre, radius or limit", body = Problem, content_type = "application/problem+json"),
    )
)]
#[tracing::instrument(skip_all, fields(user_id = %user.id))]
pub async fn notes_near(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(params): Query<NearParams>,
) -> Result<axum::Json<Vec<NearbyNoteResponse>>, ApiError> {
    let at = Location::parse(params.lat, params.lon)?;
    let query = NearQuery::parse(at, params.radius_m, params.limit)?;
    let found = note_locations::near(&state.db, user.id, &query).await?;
    Ok(axum::Json(
        found
            .into_iter()
            .map(|n| NearbyNoteResponse {
                note: n.note.into(),
                distance_m: n.distance_m,
            })
            .collect(),
    ))
}
