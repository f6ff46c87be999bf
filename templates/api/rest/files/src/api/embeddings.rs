//! Note embeddings and similarity search (pgvector):
//! `PUT /notes/{id}/embedding`, `POST /notes/similar`.

use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::error::{ApiError, Problem};
use super::extract::{Json, Path};
use super::notes::NoteResponse;
use crate::app::AppState;
use crate::auth::CurrentUser;
use crate::notes::embeddings::{self as note_embeddings, Embedding, SimilarQuery};

#[derive(Debug, Deserialize, ToSchema)]
pub struct EmbeddingRequest {
    /// 384 numbers from the client's embedding model.
    pub embedding: Vec<f32>,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct SimilarRequest {
    /// 384 numbers from the same model as the notes' embeddings.
    pub embedding: Vec<f32>,
    /// At most this many notes, 1-50 (default 10).
    pub limit: Option<u64>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct SimilarNoteResponse {
    pub note: NoteResponse,
    /// Cosine distance to the query (0 = same direction, 2 = opposite).
    pub distance: f64,
}

/// Store the embedding of one of my notes.
#[utoipa::path(
    put, path = "/notes/{id}/embedding", tag = "notes",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Note id")),
    request_body = EmbeddingRequest,
    responses(
        (status = 204, description = "Embedding stored"),
        (status = 401, description = "Missing or invalid token", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such note (or not mine)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Wrong size or non-finite values", body = Problem, content_type = "application/problem+json"),
    )
)]
#[tracing::instrument(skip_all, fields(user_id = %user.id, note_id = %id))]
pub async fn set_note_embedding(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<Uuid>,
    Json(req): Json<EmbeddingRequest>,
) -> Result<StatusCode, ApiError> {
    let embedding = Embedding::parse(req.embedding)?;
    note_embeddings::set_embedding(&state.db, user.id, id, &embedding).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// My notes closest to an embedding, closest first.
#[utoipa::path(
    post, path = "/notes/similar", tag = "notes",
    security(("bearer" = [])),
    request_body = SimilarRequest,
    responses(
        (status = 200, description = "Closest notes first", body = Vec<SimilarNoteResponse>),
        (status = 401, description = "Missing or invalid token", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid embedding or limit", body = Problem, content_type = "application/problem+json"),
    )
)]
#[tracing::instrument(skip_all, fields(user_id = %user.id))]
pub async fn similar_notes(
    State(state): State<AppState>,
    user: CurrentUser,
    Json(req): Json<SimilarRequest>,
) -> Result<axum::Json<Vec<SimilarNoteResponse>>, ApiError> {
    let query = SimilarQuery::parse(req.embedding, req.limit)?;
    let found = note_embeddings::similar(&state.db, user.id, &query).await?;
    Ok(axum::Json(
        found
            .into_iter()
            .map(|n| SimilarNoteResponse {
                note: n.note.into(),
                distance: n.distance,
            })
            .collect(),
    ))
}
