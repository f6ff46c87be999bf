//! Persistence: connection, migrations and repositories (SeaORM on Postgres).
//!
//! API and domain code only call repository functions; no SQL is built
//! outside this module.

use std::time::Duration;

use anyhow::Context;
use migration::MigratorTrait;
use sea_orm::{ConnectOptions, ConnectionTrait, Database};
use secrecy::{ExposeSecret, SecretString};

use crate::config::env::{self, ConfigError};

pub mod entities;
pub mod repositories;

/// Handle to the database shared across the application (cheap to clone).
pub type Db = sea_orm::DatabaseConnection;

/// Database settings.
#[derive(Debug, Clone)]
pub struct Settings {
    pub url: SecretString,
    pub max_connections: u32,
    pub connect_timeout: Duration,
}

/// Default used by tests when `DATABASE_URL` is unset.
const TEST_DEFAULT_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";

impl Settings {
    pub fn from_env() -> Result<Self, ConfigError> {
        Ok(Self {
            url: env::secret(
                "DATABASE_URL",
                "a Postgres URL such as postgres://user:pass@host:5432/db",
            )?,
            max_connections: env::parse_or("DATABASE_MAX_CONNECTIONS", "a positive integer", 10)?,
            connect_timeout: Duration::from_secs(env::parse_or(
                "DATABASE_CONNECT_TIMEOUT_SECS",
                "a whole number of seconds",
                5,
            )?),
        })
    }

    /// Creates a fresh, uniquely named database next to `DATABASE_URL`
    /// (or the local default) and returns settings pointing at it.
    pub async fn for_tests() -> anyhow::Result<Self> {
        let base = env::optional("DATABASE_URL").unwrap_or_else(|| TEST_DEFAULT_URL.to_owned());
        let name = format!("test_{}", uuid::Uuid::new_v4().simple());
        let admin = Database::connect(base.as_str())
            .await
            .context("connecting to DATABASE_URL to create a test database")?;
        admin
            .execute_unprepared(&format!("CREATE DATABASE \"{name}\""))
            .await
            .context("creating test database")?;
        admin.close().await.ok();
        Ok(Self {
            url: SecretString::from(with_database_name(&base, &name)),
            max_connections: 5,
            connect_timeout: Duration::from_secs(5),
        })
    }
}

/// Drops a database made by [`Settings::for_tests`], closing its connections by force.
/// Refuses any database whose name does not start with `test_`.
pub async fn drop_test_database(settings: &Settings) -> anyhow::Result<()> {
    let url = settings.url.expose_secret();
    let path = url.split('?').next().unwrap_or(url);
    let name = path.rsplit('/').next().unwrap_or_default();
    anyhow::ensure!(
        name.starts_with("test_"),
        "refusing to drop `{name}`: not a test database"
    );
    let admin = Database::connect(with_database_name(url, "postgres").as_str())
        .await
        .context("connecting to drop a test database")?;
    admin
        .execute_unprepared(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
        .await
        .context("dropping test database")?;
    admin.close().await.ok();
    Ok(())
}

/// Replaces the database name (the URL path) in a Postgres URL.
fn with_database_name(url: &str, name: &str) -> String {
    let (main, query) = match url.split_once('?') {
        Some((m, q)) => (m, Some(q)),
        None => (url, None),
    };
    let scheme_end = main.find("://").map(|i| i + 3).unwrap_or(0);
    let host_part = match main[scheme_end..].find('/') {
        Some(i) => &main[..scheme_end + i],
        None => main,
    };
    match query {
        Some(q) => format!("{host_part}/{name}?{q}"),
        None => format!("{host_part}/{name}"),
    }
}

/// Opens the connection pool.
pub async fn connect(settings: &Settings) -> anyhow::Result<Db> {
    let mut opts = ConnectOptions::new(settings.url.expose_secret().to_owned());
    opts.max_connections(settings.max_connections)
        .connect_timeout(settings.connect_timeout)
        .acquire_timeout(settings.connect_timeout)
        .sqlx_logging(false);
    Database::connect(opts)
        .await
        .context("connecting to the database")
}

/// Checks that the database answers.
#[tracing::instrument(name = "db.ping", skip_all)]
pub async fn ping(db: &Db) -> anyhow::Result<()> {
    db.ping().await.context("database ping")
}

/// Applies all pending migrations.
#[tracing::instrument(name = "db.migrate", skip_all)]
pub async fn migrate(db: &Db) -> anyhow::Result<()> {
    migration::Migrator::up(db, None)
        .await
        .context("running database migrations")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_database_name() {
        assert_eq!(
            with_database_name("postgres://u:p@h:5432/postgres", "x"),
            "postgres://u:p@h:5432/x"
        );
        assert_eq!(
            with_database_name("postgres://h/db?sslmode=require", "x"),
            "postgres://h/x?sslmode=require"
        );
        assert_eq!(
            with_database_name("postgres://h:5432", "x"),
            "postgres://h:5432/x"
        );
    }
}
