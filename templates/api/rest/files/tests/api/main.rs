//! API integration tests (black-box, over HTTP, against real Postgres and the
//! configured queue backend). Backend-specific tests live in their own files.

mod auth;
mod health;
mod helpers;
mod notes;
mod openapi;
