//! Note embeddings and similarity search (pgvector): `setNoteEmbedding`, `similarNotes`.

use async_graphql::{Context, Object, SimpleObject};
use uuid::Uuid;

use super::notes::NoteObject;
use super::{ApiError, current_user, state};
use crate::notes::embeddings::{self as note_embeddings, Embedding, SimilarQuery};

/// A note and its cosine distance to the query (0 = same direction, 2 = opposite).
#[derive(Debug, SimpleObject)]
pub struct SimilarNote {
    pub note: NoteObject,
    pub distance: f64,
}

#[derive(Default)]
pub struct EmbeddingsQuery;

#[Object]
impl EmbeddingsQuery {
    /// My notes closest to `embedding` (384 numbers from the notes' model), closest
    /// first; at most `limit` (1-50, default 10).
    #[graphql(
        complexity = "limit.unwrap_or(SimilarQuery::DEFAULT_LIMIT).min(SimilarQuery::MAX_LIMIT) as usize * child_complexity"
    )]
    async fn similar_notes(
        &self,
        ctx: &Context<'_>,
        embedding: Vec<f32>,
        limit: Option<u64>,
    ) -> Result<Vec<SimilarNote>, ApiError> {
        let user = current_user(ctx)?;
        let query = SimilarQuery::parse(embedding, limit)?;
        let found = note_embeddings::similar(&state(ctx).db, user.id, &query).await?;
        Ok(found
            .into_iter()
            .map(|n| SimilarNote {
                note: n.note.into(),
                distance: n.distance,
            })
            .collect())
    }
}

#[derive(Default)]
pub struct EmbeddingsMutation;

#[Object]
impl EmbeddingsMutation {
    /// Store the embedding (384 numbers) of one of my notes; `true` once stored.
    async fn set_note_embedding(
        &self,
        ctx: &Context<'_>,
        id: Uuid,
        embedding: Vec<f32>,
    ) -> Result<bool, ApiError> {
        let user = current_user(ctx)?;
        let embedding = Embedding::parse(embedding)?;
        note_embeddings::set_embedding(&state(ctx).db, user.id, id, &embedding).await?;
        Ok(true)
    }
}
