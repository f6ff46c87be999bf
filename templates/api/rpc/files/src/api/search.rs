//! `notes.search`: fuzzy search over my notes (pg_trgm).

use serde::Deserialize;
use ts_rs::TS;

use super::error::RpcError;
use super::notes::Note;
use super::procedures::Registry;
use crate::app::AppState;
use crate::auth::CurrentUser;
use crate::notes::search::{self as note_search, SearchQuery};

/// What to look for (2-200 characters, typos tolerated) and at most how many notes
/// (1-50, default 10).
#[derive(Debug, Deserialize, TS)]
#[ts(optional_fields)]
pub struct SearchNotes {
    #[ts(optional = false)]
    pub q: String,
    pub limit: Option<u64>,
}

pub fn procedures() -> Registry {
    Registry::default().authenticated(
        "notes.search",
        "My notes matching a text, best first.",
        search,
    )
}

#[tracing::instrument(skip_all, fields(user_id = %user.id))]
async fn search(
    state: AppState,
    user: CurrentUser,
    input: SearchNotes,
) -> Result<Vec<Note>, RpcError> {
    let query = SearchQuery::parse(&input.q, input.limit)?;
    let notes = note_search::search(&state.db, user.id, &query).await?;
    Ok(notes.into_iter().map(Into::into).collect())
}
