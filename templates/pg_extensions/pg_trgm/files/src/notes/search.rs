//! Fuzzy search over a user's notes (pg_trgm): typo-tolerant, ranked by
//! trigram word similarity, inside Postgres.

use uuid::Uuid;

use super::Db;
use super::Note;
use super::ValidationError;
use super::repositories;

/// A validated search: 2 to 200 characters of query, 1 to 50 results.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchQuery {
    text: String,
    limit: u64,
}

impl SearchQuery {
    pub const MAX_LEN: usize = 200;
    pub const MAX_LIMIT: u64 = 50;
    pub const DEFAULT_LIMIT: u64 = 10;

    pub fn parse(text: &str, limit: Option<u64>) -> Result<Self, ValidationError> {
        let text = text.trim();
        if text.chars().count() < 2 {
            return Err(ValidationError::new("q", "must be at least 2 characters"));
        }
        if text.chars().count() > Self::MAX_LEN {
            return Err(ValidationError::new(
                "q",
                format!("must be at most {} characters", Self::MAX_LEN),
            ));
        }
        let limit = ValidationError::check_in_range(
            "limit",
            limit.unwrap_or(Self::DEFAULT_LIMIT),
            1..=Self::MAX_LIMIT,
        )?;
        Ok(Self {
            text: text.to_owned(),
            limit,
        })
    }

    pub fn text(&self) -> &str {
        &self.text
    }

    pub fn limit(&self) -> u64 {
        self.limit
    }
}

/// The user's notes that contain something like the query, best match first.
#[tracing::instrument(skip(db))]
pub async fn search(db: &Db, user_id: Uuid, query: &SearchQuery) -> anyhow::Result<Vec<Note>> {
    repositories::search::search_for_user(db, user_id, query.text(), query.limit()).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_query_is_trimmed_and_bounded() {
        let q = SearchQuery::parse("  milk ", None).unwrap();
        assert_eq!(q.text(), "milk");
        assert_eq!(q.limit(), SearchQuery::DEFAULT_LIMIT);
        assert_eq!(SearchQuery::parse("m", None).unwrap_err().field, "q");
        let long = "x".repeat(SearchQuery::MAX_LEN + 1);
        assert_eq!(SearchQuery::parse(&long, None).unwrap_err().field, "q");
        assert_eq!(
            SearchQuery::parse("milk", Some(0)).unwrap_err().field,
            "limit"
        );
        assert_eq!(
            SearchQuery::parse("milk", Some(51)).unwrap_err().field,
            "limit"
        );
    }
}
