//! API-agnostic domain logic: validated types, services and job handlers.
//!
//! Nothing in here knows about HTTP, the queue backend or the database driver;
//! persistence goes through `crate::db::repositories`.

pub mod jobs;
pub mod notes;
pub mod pagination;
pub mod types;
pub mod users;

pub use pagination::{Page, PageRequest};
pub use types::{Email, NoteBody, Password};

/// A rejected input, safe to show to the caller.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct ValidationError {
    pub field: &'static str,
    pub message: String,
}

impl ValidationError {
    pub fn new(field: &'static str, message: impl Into<String>) -> Self {
        Self {
            field,
            message: message.into(),
        }
    }
}
