//! Events in Postgres, in a database every service reaches (`EVENTS_DATABASE_URL`; each
//! service's own database stays its own). The tables are named after `EVENTS_PREFIX`:
//!
//! * `{prefix}_log`: every published event, in order, append-only.
//! * `{prefix}_groups`: which subscribing service (its group) wants which event type.
//!   Publishing writes one delivery per group in the same transaction, so every service
//!   sees every event; a group that registers later starts with every event the log
//!   keeps.
//! * `{prefix}_deliveries`: what each group has still to handle. The workers of one
//!   service share them (`FOR UPDATE SKIP LOCKED`). A worker takes a delivery for
//!   `EVENTS_CLAIM_IDLE_MS`: once its handler succeeds the delivery is deleted; if the
//!   handler fails, or the worker dies, it is taken again after that. After
//!   `EVENTS_MAX_DELIVERIES` deliveries it stays as a dead letter (`dead_at` set), for an
//!   operator to inspect.
//!
//! Subscribers poll every `EVENTS_POLL_INTERVAL_MS`. The log keeps about
//! `EVENTS_MAX_LEN` events; older ones that no group still has to handle are deleted.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use contracts::Event;
use futures::FutureExt;
use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DatabaseTransaction, DbBackend,
    Statement, TransactionTrait, Value,
};
use secrecy::{ExposeSecret, SecretString};

use super::Tuning;
use crate::config::env::{self, ConfigError};

/// Deliveries a worker takes at once.
const BATCH: i64 = 16;

/// Event transport settings.
#[derive(Debug, Clone)]
pub struct Settings {
    pub database_url: SecretString,
    /// `EVENTS_*`: names, limits and timings.
    pub tuning: Tuning,
}

impl Settings {
    pub fn from_env() -> Result<Self, ConfigError> {
        let tuning = Tuning::from_env()?;
        if tuning.prefix.contains('"') {
            return Err(ConfigError::Rejected {
                var: "EVENTS_PREFIX".to_owned(),
                reason: "it names the event tables, so it cannot hold a double quote".to_owned(),
            });
        }
        Ok(Self {
            database_url: env::secret(
                "EVENTS_DATABASE_URL",
                "a Postgres URL every service reaches, such as postgres://user:password@host:5432/events",
            )?,
            tuning,
        })
    }

    /// The database the tests create theirs from (`DATABASE_URL`, or the local default),
    /// with tables of its own.
    pub fn for_tests() -> Self {
        Self {
            database_url: env::optional("DATABASE_URL")
                .unwrap_or_else(|| "postgres://postgres@127.0.0.1:5432/postgres".to_owned())
                .into(),
            tuning: Tuning::for_tests(),
        }
    }
}

/// Publishes and subscribes to events (cheap to clone).
#[derive(Clone)]
pub struct Events {
    db: DatabaseConnection,
    settings: Arc<Settings>,
}

impl std::fmt::Debug for Events {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Events")
            .field("prefix", &self.settings.tuning.prefix)
            .finish()
    }
}

/// The transport's tables, quoted (`"{prefix}_log"`, …).
struct Tables {
    log: String,
    groups: String,
    deliveries: String,
}

/// A delivery a worker took.
struct Taken {
    seq: i64,
    deliveries: i32,
    payload: String,
}

impl Events {
    /// Connects and creates the tables unless they exist.
    pub async fn connect(settings: &Settings) -> anyhow::Result<Self> {
        let mut options = ConnectOptions::new(settings.database_url.expose_secret().to_owned());
        options
            .max_connections(4)
            .connect_timeout(Duration::from_secs(10))
            .acquire_timeout(Duration::from_secs(10))
            .sqlx_logging(false);
        let db = Database::connect(options)
            .await
            .context("connecting to the events database (EVENTS_DATABASE_URL)")?;
        let events = Self {
            db,
            settings: Arc::new(settings.clone()),
        };
        events.create_tables().await?;
        Ok(events)
    }

    /// How often idle workers poll (the subscribers here, the outbox relay).
    pub fn poll_interval(&self) -> Duration {
        self.settings.tuning.poll_interval
    }

    /// One of the transport's tables, quoted: `"{prefix}_{name}"`.
    fn table(&self, name: &str) -> String {
        format!("\"{}_{name}\"", self.settings.tuning.prefix)
    }

    /// An event type's name under this prefix (`{prefix}:{event}`): the key of the
    /// advisory lock that orders publishing it and registering a group for it (so a new
    /// group misses no event), and the `stream` of the dead-letter metric.
    fn lock_key(&self, event: &str) -> String {
        format!("{}:{event}", self.settings.tuning.prefix)
    }

    /// The three tables, quoted.
    fn tables(&self) -> Tables {
        Tables {
            log: self.table("log"),
            groups: self.table("groups"),
            deliveries: self.table("deliveries"),
        }
    }

    fn statement(sql: &str, values: impl IntoIterator<Item = Value>) -> Statement {
        Statement::from_sql_and_values(DbBackend::Postgres, sql, values)
    }

    /// A transaction holding the advisory lock named `key` until it ends.
    async fn locked(&self, key: &str) -> anyhow::Result<DatabaseTransaction> {
        let txn = self.db.begin().await?;
        txn.execute_raw(Self::statement(
            "SELECT pg_advisory_xact_lock(hashtext($1))",
            [key.into()],
        ))
        .await?;
        Ok(txn)
    }

    async fn create_tables(&self) -> anyhow::Result<()> {
        let Tables {
            log,
            groups,
            deliveries,
        } = self.tables();
        let prefix = &self.settings.tuning.prefix;
        // Services starting together would race on CREATE TABLE IF NOT EXISTS.
        let txn = self.locked(&format!("{prefix}:tables")).await?;
        txn.execute_unprepared(&format!(
            "CREATE TABLE IF NOT EXISTS {log} (
                seq BIGSERIAL PRIMARY KEY,
                event TEXT NOT NULL,
                payload TEXT NOT NULL,
                published_at TIMESTAMPTZ NOT NULL DEFAULT now()
            );
            CREATE TABLE IF NOT EXISTS {groups} (
                event TEXT NOT NULL,
                subscriber TEXT NOT NULL,
                PRIMARY KEY (event, subscriber)
            );
            CREATE TABLE IF NOT EXISTS {deliveries} (
                subscriber TEXT NOT NULL,
                seq BIGINT NOT NULL REFERENCES {log} (seq) ON DELETE CASCADE,
                event TEXT NOT NULL,
                deliveries INTEGER NOT NULL DEFAULT 0,
                due_at TIMESTAMPTZ NOT NULL DEFAULT now(),
                dead_at TIMESTAMPTZ,
                PRIMARY KEY (subscriber, seq)
            );
            CREATE INDEX IF NOT EXISTS \"{prefix}_deliveries_due\"
                ON {deliveries} (subscriber, event, due_at) WHERE dead_at IS NULL;"
        ))
        .await
        .context("creating the event tables")?;
        txn.commit().await?;
        Ok(())
    }

    /// Appends an event, serialised as JSON, to the log, with a delivery for every group
    /// that subscribes to the event named `event`; returns once it is committed.
    #[tracing::instrument(skip(self, payload))]
    pub async fn publish_payload(&self, event: &str, payload: &str) -> anyhow::Result<()> {
        let Tables {
            log,
            groups,
            deliveries,
        } = self.tables();
        let txn = self.locked(&self.lock_key(event)).await?;
        let row = txn
            .query_one_raw(Self::statement(
                &format!("INSERT INTO {log} (event, payload) VALUES ($1, $2) RETURNING seq"),
                [event.into(), payload.into()],
            ))
            .await
            .context("publishing the event to Postgres")?
            .context("the insert returned no sequence number")?;
        let seq: i64 = row.try_get("", "seq")?;
        txn.execute_raw(Self::statement(
            &format!(
                "INSERT INTO {deliveries} (subscriber, seq, event)
                 SELECT subscriber, $1, event FROM {groups} WHERE event = $2"
            ),
            [seq.into(), event.into()],
        ))
        .await?;
        // Keep about `max_len` events: older ones nobody still has to handle go.
        let max_len = i64::try_from(self.settings.tuning.max_len).unwrap_or(i64::MAX);
        txn.execute_raw(Self::statement(
            &format!(
                "DELETE FROM {log} l WHERE l.seq <= $1 - $2
                 AND NOT EXISTS (SELECT 1 FROM {deliveries} d WHERE d.seq = l.seq)"
            ),
            [seq.into(), max_len.into()],
        ))
        .await?;
        txn.commit().await?;
        metrics::counter!("events_published_total", "event" => event.to_owned()).increment(1);
        Ok(())
    }

    /// Drops this prefix's tables: for tests, which each have their own.
    pub async fn drop_streams(&self) -> anyhow::Result<()> {
        let Tables {
            log,
            groups,
            deliveries,
        } = self.tables();
        self.db
            .execute_unprepared(&format!(
                "DROP TABLE IF EXISTS {deliveries}, {groups}, {log}"
            ))
            .await?;
        Ok(())
    }

    /// Hands every event of type `E` to `handle`, as a worker of the group `group`,
    /// until `shutdown` completes.
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
        self.register(E::NAME, group).await?;
        tracing::info!(event = E::NAME, group, "subscribed");

        let mut shutdown = std::pin::pin!(shutdown);
        loop {
            let handled = async {
                let taken = self.take(E::NAME, group).await?;
                let count = taken.len();
                for delivery in taken {
                    self.deliver(group, delivery, &handle).await?;
                }
                anyhow::Ok(count)
            };
            let idle = match handled.await {
                Ok(count) => count == 0,
                Err(e) => {
                    // Postgres may be restarting: the deliveries wait.
                    tracing::warn!(
                        event = E::NAME,
                        group,
                        error = format!("{e:#}"),
                        "could not take or settle events; retrying"
                    );
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
        tracing::info!(event = E::NAME, group, "unsubscribed");
        Ok(())
    }

    /// Registers `group` for `event` unless it is, with a delivery of every event the
    /// log keeps: a service deployed after others have published still sees their
    /// events.
    async fn register(&self, event: &str, group: &str) -> anyhow::Result<()> {
        let Tables {
            log,
            groups,
            deliveries,
        } = self.tables();
        let txn = self.locked(&self.lock_key(event)).await?;
        let registered = txn
            .execute_raw(Self::statement(
                &format!(
                    "INSERT INTO {groups} (event, subscriber) VALUES ($1, $2) ON CONFLICT DO NOTHING"
                ),
                [event.into(), group.into()],
            ))
            .await
            .context("registering the subscriber")?;
        if registered.rows_affected() > 0 {
            txn.execute_raw(Self::statement(
                &format!(
                    "INSERT INTO {deliveries} (subscriber, seq, event)
                     SELECT $1, seq, event FROM {log} WHERE event = $2
                     ON CONFLICT DO NOTHING"
                ),
                [group.into(), event.into()],
            ))
            .await?;
        }
        txn.commit().await?;
        Ok(())
    }

    /// Takes the group's next due deliveries, oldest first, for `claim_idle`.
    async fn take(&self, event: &str, group: &str) -> anyhow::Result<Vec<Taken>> {
        let (log, deliveries) = (self.table("log"), self.table("deliveries"));
        let rows = self
            .db
            .query_all_raw(Self::statement(
                &format!(
                    "UPDATE {deliveries} d
                     SET deliveries = d.deliveries + 1,
                         due_at = now() + make_interval(secs => $3)
                     FROM (
                         SELECT seq FROM {deliveries}
                         WHERE subscriber = $1 AND event = $2 AND dead_at IS NULL AND due_at <= now()
                         ORDER BY seq
                         LIMIT $4
                         FOR UPDATE SKIP LOCKED
                     ) due, {log} l
                     WHERE d.subscriber = $1 AND d.seq = due.seq AND l.seq = d.seq
                     RETURNING d.seq, d.deliveries, l.payload"
                ),
                [
                    group.into(),
                    event.into(),
                    self.settings.tuning.claim_idle.as_secs_f64().into(),
                    BATCH.into(),
                ],
            ))
            .await
            .context("taking events from Postgres")?;
        let mut taken = rows
            .iter()
            .map(|row| {
                Ok(Taken {
                    seq: row.try_get("", "seq")?,
                    deliveries: row.try_get("", "deliveries")?,
                    payload: row.try_get("", "payload")?,
                })
            })
            .collect::<Result<Vec<_>, sea_orm::DbErr>>()?;
        taken.sort_by_key(|t| t.seq);
        Ok(taken)
    }

    /// Runs the handler on one delivery: deletes it if the handler succeeded, leaves it
    /// to be taken again if not, dead-letters it once it was delivered too often.
    async fn deliver<E, F, Fut>(&self, group: &str, taken: Taken, handle: &F) -> anyhow::Result<()>
    where
        E: Event,
        F: Fn(E) -> Fut,
        Fut: Future<Output = anyhow::Result<()>>,
    {
        let max_deliveries = i32::try_from(self.settings.tuning.max_deliveries).unwrap_or(i32::MAX);
        if taken.deliveries > max_deliveries {
            tracing::error!(
                event = E::NAME,
                seq = taken.seq,
                deliveries = taken.deliveries,
                "event keeps failing; dead-lettering it"
            );
            return self.dead_letter::<E>(group, taken.seq).await;
        }
        let Ok(event) = serde_json::from_str::<E>(&taken.payload) else {
            tracing::error!(
                event = E::NAME,
                seq = taken.seq,
                "unreadable event; dead-lettering it"
            );
            return self.dead_letter::<E>(group, taken.seq).await;
        };
        let event_id = event.event_id();
        match handle(event).await {
            Ok(()) => {
                self.db
                    .execute_raw(Self::statement(
                        &format!(
                            "DELETE FROM {} WHERE subscriber = $1 AND seq = $2",
                            self.table("deliveries")
                        ),
                        [group.into(), taken.seq.into()],
                    ))
                    .await
                    .context("settling the event")?;
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

    /// Keeps a delivery as a dead letter, where an operator can inspect it.
    async fn dead_letter<E: Event>(&self, group: &str, seq: i64) -> anyhow::Result<()> {
        self.db
            .execute_raw(Self::statement(
                &format!(
                    "UPDATE {} SET dead_at = now() WHERE subscriber = $1 AND seq = $2",
                    self.table("deliveries")
                ),
                [group.into(), seq.into()],
            ))
            .await
            .context("dead-lettering the event")?;
        metrics::counter!("events_dead_lettered_total", "stream" => self.lock_key(E::NAME))
            .increment(1);
        Ok(())
    }
}
