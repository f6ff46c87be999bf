//! A note's text, validated once at the edge.

use super::ValidationError;

/// A non-blank note body of bounded length.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoteBody(String);

impl NoteBody {
    pub const MAX_LEN: usize = 10_000;

    pub fn parse(raw: &str) -> Result<Self, ValidationError> {
        if raw.trim().is_empty() {
            return Err(ValidationError::new("body", "must not be blank"));
        }
        if raw.chars().count() > Self::MAX_LEN {
            return Err(ValidationError::new(
                "body",
                format!("must be at most {} characters", Self::MAX_LEN),
            ));
        }
        Ok(Self(raw.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn note_body_rejects_blank_and_huge() {
        assert!(NoteBody::parse("   ").is_err());
        assert!(NoteBody::parse(&"a".repeat(NoteBody::MAX_LEN + 1)).is_err());
        assert!(NoteBody::parse("hello").is_ok());
    }
}
