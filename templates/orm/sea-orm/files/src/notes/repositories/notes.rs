use chrono::Utc;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};
use uuid::Uuid;

use super::super::Db;
use super::super::Note;
use super::super::entity as notes;

pub(super) fn to_domain(m: notes::Model) -> Note {
    Note {
        id: m.id,
        user_id: m.user_id,
        body: m.body,
        word_count: m.word_count,
        processed_at: m.processed_at.map(|t| t.to_utc()),
        created_at: m.created_at.to_utc(),
    }
}

#[tracing::instrument(name = "db.notes.insert", skip(db, body), err)]
pub async fn insert(db: &Db, user_id: Uuid, body: &str) -> anyhow::Result<Note> {
    let model = notes::ActiveModel {
        id: Set(Uuid::new_v4()),
        user_id: Set(user_id),
        body: Set(body.to_owned()),
        word_count: Set(None),
        processed_at: Set(None),
        created_at: Set(Utc::now().into()),
    };
    Ok(to_domain(model.insert(db).await?))
}

#[tracing::instrument(name = "db.notes.find_by_id", skip(db), err)]
pub async fn find_by_id(db: &Db, id: Uuid) -> anyhow::Result<Option<Note>> {
    Ok(notes::Entity::find_by_id(id).one(db).await?.map(to_domain))
}

#[tracing::instrument(name = "db.notes.find_for_user", skip(db), err)]
pub async fn find_for_user(db: &Db, user_id: Uuid, id: Uuid) -> anyhow::Result<Option<Note>> {
    Ok(notes::Entity::find_by_id(id)
        .filter(notes::Column::UserId.eq(user_id))
        .one(db)
        .await?
        .map(to_domain))
}

/// Returns one page (0-based `page`) of the user's notes, newest first, and the total count.
#[tracing::instrument(name = "db.notes.list_for_user", skip(db), err)]
pub async fn list_for_user(
    db: &Db,
    user_id: Uuid,
    page: u64,
    per_page: u64,
) -> anyhow::Result<(Vec<Note>, u64)> {
    let paginator = notes::Entity::find()
        .filter(notes::Column::UserId.eq(user_id))
        .order_by_desc(notes::Column::CreatedAt)
        .order_by_desc(notes::Column::Id)
        .paginate(db, per_page);
    let total = paginator.num_items().await?;
    let items = paginator.fetch_page(page).await?;
    Ok((items.into_iter().map(to_domain).collect(), total))
}

/// Deletes the note if the user owns it; returns whether a row was deleted.
#[tracing::instrument(name = "db.notes.delete_for_user", skip(db), err)]
pub async fn delete_for_user(db: &Db, user_id: Uuid, id: Uuid) -> anyhow::Result<bool> {
    let res = notes::Entity::delete_many()
        .filter(notes::Column::Id.eq(id))
        .filter(notes::Column::UserId.eq(user_id))
        .exec(db)
        .await?;
    Ok(res.rows_affected > 0)
}

/// Notes created before `cutoff` that no job has processed yet, oldest first: what a
/// sweeper queues again after a job was lost on the way to the queue.
#[tracing::instrument(name = "db.notes.unprocessed_before", skip(db), err)]
pub async fn unprocessed_before(
    db: &Db,
    cutoff: chrono::DateTime<Utc>,
    limit: u64,
) -> anyhow::Result<Vec<Note>> {
    let cutoff: sea_orm::prelude::DateTimeWithTimeZone = cutoff.into();
    Ok(notes::Entity::find()
        .filter(notes::Column::ProcessedAt.is_null())
        .filter(notes::Column::CreatedAt.lt(cutoff))
        .order_by_asc(notes::Column::CreatedAt)
        .limit(limit)
        .all(db)
        .await?
        .into_iter()
        .map(to_domain)
        .collect())
}

#[tracing::instrument(name = "db.notes.mark_processed", skip(db), err)]
pub async fn mark_processed(db: &Db, id: Uuid, word_count: i32) -> anyhow::Result<bool> {
    let now: sea_orm::prelude::DateTimeWithTimeZone = Utc::now().into();
    let res = notes::Entity::update_many()
        .col_expr(notes::Column::WordCount, Expr::value(word_count))
        .col_expr(notes::Column::ProcessedAt, Expr::value(now))
        .filter(notes::Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(res.rows_affected > 0)
}
