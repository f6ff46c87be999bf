//! The identity context's validated inputs ("parse, don't validate"): once you
//! hold one, it is valid.

use super::ValidationError;

/// A syntactically plausible, normalised (trimmed, lower-cased) e-mail address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email(String);

impl Email {
    pub fn parse(raw: &str) -> Result<Self, ValidationError> {
        let value = raw.trim().to_lowercase();
        let err = |m: &str| Err(ValidationError::new("email", m));
        if value.is_empty() {
            return err("must not be empty");
        }
        if value.len() > 254 {
            return err("must be at most 254 characters");
        }
        let Some((local, domain)) = value.split_once('@') else {
            return err("must contain '@'");
        };
        if local.is_empty()
            || domain.is_empty()
            || domain.contains('@')
            || !domain.contains('.')
            || domain.starts_with('.')
            || domain.ends_with('.')
            || value.chars().any(char::is_whitespace)
        {
            return err("is not a valid e-mail address");
        }
        Ok(Self(value))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A password that meets the length policy. Its `Debug` output is redacted.
#[derive(Clone)]
pub struct Password(String);

impl Password {
    pub const MIN_LEN: usize = 8;
    pub const MAX_LEN: usize = 128;

    pub fn parse(raw: &str) -> Result<Self, ValidationError> {
        let n = raw.chars().count();
        if n < Self::MIN_LEN {
            return Err(ValidationError::new(
                "password",
                format!("must be at least {} characters", Self::MIN_LEN),
            ));
        }
        if n > Self::MAX_LEN {
            return Err(ValidationError::new(
                "password",
                format!("must be at most {} characters", Self::MAX_LEN),
            ));
        }
        Ok(Self(raw.to_owned()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Password {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Password(***)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn email_is_normalised() {
        assert_eq!(
            Email::parse("  Ann@Example.COM ").unwrap().as_str(),
            "ann@example.com"
        );
    }

    #[test]
    fn bad_emails_are_rejected() {
        for raw in [
            "",
            "ann",
            "ann@",
            "@example.com",
            "ann@example",
            "a b@example.com",
            "a@b@c.d",
        ] {
            assert!(Email::parse(raw).is_err(), "{raw:?} should be rejected");
        }
    }

    #[test]
    fn password_length_policy() {
        assert!(Password::parse("short").is_err());
        assert!(Password::parse(&"x".repeat(129)).is_err());
        assert!(Password::parse("long enough").is_ok());
    }

    #[test]
    fn password_debug_is_redacted() {
        let p = Password::parse("supersecret").unwrap();
        assert!(!format!("{p:?}").contains("supersecret"));
    }
}
