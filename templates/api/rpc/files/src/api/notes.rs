//! `notes.create`, `notes.list`, `notes.get`, `notes.delete`.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use ts_rs::TS;
use uuid::Uuid;

use super::error::RpcError;
use super::procedures::Registry;
use crate::app::AppState;
use crate::auth::CurrentUser;
use crate::domain::PageRequest;
use crate::notes::NoteBody;
use crate::notes::{self, Note as DomainNote};

/// A user's note.
#[derive(Debug, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct Note {
    pub id: Uuid,
    pub body: String,
    /// Filled in by the background job; `null` until processed.
    pub word_count: Option<i32>,
    pub processed_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

impl From<DomainNote> for Note {
    fn from(n: DomainNote) -> Self {
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
#[derive(Debug, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct NotePage {
    pub items: Vec<Note>,
    pub page: u64,
    pub per_page: u64,
    pub total: u64,
    pub total_pages: u64,
}

/// A new note.
#[derive(Debug, Deserialize, TS)]
pub struct CreateNote {
    pub body: String,
}

/// Which page of my notes: `page` is 1-based (default 1), `perPage` 1-100 (default 20).
#[derive(Debug, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(optional_fields)]
pub struct ListNotes {
    pub page: Option<u64>,
    pub per_page: Option<u64>,
}

/// One note, by id.
#[derive(Debug, Deserialize, TS)]
pub struct NoteId {
    pub id: Uuid,
}

pub fn procedures() -> Registry {
    Registry::default()
        .authenticated(
            "notes.create",
            "Create a note; its word count is computed in the background.",
            create,
        )
        .authenticated("notes.list", "My notes, newest first.", list)
        .authenticated("notes.get", "One of my notes.", get)
        .authenticated("notes.delete", "Delete one of my notes.", delete)
}

#[tracing::instrument(skip_all, fields(user_id = %user.id))]
async fn create(state: AppState, user: CurrentUser, input: CreateNote) -> Result<Note, RpcError> {
    let body = NoteBody::parse(&input.body)?;
    Ok(notes::create(&state.db, &state.jobs, user.id, body)
        .await?
        .into())
}

#[tracing::instrument(skip_all, fields(user_id = %user.id))]
async fn list(state: AppState, user: CurrentUser, input: ListNotes) -> Result<NotePage, RpcError> {
    let request = PageRequest::parse(input.page, input.per_page)?;
    let page = notes::list(&state.db, user.id, request).await?;
    let total_pages = page.total_pages();
    Ok(NotePage {
        items: page.items.into_iter().map(Into::into).collect(),
        page: page.page,
        per_page: page.per_page,
        total: page.total,
        total_pages,
    })
}

#[tracing::instrument(skip_all, fields(user_id = %user.id, note_id = %input.id))]
async fn get(state: AppState, user: CurrentUser, input: NoteId) -> Result<Note, RpcError> {
    Ok(notes::get(&state.db, user.id, input.id).await?.into())
}

#[tracing::instrument(skip_all, fields(user_id = %user.id, note_id = %input.id))]
async fn delete(state: AppState, user: CurrentUser, input: NoteId) -> Result<(), RpcError> {
    notes::delete(&state.db, user.id, input.id).await?;
    Ok(())
}
