//! Background jobs on NATS JetStream, with async-nats.
//!
//! * Queue: the work-queue stream `{ns}-jobs` on the subject `{ns}.jobs`
//!   (`ns` is `JOBS_NAMESPACE` with anything but letters, digits, `-` and `_`
//!   replaced by `_`). `enqueue` returns once JetStream has stored the job.
//! * Workers pull from the durable consumer `{ns}-workers` and acknowledge a
//!   job only after it succeeded. A job that goes `JOB_ACK_WAIT_MS` without
//!   news from its worker (the worker crashed or was killed) is redelivered
//!   to another worker, so no job is lost; a running job reports progress
//!   every third of that time, so a slow job is not run twice.
//! * Retries: the worker hands a failed job back (`nak`) with a delay that
//!   doubles on every attempt (`JOB_MAX_RETRIES`, `JOB_RETRY_BACKOFF_MS`).
//!   JetStream counts deliveries: delivery *n* is attempt *n*, and a delivery
//!   cut short by a crash counts too. The consumer allows one delivery more
//!   than the attempts: it comes only when the last attempt never reported
//!   back, and sends the job to the dead letters without running it again.
//! * A job that keeps failing is recorded in the Postgres `failed_jobs` table
//!   (via `execution::record_failure`), published to the dead-letter stream
//!   `{ns}-jobs-dead` (subject `{ns}.jobs.dead`) with its error, and
//!   terminated so JetStream stops delivering it.

use std::future::Future;
use std::pin::pin;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use async_nats::connection::State;
use async_nats::jetstream::consumer::{AckPolicy, PullConsumer, pull};
use async_nats::jetstream::stream::{self, RetentionPolicy, StorageType};
use async_nats::jetstream::{self, AckKind, Message};
use async_nats::{Client, HeaderMap};
use futures::StreamExt;
use secrecy::{ExposeSecret, SecretString};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::task::JoinSet;
use tokio::time::{Instant, MissedTickBehavior};

use crate::config::env::{self, ConfigError};
use crate::db::Db;
use crate::domain::jobs::Job;
use execution::Envelope;

pub mod execution;

/// Queue settings.
#[derive(Debug, Clone)]
pub struct Settings {
    /// NATS server URL; it may carry credentials, so it is kept secret.
    pub nats_url: SecretString,
    /// Names the streams, consumer and subjects of the queue (lets tests and
    /// environments share one NATS server).
    pub namespace: String,
    /// Retries after the first attempt before a job is declared failed.
    pub max_retries: usize,
    /// Initial retry delay; doubles on each retry, capped at 5 minutes.
    pub retry_backoff: Duration,
    /// Jobs processed concurrently by one worker.
    pub concurrency: usize,
    /// How long a delivered job may go without an ack or a progress report
    /// before JetStream delivers it again (to whichever worker asks next).
    pub ack_wait: Duration,
    /// Where JetStream keeps the streams: on disk in production; tests, whose
    /// streams are thrown away, keep theirs in memory.
    pub storage: StorageType,
    /// How long a dead letter stays in the dead-letter stream (`failed_jobs`
    /// in Postgres keeps the permanent record).
    pub dead_letter_max_age: Duration,
}

const TEST_DEFAULT_URL: &str = "nats://127.0.0.1:4222";
/// Longest delay between two attempts of a job.
const MAX_BACKOFF: Duration = Duration::from_secs(300);
/// How long one pull request waits for jobs before the worker asks again.
const FETCH_WAIT: Duration = Duration::from_secs(5);
/// Pause after a failed pull (NATS unreachable, consumer gone) before retrying.
const FETCH_ERROR_PAUSE: Duration = Duration::from_secs(1);

impl Settings {
    /// Reads `NATS_URL` (required) and the `JOB_*` variables; production
    /// streams live on disk.
    pub fn from_env() -> Result<Self, ConfigError> {
        Ok(Self {
            nats_url: env::secret("NATS_URL", "a NATS URL such as nats://host:4222")?,
            namespace: env::string_or("JOBS_NAMESPACE", "app"),
            max_retries: env::parse_or("JOB_MAX_RETRIES", "a non-negative integer", 5)?,
            retry_backoff: Duration::from_millis(env::parse_or(
                "JOB_RETRY_BACKOFF_MS",
                "a whole number of milliseconds",
                1000,
            )?),
            concurrency: env::parse_or("JOB_CONCURRENCY", "a positive integer", 4)?,
            ack_wait: Duration::from_millis(env::parse_or(
                "JOB_ACK_WAIT_MS",
                "a whole number of milliseconds",
                30_000,
            )?),
            storage: StorageType::File,
            dead_letter_max_age: Duration::from_secs(30 * 24 * 60 * 60),
        })
    }

    /// `NATS_URL` (or the local default) with a unique namespace, so each test
    /// has its own streams (in memory, their dead letters kept for an hour).
    pub fn for_tests() -> anyhow::Result<Self> {
        Ok(Self {
            nats_url: env::optional("NATS_URL")
                .unwrap_or_else(|| TEST_DEFAULT_URL.to_owned())
                .into(),
            namespace: format!("test-{}", uuid::Uuid::new_v4().simple()),
            max_retries: 2,
            retry_backoff: Duration::from_millis(20),
            concurrency: 4,
            ack_wait: Duration::from_secs(2),
            storage: StorageType::Memory,
            dead_letter_max_age: Duration::from_secs(60 * 60),
        })
    }

    /// The namespace as a stream name and subject token allow it.
    fn prefix(&self) -> String {
        self.namespace
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                    c
                } else {
                    '_'
                }
            })
            .collect()
    }

    fn stream_name(&self) -> String {
        format!("{}-jobs", self.prefix())
    }

    fn subject(&self) -> String {
        format!("{}.jobs", self.prefix())
    }

    fn consumer_name(&self) -> String {
        format!("{}-workers", self.prefix())
    }

    fn dead_letter_stream_name(&self) -> String {
        format!("{}-jobs-dead", self.prefix())
    }

    fn dead_letter_subject(&self) -> String {
        format!("{}.jobs.dead", self.prefix())
    }

    /// Attempts a job gets: the first and `max_retries` more.
    fn max_attempts(&self) -> usize {
        self.max_retries.saturating_add(1)
    }

    /// Delay before attempt `attempt + 1`: `retry_backoff`, doubled per attempt.
    fn backoff(&self, attempt: usize) -> Duration {
        let doublings = u32::try_from(attempt.saturating_sub(1))
            .unwrap_or(u32::MAX)
            .min(20);
        self.retry_backoff
            .saturating_mul(1 << doublings)
            .min(MAX_BACKOFF)
    }

    /// How often a running job tells JetStream it is still being worked on.
    fn progress_interval(&self) -> Duration {
        (self.ack_wait / 3).max(Duration::from_millis(100))
    }
}

/// Handle for enqueueing jobs (cheap to clone).
#[derive(Clone)]
pub struct Jobs {
    client: Client,
    jetstream: jetstream::Context,
    db: Db,
    settings: Arc<Settings>,
}

impl std::fmt::Debug for Jobs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Jobs")
            .field("stream", &self.settings.stream_name())
            .finish()
    }
}

impl Jobs {
    /// Connects to NATS and creates (or updates) the job and dead-letter
    /// streams, so jobs can be enqueued before any worker runs.
    pub async fn connect(settings: &Settings, db: Db) -> anyhow::Result<Self> {
        let client = async_nats::ConnectOptions::new()
            .name(format!("{}-jobs", settings.prefix()))
            .connect(settings.nats_url.expose_secret())
            .await
            .context("connecting to NATS (NATS_URL)")?;
        let jetstream = jetstream::new(client.clone());
        let jobs = Self {
            client,
            jetstream,
            db,
            settings: Arc::new(settings.clone()),
        };
        jobs.create_streams().await?;
        Ok(jobs)
    }

    async fn create_streams(&self) -> anyhow::Result<()> {
        let settings = &self.settings;
        let queue = stream::Config {
            name: settings.stream_name(),
            description: Some(format!("Jobs of {}", settings.namespace)),
            subjects: vec![settings.subject()],
            // A job leaves the stream once a worker acknowledges it.
            retention: RetentionPolicy::WorkQueue,
            storage: settings.storage,
            ..Default::default()
        };
        let dead_letters = stream::Config {
            name: settings.dead_letter_stream_name(),
            description: Some(format!(
                "Jobs of {} that ran out of retries",
                settings.namespace
            )),
            subjects: vec![settings.dead_letter_subject()],
            retention: RetentionPolicy::Limits,
            max_age: settings.dead_letter_max_age,
            storage: settings.storage,
            ..Default::default()
        };
        for config in [queue, dead_letters] {
            let name = config.name.clone();
            self.jetstream
                .create_or_update_stream(config)
                .await
                .with_context(|| format!("creating the stream {name} (is JetStream enabled?)"))?;
        }
        Ok(())
    }

    /// Stores the job in the queue's stream; returns once JetStream has
    /// acknowledged it (the job is durable).
    #[tracing::instrument(name = "jobs.enqueue", skip(self), fields(job = job.name()))]
    pub async fn enqueue(&self, job: Job) -> anyhow::Result<()> {
        let payload = serde_json::to_vec(&Envelope::new(job)).context("serialising the job")?;
        self.jetstream
            .publish(self.settings.subject(), payload.into())
            .await
            .context("publishing the job to NATS")?
            .await
            .context("waiting for JetStream to store the job")?;
        Ok(())
    }

    /// Checks that the client is connected and JetStream answers for the
    /// queue's stream.
    pub async fn ping(&self) -> anyhow::Result<()> {
        let state = self.client.connection_state();
        anyhow::ensure!(state == State::Connected, "NATS connection is {state}");
        self.jetstream
            .get_stream(self.settings.stream_name())
            .await
            .context("JetStream stream info")?;
        Ok(())
    }

    /// Name of the stream holding the queued jobs.
    pub fn stream(&self) -> String {
        self.settings.stream_name()
    }

    /// Name of the durable consumer the workers share.
    pub fn consumer(&self) -> String {
        self.settings.consumer_name()
    }

    /// Name of the stream holding jobs that failed permanently.
    pub fn dead_letter_stream(&self) -> String {
        self.settings.dead_letter_stream_name()
    }

    /// Subject dead letters are published on: the job's JSON, with the
    /// `Job-Attempts` and `Job-Error` headers.
    pub fn dead_letter_subject(&self) -> String {
        self.settings.dead_letter_subject()
    }

    /// The JetStream context of the queue's connection, for operators and tests.
    pub fn jetstream(&self) -> jetstream::Context {
        self.jetstream.clone()
    }

    /// Creates the workers' durable consumer, or updates it to these settings.
    async fn create_consumer(&self) -> anyhow::Result<PullConsumer> {
        let settings = &self.settings;
        let config = pull::Config {
            durable_name: Some(settings.consumer_name()),
            description: Some(format!("Workers of {}", settings.namespace)),
            ack_policy: AckPolicy::Explicit,
            ack_wait: settings.ack_wait,
            // One delivery beyond the attempts: it comes only when the last
            // attempt never reported back, and sends the job to the dead letters.
            max_deliver: i64::try_from(settings.max_attempts().saturating_add(1))
                .unwrap_or(i64::MAX),
            ..Default::default()
        };
        self.jetstream
            .create_consumer_on_stream(config, settings.stream_name())
            .await
            .with_context(|| {
                format!(
                    "creating the JetStream consumer {} on {}",
                    settings.consumer_name(),
                    settings.stream_name()
                )
            })
    }

    /// Publishes a job that failed permanently to the dead-letter stream.
    async fn dead_letter(
        &self,
        message: &Message,
        error: &str,
        attempts: usize,
    ) -> anyhow::Result<()> {
        let mut headers = HeaderMap::new();
        headers.insert("Job-Attempts", attempts.to_string());
        // Header values are single lines.
        headers.insert("Job-Error", error.replace(['\r', '\n'], " "));
        self.jetstream
            .publish_with_headers(
                self.settings.dead_letter_subject(),
                headers,
                message.payload.clone(),
            )
            .await
            .context("publishing the dead letter")?
            .await
            .context("waiting for JetStream to store the dead letter")?;
        Ok(())
    }
}

/// Deletes the streams of a queue made by [`Settings::for_tests`], so test runs do
/// not pile them up on the server. Refuses any namespace that does not start with
/// `test-`.
pub async fn drop_test_queue(settings: &Settings) -> anyhow::Result<()> {
    anyhow::ensure!(
        settings.namespace.starts_with("test-"),
        "refusing to delete the streams of `{}`: not a test queue",
        settings.namespace
    );
    let client = async_nats::connect(settings.nats_url.expose_secret())
        .await
        .context("connecting to NATS (NATS_URL)")?;
    let jetstream = jetstream::new(client);
    for stream in [settings.stream_name(), settings.dead_letter_stream_name()] {
        if jetstream.get_stream(&stream).await.is_ok() {
            jetstream
                .delete_stream(&stream)
                .await
                .with_context(|| format!("deleting the test stream {stream}"))?;
        }
    }
    Ok(())
}

/// Runs the worker until `shutdown` completes, then lets in-flight jobs finish.
///
/// The worker asks JetStream for as many jobs as it has free slots
/// (`JOB_CONCURRENCY`), so no job waits in a worker's buffer while its ack
/// wait runs out.
pub async fn run_worker(
    jobs: Jobs,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let settings = jobs.settings.clone();
    let mut consumer = jobs.create_consumer().await?;
    let slots = Arc::new(Semaphore::new(settings.concurrency.max(1)));
    let mut running = JoinSet::new();
    let mut shutdown = pin!(shutdown);
    tracing::info!(
        stream = %settings.stream_name(),
        consumer = %settings.consumer_name(),
        "worker started"
    );
    'fetching: loop {
        let first = tokio::select! {
            biased;
            () = &mut shutdown => break 'fetching,
            permit = slots.clone().acquire_owned() => permit.context("worker slots closed")?,
        };
        let mut permits = vec![first];
        while let Ok(permit) = slots.clone().try_acquire_owned() {
            permits.push(permit);
        }
        let pulled = consumer
            .batch()
            .max_messages(permits.len())
            .expires(FETCH_WAIT)
            .messages()
            .await;
        let failure = match pulled {
            Ok(mut batch) => loop {
                let next = tokio::select! {
                    biased;
                    // Jobs not received yet stay with JetStream for other workers.
                    () = &mut shutdown => break 'fetching,
                    next = batch.next() => next,
                };
                match next {
                    Some(Ok(message)) => {
                        let permit = permits.pop().expect("a batch never exceeds its free slots");
                        running.spawn(process(jobs.clone(), message, permit));
                    }
                    Some(Err(e)) => break Some(e.to_string()),
                    None => break None,
                }
            },
            Err(e) => Some(e.to_string()),
        };
        drop(permits);
        while let Some(done) = running.try_join_next() {
            log_panic(done);
        }
        if let Some(error) = failure {
            tracing::warn!(%error, "could not pull jobs; retrying");
            tokio::select! {
                biased;
                () = &mut shutdown => break 'fetching,
                () = tokio::time::sleep(FETCH_ERROR_PAUSE) => {}
            }
            // The consumer may have been deleted: create it again.
            match jobs.create_consumer().await {
                Ok(fresh) => consumer = fresh,
                Err(e) => tracing::warn!(error = format!("{e:#}"), "consumer unavailable"),
            }
        }
    }
    tracing::info!(jobs = running.len(), "worker shutting down");
    while let Some(done) = running.join_next().await {
        log_panic(done);
    }
    tracing::info!("worker stopped");
    Ok(())
}

fn log_panic(done: Result<(), tokio::task::JoinError>) {
    if let Err(e) = done {
        tracing::error!(error = %e, "job task panicked; JetStream will redeliver the job");
    }
}

/// Runs one delivery of a job and settles it with JetStream.
async fn process(jobs: Jobs, message: Message, _slot: OwnedSemaphorePermit) {
    let settings = &jobs.settings;
    let attempt = message
        .info()
        .ok()
        .and_then(|info| usize::try_from(info.delivered).ok())
        .unwrap_or(1);
    let envelope: Envelope = match serde_json::from_slice(&message.payload) {
        Ok(envelope) => envelope,
        Err(e) => {
            tracing::error!(error = %e, "unreadable job; moving it to the dead letters");
            let error = format!("unreadable job: {e}");
            if let Err(e) = jobs.dead_letter(&message, &error, attempt).await {
                tracing::error!(error = format!("{e:#}"), "could not store the dead letter");
            }
            settle(&message, AckKind::Term).await;
            return;
        }
    };
    let max_attempts = settings.max_attempts();
    if attempt > max_attempts {
        // The reserved extra delivery: the last attempt's worker died, or the job
        // ran past the ack wait without reporting progress. Do not run it again.
        let error = anyhow::anyhow!(
            "attempt {max_attempts} never finished (its worker stopped or stalled)"
        );
        give_up(&jobs, &message, &envelope, &error, max_attempts).await;
        return;
    }
    match run_reporting_progress(&jobs, &message, &envelope, attempt).await {
        Ok(()) => settle(&message, AckKind::Ack).await,
        Err(e) if attempt >= max_attempts => {
            give_up(&jobs, &message, &envelope, &e, attempt).await;
        }
        Err(_) => settle(&message, AckKind::Nak(Some(settings.backoff(attempt)))).await,
    }
}

/// Runs the job, telling JetStream every third of the ack wait that it is
/// still in progress, so a slow job is not delivered to a second worker.
async fn run_reporting_progress(
    jobs: &Jobs,
    message: &Message,
    envelope: &Envelope,
    attempt: usize,
) -> anyhow::Result<()> {
    let every = jobs.settings.progress_interval();
    let mut progress = tokio::time::interval_at(Instant::now() + every, every);
    progress.set_missed_tick_behavior(MissedTickBehavior::Delay);
    let mut job = pin!(execution::execute(&jobs.db, envelope, attempt));
    loop {
        tokio::select! {
            result = &mut job => return result,
            _ = progress.tick() => {
                if let Err(e) = message.ack_with(AckKind::Progress).await {
                    tracing::warn!(error = %e, "could not report job progress");
                }
            }
        }
    }
}

/// Records a job that failed permanently, dead-letters it and stops its redelivery.
async fn give_up(
    jobs: &Jobs,
    message: &Message,
    envelope: &Envelope,
    error: &anyhow::Error,
    attempts: usize,
) {
    execution::record_failure(&jobs.db, &envelope.job, error, attempts).await;
    if let Err(e) = jobs
        .dead_letter(message, &format!("{error:#}"), attempts)
        .await
    {
        tracing::error!(error = format!("{e:#}"), "could not store the dead letter");
    }
    settle(message, AckKind::Term).await;
}

/// Acknowledges (or naks, or terminates) a delivery. Acks and terminations
/// wait for JetStream's confirmation; a lost one means a redelivery.
async fn settle(message: &Message, kind: AckKind) {
    let confirmed = matches!(kind, AckKind::Ack | AckKind::Term);
    let result = if confirmed {
        message.double_ack_with(kind).await
    } else {
        message.ack_with(kind).await
    };
    if let Err(e) = result {
        tracing::warn!(error = %e, "could not settle the job; JetStream will redeliver it");
    }
}
