//! Background jobs without a queue: each job runs in a spawned Tokio task in
//! the process that enqueued it (no Redis). Jobs are lost if the process dies
//! before they finish; retries use in-process exponential backoff and jobs
//! that keep failing are recorded in the `failed_jobs` table.
//!
//! Same public surface as the Redis implementation: `Settings`, `Jobs`
//! (`connect`, `enqueue`, `ping`) and `run_worker`.

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use crate::config::env::ConfigError;
use crate::db::Db;
use crate::domain::jobs::Job;
use execution::Envelope;

pub mod execution;

/// Queue settings (nothing to configure: `from_env` reads no variables).
#[derive(Debug, Clone)]
pub struct Settings {
    /// Kept for interface parity; unused.
    pub namespace: String,
    /// Retries after the first attempt before a job is declared failed.
    pub max_retries: usize,
    /// Initial retry delay; doubles on each retry.
    pub retry_backoff: Duration,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            namespace: "inline".to_owned(),
            max_retries: 3,
            retry_backoff: Duration::from_millis(500),
        }
    }
}

impl Settings {
    pub fn from_env() -> Result<Self, ConfigError> {
        Ok(Self::default())
    }

    pub fn for_tests() -> anyhow::Result<Self> {
        Ok(Self {
            namespace: format!("test-{}", uuid::Uuid::new_v4().simple()),
            max_retries: 2,
            retry_backoff: Duration::from_millis(20),
        })
    }
}

/// Handle for running jobs (cheap to clone).
#[derive(Clone)]
pub struct Jobs {
    db: Db,
    settings: Arc<Settings>,
    in_flight: Arc<AtomicUsize>,
}

impl std::fmt::Debug for Jobs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Jobs")
            .field("in_flight", &self.in_flight.load(Ordering::SeqCst))
            .finish()
    }
}

struct InFlightGuard(Arc<AtomicUsize>);

impl Drop for InFlightGuard {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

impl Jobs {
    pub async fn connect(settings: &Settings, db: Db) -> anyhow::Result<Self> {
        Ok(Self {
            db,
            settings: Arc::new(settings.clone()),
            in_flight: Arc::new(AtomicUsize::new(0)),
        })
    }

    #[tracing::instrument(name = "jobs.enqueue", skip(self), fields(job = job.name()))]
    pub async fn enqueue(&self, job: Job) -> anyhow::Result<()> {
        self.in_flight.fetch_add(1, Ordering::SeqCst);
        let guard = InFlightGuard(self.in_flight.clone());
        let db = self.db.clone();
        let settings = self.settings.clone();
        let envelope = Envelope::new(job);
        tokio::spawn(async move {
            let _guard = guard;
            let mut delay = settings.retry_backoff;
            for attempt in 1..=settings.max_retries + 1 {
                match execution::execute(&db, &envelope, attempt).await {
                    Ok(()) => return,
                    Err(e) if attempt > settings.max_retries => {
                        execution::record_failure(&db, &envelope.job, &e, attempt).await;
                    }
                    Err(_) => {
                        tokio::time::sleep(delay).await;
                        delay = delay.saturating_mul(2);
                    }
                }
            }
        });
        Ok(())
    }

    pub async fn ping(&self) -> anyhow::Result<()> {
        Ok(())
    }
}

/// Nothing to drop: jobs run in-process, no queue outlives a test.
pub async fn drop_test_queue(_settings: &Settings) -> anyhow::Result<()> {
    Ok(())
}

/// Nothing to poll: waits for `shutdown`, then for jobs still running in this process.
pub async fn run_worker(
    jobs: Jobs,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    shutdown.await;
    while jobs.in_flight.load(Ordering::SeqCst) > 0 {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    Ok(())
}
