//! Events on RabbitMQ, with lapin.
//!
//! * One durable topic exchange, `{EVENTS_PREFIX}`; an event is published to it
//!   with its name (`Event::NAME`) as the routing key, persistent, and
//!   `publish_payload` returns once the broker has confirmed it.
//! * Each subscribing service reads an event type through its own durable queue,
//!   `{EVENTS_PREFIX}.{Event::NAME}.{service}`, bound to that routing key: every
//!   service sees every event, and the workers of one service share them. A
//!   queue holds the events its service has not handled yet, however many.
//! * An event no queue is bound to yet (no subscribing service has started) is
//!   refused by the broker: the outbox keeps it and the relay tries again, so
//!   the first subscriber still gets it. A service that subscribes later sees
//!   the events published from its first start on (Redis and NATS keep a
//!   history; a RabbitMQ queue does not).
//! * An event is acknowledged once its handler succeeds. One that fails goes to
//!   `{queue}.retry`, whose messages expire after `EVENTS_CLAIM_IDLE_MS` back
//!   into the queue; the delivery count travels in the `x-delivery` header.
//!   After `EVENTS_MAX_DELIVERIES` deliveries, or if it cannot be read, the event
//!   is dead-lettered to `{queue}.dead`. Events held by a worker that died go
//!   back to the queue when its connection closes; that delivery counts too,
//!   and the next one waits in `{queue}.retry`.
//! * The retry delay is fixed when the queues are first declared: to change
//!   `EVENTS_CLAIM_IDLE_MS`, delete the `.retry` queues (RabbitMQ refuses to
//!   redeclare a queue with other arguments, and says so in the log).

use std::collections::BTreeSet;
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::Context;
use contracts::Event;
use futures::{FutureExt, StreamExt};
use lapin::message::Delivery;
use lapin::options::{
    BasicAckOptions, BasicConsumeOptions, BasicPublishOptions, BasicQosOptions, BasicRejectOptions,
    ConfirmSelectOptions, ExchangeDeclareOptions, ExchangeDeleteOptions, QueueBindOptions,
    QueueDeclareOptions, QueueDeleteOptions,
};
use lapin::types::{AMQPValue, FieldTable};
use lapin::{
    BasicProperties, Channel, Confirmation, Connection, ConnectionProperties, ExchangeKind,
};
use secrecy::{ExposeSecret, SecretString};
use tokio::sync::RwLock;

use super::Tuning;
use crate::config::env::{self, ConfigError};
// The AMQP helpers the job queue has too.
use crate::jobs::{count_header, millis};

/// Header carrying the delivery an event is (1 for the first).
const DELIVERY_HEADER: &str = "x-delivery";
/// AMQP `delivery_mode` of a message the broker writes to disk.
const PERSISTENT: u8 = 2;
/// How long connecting (or reconnecting) to the broker may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Events one subscriber holds unacknowledged at a time.
const PREFETCH: u16 = 16;

/// Event transport settings.
#[derive(Debug, Clone)]
pub struct Settings {
    /// `amqp://user:password@host:5672/vhost` (`%2f` is the default vhost `/`).
    pub amqp_url: SecretString,
    /// `EVENTS_*`: names, limits and timings. The prefix names the exchange too; the
    /// poll interval is also how long a subscriber waits before it reconnects; a
    /// queue keeps what its service has not handled (`max_len` does not apply).
    pub tuning: Tuning,
    /// Tests only: the queues delete themselves once unused for this long
    /// (`x-expires`). `None` in production: the queues stay until deleted.
    pub queue_expiry: Option<Duration>,
}

impl Settings {
    pub fn from_env() -> Result<Self, ConfigError> {
        Ok(Self {
            amqp_url: env::secret(
                "AMQP_URL",
                "an AMQP URL such as amqp://user:password@host:5672/%2f",
            )?,
            tuning: Tuning::from_env()?,
            queue_expiry: None,
        })
    }

    /// `AMQP_URL` (or the local default) with an exchange and queues of its own.
    pub fn for_tests() -> Self {
        Self {
            amqp_url: env::optional("AMQP_URL")
                .unwrap_or_else(|| "amqp://guest:guest@127.0.0.1:5672/%2f".to_owned())
                .into(),
            tuning: Tuning::for_tests(),
            queue_expiry: Some(Duration::from_secs(300)),
        }
    }

    /// The queue the workers of `group` read the event named `event` from.
    fn queue(&self, event: &str, group: &str) -> String {
        format!("{}.{event}.{group}", self.tuning.prefix)
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

/// An open connection with its publishing channel (in confirm mode).
struct Link {
    connection: Connection,
    publisher: Channel,
}

impl Link {
    /// Connects, declares the exchange and turns on publisher confirms.
    async fn open(settings: &Settings) -> anyhow::Result<Self> {
        let properties = ConnectionProperties::default().with_connection_name(
            format!(
                "{} events ({})",
                env!("CARGO_PKG_NAME"),
                settings.tuning.prefix
            )
            .into(),
        );
        let open = async {
            let connection = Connection::connect(settings.amqp_url.expose_secret(), properties)
                .await
                .context("connecting to RabbitMQ (AMQP_URL)")?;
            let publisher = connection
                .create_channel()
                .await
                .context("opening a RabbitMQ channel")?;
            publisher
                .exchange_declare(
                    settings.tuning.prefix.as_str().into(),
                    ExchangeKind::Topic,
                    ExchangeDeclareOptions {
                        durable: true,
                        ..ExchangeDeclareOptions::default()
                    },
                    FieldTable::default(),
                )
                .await
                .with_context(|| {
                    format!("declaring the RabbitMQ exchange {}", settings.tuning.prefix)
                })?;
            publisher
                .confirm_select(ConfirmSelectOptions::default())
                .await
                .context("turning on publisher confirms")?;
            anyhow::Ok(Self {
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

/// Publishes and subscribes to events (cheap to clone; clones share one connection).
#[derive(Clone)]
pub struct Events {
    link: Arc<RwLock<Arc<Link>>>,
    settings: Arc<Settings>,
    /// Queues this process has declared, for `drop_streams`.
    declared: Arc<Mutex<BTreeSet<String>>>,
}

impl std::fmt::Debug for Events {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Events")
            .field("prefix", &self.settings.tuning.prefix)
            .finish()
    }
}

impl Events {
    pub async fn connect(settings: &Settings) -> anyhow::Result<Self> {
        let link = Link::open(settings).await?;
        Ok(Self {
            link: Arc::new(RwLock::new(Arc::new(link))),
            settings: Arc::new(settings.clone()),
            declared: Arc::default(),
        })
    }

    /// How often idle workers poll (the outbox relay).
    pub fn poll_interval(&self) -> Duration {
        self.settings.tuning.poll_interval
    }

    /// The connection, opened again if it dropped.
    async fn link(&self) -> anyhow::Result<Arc<Link>> {
        let current = self.link.read().await.clone();
        if current.is_connected() {
            return Ok(current);
        }
        let mut link = self.link.write().await;
        if !link.is_connected() {
            tracing::warn!("the RabbitMQ connection dropped; reconnecting");
            *link = Arc::new(Link::open(&self.settings).await?);
        }
        Ok(link.clone())
    }

    /// Publishes an event, serialised as JSON, with the routing key `event`;
    /// returns once RabbitMQ has stored it in every subscriber's queue.
    #[tracing::instrument(skip(self, payload))]
    pub async fn publish_payload(&self, event: &str, payload: &str) -> anyhow::Result<()> {
        let link = self.link().await?;
        let properties = BasicProperties::default()
            .with_content_type("application/json".into())
            .with_delivery_mode(PERSISTENT)
            .with_type(event.into());
        let options = BasicPublishOptions {
            mandatory: true,
            ..BasicPublishOptions::default()
        };
        let confirmation = link
            .publisher
            .basic_publish(
                self.settings.tuning.prefix.as_str().into(),
                event.into(),
                options,
                payload.as_bytes(),
                properties,
            )
            .await
            .context("publishing the event to RabbitMQ")?
            .await
            .context("waiting for RabbitMQ to confirm the event")?;
        match confirmation {
            Confirmation::Ack(None) => {}
            Confirmation::Ack(Some(_)) => anyhow::bail!(
                "no service subscribes to {event} yet (no queue is bound to it on the exchange {}); \
                 the event stays in the outbox until one does",
                self.settings.tuning.prefix
            ),
            Confirmation::Nack(_) => anyhow::bail!("RabbitMQ refused the event {event} (nack)"),
            Confirmation::NotRequested => {
                anyhow::bail!("the channel publishing events is not in confirm mode")
            }
        }
        metrics::counter!("events_published_total", "event" => event.to_owned()).increment(1);
        Ok(())
    }

    /// Deletes the queues this process declared and the exchange: for tests,
    /// which each have their own.
    pub async fn drop_streams(&self) -> anyhow::Result<()> {
        let link = self.link().await?;
        let channel = link
            .connection
            .create_channel()
            .await
            .context("opening a RabbitMQ channel")?;
        let queues = std::mem::take(&mut *self.declared.lock().expect("not poisoned"));
        for queue in queues {
            channel
                .queue_delete(queue.as_str().into(), QueueDeleteOptions::default())
                .await
                .with_context(|| format!("deleting the queue {queue}"))?;
        }
        channel
            .exchange_delete(
                self.settings.tuning.prefix.as_str().into(),
                ExchangeDeleteOptions::default(),
            )
            .await
            .context("deleting the events exchange")?;
        Ok(())
    }

    /// Declares the queue `group` reads events of type `E` from, with its retry
    /// and dead-letter queues, and binds it to the exchange.
    async fn declare_queues<E: Event>(&self, channel: &Channel, group: &str) -> anyhow::Result<()> {
        let settings = &self.settings;
        let queue = settings.queue(E::NAME, group);
        let dead = format!("{queue}.dead");
        let retry = format!("{queue}.retry");
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
        let main = dead_letter_to(&dead);
        let mut delayed = dead_letter_to(&queue);
        delayed.insert("x-message-ttl".into(), millis(settings.tuning.claim_idle));
        for (name, arguments) in [
            (&dead, settings.queue_arguments()),
            (&queue, main),
            (&retry, delayed),
        ] {
            channel
                .queue_declare(
                    name.as_str().into(),
                    QueueDeclareOptions::durable(),
                    arguments,
                )
                .await
                .with_context(|| {
                    format!(
                        "declaring the RabbitMQ queue {name} (if it exists with other arguments, \
                         delete it or change EVENTS_PREFIX)"
                    )
                })?;
            self.declared
                .lock()
                .expect("not poisoned")
                .insert(name.clone());
        }
        channel
            .queue_bind(
                queue.as_str().into(),
                settings.tuning.prefix.as_str().into(),
                E::NAME.into(),
                QueueBindOptions::default(),
                FieldTable::default(),
            )
            .await
            .with_context(|| format!("binding the queue {queue} to {}", E::NAME))?;
        Ok(())
    }

    /// Hands every event of type `E` to `handle`, as a worker of the service
    /// `group`, until `shutdown` completes. A lost connection is re-established.
    pub async fn subscribe<E, F, Fut>(
        &self,
        group: &str,
        handle: F,
        shutdown: impl Future<Output = ()> + Send,
    ) -> anyhow::Result<()>
    where
        E: Event,
        F: Fn(E) -> Fut,
        Fut: Future<Output = anyhow::Result<()>>,
    {
        let queue = self.settings.queue(E::NAME, group);
        let mut shutdown = std::pin::pin!(shutdown);
        loop {
            let consumed = self
                .consume::<E, _, _>(group, &handle, shutdown.as_mut())
                .await;
            match consumed {
                Ok(()) => break,
                Err(e) => {
                    tracing::warn!(%queue, error = format!("{e:#}"), "could not consume events; retrying");
                }
            }
            tokio::select! {
                () = &mut shutdown => break,
                () = tokio::time::sleep(self.settings.tuning.poll_interval) => {}
            }
        }
        tracing::info!(%queue, "unsubscribed");
        Ok(())
    }

    /// Consumes until `shutdown` completes (`Ok`) or the consumer fails (`Err`).
    async fn consume<E, F, Fut>(
        &self,
        group: &str,
        handle: &F,
        mut shutdown: std::pin::Pin<&mut impl Future<Output = ()>>,
    ) -> anyhow::Result<()>
    where
        E: Event,
        F: Fn(E) -> Fut,
        Fut: Future<Output = anyhow::Result<()>>,
    {
        let queue = self.settings.queue(E::NAME, group);
        let channel = self
            .link()
            .await?
            .connection
            .create_channel()
            .await
            .context("opening a RabbitMQ channel")?;
        self.declare_queues::<E>(&channel, group).await?;
        channel
            .basic_qos(PREFETCH, BasicQosOptions::default())
            .await
            .context("setting the subscriber's prefetch")?;
        let mut consumer = channel
            .basic_consume(
                queue.as_str().into(),
                format!("{group}-{}", uuid::Uuid::new_v4().simple())
                    .as_str()
                    .into(),
                BasicConsumeOptions::default(),
                FieldTable::default(),
            )
            .await
            .with_context(|| format!("consuming from the RabbitMQ queue {queue}"))?;
        tracing::info!(%queue, group, "subscribed");
        loop {
            let next = tokio::select! {
                biased;
                // Events prefetched but not handled go back to the queue when the
                // channel closes.
                () = shutdown.as_mut() => break,
                next = consumer.next() => next,
            };
            match next {
                Some(Ok(delivery)) => self.deliver(&queue, delivery, handle).await,
                Some(Err(e)) => return Err(e).context("consuming events"),
                None => anyhow::bail!("RabbitMQ cancelled the consumer of {queue}"),
            }
            if shutdown.as_mut().now_or_never().is_some() {
                break;
            }
        }
        let _ = channel.close(200, "subscriber stopped".into()).await;
        Ok(())
    }

    /// Runs the handler on one delivery and settles it with RabbitMQ.
    async fn deliver<E, F, Fut>(&self, queue: &str, delivery: Delivery, handle: &F)
    where
        E: Event,
        F: Fn(E) -> Fut,
        Fut: Future<Output = anyhow::Result<()>>,
    {
        let deliveries = count_header(&delivery.properties, DELIVERY_HEADER);
        if delivery.redelivered {
            // Handed back unsettled (its worker died or lost its connection): that
            // delivery counts, and the next waits as a failed event's does.
            tracing::warn!(%queue, deliveries, "event handed back by a worker that stopped");
            return self
                .retry_or_dead_letter(queue, &delivery, deliveries)
                .await;
        }
        let Ok(event) = serde_json::from_slice::<E>(&delivery.data) else {
            tracing::error!(%queue, "unreadable event; dead-lettering it");
            return dead_letter(queue, &delivery).await;
        };
        let event_id = event.event_id();
        match handle(event).await {
            Ok(()) => {
                metrics::counter!("events_handled_total", "event" => E::NAME, "outcome" => "ok")
                    .increment(1);
                log_settled(delivery.acker.ack(BasicAckOptions::default()).await);
            }
            Err(error) => {
                tracing::warn!(%event_id, deliveries, error = format!("{error:#}"), "event handler failed");
                metrics::counter!("events_handled_total", "event" => E::NAME, "outcome" => "failed")
                    .increment(1);
                self.retry_or_dead_letter(queue, &delivery, deliveries)
                    .await;
            }
        }
    }

    /// After delivery number `deliveries` of an event failed: schedules the next
    /// one, or dead-letters the event once it has had `EVENTS_MAX_DELIVERIES`.
    async fn retry_or_dead_letter(&self, queue: &str, delivery: &Delivery, deliveries: usize) {
        if deliveries >= self.settings.tuning.max_deliveries {
            tracing::error!(%queue, deliveries, "event keeps failing; dead-lettering it");
            return dead_letter(queue, delivery).await;
        }
        match self.retry(queue, delivery, deliveries + 1).await {
            Ok(()) => log_settled(delivery.acker.ack(BasicAckOptions::default()).await),
            Err(e) => {
                tracing::error!(
                    error = format!("{e:#}"),
                    "could not schedule the retry; handing the event back after a pause"
                );
                // Pause first, so that a broker refusing the retry is not a busy
                // loop; on a closed channel RabbitMQ has handed it back already.
                if delivery.acker.usable() {
                    tokio::time::sleep(self.settings.tuning.claim_idle).await;
                }
                let requeue = BasicRejectOptions { requeue: true };
                log_settled(delivery.acker.reject(requeue).await);
            }
        }
    }

    /// Publishes a failed event to `{queue}.retry`, as delivery `next`.
    async fn retry(&self, queue: &str, delivery: &Delivery, next: usize) -> anyhow::Result<()> {
        let mut headers = FieldTable::default();
        headers.insert(
            DELIVERY_HEADER.into(),
            AMQPValue::LongLongInt(i64::try_from(next).unwrap_or(i64::MAX)),
        );
        let properties = delivery.properties.clone().with_headers(headers);
        let link = self.link().await?;
        let retry = format!("{queue}.retry");
        let confirmation = link
            .publisher
            .basic_publish(
                "".into(),
                retry.as_str().into(),
                BasicPublishOptions {
                    mandatory: true,
                    ..BasicPublishOptions::default()
                },
                &delivery.data,
                properties,
            )
            .await?
            .await?;
        match confirmation {
            Confirmation::Ack(None) => Ok(()),
            _ => anyhow::bail!("RabbitMQ did not take the event into {retry}"),
        }
    }
}

/// Rejects a delivery into its queue's dead-letter queue.
async fn dead_letter(queue: &str, delivery: &Delivery) {
    metrics::counter!("events_dead_lettered_total", "stream" => queue.to_owned()).increment(1);
    let options = BasicRejectOptions { requeue: false };
    log_settled(delivery.acker.reject(options).await);
}

/// Logs an acknowledgement that did not reach the broker: the event comes back,
/// and the subscriber's `handled_events` makes that a no-op.
fn log_settled(settled: lapin::Result<bool>) {
    match settled {
        Ok(true) => {}
        Ok(false) => {
            tracing::warn!("the event's channel is closed; RabbitMQ will deliver it again")
        }
        Err(e) => {
            tracing::warn!(error = %e, "could not settle the event; RabbitMQ will deliver it again")
        }
    }
}
