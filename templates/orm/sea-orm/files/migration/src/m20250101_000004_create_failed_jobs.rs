use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum FailedJobs {
    Table,
    Id,
    Job,
    Payload,
    Error,
    Attempts,
    FailedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(FailedJobs::Table)
                    .if_not_exists()
                    .col(pk_uuid(FailedJobs::Id))
                    .col(text(FailedJobs::Job))
                    .col(json_binary(FailedJobs::Payload))
                    .col(text(FailedJobs::Error))
                    .col(integer(FailedJobs::Attempts))
                    .col(
                        timestamp_with_time_zone(FailedJobs::FailedAt)
                            .default(Expr::current_timestamp()),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(FailedJobs::Table).to_owned())
            .await
    }
}
