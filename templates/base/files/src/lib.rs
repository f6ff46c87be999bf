//! Library crate: everything the binary wires together, also used by tests.
//!
//! `identity` and `notes` are the bounded contexts; the other modules are the
//! platform they run on (`api`, `app`, `auth`, `config`, `db`, `jobs`,
//! `telemetry`) and what the contexts share (`domain`).

pub mod api;
pub mod app;
pub mod auth;
pub mod config;
pub mod db;
pub mod domain;
pub mod identity;
pub mod jobs;
pub mod notes;
pub mod telemetry;
