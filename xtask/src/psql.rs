//! The machine's Postgres through `psql`: one statement, its output as text.

use std::process::Command;

use anyhow::{Context, Result, ensure};

/// Runs `sql` in database `db` on 127.0.0.1 as `postgres`; returns the unaligned,
/// tuples-only output, trimmed. Fails with psql's message when the statement fails.
pub fn query(db: &str, sql: &str) -> Result<String> {
    let out = Command::new("psql")
        .args(["-h", "127.0.0.1", "-U", "postgres", "-d", db])
        .args(["-v", "ON_ERROR_STOP=1", "-tA", "-c", sql])
        .output()
        .context("cannot run psql (install postgresql-client)")?;
    ensure!(
        out.status.success(),
        "psql `{sql}` failed: {}",
        String::from_utf8_lossy(&out.stderr).trim()
    );
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
}
