//! pgvector: notes may carry an embedding (`vector(384)`, supplied by the
//! client), with an HNSW index for cosine-distance nearest-neighbour queries.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        db.execute_unprepared("CREATE EXTENSION IF NOT EXISTS vector")
            .await?;
        db.execute_unprepared("ALTER TABLE notes ADD COLUMN IF NOT EXISTS embedding vector(384)")
            .await?;
        db.execute_unprepared(
            "CREATE INDEX IF NOT EXISTS idx_notes_embedding ON notes USING hnsw (embedding vector_cosine_ops)",
        )
        .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        db.execute_unprepared("DROP INDEX IF EXISTS idx_notes_embedding")
            .await?;
        db.execute_unprepared("ALTER TABLE notes DROP COLUMN IF EXISTS embedding")
            .await?;
        Ok(())
    }
}
