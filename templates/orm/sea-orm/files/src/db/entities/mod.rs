//! SeaORM entities of the platform itself (one per table); each context keeps
//! its own.

pub mod failed_jobs;
