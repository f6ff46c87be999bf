//! Page-number pagination shared by list operations.

use super::ValidationError;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageRequest {
    /// 1-based page number.
    pub page: u64,
    pub per_page: u64,
}

impl PageRequest {
    pub const DEFAULT_PER_PAGE: u64 = 20;
    pub const MAX_PER_PAGE: u64 = 100;

    pub fn parse(page: Option<u64>, per_page: Option<u64>) -> Result<Self, ValidationError> {
        let page = page.unwrap_or(1);
        if page == 0 {
            return Err(ValidationError::new("page", "must be at least 1"));
        }
        let per_page = ValidationError::check_in_range(
            "per_page",
            per_page.unwrap_or(Self::DEFAULT_PER_PAGE),
            1..=Self::MAX_PER_PAGE,
        )?;
        Ok(Self { page, per_page })
    }
}

#[derive(Debug, Clone)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub page: u64,
    pub per_page: u64,
    pub total: u64,
}

impl<T> Page<T> {
    pub fn total_pages(&self) -> u64 {
        self.total.div_ceil(self.per_page)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_and_bounds() {
        assert_eq!(
            PageRequest::parse(None, None).unwrap(),
            PageRequest {
                page: 1,
                per_page: 20
            }
        );
        assert!(PageRequest::parse(Some(0), None).is_err());
        assert!(PageRequest::parse(None, Some(101)).is_err());
    }

    #[test]
    fn total_pages_rounds_up() {
        let p = Page::<()> {
            items: vec![],
            page: 1,
            per_page: 2,
            total: 3,
        };
        assert_eq!(p.total_pages(), 2);
    }
}
