//! Every read and write of the automations feature beyond the store's
//! generic ones.

use futures_util::TryStreamExt;
use mongodb::bson::{doc, Document};

use crate::error::Result;
use crate::infra::db::Db;
use crate::infra::store;
use crate::model::{Automation, Contact, Record};

/// The automation's contacts that may be called: its owner's, active.
pub async fn active_contacts(db: &Db, automation: &Automation) -> Result<Vec<Contact>> {
    let ids = automation.contact_ids();
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let documents: Vec<Document> = db
        .raw(Contact::COLLECTION)
        .find(doc! {
            "_id": { "$in": ids },
            "userId": automation.user_id,
            "isActive": { "$ne": false },
            "optedOut": { "$ne": true },
        })
        .await?
        .try_collect()
        .await?;
    documents.into_iter().map(store::decode).collect()
}
