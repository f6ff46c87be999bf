//! The `handled_events` table: the id of every event this service has handled.

use sea_orm::entity::prelude::*;
use sea_orm::{ActiveValue::Set, EntityTrait};

use crate::db::Db;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "handled_events")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub event_id: Uuid,
    pub event: String,
    pub handled_at: DateTimeWithTimeZone,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

/// Whether the event with this id was handled before.
#[tracing::instrument(name = "db.handled_events.seen", skip(db), err)]
pub async fn seen(db: &Db, event_id: Uuid) -> anyhow::Result<bool> {
    Ok(Entity::find_by_id(event_id).one(db).await?.is_some())
}

/// Records that the event was handled (a second record of the same id is ignored).
#[tracing::instrument(name = "db.handled_events.record", skip(db), err)]
pub async fn record(db: &Db, event_id: Uuid, event: &str) -> anyhow::Result<()> {
    let row = ActiveModel {
        event_id: Set(event_id),
        event: Set(event.to_owned()),
        handled_at: Set(chrono::Utc::now().into()),
    };
    Entity::insert(row)
        .on_conflict_do_nothing_on([Column::EventId])
        .exec(db)
        .await?;
    Ok(())
}
