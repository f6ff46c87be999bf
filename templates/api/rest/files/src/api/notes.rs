//! `/notes` handlers.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::error::{ApiError, Problem};
use super::extract::{Json, Path, Query};
use crate::app::AppState;
use crate::auth::CurrentUser;
use crate::domain::PageRequest;
use crate::notes::NoteBody;
use crate::notes::{self, Note};

#[derive(Debug, Deserialize, ToSchema)]
pub struct CreateNoteRequest {
    #[schema(example = "Buy milk and eggs")]
    pub body: String,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct NoteResponse {
    pub id: Uuid,
    pub body: String,
    /// Filled in by the background job; `null` until processed.
    pub word_count: Option<i32>,
    pub processed_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

impl From<Note> for NoteResponse {
    fn from(n: Note) -> Self {
        Self {
            id: n.id,
            body: n.body,
            word_count: n.word_count,
            processed_at: n.processed_at,
            created_at: n.created_at,
        }
    }
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct NotePage {
    pub items: Vec<NoteResponse>,
    pub page: u64,
    pub per_page: u64,
    pub total: u64,
    pub total_pages: u64,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    /// 1-based page number (default 1).
    pub page: Option<u64>,
    /// Items per page, 1-100 (default 20).
    pub per_page: Option<u64>,
}

/// Create a note; its word count is computed in the background.
#[utoipa::path(
    post, path = "/notes", tag = "notes",
    security(("bearer" = [])),
    request_body = CreateNoteRequest,
    responses(
        (status = 201, description = "Note created (processing queued)", body = NoteResponse),
        (status = 401, description = "Missing or invalid token", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid body", body = Problem, content_type = "application/problem+json"),
    )
)]
#[tracing::instrument(skip_all, fields(user_id = %user.id))]
pub async fn create_note(
    State(state): State<AppState>,
    user: CurrentUser,
    Json(req): Json<CreateNoteRequest>,
) -> Result<impl IntoResponse, ApiError> {
    let body = NoteBody::parse(&req.body)?;
    let note = notes::create(&state.db, &state.jobs, user.id, body).await?;
    Ok((StatusCode::CREATED, axum::Json(NoteResponse::from(note))))
}

/// List my notes, newest first.
#[utoipa::path(
    get, path = "/notes", tag = "notes",
    security(("bearer" = [])),
    params(ListParams),
    responses(
        (status = 200, description = "A page of notes", body = NotePage),
        (status = 401, description = "Missing or invalid token", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid pagination parameters", body = Problem, content_type = "application/problem+json"),
    )
)]
#[tracing::instrument(skip_all, fields(user_id = %user.id))]
pub async fn list_notes(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(params): Query<ListParams>,
) -> Result<axum::Json<NotePage>, ApiError> {
    let page = PageRequest::parse(params.page, params.per_page)?;
    let page = notes::list(&state.db, user.id, page).await?;
    let total_pages = page.total_pages();
    Ok(axum::Json(NotePage {
        items: page.items.into_iter().map(Into::into).collect(),
        page: page.page,
        per_page: page.per_page,
        total: page.total,
        total_pages,
    }))
}

/// Get one of my notes.
#[utoipa::path(
    get, path = "/notes/{id}", tag = "notes",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Note id")),
    responses(
        (status = 200, description = "The note", body = NoteResponse),
        (status = 401, description = "Missing or invalid token", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such note (or not mine)", body = Problem, content_type = "application/problem+json"),
    )
)]
#[tracing::instrument(skip_all, fields(user_id = %user.id, note_id = %id))]
pub async fn get_note(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<Uuid>,
) -> Result<axum::Json<NoteResponse>, ApiError> {
    Ok(axum::Json(notes::get(&state.db, user.id, id).await?.into()))
}

/// Delete one of my notes.
#[utoipa::path(
    delete, path = "/notes/{id}", tag = "notes",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Note id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, description = "Missing or invalid token", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such note (or not mine)", body = Problem, content_type = "application/problem+json"),
    )
)]
#[tracing::instrument(skip_all, fields(user_id = %user.id, note_id = %id))]
pub async fn delete_note(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<Uuid>,
) -> Result<StatusCode, ApiError> {
    notes::delete(&state.db, user.id, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
