//! Trigram search over note bodies (pg_trgm). `query <% body` holds when some
//! extent of the body is similar enough to the query (`word_similarity` above
//! `pg_trgm.word_similarity_threshold`, 0.6 by default); the GIN index
//! `idx_notes_body_trgm` serves it.

use sea_orm::sea_query::{Expr, Order};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use uuid::Uuid;

use super::super::Db;
use super::super::Note;
use super::super::entity as notes;
use super::notes::to_domain;

#[tracing::instrument(name = "db.notes.search", skip(db, query), err)]
pub async fn search_for_user(
    db: &Db,
    user_id: Uuid,
    query: &str,
    limit: u64,
) -> anyhow::Result<Vec<Note>> {
    let rows = notes::Entity::find()
        .filter(notes::Column::UserId.eq(user_id))
        .filter(Expr::cust_with_values("$1 <% \"body\"", [query]))
        .order_by(
            Expr::cust_with_values("word_similarity($1, \"body\")", [query]),
            Order::Desc,
        )
        .order_by_desc(notes::Column::CreatedAt)
        .limit(limit)
        .all(db)
        .await?;
    Ok(rows.into_iter().map(to_domain).collect())
}
