use chrono::{DateTime, Utc};
use sea_orm::{ActiveModelTrait, EntityTrait, QueryOrder, QuerySelect, Set};
use uuid::Uuid;

use crate::db::Db;
use crate::db::entities::failed_jobs;

/// A job that exhausted its retries.
#[derive(Debug, Clone)]
pub struct FailedJob {
    pub id: Uuid,
    pub job: String,
    pub payload: serde_json::Value,
    pub error: String,
    pub attempts: i32,
    pub failed_at: DateTime<Utc>,
}

#[tracing::instrument(name = "db.failed_jobs.insert", skip(db, payload, error), err)]
pub async fn insert(
    db: &Db,
    job: &str,
    payload: serde_json::Value,
    error: &str,
    attempts: i32,
) -> anyhow::Result<()> {
    failed_jobs::ActiveModel {
        id: Set(Uuid::new_v4()),
        job: Set(job.to_owned()),
        payload: Set(payload),
        error: Set(error.to_owned()),
        attempts: Set(attempts),
        failed_at: Set(Utc::now().into()),
    }
    .insert(db)
    .await?;
    Ok(())
}

/// Most recent failures first.
#[tracing::instrument(name = "db.failed_jobs.list_recent", skip(db), err)]
pub async fn list_recent(db: &Db, limit: u64) -> anyhow::Result<Vec<FailedJob>> {
    Ok(failed_jobs::Entity::find()
        .order_by_desc(failed_jobs::Column::FailedAt)
        .limit(limit)
        .all(db)
        .await?
        .into_iter()
        .map(|m| FailedJob {
            id: m.id,
            job: m.job,
            payload: m.payload,
            error: m.error,
            attempts: m.attempts,
            failed_at: m.failed_at.to_utc(),
        })
        .collect())
}
