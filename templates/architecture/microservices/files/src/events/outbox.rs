//! The transactional outbox: an event is stored in the same transaction as the
//! change it announces ([`store`]), and the worker's relay ([`relay`]) publishes
//! what is stored. A committed change always gets its event, even if the broker
//! was down at the time; the relay may publish an event twice (a crash between
//! publishing and marking it), which subscribers tolerate.

use std::future::Future;
use std::time::Duration;

use anyhow::Context;
use contracts::Event;
use futures::FutureExt;
use sea_orm::entity::prelude::*;
use sea_orm::{ActiveValue::Set, QueryOrder, QuerySelect, TransactionTrait};

use super::Events;
use crate::db::Db;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "outbox")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub event_id: Uuid,
    pub event: String,
    pub payload: Json,
    pub created_at: DateTimeWithTimeZone,
    pub published_at: Option<DateTimeWithTimeZone>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

/// Events relayed per transaction.
const BATCH: u64 = 32;

/// Stores `event` in the outbox, as part of the caller's transaction.
#[tracing::instrument(name = "db.outbox.store", skip_all, fields(event = E::NAME), err)]
pub async fn store<E: Event>(db: &impl ConnectionTrait, event: &E) -> anyhow::Result<()> {
    ActiveModel {
        event_id: Set(event.event_id()),
        event: Set(E::NAME.to_owned()),
        payload: Set(serde_json::to_value(event).context("serialising the event")?),
        created_at: Set(chrono::Utc::now().into()),
        published_at: Set(None),
    }
    .insert(db)
    .await?;
    Ok(())
}

/// Publishes stored events until `shutdown` completes, polling every `interval`.
pub async fn relay(
    events: Events,
    db: Db,
    interval: Duration,
    shutdown: impl Future<Output = ()> + Send,
) -> anyhow::Result<()> {
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        // A broker or database that fails is tried again on the next poll: the
        // events stay in the outbox meanwhile.
        let published = relay_batch(&events, &db).await.unwrap_or(0);
        if (&mut shutdown).now_or_never().is_some() {
            return Ok(());
        }
        if published == 0 {
            tokio::select! {
                () = &mut shutdown => return Ok(()),
                () = tokio::time::sleep(interval) => {}
            }
        }
    }
}

/// Publishes up to [`BATCH`] stored events, oldest first, and marks them published.
/// Rows are locked with `SKIP LOCKED`, so several workers relay different events.
#[tracing::instrument(name = "events.relay", skip_all, err)]
pub async fn relay_batch(events: &Events, db: &Db) -> anyhow::Result<usize> {
    let txn = db.begin().await?;
    let pending = Entity::find()
        .filter(Column::PublishedAt.is_null())
        .order_by_asc(Column::CreatedAt)
        .limit(BATCH)
        .lock_with_behavior(
            sea_orm::sea_query::LockType::Update,
            sea_orm::sea_query::LockBehavior::SkipLocked,
        )
        .all(&txn)
        .await?;
    for row in &pending {
        let sent = events
            .publish_payload(&row.event, &row.payload.to_string())
            .await;
        if let Err(e) = sent {
            // Keep the marks of the events already sent, so they are not sent again.
            txn.commit().await?;
            return Err(e);
        }
        let mut published: ActiveModel = row.clone().into();
        published.published_at = Set(Some(chrono::Utc::now().into()));
        published.update(&txn).await?;
    }
    txn.commit().await?;
    Ok(pending.len())
}
