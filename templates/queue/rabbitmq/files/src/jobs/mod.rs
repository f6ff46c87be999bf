//! Background jobs on RabbitMQ, with lapin.
//!
//! Every queue is named after `JOBS_NAMESPACE` (`<ns>` below), durable, and
//! reached through the default exchange:
//!
//! * `<ns>.jobs`: the work queue. A job is published as a persistent JSON
//!   [`Envelope`], and `enqueue` returns once the broker has confirmed it.
//!   A message rejected from it is dead-lettered to `<ns>.jobs.dead`.
//! * `<ns>.jobs.retry.<delay>ms`: one delay queue per backoff step, whose
//!   messages expire after that delay and are dead-lettered back to
//!   `<ns>.jobs`. One queue per delay (rather than one queue and a TTL per
//!   message) because RabbitMQ only expires the message at the head of a
//!   queue: a long delay would hold up the short ones queued behind it.
//! * `<ns>.jobs.dead`: the dead-letter queue, jobs that ran out of retries.
//!
//! A worker takes up to `JOB_CONCURRENCY` jobs at once (its channel's
//! prefetch) and acknowledges a job only once it is settled, so the jobs of a
//! worker that dies go back to the queue when its connection closes. The
//! attempt travels in the `x-attempt` header (1 for the first). A failed
//! attempt is published to the retry queue of its delay (`JOB_RETRY_BACKOFF_MS`,
//! doubling, at most 5 minutes), then acknowledged. After `JOB_MAX_RETRIES`
//! retries the job is recorded in the Postgres `failed_jobs` table (via
//! `execution::record_failure`) and rejected into `<ns>.jobs.dead`.
//!
//! One connection serves a process: a confirm-mode channel for publishing,
//! and one channel per worker for consuming. If the connection drops,
//! `enqueue` and `ping` reconnect (and fail with a clear error while the broker
//! is unreachable), and the worker reconnects with a growing pause. Delivery
//! is at least once: a job whose acknowledgement was lost runs again.

use std::collections::BTreeSet;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use futures::StreamExt;
use lapin::message::Delivery;
use lapin::options::{
    BasicAckOptions, BasicCancelOptions, BasicConsumeOptions, BasicPublishOptions, BasicQosOptions,
    BasicRejectOptions, ConfirmSelectOptions, QueueDeclareOptions,
};
use lapin::types::{AMQPValue, FieldTable, ShortString};
use lapin::{BasicProperties, Channel, Confirmation, Connection, ConnectionProperties};
use secrecy::{ExposeSecret, SecretString};
use tokio::sync::RwLock;
use tokio::task::JoinSet;

use crate::config::env::{self, ConfigError};
use crate::db::Db;
use crate::domain::jobs::Job;
use execution::Envelope;

pub mod execution;

/// Header carrying the attempt a delivery is (1 for the first).
pub const ATTEMPT_HEADER: &str = "x-attempt";

/// AMQP `delivery_mode` of a message the broker writes to disk.
const PERSISTENT: u8 = 2;
/// Longest retry delay, unless `JOB_RETRY_BACKOFF_MS` itself is longer.
const MAX_RETRY_DELAY: Duration = Duration::from_secs(300);
/// How long connecting (or reconnecting) to the broker may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// The worker's first and longest pause before it reconnects.
const RECONNECT_PAUSE: (Duration, Duration) = (Duration::from_secs(1), Duration::from_secs(30));

/// Queue settings.
#[derive(Debug, Clone)]
pub struct Settings {
    /// `amqp://user:password@host:5672/vhost` (`%2f` is the default vhost `/`).
    pub amqp_url: SecretString,
    /// Prefix of every queue name (lets tests and environments share one broker).
    pub namespace: String,
    /// Retries after the first attempt before a job is declared failed.
    pub max_retries: usize,
    /// Initial retry delay; doubles on each retry, capped at 5 minutes.
    pub retry_backoff: Duration,
    /// Jobs processed concurrently by one worker (its channel's prefetch count).
    pub concurrency: usize,
    /// Tests only: the queues delete themselves once unused for this long
    /// (`x-expires`). `None` in production: the queues stay until deleted.
    pub queue_expiry: Option<Duration>,
}

const TEST_DEFAULT_URL: &str = "amqp://guest:guest@127.0.0.1:5672/%2f";

impl Settings {
    /// Reads `AMQP_URL` (required), `JOBS_NAMESPACE` and the `JOB_*` tuning variables.
    pub fn from_env() -> Result<Self, ConfigError> {
        Ok(Self {
            amqp_url: env::secret(
                "AMQP_URL",
                "an AMQP URL such as amqp://user:password@host:5672/%2f",
            )?,
            namespace: env::string_or("JOBS_NAMESPACE", "app"),
            max_retries: env::parse_or("JOB_MAX_RETRIES", "a non-negative integer", 5)?,
            retry_backoff: Duration::from_millis(env::parse_or(
                "JOB_RETRY_BACKOFF_MS",
                "a whole number of milliseconds",
                1000,
            )?),
            concurrency: env::parse_or("JOB_CONCURRENCY", "a positive integer", 4)?,
            queue_expiry: None,
        })
    }

    /// `AMQP_URL` (or the local default) with a unique namespace, whose queues
    /// delete themselves a few minutes after the test.
    pub fn for_tests() -> anyhow::Result<Self> {
        Ok(Self {
            amqp_url: env::optional("AMQP_URL")
                .unwrap_or_else(|| TEST_DEFAULT_URL.to_owned())
                .into(),
            namespace: format!("test-{}", uuid::Uuid::new_v4().simple()),
            max_retries: 2,
            retry_backoff: Duration::from_millis(20),
            concurrency: 4,
            queue_expiry: Some(Duration::from_secs(300)),
        })
    }

    fn queue_name(&self) -> String {
        format!("{}.jobs", self.namespace)
    }

    fn dead_letter_queue(&self) -> String {
        format!("{}.jobs.dead", self.namespace)
    }

    fn retry_queue(&self, delay: Duration) -> String {
        format!("{}.jobs.retry.{}ms", self.namespace, delay.as_millis())
    }

    /// How long a job waits after its failed `attempt` (1 for the first).
    fn retry_delay(&self, attempt: usize) -> Duration {
        let doublings = u32::try_from(attempt.saturating_sub(1)).unwrap_or(u32::MAX);
        self.retry_backoff
            .saturating_mul(2u32.saturating_pow(doublings))
            .min(MAX_RETRY_DELAY.max(self.retry_backoff))
    }

    /// The delay of every retry a job may get, each once.
    fn retry_delays(&self) -> BTreeSet<Duration> {
        (1..=self.max_retries)
            .map(|attempt| self.retry_delay(attempt))
            .collect()
    }

    /// `x-expires`, when the settings ask for self-deleting queues.
    fn queue_arguments(&self) -> FieldTable {
        let mut arguments = FieldTable::default();
        if let Some(expiry) = self.queue_expiry {
            arguments.insert("x-expires".into(), millis(expiry));
        }
        arguments
    }
}

/// A duration as the integer milliseconds RabbitMQ's queue arguments take.
pub(crate) fn millis(duration: Duration) -> AMQPValue {
    AMQPValue::LongLongInt(i64::try_from(duration.as_millis()).unwrap_or(i64::MAX))
}

/// Declares the queues (idempotent): the work queue, the dead-letter queue and
/// one retry queue per backoff step.
async fn declare_queues(channel: &Channel, settings: &Settings) -> anyhow::Result<()> {
    let queue = settings.queue_name();
    let dead = settings.dead_letter_queue();
    let dead_letter_to = |target: &str| {
        let mut arguments = settings.queue_arguments();
        arguments.insert(
            "x-dead-letter-exchange".into(),
            AMQPValue::LongString("".into()),
        );
        arguments.insert(
            "x-dead-letter-routing-key".into(),
            AMQPValue::LongString(target.into()),
        );
        arguments
    };
    declare_queue(channel, &dead, settings.queue_arguments()).await?;
    declare_queue(channel, &queue, dead_letter_to(&dead)).await?;
    for delay in settings.retry_delays() {
        let mut arguments = dead_letter_to(&queue);
        arguments.insert("x-message-ttl".into(), millis(delay));
        declare_queue(channel, &settings.retry_queue(delay), arguments).await?;
    }
    Ok(())
}

async fn declare_queue(channel: &Channel, name: &str, arguments: FieldTable) -> anyhow::Result<()> {
    channel
        .queue_declare(name.into(), QueueDeclareOptions::durable(), arguments)
        .await
        .with_context(|| {
            format!(
                "declaring the RabbitMQ queue {name} (if it exists with other arguments, \
                 delete it or change JOBS_NAMESPACE)"
            )
        })?;
    Ok(())
}

/// The properties of a job message: persistent JSON, with its attempt.
fn job_properties(job: &str, message_id: ShortString, attempt: usize) -> BasicProperties {
    let mut headers = FieldTable::default();
    headers.insert(
        ATTEMPT_HEADER.into(),
        AMQPValue::LongLongInt(i64::try_from(attempt).unwrap_or(i64::MAX)),
    );
    BasicProperties::default()
        .with_content_type("application/json".into())
        .with_delivery_mode(PERSISTENT)
        .with_type(job.into())
        .with_message_id(message_id)
        .with_headers(headers)
}

/// The attempt a delivery is, from its `x-attempt` header (1 when missing).
fn attempt_of(properties: &BasicProperties) -> usize {
    count_header(properties, ATTEMPT_HEADER)
}

/// A count carried in the header `name`, whatever integer type the sender
/// used; 1 when it is missing or not a positive integer.
pub(crate) fn count_header(properties: &BasicProperties, name: &str) -> usize {
    properties
        .headers()
        .as_ref()
        .and_then(|headers| headers.inner().get(name))
        .and_then(|value| match *value {
            AMQPValue::ShortShortUInt(n) => Some(i64::from(n)),
            AMQPValue::ShortUInt(n) => Some(i64::from(n)),
            AMQPValue::LongUInt(n) => Some(i64::from(n)),
            AMQPValue::ShortShortInt(n) => Some(i64::from(n)),
            AMQPValue::ShortInt(n) => Some(i64::from(n)),
            AMQPValue::LongInt(n) => Some(i64::from(n)),
            AMQPValue::LongLongInt(n) => Some(n),
            _ => None,
        })
        .and_then(|n| usize::try_from(n).ok())
        .unwrap_or(1)
        .max(1)
}

/// Publishes to `queue` through the default exchange and waits for the
/// broker's confirm: a nack, or a message no queue took, is an error.
async fn publish(
    channel: &Channel,
    queue: &str,
    payload: &[u8],
    properties: BasicProperties,
) -> anyhow::Result<()> {
    let options = BasicPublishOptions {
        mandatory: true,
        ..BasicPublishOptions::default()
    };
    let confirmation = channel
        .basic_publish("".into(), queue.into(), options, payload, properties)
        .await
        .with_context(|| format!("publishing to the RabbitMQ queue {queue}"))?
        .await
        .with_context(|| format!("waiting for RabbitMQ to confirm a message to {queue}"))?;
    match confirmation {
        Confirmation::Ack(None) => Ok(()),
        Confirmation::Ack(Some(returned)) => anyhow::bail!(
            "RabbitMQ could not route the message to the queue {queue} ({}): was it deleted?",
            returned.reply_text
        ),
        Confirmation::Nack(_) => anyhow::bail!("RabbitMQ refused the message to {queue} (nack)"),
        Confirmation::NotRequested => {
            anyhow::bail!("the channel publishing to {queue} is not in confirm mode")
        }
    }
}

/// An open connection with its publishing channel (in confirm mode).
struct Link {
    connection: Connection,
    publisher: Channel,
}

impl Link {
    /// Connects, declares the queues and turns on publisher confirms.
    async fn open(settings: &Settings) -> anyhow::Result<Self> {
        let properties = ConnectionProperties::default().with_connection_name(
            format!("{} ({})", env!("CARGO_PKG_NAME"), settings.namespace).into(),
        );
        let open = async {
            let connection = Connection::connect(settings.amqp_url.expose_secret(), properties)
                .await
                .context("connecting to RabbitMQ (AMQP_URL)")?;
            let publisher = connection
                .create_channel()
                .await
                .context("opening a RabbitMQ channel")?;
            declare_queues(&publisher, settings).await?;
            publisher
                .confirm_select(ConfirmSelectOptions::default())
                .await
                .context("turning on publisher confirms")?;
            Ok::<_, anyhow::Error>(Self {
                connection,
                publisher,
            })
        };
        tokio::time::timeout(CONNECT_TIMEOUT, open)
            .await
            .unwrap_or_else(|_| {
                anyhow::bail!("connecting to RabbitMQ (AMQP_URL) took over {CONNECT_TIMEOUT:?}")
            })
    }

    fn is_connected(&self) -> bool {
        self.connection.status().connected() && self.publisher.status().connected()
    }
}

/// Handle for enqueueing jobs (cheap to clone; clones share one connection).
#[derive(Clone)]
pub struct Jobs {
    link: Arc<RwLock<Arc<Link>>>,
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
    /// Connects to the broker and declares the queues if they are missing.
    pub async fn connect(settings: &Settings, db: Db) -> anyhow::Result<Self> {
        let link = Link::open(settings).await?;
        Ok(Self {
            link: Arc::new(RwLock::new(Arc::new(link))),
            db,
            settings: Arc::new(settings.clone()),
        })
    }

    /// The open link, reconnecting first if the connection was lost.
    async fn link(&self) -> anyhow::Result<Arc<Link>> {
        let current = self.link.read().await.clone();
        if current.is_connected() {
            return Ok(current);
        }
        let mut link = self.link.write().await;
        if !link.is_connected() {
            tracing::warn!("the RabbitMQ connection is closed; reconnecting");
            *link = Arc::new(
                Link::open(&self.settings)
                    .await
                    .context("the RabbitMQ connection is closed and reconnecting failed")?,
            );
            tracing::info!("reconnected to RabbitMQ");
        }
        Ok(link.clone())
    }

    /// Publishes the job to the work queue; returns once the broker confirmed it.
    #[tracing::instrument(name = "jobs.enqueue", skip(self), fields(job = job.name()))]
    pub async fn enqueue(&self, job: Job) -> anyhow::Result<()> {
        let name = job.name();
        let payload = serde_json::to_vec(&Envelope::new(job)).context("serialising the job")?;
        let properties = job_properties(name, uuid::Uuid::new_v4().to_string().into(), 1);
        let queue = self.settings.queue_name();
        let link = self.link().await?;
        match publish(&link.publisher, &queue, &payload, properties.clone()).await {
            // The connection dropped under the publish: once more on a new one.
            Err(e) if !link.is_connected() => {
                tracing::warn!(
                    error = format!("{e:#}"),
                    "publishing again after reconnecting"
                );
                publish(&self.link().await?.publisher, &queue, &payload, properties).await
            }
            published => published,
        }
        .context("enqueueing job")
    }

    /// The connection and its publishing channel are open, reconnecting first
    /// if needed (`/ready` calls it).
    pub async fn ping(&self) -> anyhow::Result<()> {
        self.link().await.map(drop)
    }

    /// Name of the work queue (`<JOBS_NAMESPACE>.jobs`).
    pub fn queue_name(&self) -> String {
        self.settings.queue_name()
    }

    /// Name of the dead-letter queue holding jobs that failed permanently.
    pub fn dead_letter_queue(&self) -> String {
        self.settings.dead_letter_queue()
    }

    /// How many jobs wait in the dead-letter queue, for operators and tests.
    pub async fn dead_letter_count(&self) -> anyhow::Result<u32> {
        let name = self.settings.dead_letter_queue();
        // A passive declare of a missing queue closes its channel: use a channel of its own.
        let channel = self
            .link()
            .await?
            .connection
            .create_channel()
            .await
            .context("opening a RabbitMQ channel")?;
        let queue = channel
            .queue_declare(
                name.as_str().into(),
                QueueDeclareOptions::default().passive(),
                FieldTable::default(),
            )
            .await
            .with_context(|| format!("looking up the RabbitMQ queue {name}"))?;
        let _ = channel.close(200, "OK".into()).await;
        Ok(queue.message_count())
    }

    /// Publishes a failed job to the retry queue of `delay`, as `next_attempt`.
    async fn schedule_retry(
        &self,
        delivery: &Delivery,
        job: &str,
        next_attempt: usize,
        delay: Duration,
    ) -> anyhow::Result<()> {
        let message_id = delivery
            .properties
            .message_id()
            .clone()
            .unwrap_or_else(|| uuid::Uuid::new_v4().to_string().into());
        let properties = job_properties(job, message_id, next_attempt);
        let link = self.link().await?;
        let queue = self.settings.retry_queue(delay);
        publish(&link.publisher, &queue, &delivery.data, properties).await
    }
}

/// What becomes of a delivery once its attempt is over.
enum Settle {
    /// Done (succeeded, or its retry is scheduled): remove it.
    Ack,
    /// Out of retries or unreadable: the broker moves it to the dead-letter queue.
    DeadLetter,
    /// Back to the work queue as it is, to run again.
    Requeue,
}

/// Runs one attempt of a delivered job and settles the delivery.
async fn handle(jobs: Jobs, delivery: Delivery) {
    let attempt = attempt_of(&delivery.properties);
    let envelope: Envelope = match serde_json::from_slice(&delivery.data) {
        Ok(envelope) => envelope,
        Err(e) => {
            tracing::error!(error = %e, "a message on the job queue is not a job; dead-lettering it");
            settle(&delivery, Settle::DeadLetter).await;
            return;
        }
    };
    let outcome = match execution::execute(&jobs.db, &envelope, attempt).await {
        Ok(()) => Settle::Ack,
        Err(e) if attempt > jobs.settings.max_retries => {
            execution::record_failure(&jobs.db, &envelope.job, &e, attempt).await;
            Settle::DeadLetter
        }
        Err(_) => {
            let delay = jobs.settings.retry_delay(attempt);
            match jobs
                .schedule_retry(&delivery, envelope.job.name(), attempt + 1, delay)
                .await
            {
                Ok(()) => Settle::Ack,
                Err(e) => {
                    // Not counted as an attempt: the job runs again as it is.
                    tracing::error!(
                        error = format!("{e:#}"),
                        "could not schedule the retry; requeueing the job after its delay"
                    );
                    // Pause first, so that a broker refusing messages is not a busy
                    // loop; on a closed channel the broker has requeued the job already.
                    if delivery.acker.usable() {
                        tokio::time::sleep(delay).await;
                    }
                    Settle::Requeue
                }
            }
        }
    };
    settle(&delivery, outcome).await;
}

async fn settle(delivery: &Delivery, outcome: Settle) {
    let settled = match outcome {
        Settle::Ack => delivery.acker.ack(BasicAckOptions::default()).await,
        Settle::DeadLetter => {
            let options = BasicRejectOptions { requeue: false };
            delivery.acker.reject(options).await
        }
        Settle::Requeue => {
            let options = BasicRejectOptions { requeue: true };
            delivery.acker.reject(options).await
        }
    };
    match settled {
        Ok(true) => {}
        Ok(false) => tracing::warn!("the job's channel is closed; RabbitMQ will deliver it again"),
        Err(e) => {
            tracing::warn!(error = %e, "could not settle the job; RabbitMQ will deliver it again");
        }
    }
}

/// Consumes until `shutdown` completes (`Ok`) or the consumer fails (`Err`).
/// On shutdown it stops the deliveries and waits for the jobs in flight, whose
/// acknowledgements need this channel open.
async fn consume<S: Future<Output = ()>>(
    jobs: &Jobs,
    mut shutdown: Pin<&mut S>,
    running: &mut JoinSet<()>,
    pause: &mut Duration,
) -> anyhow::Result<()> {
    let settings = &jobs.settings;
    let queue = settings.queue_name();
    let channel = jobs
        .link()
        .await?
        .connection
        .create_channel()
        .await
        .context("opening a RabbitMQ channel")?;
    declare_queues(&channel, settings).await?;
    let prefetch = u16::try_from(settings.concurrency.max(1)).unwrap_or(u16::MAX);
    channel
        .basic_qos(prefetch, BasicQosOptions::default())
        .await
        .context("setting the worker's prefetch")?;
    let tag = format!(
        "{}-worker-{}",
        settings.namespace,
        uuid::Uuid::new_v4().simple()
    );
    let mut consumer = channel
        .basic_consume(
            queue.as_str().into(),
            tag.as_str().into(),
            BasicConsumeOptions::default(),
            FieldTable::default(),
        )
        .await
        .with_context(|| format!("consuming from the RabbitMQ queue {queue}"))?;
    *pause = RECONNECT_PAUSE.0;
    tracing::info!(%queue, "consuming jobs");
    loop {
        tokio::select! {
            () = shutdown.as_mut() => break,
            Some(joined) = running.join_next() => {
                if let Err(e) = joined {
                    tracing::error!(error = %e, "job task failed");
                }
            }
            delivery = consumer.next() => match delivery {
                Some(Ok(delivery)) => {
                    running.spawn(handle(jobs.clone(), delivery));
                }
                Some(Err(e)) => return Err(e).context("consuming jobs"),
                None => anyhow::bail!("RabbitMQ cancelled the consumer of {queue}"),
            },
        }
    }
    tracing::info!("worker shutting down");
    if let Err(e) = channel
        .basic_cancel(tag.as_str().into(), BasicCancelOptions::default())
        .await
    {
        tracing::warn!(error = %e, "could not cancel the consumer");
    }
    drain(running).await;
    let _ = channel.close(200, "worker stopped".into()).await;
    Ok(())
}

async fn drain(running: &mut JoinSet<()>) {
    while let Some(joined) = running.join_next().await {
        if let Err(e) = joined {
            tracing::error!(error = %e, "job task failed");
        }
    }
}

/// Nothing to drop: [`Settings::for_tests`] queues delete themselves once unused
/// (`x-expires`).
pub async fn drop_test_queue(_settings: &Settings) -> anyhow::Result<()> {
    Ok(())
}

/// Runs the worker until `shutdown` completes, then lets in-flight jobs finish.
/// A lost connection is re-established, after a pause that grows to 30 s.
pub async fn run_worker(
    jobs: Jobs,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let mut shutdown = std::pin::pin!(shutdown);
    let mut running = JoinSet::new();
    let mut pause = RECONNECT_PAUSE.0;
    tracing::info!(queue = %jobs.settings.queue_name(), "worker started");
    loop {
        let Err(e) = consume(&jobs, shutdown.as_mut(), &mut running, &mut pause).await else {
            break;
        };
        tracing::error!(
            error = format!("{e:#}"),
            retry_in = ?pause,
            "the worker lost RabbitMQ; reconnecting"
        );
        tokio::select! {
            () = shutdown.as_mut() => {
                tracing::info!("worker shutting down");
                drain(&mut running).await;
                break;
            }
            () = tokio::time::sleep(pause) => pause = (pause * 2).min(RECONNECT_PAUSE.1),
        }
    }
    tracing::info!("worker stopped");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(max_retries: usize, backoff_ms: u64) -> Settings {
        Settings {
            max_retries,
            retry_backoff: Duration::from_millis(backoff_ms),
            ..Settings::for_tests().unwrap()
        }
    }

    #[test]
    fn retry_delays_double_up_to_five_minutes() {
        let s = settings(12, 1000);
        assert_eq!(s.retry_delay(1), Duration::from_secs(1));
        assert_eq!(s.retry_delay(2), Duration::from_secs(2));
        assert_eq!(s.retry_delay(3), Duration::from_secs(4));
        assert_eq!(s.retry_delay(12), MAX_RETRY_DELAY);
        assert_eq!(s.retry_delay(usize::MAX), MAX_RETRY_DELAY);
        // 1, 2, 4, ... 256 s, then the 300 s cap: one retry queue each.
        assert_eq!(s.retry_delays().len(), 10);
        assert!(
            s.retry_queue(s.retry_delay(2))
                .ends_with(".jobs.retry.2000ms")
        );
    }

    #[test]
    fn the_attempt_header_defaults_to_the_first_attempt() {
        let id: ShortString = "id".into();
        assert_eq!(attempt_of(&BasicProperties::default()), 1);
        assert_eq!(attempt_of(&job_properties("job", id.clone(), 3)), 3);
        let mut headers = FieldTable::default();
        headers.insert(ATTEMPT_HEADER.into(), AMQPValue::ShortShortUInt(2));
        assert_eq!(
            attempt_of(&BasicProperties::default().with_headers(headers)),
            2
        );
        assert_eq!(
            job_properties("job", id, 1).delivery_mode(),
            &Some(PERSISTENT)
        );
    }
}
