//! Note events in the `note_events` hypertable (TimescaleDB), written by the
//! `notes_created_event` trigger. The table has no primary key, as is usual
//! for a hypertable of events, so it has no entity; the query goes through
//! SeaORM's `FromQueryResult`.

use chrono::{DateTime, FixedOffset};
use sea_orm::{FromQueryResult, Statement};
use uuid::Uuid;

use super::super::Db;
use super::super::activity::{ActivityPoint, ActivityQuery};

#[derive(Debug, FromQueryResult)]
struct BucketRow {
    bucket: DateTime<FixedOffset>,
    notes: i64,
}

#[tracing::instrument(name = "db.note_events.created_per_bucket", skip(db), err)]
pub async fn created_per_bucket(
    db: &Db,
    user_id: Uuid,
    query: &ActivityQuery,
) -> anyhow::Result<Vec<ActivityPoint>> {
    let rows = BucketRow::find_by_statement(Statement::from_sql_and_values(
        db.get_database_backend(),
        "SELECT time_bucket($1::interval, at) AS bucket, count(*) AS notes \
         FROM note_events \
         WHERE user_id = $2 AND kind = 'created' AND at >= $3 \
         GROUP BY bucket ORDER BY bucket",
        [
            query.bucket.interval().into(),
            user_id.into(),
            query.since.into(),
        ],
    ))
    .all(db)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| ActivityPoint {
            bucket: r.bucket.to_utc(),
            notes: r.notes,
        })
        .collect())
}
