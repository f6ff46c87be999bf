use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Events a service has published, stored in the transaction that caused them and
/// relayed to the broker by its worker (a transactional outbox).
#[derive(DeriveIden)]
enum Outbox {
    Table,
    EventId,
    Event,
    Payload,
    CreatedAt,
    PublishedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Outbox::Table)
                    .if_not_exists()
                    .col(pk_uuid(Outbox::EventId))
                    .col(text(Outbox::Event))
                    .col(json_binary(Outbox::Payload))
                    .col(
                        timestamp_with_time_zone(Outbox::CreatedAt)
                            .default(Expr::current_timestamp()),
                    )
                    .col(timestamp_with_time_zone_null(Outbox::PublishedAt))
                    .to_owned(),
            )
            .await?;
        // The relay reads the unpublished events, oldest first.
        manager
            .create_index(
                Index::create()
                    .name("idx_outbox_unpublished")
                    .table(Outbox::Table)
                    .col(Outbox::CreatedAt)
                    .and_where(Expr::col(Outbox::PublishedAt).is_null())
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Outbox::Table).to_owned())
            .await
    }
}
