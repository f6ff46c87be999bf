//! Background jobs in the application's own Postgres, with apalis.
//!
//! * Queue: `PostgresStorage<Envelope>` in apalis' tables (schema `apalis`,
//!   created on connect), queue name `{JOBS_NAMESPACE}:jobs`. No datastore
//!   beyond the one the service already has.
//! * Workers send heartbeats; a job held by a worker that stops beating (it
//!   crashed or was killed) is handed to another worker once the worker has
//!   missed its heartbeats, so no job is lost.
//! * Retries: in-process, exponential backoff (`JOB_MAX_RETRIES`,
//!   `JOB_RETRY_BACKOFF_MS`).
//! * A job that keeps failing is recorded in the `failed_jobs` table (via
//!   `execution::record_failure`) and aborted, so apalis marks it killed.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use apalis::prelude::TaskSink;
use apalis_postgres::{Config as QueueConfig, PgPool, PostgresStorage};

use crate::config::env::{self, ConfigError};
use crate::db::Db;
use crate::domain::jobs::Job;
use execution::Envelope;

pub mod execution;
mod worker;

pub use worker::run_worker;

/// Queue settings.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Names the queue (lets tests and environments share one database).
    pub namespace: String,
    /// Retries after the first attempt before a job is declared failed.
    pub max_retries: usize,
    /// Initial retry delay; doubles on each retry (with jitter), capped at 5 minutes.
    pub retry_backoff: Duration,
    /// Jobs processed concurrently by one worker.
    pub concurrency: usize,
    /// How often an idle worker polls Postgres for new jobs.
    pub poll_interval: Duration,
    /// How often a worker reports it is alive; a job held by a worker silent for
    /// three intervals goes to another worker.
    pub heartbeat_interval: Duration,
}

impl Settings {
    pub fn from_env() -> Result<Self, ConfigError> {
        Ok(Self {
            namespace: env::string_or("JOBS_NAMESPACE", "app"),
            max_retries: env::parse_or("JOB_MAX_RETRIES", "a non-negative integer", 5)?,
            retry_backoff: Duration::from_millis(env::parse_or(
                "JOB_RETRY_BACKOFF_MS",
                "a whole number of milliseconds",
                1000,
            )?),
            concurrency: env::parse_or("JOB_CONCURRENCY", "a positive integer", 4)?,
            poll_interval: Duration::from_millis(env::parse_or(
                "JOB_POLL_INTERVAL_MS",
                "a whole number of milliseconds",
                500,
            )?),
            heartbeat_interval: Duration::from_millis(env::parse_or(
                "JOB_HEARTBEAT_INTERVAL_MS",
                "a whole number of milliseconds",
                10_000,
            )?),
        })
    }

    /// A unique queue name per test, in the test's own database.
    pub fn for_tests() -> anyhow::Result<Self> {
        Ok(Self {
            namespace: format!("test-{}", uuid::Uuid::new_v4().simple()),
            max_retries: 2,
            retry_backoff: Duration::from_millis(20),
            concurrency: 4,
            poll_interval: Duration::from_millis(50),
            heartbeat_interval: Duration::from_secs(1),
        })
    }

    fn queue_name(&self) -> String {
        format!("{}:jobs", self.namespace)
    }
}

/// Handle for enqueueing jobs (cheap to clone).
#[derive(Clone)]
pub struct Jobs {
    storage: PostgresStorage<Envelope>,
    db: Db,
    settings: Arc<Settings>,
}

impl std::fmt::Debug for Jobs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Jobs")
            .field("queue", &self.settings.queue_name())
            .finish()
    }
}

impl Jobs {
    /// Uses the application's connection pool, and creates apalis' tables if
    /// they are missing.
    pub async fn connect(settings: &Settings, db: Db) -> anyhow::Result<Self> {
        let pool: PgPool = db.get_postgres_connection_pool().clone();
        PostgresStorage::setup(&pool)
            .await
            .context("creating the job queue's tables in Postgres")?;
        let config = QueueConfig::default()
            .queue(settings.queue_name())
            .heartbeat_interval(settings.heartbeat_interval)
            .missed_heartbeats(3);
        let storage = PostgresStorage::new(&pool).with_config(config);
        Ok(Self {
            storage,
            db,
            settings: Arc::new(settings.clone()),
        })
    }

    #[tracing::instrument(name = "jobs.enqueue", skip(self), fields(job = job.name()))]
    pub async fn enqueue(&self, job: Job) -> anyhow::Result<()> {
        let mut storage = self.storage.clone();
        storage
            .push(Envelope::new(job))
            .await
            .map_err(|e| anyhow::anyhow!("enqueueing job: {e}"))
    }

    /// The queue lives in the application's database, which `/ready` checks already.
    pub async fn ping(&self) -> anyhow::Result<()> {
        Ok(())
    }
}

/// Nothing to drop: a test's queue lives in its own database, dropped with it.
pub async fn drop_test_queue(_settings: &Settings) -> anyhow::Result<()> {
    Ok(())
}
