//! PostGIS: notes may carry a location (a geography point, WGS 84), with a
//! GiST index so radius queries (`ST_DWithin`) use it.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        db.execute_unprepared("CREATE EXTENSION IF NOT EXISTS postgis")
            .await?;
        db.execute_unprepared(
            "ALTER TABLE notes ADD COLUMN IF NOT EXISTS location geography(Point, 4326)",
        )
        .await?;
        db.execute_unprepared(
            "CREATE INDEX IF NOT EXISTS idx_notes_location ON notes USING gist (location)",
        )
        .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        db.execute_unprepared("DROP INDEX IF EXISTS idx_notes_location")
            .await?;
        db.execute_unprepared("ALTER TABLE notes DROP COLUMN IF EXISTS location")
            .await?;
        Ok(())
    }
}
