//! Note embeddings and similarity search (pgvector): `notes.setEmbedding`,
//! `notes.similar`.

use serde::{Deserialize, Serialize};
use ts_rs::TS;
use uuid::Uuid;

use super::error::RpcError;
use super::notes::Note;
use super::procedures::Registry;
use crate::app::AppState;
use crate::auth::CurrentUser;
use crate::notes::embeddings::{self as note_embeddings, Embedding, SimilarQuery};

/// The embedding (384 numbers from the client's model) of one of my notes.
#[derive(Debug, Deserialize, TS)]
pub struct SetNoteEmbedding {
    pub id: Uuid,
    pub embedding: Vec<f32>,
}

/// An embedding from the same model and at most how many notes (1-50, default 10).
#[derive(Debug, Deserialize, TS)]
#[ts(optional_fields)]
pub struct SimilarNotes {
    #[ts(optional = false)]
    pub embedding: Vec<f32>,
    pub limit: Option<u64>,
}

/// A note and its cosine distance to the query (0 = same direction, 2 = opposite).
#[derive(Debug, Serialize, Deserialize, TS)]
pub struct SimilarNote {
    pub note: Note,
    pub distance: f64,
}

pub fn procedures() -> Registry {
    Registry::default()
        .authenticated(
            "notes.setEmbedding",
            "Store the embedding of one of my notes.",
            set_embedding,
        )
        .authenticated(
            "notes.similar",
            "My notes closest to an embedding, closest first.",
            similar,
        )
}

#[tracing::instrument(skip_all, fields(user_id = %user.id, note_id = %input.id))]
async fn set_embedding(
    state: AppState,
    user: CurrentUser,
    input: SetNoteEmbedding,
) -> Result<(), RpcError> {
    let embedding = Embedding::parse(input.embedding)?;
    note_embeddings::set_embedding(&state.db, user.id, input.id, &embedding).await?;
    Ok(())
}

#[tracing::instrument(skip_all, fields(user_id = %user.id))]
async fn similar(
    state: AppState,
    user: CurrentUser,
    input: SimilarNotes,
) -> Result<Vec<SimilarNote>, RpcError> {
    let query = SimilarQuery::parse(input.embedding, input.limit)?;
    let found = note_embeddings::similar(&state.db, user.id, &query).await?;
    Ok(found
        .into_iter()
        .map(|n| SimilarNote {
            note: n.note.into(),
            distance: n.distance,
        })
        .collect())
}
