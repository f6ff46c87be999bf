//! Background jobs on Redis with apalis.
//!
//! * Queue: `RedisStorage<Envelope>` under the `{JOBS_NAMESPACE}:jobs` keys.
//! * Retries: in-process, exponential backoff (`JOB_MAX_RETRIES`,
//!   `JOB_RETRY_BACKOFF_MS`).
//! * A job that keeps failing is recorded in the Postgres `failed_jobs` table
//!   (via `execution::record_failure`) and aborted, which puts its id in
//!   apalis' dead set `{JOBS_NAMESPACE}:jobs:dead` in Redis.
//! * Workers send heartbeats; the jobs held by a worker that stops beating (it
//!   crashed or was killed) go back on the queue once it has missed three, so
//!   no job is lost.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use apalis::prelude::TaskSink;
use apalis_redis::{ConnectionManager, RedisStorage};
use secrecy::{ExposeSecret, SecretString};

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
    pub redis_url: SecretString,
    /// Prefix for every Redis key of the queue (lets tests and environments share one Redis).
    pub namespace: String,
    /// Retries after the first attempt before a job is declared failed.
    pub max_retries: usize,
    /// Initial retry delay; doubles on each retry (with jitter), capped at 5 minutes.
    pub retry_backoff: Duration,
    /// Jobs processed concurrently by one worker.
    pub concurrency: usize,
    /// How often an idle worker polls Redis for new jobs.
    pub poll_interval: Duration,
    /// How often a worker reports it is alive; the jobs of a worker silent for
    /// three intervals go back on the queue for another worker.
    pub heartbeat_interval: Duration,
}

const TEST_DEFAULT_URL: &str = "redis://127.0.0.1:6379";

impl Settings {
    pub fn from_env() -> Result<Self, ConfigError> {
        Ok(Self {
            redis_url: env::secret("REDIS_URL", "a Redis URL such as redis://host:6379")?,
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

    /// `REDIS_URL` (or the local default) with a unique namespace.
    pub fn for_tests() -> anyhow::Result<Self> {
        Ok(Self {
            redis_url: env::optional("REDIS_URL")
                .unwrap_or_else(|| TEST_DEFAULT_URL.to_owned())
                .into(),
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
    storage: RedisStorage<Envelope>,
    conn: ConnectionManager,
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
    pub async fn connect(settings: &Settings, db: Db) -> anyhow::Result<Self> {
        let conn = apalis_redis::connect(settings.redis_url.expose_secret())
            .await
            .context("connecting to Redis (REDIS_URL)")?;
        let config = apalis_redis::Config::default()
            .queue(settings.queue_name())
            .heartbeat_interval(settings.heartbeat_interval)
            .missed_heartbeats(3);
        let storage = RedisStorage::new(conn.clone()).with_config(config);
        Ok(Self {
            storage,
            conn,
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

    pub async fn ping(&self) -> anyhow::Result<()> {
        let mut conn = self.conn.clone();
        let _: String = redis::cmd("PING")
            .query_async(&mut conn)
            .await
            .context("Redis PING")?;
        Ok(())
    }

    /// Redis key of the dead set holding ids of jobs that failed permanently.
    pub fn dead_set_key(&self) -> String {
        self.storage.get_config().dead_jobs_set()
    }

    /// A connection to the queue's Redis, for operators and tests.
    pub fn redis(&self) -> ConnectionManager {
        self.conn.clone()
    }
}

/// Deletes the Redis keys of a queue made by [`Settings::for_tests`], so test runs do
/// not pile them up. Refuses any namespace that does not start with `test-`.
pub async fn drop_test_queue(settings: &Settings) -> anyhow::Result<()> {
    anyhow::ensure!(
        settings.namespace.starts_with("test-"),
        "refusing to delete the keys of `{}`: not a test queue",
        settings.namespace
    );
    let mut conn = apalis_redis::connect(settings.redis_url.expose_secret())
        .await
        .context("connecting to Redis (REDIS_URL)")?;
    let pattern = format!("{}:*", settings.namespace);
    let mut cursor = 0u64;
    loop {
        let (next, keys): (u64, Vec<String>) = redis::cmd("SCAN")
            .arg(cursor)
            .arg("MATCH")
            .arg(&pattern)
            .arg("COUNT")
            .arg(500)
            .query_async(&mut conn)
            .await
            .context("listing the test queue's keys")?;
        if !keys.is_empty() {
            let _: u64 = redis::cmd("DEL")
                .arg(&keys)
                .query_async(&mut conn)
                .await
                .context("deleting the test queue's keys")?;
        }
        if next == 0 {
            return Ok(());
        }
        cursor = next;
    }
}
