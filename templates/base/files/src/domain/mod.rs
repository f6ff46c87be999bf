//! What the bounded contexts (`identity`, `notes`) share: the validation error,
//! pagination, and the background-job contract.
//!
//! Nothing in here knows about HTTP or the queue backend.

pub mod jobs;
pub mod pagination;

use std::fmt::Display;
use std::ops::RangeInclusive;

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

    /// `value` when it lies in `range`; otherwise an error naming `field` and the range.
    pub fn check_in_range<T: PartialOrd + Display>(
        field: &'static str,
        value: T,
        range: RangeInclusive<T>,
    ) -> Result<T, Self> {
        if range.contains(&value) {
            Ok(value)
        } else {
            Err(Self::new(
                field,
                format!("must be between {} and {}", range.start(), range.end()),
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_value_out_of_range_names_the_field_and_the_range() {
        assert_eq!(ValidationError::check_in_range("limit", 50, 1..=50), Ok(50));
        let error = ValidationError::check_in_range("limit", 0, 1..=50).unwrap_err();
        assert_eq!(error.to_string(), "limit: must be between 1 and 50");
    }
}
