//! Events on NATS JetStream.
//!
//! * One stream per event type, `{EVENTS_PREFIX}-{Event::NAME}` on the subject
//!   `{EVENTS_PREFIX}.{Event::NAME}`, keeping the last `EVENTS_MAX_LEN` events.
//! * Each subscribing service reads it through its own durable consumer (named
//!   after the service): every service sees every event, and the workers of
//!   one service share them. A new consumer starts at the oldest event the
//!   stream keeps, so a service deployed after others have published still
//!   sees their events.
//! * An event is acknowledged once its handler succeeds. One that fails is
//!   handed back and delivered again after `EVENTS_CLAIM_IDLE_MS`; so is one
//!   whose worker died before acknowledging it. After `EVENTS_MAX_DELIVERIES`
//!   deliveries it moves to the stream `{EVENTS_PREFIX}-{Event::NAME}-dead`.

use std::collections::HashSet;
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::Context;
use async_nats::HeaderMap;
use async_nats::jetstream::consumer::{AckPolicy, DeliverPolicy, PullConsumer, pull};
use async_nats::jetstream::stream::{self, RetentionPolicy, StorageType};
use async_nats::jetstream::{self, AckKind, Message};
use contracts::Event;
use futures::{FutureExt, StreamExt};
use secrecy::{ExposeSecret, SecretString};

use super::Tuning;
use crate::config::env::{self, ConfigError};

/// How long one pull waits for events before the subscriber asks again.
const FETCH_WAIT: Duration = Duration::from_secs(5);

/// Event transport settings.
#[derive(Debug, Clone)]
pub struct Settings {
    /// NATS server URL; it may carry credentials, so it is kept secret.
    pub nats_url: SecretString,
    /// `EVENTS_*`: names, limits and timings.
    pub tuning: Tuning,
    /// Where JetStream keeps the streams: on disk in production; tests, whose
    /// streams are thrown away, keep theirs in memory.
    pub storage: StorageType,
}

impl Settings {
    pub fn from_env() -> Result<Self, ConfigError> {
        Ok(Self {
            nats_url: env::secret("NATS_URL", "a NATS URL such as nats://host:4222")?,
            tuning: Tuning::from_env()?,
            storage: StorageType::File,
        })
    }

    /// `NATS_URL` (or the local default) with streams of its own.
    pub fn for_tests() -> Self {
        Self {
            nats_url: env::optional("NATS_URL")
                .unwrap_or_else(|| "nats://127.0.0.1:4222".to_owned())
                .into(),
            tuning: Tuning::for_tests(),
            storage: StorageType::Memory,
        }
    }

    /// The prefix as stream names and subject tokens allow it.
    fn token(&self) -> String {
        self.tuning
            .prefix
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
}

/// Publishes and subscribes to events (cheap to clone).
#[derive(Clone)]
pub struct Events {
    jetstream: jetstream::Context,
    settings: Arc<Settings>,
    /// Streams this process has created (or found), so each is set up once.
    ready: Arc<Mutex<HashSet<String>>>,
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
        let client = async_nats::ConnectOptions::new()
            .name(format!("{}-events", settings.token()))
            .connect(settings.nats_url.expose_secret())
            .await
            .context("connecting to NATS (NATS_URL)")?;
        Ok(Self {
            jetstream: jetstream::new(client),
            settings: Arc::new(settings.clone()),
            ready: Arc::default(),
        })
    }

    /// How often idle workers poll (the outbox relay).
    pub fn poll_interval(&self) -> Duration {
        self.settings.tuning.poll_interval
    }

    /// The stream an event type travels on.
    pub fn stream<E: Event>(&self) -> String {
        self.stream_named(E::NAME)
    }

    fn stream_named(&self, event: &str) -> String {
        format!("{}-{event}", self.settings.token())
    }

    fn subject(&self, event: &str) -> String {
        format!("{}.{event}", self.settings.token())
    }

    /// Creates the stream of the event named `event` and its dead-letter stream,
    /// once per process.
    async fn ensure_streams(&self, event: &str) -> anyhow::Result<()> {
        let stream = self.stream_named(event);
        if self.ready.lock().expect("not poisoned").contains(&stream) {
            return Ok(());
        }
        let settings = &self.settings;
        let events = stream::Config {
            name: stream.clone(),
            description: Some(format!("The {event} events")),
            subjects: vec![self.subject(event)],
            // Every subscribing service reads every event: keep them by count,
            // not until one consumer has acknowledged them.
            retention: RetentionPolicy::Limits,
            max_messages: i64::try_from(settings.tuning.max_len).unwrap_or(i64::MAX),
            storage: settings.storage,
            ..Default::default()
        };
        let dead_letters = stream::Config {
            name: format!("{stream}-dead"),
            description: Some(format!("The {event} events no handler could take")),
            subjects: vec![format!("{}.dead", self.subject(event))],
            retention: RetentionPolicy::Limits,
            storage: settings.storage,
            ..Default::default()
        };
        for config in [events, dead_letters] {
            let name = config.name.clone();
            self.jetstream
                .create_or_update_stream(config)
                .await
                .with_context(|| format!("creating the stream {name} (is JetStream enabled?)"))?;
        }
        self.ready.lock().expect("not poisoned").insert(stream);
        Ok(())
    }

    /// Forgets that the streams of `event` were set up, so that the next use
    /// creates them again (after a failure: someone may have deleted them).
    fn forget_streams(&self, event: &str) {
        let stream = self.stream_named(event);
        self.ready.lock().expect("not poisoned").remove(&stream);
    }

    /// Publishes an event, serialised as JSON, on the subject of the event named
    /// `event`; returns once JetStream has stored it.
    #[tracing::instrument(skip(self, payload))]
    pub async fn publish_payload(&self, event: &str, payload: &str) -> anyhow::Result<()> {
        self.ensure_streams(event).await?;
        let stored = async {
            self.jetstream
                .publish(self.subject(event), payload.to_owned().into())
                .await
                .context("publishing the event to NATS")?
                .await
                .context("waiting for JetStream to store the event")
        };
        if let Err(e) = stored.await {
            self.forget_streams(event);
            return Err(e);
        }
        metrics::counter!("events_published_total", "event" => event.to_owned()).increment(1);
        Ok(())
    }

    /// Deletes every stream under this prefix: for tests, which each have their own.
    pub async fn drop_streams(&self) -> anyhow::Result<()> {
        let prefix = format!("{}-", self.settings.token());
        let mut names = self.jetstream.stream_names();
        let mut ours = Vec::new();
        while let Some(name) = names.next().await {
            let name = name.context("listing the streams")?;
            if name.starts_with(&prefix) {
                ours.push(name);
            }
        }
        for name in ours {
            self.jetstream
                .delete_stream(&name)
                .await
                .with_context(|| format!("deleting the stream {name}"))?;
        }
        self.ready.lock().expect("not poisoned").clear();
        Ok(())
    }

    /// Creates the durable consumer `group` on the stream of `E`, or updates it
    /// to these settings.
    async fn consumer<E: Event>(&self, group: &str) -> anyhow::Result<PullConsumer> {
        self.ensure_streams(E::NAME).await?;
        let settings = &self.settings;
        let config = pull::Config {
            durable_name: Some(group.to_owned()),
            description: Some(format!("The {group} service's {} handlers", E::NAME)),
            ack_policy: AckPolicy::Explicit,
            ack_wait: settings.tuning.claim_idle,
            deliver_policy: DeliverPolicy::All,
            // No limit here: `deliver` counts the deliveries and moves an event to
            // the dead letters itself, so the last one is never lost to a limit.
            max_deliver: -1,
            ..Default::default()
        };
        let stream = self.stream::<E>();
        self.jetstream
            .create_consumer_on_stream(config, &stream)
            .await
            .with_context(|| format!("creating the JetStream consumer {group} on {stream}"))
    }

    /// Hands every event of type `E` to `handle`, as a worker of the consumer
    /// group `group`, until `shutdown` completes.
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
        let stream = self.stream::<E>();
        let mut consumer = self.consumer::<E>(group).await?;
        tracing::info!(%stream, group, "subscribed");
        let mut shutdown = std::pin::pin!(shutdown);
        'pulling: loop {
            // One event at a time: the handlers run one after another, and an event
            // waiting behind others in a batch would outlive its ack wait.
            let pulled = consumer
                .batch()
                .max_messages(1)
                .expires(FETCH_WAIT)
                .messages()
                .await;
            let failure = match pulled {
                Ok(mut batch) => loop {
                    let next = tokio::select! {
                        biased;
                        () = &mut shutdown => break 'pulling,
                        next = batch.next() => next,
                    };
                    match next {
                        Some(Ok(message)) => self.deliver(&stream, message, &handle).await,
                        Some(Err(e)) => break Some(e.to_string()),
                        None => break None,
                    }
                },
                Err(e) => Some(e.to_string()),
            };
            if (&mut shutdown).now_or_never().is_some() {
                break;
            }
            if let Some(error) = failure {
                tracing::warn!(%stream, group, %error, "could not pull events; retrying");
                tokio::select! {
                    () = &mut shutdown => break,
                    () = tokio::time::sleep(self.settings.tuning.poll_interval) => {}
                }
                // The stream or the consumer may have been deleted: create them again.
                self.forget_streams(E::NAME);
                match self.consumer::<E>(group).await {
                    Ok(fresh) => consumer = fresh,
                    Err(e) => tracing::warn!(error = format!("{e:#}"), "consumer unavailable"),
                }
            }
        }
        tracing::info!(%stream, group, "unsubscribed");
        Ok(())
    }

    /// Runs the handler on one delivery and settles it with JetStream.
    async fn deliver<E, F, Fut>(&self, stream: &str, message: Message, handle: &F)
    where
        E: Event,
        F: Fn(E) -> Fut,
        Fut: Future<Output = anyhow::Result<()>>,
    {
        let deliveries = message
            .info()
            .ok()
            .and_then(|info| usize::try_from(info.delivered).ok())
            .unwrap_or(1);
        let Ok(event) = serde_json::from_slice::<E>(&message.payload) else {
            tracing::error!(%stream, "unreadable event; dead-lettering it");
            return self.dead_letter(stream, &message, "unreadable event").await;
        };
        if deliveries > self.settings.tuning.max_deliveries {
            tracing::error!(%stream, deliveries, "event keeps failing; dead-lettering it");
            return self
                .dead_letter(stream, &message, "delivered too many times")
                .await;
        }
        let event_id = event.event_id();
        match handle(event).await {
            Ok(()) => {
                settle(&message, AckKind::Ack).await;
                metrics::counter!("events_handled_total", "event" => E::NAME, "outcome" => "ok")
                    .increment(1);
            }
            Err(error) => {
                tracing::warn!(%event_id, error = format!("{error:#}"), "event handler failed; it will be delivered again");
                metrics::counter!("events_handled_total", "event" => E::NAME, "outcome" => "failed")
                    .increment(1);
                settle(
                    &message,
                    AckKind::Nak(Some(self.settings.tuning.claim_idle)),
                )
                .await;
            }
        }
    }

    /// Copies a delivery to the event's dead-letter stream, where an operator can
    /// inspect it, and stops its redelivery.
    async fn dead_letter(&self, stream: &str, message: &Message, reason: &str) {
        let mut headers = HeaderMap::new();
        headers.insert("Event-Error", reason);
        let subject = format!("{}.dead", message.subject);
        let stored = async {
            self.jetstream
                .publish_with_headers(subject, headers, message.payload.clone())
                .await?
                .await?;
            anyhow::Ok(())
        };
        match stored.await {
            Ok(()) => {
                metrics::counter!("events_dead_lettered_total", "stream" => stream.to_owned())
                    .increment(1);
                settle(message, AckKind::Term).await;
            }
            // Left unsettled, the event comes back after the ack wait.
            Err(e) => tracing::error!(error = format!("{e:#}"), "could not store the dead letter"),
        }
    }
}

/// Acknowledges (or naks, or terminates) a delivery. Acks and terminations wait
/// for JetStream's confirmation; a lost one means a redelivery, which the
/// subscriber's `handled_events` turns into a no-op.
async fn settle(message: &Message, kind: AckKind) {
    let confirmed = matches!(kind, AckKind::Ack | AckKind::Term);
    let result = if confirmed {
        message.double_ack_with(kind).await
    } else {
        message.ack_with(kind).await
    };
    if let Err(e) = result {
        tracing::warn!(error = %e, "could not settle the event; JetStream will deliver it again");
    }
}
