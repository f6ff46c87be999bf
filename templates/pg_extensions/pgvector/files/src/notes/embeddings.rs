//! Embeddings on notes and nearest-neighbour search (pgvector). Clients
//! compute the embedding with their model of choice; the service stores it and
//! finds the closest notes by cosine distance.

use uuid::Uuid;

use super::Db;
use super::ValidationError;
use super::repositories;
use super::{Note, NotesError};

/// Dimensions of an embedding; the migration's `vector(384)` must match.
pub const EMBEDDING_DIM: usize = 384;

/// A validated embedding: exactly [`EMBEDDING_DIM`] finite numbers.
#[derive(Debug, Clone, PartialEq)]
pub struct Embedding(Vec<f32>);

impl Embedding {
    pub fn parse(values: Vec<f32>) -> Result<Self, ValidationError> {
        if values.len() != EMBEDDING_DIM {
            return Err(ValidationError::new(
                "embedding",
                format!("must have {EMBEDDING_DIM} numbers, got {}", values.len()),
            ));
        }
        if values.iter().any(|v| !v.is_finite()) {
            return Err(ValidationError::new(
                "embedding",
                "must contain only finite numbers",
            ));
        }
        if values.iter().all(|v| *v == 0.0) {
            return Err(ValidationError::new(
                "embedding",
                "must not be all zeros (cosine distance is undefined)",
            ));
        }
        Ok(Self(values))
    }

    /// pgvector's text form, `[0.1,0.2,…]`, bound as a parameter and cast with `::vector`.
    pub fn to_pgvector(&self) -> String {
        let parts: Vec<String> = self.0.iter().map(|v| v.to_string()).collect();
        format!("[{}]", parts.join(","))
    }
}

/// A note and its cosine distance to the query embedding (0 = same direction).
#[derive(Debug, Clone, PartialEq)]
pub struct SimilarNote {
    pub note: Note,
    pub distance: f64,
}

/// Stores the embedding of one of the user's notes.
#[tracing::instrument(skip(db, embedding))]
pub async fn set_embedding(
    db: &Db,
    user_id: Uuid,
    note_id: Uuid,
    embedding: &Embedding,
) -> Result<(), NotesError> {
    if repositories::embeddings::set_for_user(db, user_id, note_id, embedding).await? {
        Ok(())
    } else {
        Err(NotesError::NotFound)
    }
}

/// A nearest-neighbour query: an embedding and at most `limit` (1-50) notes.
#[derive(Debug, Clone, PartialEq)]
pub struct SimilarQuery {
    pub embedding: Embedding,
    pub limit: u64,
}

impl SimilarQuery {
    pub const MAX_LIMIT: u64 = 50;
    pub const DEFAULT_LIMIT: u64 = 10;

    pub fn parse(embedding: Vec<f32>, limit: Option<u64>) -> Result<Self, ValidationError> {
        let embedding = Embedding::parse(embedding)?;
        let limit = ValidationError::check_in_range(
            "limit",
            limit.unwrap_or(Self::DEFAULT_LIMIT),
            1..=Self::MAX_LIMIT,
        )?;
        Ok(Self { embedding, limit })
    }
}

/// The user's notes closest to the query embedding, closest first.
#[tracing::instrument(skip(db, query))]
pub async fn similar(
    db: &Db,
    user_id: Uuid,
    query: &SimilarQuery,
) -> anyhow::Result<Vec<SimilarNote>> {
    repositories::embeddings::similar_for_user(db, user_id, &query.embedding, query.limit).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_embedding_has_the_right_size_and_finite_values() {
        let mut values = vec![0.0_f32; EMBEDDING_DIM];
        values[0] = 1.0;
        let e = Embedding::parse(values.clone()).unwrap();
        assert!(e.to_pgvector().starts_with("[1,0,0,"));
        assert_eq!(e.to_pgvector().matches(',').count(), EMBEDDING_DIM - 1);
        assert_eq!(
            Embedding::parse(vec![1.0; 3]).unwrap_err().field,
            "embedding"
        );
        values[1] = f32::NAN;
        assert!(Embedding::parse(values).is_err());
        assert!(Embedding::parse(vec![0.0; EMBEDDING_DIM]).is_err());
        let mut one = vec![0.0_f32; EMBEDDING_DIM];
        one[5] = 0.5;
        assert_eq!(SimilarQuery::parse(one.clone(), None).unwrap().limit, 10);
        assert_eq!(
            SimilarQuery::parse(one, Some(51)).unwrap_err().field,
            "limit"
        );
    }
}
