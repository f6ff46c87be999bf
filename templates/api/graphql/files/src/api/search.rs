//! `searchNotes`: fuzzy search over my notes (pg_trgm).

use async_graphql::{Context, Object};

use super::notes::NoteObject;
use super::{ApiError, current_user, state};
use crate::notes::search::{self as note_search, SearchQuery as Query};

#[derive(Default)]
pub struct SearchQuery;

#[Object]
impl SearchQuery {
    /// My notes matching `q` (2-200 characters, typos tolerated), best match first;
    /// at most `limit` (1-50, default 10).
    #[graphql(
        complexity = "limit.unwrap_or(Query::DEFAULT_LIMIT).min(Query::MAX_LIMIT) as usize * child_complexity"
    )]
    async fn search_notes(
        &self,
        ctx: &Context<'_>,
        q: String,
        limit: Option<u64>,
    ) -> Result<Vec<NoteObject>, ApiError> {
        let user = current_user(ctx)?;
        let query = Query::parse(&q, limit)?;
        let notes = note_search::search(&state(ctx).db, user.id, &query).await?;
        Ok(notes.into_iter().map(Into::into).collect())
    }
}
