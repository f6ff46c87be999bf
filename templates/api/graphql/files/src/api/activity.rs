//! `noteActivity`: my new notes per hour or day (TimescaleDB).

use async_graphql::{Context, Object, SimpleObject};
use chrono::{DateTime, Utc};

use super::{ApiError, current_user, state};
use crate::notes::activity::{self as note_activity, ActivityQuery as Query};

/// Notes created in one time bucket.
#[derive(Debug, SimpleObject)]
pub struct ActivityPoint {
    /// Start of the bucket.
    pub bucket: DateTime<Utc>,
    /// Notes created in it.
    pub notes: i64,
}

#[derive(Default)]
pub struct ActivityQuery;

#[Object]
impl ActivityQuery {
    /// My new notes per `bucket` (`hour` or `day`, default `day`) over the last `days`
    /// (1-90, default 7), oldest first; empty buckets are omitted.
    async fn note_activity(
        &self,
        ctx: &Context<'_>,
        bucket: Option<String>,
        days: Option<i64>,
    ) -> Result<Vec<ActivityPoint>, ApiError> {
        let user = current_user(ctx)?;
        let query = Query::parse(bucket.as_deref(), days)?;
        let points = note_activity::activity(&state(ctx).db, user.id, &query).await?;
        Ok(points
            .into_iter()
            .map(|p| ActivityPoint {
                bucket: p.bucket,
                notes: p.notes,
            })
            .collect())
    }
}
