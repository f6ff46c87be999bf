//! `notes.activity`: my new notes per hour or day (TimescaleDB).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::error::RpcError;
use super::procedures::Registry;
use crate::app::AppState;
use crate::auth::CurrentUser;
use crate::notes::activity::{self as note_activity, ActivityQuery};

/// `bucket` is `hour` or `day` (default `day`), `days` how far back (1-90, default 7).
#[derive(Debug, Deserialize, TS)]
#[ts(optional_fields)]
pub struct NoteActivity {
    pub bucket: Option<String>,
    pub days: Option<i64>,
}

/// Notes created in one time bucket.
#[derive(Debug, Serialize, Deserialize, TS)]
pub struct ActivityPoint {
    /// Start of the bucket.
    pub bucket: DateTime<Utc>,
    /// Notes created in it.
    pub notes: i64,
}

pub fn procedures() -> Registry {
    Registry::default().authenticated(
        "notes.activity",
        "My new notes per bucket, oldest first (empty buckets are omitted).",
        activity,
    )
}

#[tracing::instrument(skip_all, fields(user_id = %user.id))]
async fn activity(
    state: AppState,
    user: CurrentUser,
    input: NoteActivity,
) -> Result<Vec<ActivityPoint>, RpcError> {
    let query = ActivityQuery::parse(input.bucket.as_deref(), input.days)?;
    let points = note_activity::activity(&state.db, user.id, &query).await?;
    Ok(points
        .into_iter()
        .map(|p| ActivityPoint {
            bucket: p.bucket,
            notes: p.notes,
        })
        .collect())
}
