//! SeaORM entities (one per table).

pub mod failed_jobs;
pub mod notes;
pub mod refresh_tokens;
pub mod users;
