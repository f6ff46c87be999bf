//! `GET /notes/search`: fuzzy search over my notes (pg_trgm).

use axum::extract::State;
use serde::Deserialize;
use utoipa::IntoParams;

use super::error::{ApiError, Problem};
use super::extract::Query;
use super::notes::NoteResponse;
use crate::app::AppState;
use crate::auth::CurrentUser;
use crate::notes::search::{self as note_search, SearchQuery};

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SearchParams {
    /// What to look for (2-200 characters); typos are tolerated.
    pub q: String,
    /// At most this many notes, 1-50 (default 10).
    pub limit: Option<u64>,
}

/// Search my notes, best match first.
#[utoipa::path(
    get, path = "/notes/search", tag = "notes",
    security(("bearer" = [])),
    params(SearchParams),
    responses(
        (status = 200, description = "Matching notes, best first", body = Vec<NoteResponse>),
        (status = 401, description = "Missing or invalid token", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid query", body = Problem, content_type = "application/problem+json"),
    )
)]
#[tracing::instrument(skip_all, fields(user_id = %user.id))]
pub async fn search_notes(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(params): Query<SearchParams>,
) -> Result<axum::Json<Vec<NoteResponse>>, ApiError> {
    let query = SearchQuery::parse(&params.q, params.limit)?;
    let notes = note_search::search(&state.db, user.id, &query).await?;
    Ok(axum::Json(notes.into_iter().map(Into::into).collect()))
}
