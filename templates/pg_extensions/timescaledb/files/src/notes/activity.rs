//! Note activity over time (TimescaleDB): events in a hypertable (written by
//! a trigger when a note is inserted), counted per hour or day with `time_bucket`.

use chrono::{DateTime, Duration, Utc};
use uuid::Uuid;

use super::Db;
use super::ValidationError;
use super::repositories;

/// The width of one bucket of the activity series.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bucket {
    Hour,
    Day,
}

impl Bucket {
    /// The Postgres interval `time_bucket` takes.
    pub fn interval(self) -> &'static str {
        match self {
            Bucket::Hour => "1 hour",
            Bucket::Day => "1 day",
        }
    }
}

/// Counts of the user's new notes per bucket over the last `days` days.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ActivityQuery {
    pub bucket: Bucket,
    pub since: DateTime<Utc>,
}

impl ActivityQuery {
    pub const MAX_DAYS: i64 = 90;

    pub fn parse(bucket: Option<&str>, days: Option<i64>) -> Result<Self, ValidationError> {
        let bucket = match bucket.unwrap_or("day") {
            "hour" => Bucket::Hour,
            "day" => Bucket::Day,
            _ => return Err(ValidationError::new("bucket", "must be `hour` or `day`")),
        };
        let days = ValidationError::check_in_range("days", days.unwrap_or(7), 1..=Self::MAX_DAYS)?;
        Ok(Self {
            bucket,
            since: Utc::now() - Duration::days(days),
        })
    }
}

/// One point of the series.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ActivityPoint {
    pub bucket: DateTime<Utc>,
    pub notes: i64,
}

/// The user's new notes per bucket since the query's start, oldest first.
#[tracing::instrument(skip(db))]
pub async fn activity(
    db: &Db,
    user_id: Uuid,
    query: &ActivityQuery,
) -> anyhow::Result<Vec<ActivityPoint>> {
    repositories::events::created_per_bucket(db, user_id, query).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_and_windows_are_bounded() {
        let q = ActivityQuery::parse(None, None).unwrap();
        assert_eq!(q.bucket, Bucket::Day);
        assert_eq!(q.bucket.interval(), "1 day");
        assert_eq!(
            ActivityQuery::parse(Some("hour"), Some(1)).unwrap().bucket,
            Bucket::Hour
        );
        assert_eq!(
            ActivityQuery::parse(Some("week"), None).unwrap_err().field,
            "bucket"
        );
        assert_eq!(
            ActivityQuery::parse(None, Some(91)).unwrap_err().field,
            "days"
        );
    }
}
