//! Events on Redis streams.
//!
//! * One stream per event type, `{EVENTS_PREFIX}:{Event::NAME}`, trimmed to
//!   about `EVENTS_MAX_LEN` entries.
//! * Each subscribing service reads it through its own consumer group (named
//!   after the service): every service sees every event, and the workers of
//!   one service share them.
//! * An event is acknowledged once its handler succeeds. One that fails stays
//!   pending, and after `EVENTS_CLAIM_IDLE_MS` a worker of the group claims it
//!   again; that is also how the events of a worker that crashed are picked up.
//!   After `EVENTS_MAX_DELIVERIES` deliveries it moves to `{stream}:dead`.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use contracts::Event;
use futures::FutureExt;
use redis::AsyncCommands;
use redis::aio::ConnectionManager;
use redis::streams::{
    StreamAutoClaimOptions, StreamAutoClaimReply, StreamId, StreamMaxlen, StreamPendingCountReply,
    StreamReadOptions, StreamReadReply,
};
use secrecy::{ExposeSecret, SecretString};
use tokio::time::Instant;

use super::Tuning;
use crate::config::env::{self, ConfigError};

/// Event transport settings.
#[derive(Debug, Clone)]
pub struct Settings {
    pub redis_url: SecretString,
    /// `EVENTS_*`: names, limits and timings.
    pub tuning: Tuning,
}

impl Settings {
    pub fn from_env() -> Result<Self, ConfigError> {
        Ok(Self {
            redis_url: env::secret("REDIS_URL", "a Redis URL such as redis://host:6379")?,
            tuning: Tuning::from_env()?,
        })
    }

    /// `REDIS_URL` (or the local default) with streams of its own.
    pub fn for_tests() -> Self {
        Self {
            redis_url: env::optional("REDIS_URL")
                .unwrap_or_else(|| "redis://127.0.0.1:6379".to_owned())
                .into(),
            tuning: Tuning::for_tests(),
        }
    }
}

/// Publishes and subscribes to events (cheap to clone).
#[derive(Clone)]
pub struct Events {
    conn: ConnectionManager,
    settings: Arc<Settings>,
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
        let client =
            redis::Client::open(settings.redis_url.expose_secret()).context("parsing REDIS_URL")?;
        let conn = ConnectionManager::new(client)
            .await
            .context("connecting to Redis (REDIS_URL)")?;
        Ok(Self {
            conn,
            settings: Arc::new(settings.clone()),
        })
    }

    /// How often idle workers poll (the subscribers here, the outbox relay).
    pub fn poll_interval(&self) -> Duration {
        self.settings.tuning.poll_interval
    }

    /// The stream an event type travels on.
    pub fn stream<E: Event>(&self) -> String {
        self.stream_named(E::NAME)
    }

    fn stream_named(&self, event: &str) -> String {
        format!("{}:{event}", self.settings.tuning.prefix)
    }

    /// Appends an event, serialised as JSON, to the stream of the event named `event`;
    /// returns once Redis has it.
    #[tracing::instrument(skip(self, payload))]
    pub async fn publish_payload(&self, event: &str, payload: &str) -> anyhow::Result<()> {
        let mut conn = self.conn.clone();
        let _: String = conn
            .xadd_maxlen(
                self.stream_named(event),
                StreamMaxlen::Approx(self.settings.tuning.max_len),
                "*",
                &[("payload", payload)],
            )
            .await
            .context("publishing the event to Redis")?;
        metrics::counter!("events_published_total", "event" => event.to_owned()).increment(1);
        Ok(())
    }

    /// Deletes every stream under this prefix: for tests, which each have their own.
    pub async fn drop_streams(&self) -> anyhow::Result<()> {
        let mut conn = self.conn.clone();
        let keys: Vec<String> = conn
            .keys(format!("{}:*", self.settings.tuning.prefix))
            .await?;
        if !keys.is_empty() {
            let _: usize = conn.del(keys).await?;
        }
        Ok(())
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
        let consumer = format!("{group}-{}", uuid::Uuid::new_v4().simple());
        self.create_group(&stream, group).await?;
        tracing::info!(%stream, group, %consumer, "subscribed");

        let mut shutdown = std::pin::pin!(shutdown);
        let mut next_claim = Instant::now();
        loop {
            let claim = Instant::now() >= next_claim;
            if claim {
                next_claim = Instant::now() + self.settings.tuning.claim_idle / 2;
            }
            let handled = async {
                let entries = self.read(&stream, group, &consumer, claim).await?;
                let count = entries.len();
                for entry in entries {
                    self.deliver(&stream, group, entry, &handle).await?;
                }
                anyhow::Ok(count)
            };
            let idle = match handled.await {
                Ok(count) => count == 0,
                Err(e) => {
                    // Redis may be restarting: the events wait, pending or unread.
                    tracing::warn!(%stream, group, error = format!("{e:#}"), "could not read or settle events; retrying");
                    if let Err(e) = self.create_group(&stream, group).await {
                        tracing::warn!(error = format!("{e:#}"), "consumer group unavailable");
                    }
                    true
                }
            };
            if idle {
                tokio::select! {
                    () = &mut shutdown => break,
                    () = tokio::time::sleep(self.settings.tuning.poll_interval) => continue,
                }
            }
            if (&mut shutdown).now_or_never().is_some() {
                break;
            }
        }
        tracing::info!(%stream, group, "unsubscribed");
        Ok(())
    }

    /// Creates the consumer group `group` (and the stream) unless it exists. A new
    /// group starts at the oldest event the stream keeps, so a service deployed
    /// after others have published still sees their events.
    async fn create_group(&self, stream: &str, group: &str) -> anyhow::Result<()> {
        let mut conn = self.conn.clone();
        let created: redis::RedisResult<()> = conn.xgroup_create_mkstream(stream, group, "0").await;
        match created {
            Err(e) if e.code() != Some("BUSYGROUP") => {
                Err(e).context("creating the consumer group")
            }
            _ => Ok(()),
        }
    }

    /// The group's next events: those idle long enough to claim again (when
    /// `claim`), then new ones.
    async fn read(
        &self,
        stream: &str,
        group: &str,
        consumer: &str,
        claim: bool,
    ) -> anyhow::Result<Vec<StreamId>> {
        let mut entries = Vec::new();
        if claim {
            entries.extend(self.claim_idle(stream, group, consumer).await?);
        }
        let options = StreamReadOptions::default()
            .group(group, consumer)
            .count(16);
        let mut conn = self.conn.clone();
        let reply: StreamReadReply = conn
            .xread_options(&[stream], &[">"], &options)
            .await
            .context("reading events from Redis")?;
        entries.extend(reply.keys.into_iter().flat_map(|key| key.ids));
        Ok(entries)
    }

    /// Runs the handler on one entry; acknowledges it if the handler succeeded.
    async fn deliver<E, F, Fut>(
        &self,
        stream: &str,
        group: &str,
        entry: StreamId,
        handle: &F,
    ) -> anyhow::Result<()>
    where
        E: Event,
        F: Fn(E) -> Fut,
        Fut: Future<Output = anyhow::Result<()>>,
    {
        let event = entry
            .get::<String>("payload")
            .and_then(|payload| serde_json::from_str::<E>(&payload).ok());
        let Some(event) = event else {
            tracing::error!(%stream, id = %entry.id, "unreadable event; dead-lettering it");
            return self.dead_letter(stream, group, entry).await;
        };
        let event_id = event.event_id();
        match handle(event).await {
            Ok(()) => {
                let mut conn = self.conn.clone();
                let _: usize = conn
                    .xack(stream, group, &[&entry.id])
                    .await
                    .context("acknowledging the event")?;
                metrics::counter!("events_handled_total", "event" => E::NAME, "outcome" => "ok")
                    .increment(1);
            }
            Err(error) => {
                tracing::warn!(%event_id, error = format!("{error:#}"), "event handler failed; it will be delivered again");
                metrics::counter!("events_handled_total", "event" => E::NAME, "outcome" => "failed")
                    .increment(1);
            }
        }
        Ok(())
    }

    /// Claims the group's events left unacknowledged for `claim_idle`, and
    /// dead-letters those delivered `max_deliveries` times already.
    async fn claim_idle(
        &self,
        stream: &str,
        group: &str,
        consumer: &str,
    ) -> anyhow::Result<Vec<StreamId>> {
        let mut conn = self.conn.clone();
        let min_idle =
            usize::try_from(self.settings.tuning.claim_idle.as_millis()).unwrap_or(usize::MAX);
        let reply: StreamAutoClaimReply = conn
            .xautoclaim_options(
                stream,
                group,
                consumer,
                min_idle,
                "0-0",
                StreamAutoClaimOptions::default().count(16),
            )
            .await
            .context("claiming idle events")?;
        let mut retry = Vec::new();
        for entry in reply.claimed {
            let pending: StreamPendingCountReply = conn
                .xpending_count(stream, group, &entry.id, &entry.id, 1)
                .await
                .context("reading an event's delivery count")?;
            let deliveries = pending.ids.first().map_or(0, |p| p.times_delivered);
            if deliveries > self.settings.tuning.max_deliveries {
                tracing::error!(%stream, id = %entry.id, deliveries, "event keeps failing; dead-lettering it");
                self.dead_letter(stream, group, entry).await?;
            } else {
                retry.push(entry);
            }
        }
        Ok(retry)
    }

    /// Moves an entry to `{stream}:dead`, where an operator can inspect it.
    async fn dead_letter(&self, stream: &str, group: &str, entry: StreamId) -> anyhow::Result<()> {
        let mut conn = self.conn.clone();
        let payload = entry.get::<String>("payload").unwrap_or_default();
        let _: String = conn
            .xadd(
                format!("{stream}:dead"),
                "*",
                &[
                    ("payload", payload),
                    ("group", group.to_owned()),
                    ("id", entry.id.clone()),
                ],
            )
            .await
            .context("dead-lettering the event")?;
        let _: usize = conn
            .xack(stream, group, &[&entry.id])
            .await
            .context("acknowledging the dead-lettered event")?;
        metrics::counter!("events_dead_lettered_total", "stream" => stream.to_owned()).increment(1);
        Ok(())
    }
}
