//! What the bounded contexts (`identity`, `notes`) share: the validation error,
//! pagination, and the background-job contract.
//!
//! Nothing in here knows about HTTP or the queue backend.

pub mod jobs;
pub mod pagination;

pub use pagination::{Page, PageRequest};

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
