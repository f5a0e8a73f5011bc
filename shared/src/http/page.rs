//! Pagination shared by every list route.

use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::error::{Error, Result};

pub const DEFAULT_LIMIT: u64 = 50;
pub const MAX_LIMIT: u64 = 200;

/// `?page=1&limit=50`: pages count from 1; `limit` is at most 200.
#[derive(Clone, Copy, Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// Page number, from 1 (default 1).
    pub page: Option<u64>,
    /// Items per page, 1 to 200 (default 50).
    pub limit: Option<u64>,
}

/// A validated page request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PageRequest {
    pub page: u64,
    pub limit: u64,
}

impl PageQuery {
    pub fn validate(self) -> Result<PageRequest> {
        let page = self.page.unwrap_or(1);
        if page == 0 {
            return Err(Error::validation("page", "page counts from 1"));
        }
        let limit = self.limit.unwrap_or(DEFAULT_LIMIT);
        if limit == 0 || limit > MAX_LIMIT {
            return Err(Error::validation(
                "limit",
                format!("limit must be between 1 and {MAX_LIMIT}"),
            ));
        }
        if page
            .checked_mul(limit)
            .is_none_or(|end| end > i64::MAX as u64)
        {
            return Err(Error::validation("page", "page is too large"));
        }
        Ok(PageRequest { page, limit })
    }
}

impl PageRequest {
    /// Documents to skip.
    /// The page of `view`s of what the store found for this request
    /// (`items` of this page, `total` across all pages).
    pub fn paged<T, V>(self, (items, total): (Vec<T>, u64), view: impl FnMut(T) -> V) -> Paged<V> {
        Paged::new(items.into_iter().map(view).collect(), total, self)
    }

    pub fn skip(self) -> u64 {
        (self.page - 1) * self.limit
    }
}

/// One page of a list, with the total across all pages.
#[derive(Debug, Serialize, ToSchema)]
pub struct Paged<T> {
    pub items: Vec<T>,
    pub total: u64,
    pub page: u64,
    pub limit: u64,
}

impl<T> Paged<T> {
    pub fn new(items: Vec<T>, total: u64, request: PageRequest) -> Self {
        Self {
            items,
            total,
            page: request.page,
            limit: request.limit,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_and_bounds() {
        assert_eq!(
            PageQuery::default().validate().unwrap(),
            PageRequest { page: 1, limit: 50 }
        );
        let err = PageQuery {
            page: None,
            limit: Some(201),
        }
        .validate()
        .unwrap_err();
        assert_eq!(err.body().error.field.as_deref(), Some("limit"));
        assert!(PageQuery {
            page: Some(0),
            limit: None
        }
        .validate()
        .is_err());
        assert!(PageQuery {
            page: Some(u64::MAX),
            limit: Some(200)
        }
        .validate()
        .is_err());
        assert_eq!(PageRequest { page: 3, limit: 20 }.skip(), 40);
    }
}
