use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The events a service has handled: delivery is at least once, so a subscriber
/// skips an event id it finds here.
#[derive(DeriveIden)]
enum HandledEvents {
    Table,
    EventId,
    Event,
    HandledAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(HandledEvents::Table)
                    .if_not_exists()
                    .col(pk_uuid(HandledEvents::EventId))
                    .col(text(HandledEvents::Event))
                    .col(
                        timestamp_with_time_zone(HandledEvents::HandledAt)
                            .default(Expr::current_timestamp()),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(HandledEvents::Table).to_owned())
            .await
    }
}
