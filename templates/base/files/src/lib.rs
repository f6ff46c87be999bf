//! Library crate: everything the binary wires together, also used by tests.

pub mod api;
pub mod app;
pub mod auth;
pub mod config;
pub mod db;
pub mod domain;
pub mod jobs;
pub mod telemetry;
