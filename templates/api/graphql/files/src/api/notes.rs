//! Notes: `notes`, `note`, `createNote`, `deleteNote`.

use async_graphql::{Context, Object, SimpleObject};
use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::{ApiError, current_user, state};
use crate::domain::PageRequest;
use crate::notes::NoteBody;
use crate::notes::{self, Note};

/// A user's note.
#[derive(Debug, Clone, SimpleObject)]
#[graphql(name = "Note")]
pub struct NoteObject {
    pub id: Uuid,
    pub body: String,
    /// Filled in by the background job; `null` until processed.
    pub word_count: Option<i32>,
    pub processed_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

impl From<Note> for NoteObject {
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

/// One page of notes, newest first.
#[derive(Debug, SimpleObject)]
pub struct NotePage {
    pub items: Vec<NoteObject>,
    pub page: u64,
    pub per_page: u64,
    pub total: u64,
    pub total_pages: u64,
}

#[derive(Default)]
pub struct NotesQuery;

#[Object]
impl NotesQuery {
    /// My notes, newest first: `page` is 1-based (default 1), `perPage` 1-100 (default 20).
    #[graphql(
        complexity = "per_page.unwrap_or(PageRequest::DEFAULT_PER_PAGE).min(PageRequest::MAX_PER_PAGE) as usize * child_complexity"
    )]
    async fn notes(
        &self,
        ctx: &Context<'_>,
        page: Option<u64>,
        per_page: Option<u64>,
    ) -> Result<NotePage, ApiError> {
        let user = current_user(ctx)?;
        let request = PageRequest::parse(page, per_page)?;
        let page = notes::list(&state(ctx).db, user.id, request).await?;
        let total_pages = page.total_pages();
        Ok(NotePage {
            items: page.items.into_iter().map(Into::into).collect(),
            page: page.page,
            per_page: page.per_page,
            total: page.total,
            total_pages,
        })
    }

    /// One of my notes.
    async fn note(&self, ctx: &Context<'_>, id: Uuid) -> Result<NoteObject, ApiError> {
        let user = current_user(ctx)?;
        Ok(notes::get(&state(ctx).db, user.id, id).await?.into())
    }
}

#[derive(Default)]
pub struct NotesMutation;

#[Object]
impl NotesMutation {
    /// Create a note; its word count is computed in the background.
    async fn create_note(&self, ctx: &Context<'_>, body: String) -> Result<NoteObject, ApiError> {
        let user = current_user(ctx)?;
        let body = NoteBody::parse(&body)?;
        let state = state(ctx);
        Ok(notes::create(&state.db, &state.jobs, user.id, body)
            .await?
            .into())
    }

    /// Delete one of my notes; `true` once it is gone.
    async fn delete_note(&self, ctx: &Context<'_>, id: Uuid) -> Result<bool, ApiError> {
        let user = current_user(ctx)?;
        notes::delete(&state(ctx).db, user.id, id).await?;
        Ok(true)
    }
}
