//! Notes service: what a user can do with their notes.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::repositories;
use super::{Db, Enqueue, Job, NoteBody, Page, PageRequest};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Note {
    pub id: Uuid,
    pub user_id: Uuid,
    pub body: String,
    pub word_count: Option<i32>,
    pub processed_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, thiserror::Error)]
pub enum NotesError {
    /// Missing, or owned by someone else (indistinguishable on purpose).
    #[error("note not found")]
    NotFound,
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

/// Stores the note and enqueues its processing job.
#[tracing::instrument(skip(db, jobs, body))]
pub async fn create(
    db: &Db,
    jobs: &impl Enqueue,
    user_id: Uuid,
    body: NoteBody,
) -> anyhow::Result<Note> {
    let note = repositories::notes::insert(db, user_id, body.as_str()).await?;
    jobs.enqueue(Job::ProcessNote { note_id: note.id }).await?;
    Ok(note)
}

#[tracing::instrument(skip(db))]
pub async fn list(db: &Db, user_id: Uuid, page: PageRequest) -> anyhow::Result<Page<Note>> {
    let (items, total) =
        repositories::notes::list_for_user(db, user_id, page.page - 1, page.per_page).await?;
    Ok(Page {
        items,
        page: page.page,
        per_page: page.per_page,
        total,
    })
}

#[tracing::instrument(skip(db))]
pub async fn get(db: &Db, user_id: Uuid, note_id: Uuid) -> Result<Note, NotesError> {
    repositories::notes::find_for_user(db, user_id, note_id)
        .await?
        .ok_or(NotesError::NotFound)
}

#[tracing::instrument(skip(db))]
pub async fn delete(db: &Db, user_id: Uuid, note_id: Uuid) -> Result<(), NotesError> {
    if repositories::notes::delete_for_user(db, user_id, note_id).await? {
        Ok(())
    } else {
        Err(NotesError::NotFound)
    }
}

/// Any note, whoever owns it: for jobs and operators, never for API callers.
#[tracing::instrument(skip(db))]
pub async fn find(db: &Db, note_id: Uuid) -> anyhow::Result<Option<Note>> {
    repositories::notes::find_by_id(db, note_id).await
}

/// Notes created before `cutoff` that no job has processed yet, oldest first: what a
/// sweeper queues again after a job was lost on the way to the queue.
#[tracing::instrument(skip(db))]
pub async fn unprocessed_before(
    db: &Db,
    cutoff: DateTime<Utc>,
    limit: u64,
) -> anyhow::Result<Vec<Note>> {
    repositories::notes::unprocessed_before(db, cutoff, limit).await
}

/// The `process_note` job: fills `word_count` and `processed_at`. A missing note
/// is an error (the job is retried and eventually recorded as failed).
#[tracing::instrument(skip(db))]
pub async fn process(db: &Db, note_id: Uuid) -> anyhow::Result<()> {
    let note = repositories::notes::find_by_id(db, note_id)
        .await?
        .ok_or_else(|| anyhow::anyhow!("note {note_id} not found"))?;
    let words = count_words(&note.body);
    repositories::notes::mark_processed(db, note_id, words).await?;
    Ok(())
}

/// Pure word counter used by the processing job.
pub fn count_words(body: &str) -> i32 {
    i32::try_from(body.split_whitespace().count()).unwrap_or(i32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_words() {
        assert_eq!(count_words(""), 0);
        assert_eq!(count_words("  one two\tthree\nfour  "), 4);
    }
}
