//! Versioned database migrations (sea-orm-migration).
//!
//! Add a new migration by creating `mYYYYMMDD_NNNNNN_description.rs` and
//! appending it to [`Migrator::migrations`]; never edit one that has shipped.

pub use sea_orm_migration::prelude::*;

mod m20250101_000001_create_users;
mod m20250101_000002_create_notes;
mod m20250101_000003_create_refresh_tokens;
mod m20250101_000004_create_failed_jobs;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20250101_000001_create_users::Migration),
            Box::new(m20250101_000002_create_notes::Migration),
            Box::new(m20250101_000003_create_refresh_tokens::Migration),
            Box::new(m20250101_000004_create_failed_jobs::Migration),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrations_are_listed_in_order() {
        let names: Vec<String> = Migrator::migrations()
            .iter()
            .map(|m| m.name().to_owned())
            .collect();
        let mut sorted = names.clone();
        sorted.sort();
        assert_eq!(names, sorted);
        assert_eq!(names.len(), 4);
    }
}
