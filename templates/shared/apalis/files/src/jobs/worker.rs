//! The apalis worker shared by the queues built on apalis (redis, postgres): runs each
//! job through `domain::jobs`, retries with exponential backoff, and records a job that
//! runs out of retries in `failed_jobs` before aborting it. It reads the parent module's
//! `Jobs { storage, db, settings }` and its `Settings`, which both queues define alike.

use std::future::Future;
use std::time::Duration;

use anyhow::Context;
use apalis::layers::WorkerBuilderExt;
use apalis::layers::retry::HasherRng;
use apalis::layers::retry::RetryPolicy;
use apalis::layers::retry::backoff::{ExponentialBackoffMaker, MakeBackoff};
use apalis::prelude::{
    AbortError, Attempt, BackendExt, BoxDynError, Data, WorkerBuilder, WorkerError,
};

use super::Jobs;
use super::execution::{self, Envelope};
use crate::db::Db;

#[derive(Clone, Copy)]
struct MaxRetries(usize);

async fn run_job(
    envelope: Envelope,
    attempt: Attempt,
    db: Data<Db>,
    max_retries: Data<MaxRetries>,
) -> Result<(), BoxDynError> {
    let attempt = attempt.current();
    let MaxRetries(max_retries) = *max_retries;
    match execution::execute(&db, &envelope, attempt).await {
        Ok(()) => Ok(()),
        Err(e) if attempt > max_retries => {
            execution::record_failure(&db, &envelope.job, &e, attempt).await;
            Err(Box::new(AbortError::new(e.into_boxed_dyn_error())))
        }
        Err(e) => Err(e.into_boxed_dyn_error()),
    }
}

/// Runs the worker until `shutdown` completes, then lets in-flight jobs finish.
pub async fn run_worker(
    jobs: Jobs,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let settings = jobs.settings.clone();
    let backoff = ExponentialBackoffMaker::new(
        settings.retry_backoff,
        Duration::from_secs(300).max(settings.retry_backoff),
        0.5,
        HasherRng::default(),
    )
    .context("building retry backoff")?
    .make_backoff();
    let worker = WorkerBuilder::new(format!(
        "{}-worker-{}",
        settings.namespace,
        uuid::Uuid::new_v4()
    ))
    .backend(
        jobs.storage
            .clone()
            .poll_with_interval(settings.poll_interval),
    )
    .data(jobs.db.clone())
    .data(MaxRetries(settings.max_retries))
    .concurrency(settings.concurrency.max(1))
    .retry(RetryPolicy::retries(settings.max_retries).with_backoff(backoff))
    .build(run_job);
    tracing::info!(queue = %settings.queue_name(), "worker started");
    worker
        .run_until(async move {
            shutdown.await;
            tracing::info!("worker shutting down");
            Ok::<(), WorkerError>(())
        })
        .await
        .map_err(|e| anyhow::anyhow!("worker: {e}"))?;
    tracing::info!("worker stopped");
    Ok(())
}
