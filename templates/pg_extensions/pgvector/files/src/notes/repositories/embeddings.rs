//! Note embeddings (pgvector). `embedding` is a `vector(384)` column the entity
//! does not map; the vector is bound as pgvector's text form and cast with
//! `::vector`. `<=>` is cosine distance, served by the HNSW index.

use sea_orm::sea_query::{Expr, Order};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, FromQueryResult, QueryFilter, QueryOrder,
    QuerySelect, Statement, TransactionTrait,
};
use uuid::Uuid;

use super::super::Db;
use super::super::embeddings::{Embedding, SimilarNote};
use super::super::entity as notes;
use super::notes::to_domain;

#[tracing::instrument(name = "db.notes.set_embedding", skip(db, embedding), err)]
pub async fn set_for_user(
    db: &Db,
    user_id: Uuid,
    note_id: Uuid,
    embedding: &Embedding,
) -> anyhow::Result<bool> {
    let result = db
        .execute_raw(Statement::from_sql_and_values(
            db.get_database_backend(),
            "UPDATE notes SET embedding = $1::vector WHERE id = $2 AND user_id = $3",
            [
                embedding.to_pgvector().into(),
                note_id.into(),
                user_id.into(),
            ],
        ))
        .await?;
    Ok(result.rows_affected() == 1)
}

#[derive(Debug, FromQueryResult)]
struct SimilarRow {
    #[sea_orm(nested)]
    note: notes::Model,
    distance: f64,
}

#[tracing::instrument(name = "db.notes.similar", skip(db, embedding), err)]
pub async fn similar_for_user(
    db: &Db,
    user_id: Uuid,
    embedding: &Embedding,
    limit: u64,
) -> anyhow::Result<Vec<SimilarNote>> {
    let query = embedding.to_pgvector();
    // The HNSW scan returns `ef_search` candidates before the owner filter; an
    // iterative scan (pgvector 0.8+) keeps going until `limit` rows pass it.
    let txn = db.begin().await?;
    txn.execute_unprepared("SET LOCAL hnsw.iterative_scan = strict_order")
        .await?;
    let rows = notes::Entity::find()
        .column_as(
            Expr::cust_with_values("(embedding <=> $1::vector)::float8", [query.clone()]),
            "distance",
        )
        .filter(notes::Column::UserId.eq(user_id))
        .filter(Expr::cust("embedding IS NOT NULL"))
        .order_by(
            Expr::cust_with_values("embedding <=> $1::vector", [query]),
            Order::Asc,
        )
        .limit(limit)
        .into_model::<SimilarRow>()
        .all(&txn)
        .await?;
    txn.commit().await?;
    Ok(rows
        .into_iter()
        .map(|r| SimilarNote {
            note: to_domain(r.note),
            distance: r.distance,
        })
        .collect())
}
