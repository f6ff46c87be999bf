//! TimescaleDB: `note_events`, a hypertable partitioned by time, one row per
//! event on a note (today: `created`, written by a trigger in the same
//! transaction as the note, so a note never exists without its event).

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        db.execute_unprepared("CREATE EXTENSION IF NOT EXISTS timescaledb")
            .await?;
        db.execute_unprepared(
            "CREATE TABLE IF NOT EXISTS note_events (
                at timestamptz NOT NULL DEFAULT now(),
                note_id uuid NOT NULL,
                user_id uuid NOT NULL,
                kind text NOT NULL
            )",
        )
        .await?;
        db.execute_unprepared(
            "SELECT create_hypertable('note_events', by_range('at'), if_not_exists => TRUE)",
        )
        .await?;
        db.execute_unprepared(
            "CREATE INDEX IF NOT EXISTS idx_note_events_user_at ON note_events (user_id, at DESC)",
        )
        .await?;
        db.execute_unprepared(
            "CREATE OR REPLACE FUNCTION note_created_event() RETURNS trigger AS $$
             BEGIN
                 INSERT INTO note_events (at, note_id, user_id, kind)
                 VALUES (NEW.created_at, NEW.id, NEW.user_id, 'created');
                 RETURN NEW;
             END
             $$ LANGUAGE plpgsql",
        )
        .await?;
        db.execute_unprepared(
            "CREATE OR REPLACE TRIGGER notes_created_event AFTER INSERT ON notes
             FOR EACH ROW EXECUTE FUNCTION note_created_event()",
        )
        .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .get_connection()
            .execute_unprepared(
                "DROP TRIGGER IF EXISTS notes_created_event ON notes;
                 DROP FUNCTION IF EXISTS note_created_event();
                 DROP TABLE IF EXISTS note_events",
            )
            .await?;
        Ok(())
    }
}
