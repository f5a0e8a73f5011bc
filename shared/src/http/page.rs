//! Pagination shared by every list route.

use futures_util::TryStreamExt;
use mongodb::bson::Document;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::error::{Error, Result};
use crate::infra::db::Db;
use crate::infra::store;
use crate::model::Record;

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

/// One page of the `T`s matching `filter`, in `sort` order, each shown
/// through `view`, with the total across all pages.
pub async fn find_page<T: Record, V>(
    db: &Db,
    filter: Document,
    sort: Document,
    page: PageRequest,
    mut view: impl FnMut(T) -> V,
) -> Result<Paged<V>> {
    let collection = db.raw(T::COLLECTION);
    let total = collection.count_documents(filter.clone()).await?;
    let documents: Vec<Document> = collection
        .find(filter)
        .sort(sort)
        .skip(page.skip())
        .limit(i64::try_from(page.limit).unwrap_or(i64::MAX))
        .await?
        .try_collect()
        .await?;
    let items = documents
        .into_iter()
        .map(|document| store::decode::<T>(document).map(&mut view))
        .collect::<Result<Vec<_>>>()?;
    Ok(Paged::new(items, total, page))
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
