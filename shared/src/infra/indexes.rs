//! The indexes production has, plus the ones this backend's idempotency
//! needs, created idempotently by `heyway migrate`.

use mongodb::bson::{doc, Document};
use mongodb::options::IndexOptions;
use mongodb::IndexModel;

use crate::error::Result;
use crate::infra::db::Db;
use crate::model::scheduled_call::MANUAL_OPEN_KEY;
use crate::model::{
    APPLE_NOTIFICATIONS, COLLECTIONS, DIAL_HANDOFFS, DO_NOT_CALL, IDEMPOTENCY_KEYS, RATE_LIMITS,
    REFRESH_TOKENS, STRIPE_EVENTS,
};

/// Collections only this backend uses.
pub const OWN_COLLECTIONS: [&str; 7] = [
    REFRESH_TOKENS,
    RATE_LIMITS,
    STRIPE_EVENTS,
    APPLE_NOTIFICATIONS,
    IDEMPOTENCY_KEYS,
    DIAL_HANDOFFS,
    DO_NOT_CALL,
];

/// How long an `Idempotency-Key` is remembered.
pub const IDEMPOTENCY_KEY_SECS: u64 = 24 * 60 * 60;

/// Every collection `migrate` makes sure exists.
pub fn all_collections() -> impl Iterator<Item = &'static str> {
    COLLECTIONS.into_iter().chain(OWN_COLLECTIONS)
}

/// One index: where, its name, its key pattern and options.
#[derive(Clone, Debug)]
pub struct IndexSpec {
    pub collection: &'static str,
    pub name: &'static str,
    pub keys: Document,
    pub unique: bool,
    pub sparse: bool,
    /// TTL: documents go this many seconds after the indexed date.
    pub expire_after_secs: Option<u64>,
    /// Partial index: only documents matching this filter are indexed.
    pub partial_filter: Option<Document>,
}

impl IndexSpec {
    fn new(collection: &'static str, name: &'static str, keys: Document) -> Self {
        Self {
            collection,
            name,
            keys,
            unique: false,
            sparse: false,
            expire_after_secs: None,
            partial_filter: None,
        }
    }

    fn expire_after(mut self, secs: u64) -> Self {
        self.expire_after_secs = Some(secs);
        self
    }

    fn unique(mut self) -> Self {
        self.unique = true;
        self
    }

    fn sparse(mut self) -> Self {
        self.sparse = true;
        self
    }

    /// Indexes only the documents that have `field`: a unique index on a
    /// key only this backend writes leaves documents without it (legacy
    /// data, possibly duplicated) alone.
    fn only_where_present(mut self, field: &str) -> Self {
        let mut filter = Document::new();
        filter.insert(field, doc! { "$exists": true });
        self.partial_filter = Some(filter);
        self
    }

    /// The index as the driver creates it: keys, name and options. The
    /// evaluator bench builds its fair floor's collection from these.
    pub fn model(&self) -> IndexModel {
        let options = IndexOptions::builder()
            .name(self.name.to_string())
            .unique(self.unique.then_some(true))
            .sparse(self.sparse.then_some(true))
            .expire_after(self.expire_after_secs.map(std::time::Duration::from_secs))
            .partial_filter_expression(self.partial_filter.clone())
            .build();
        IndexModel::builder()
            .keys(self.keys.clone())
            .options(options)
            .build()
    }

    fn is_text(&self) -> bool {
        self.keys
            .values()
            .any(|value| value.as_str() == Some("text"))
    }
}

/// Every index, by the name production gives it. None of production's is
/// made unique here: its data may already hold duplicates (legacy phone
/// numbers without `+1`, emails differing in case). Our own unique
/// indexes have new names and cover fields only this backend writes.
///
/// Long: one table, an index a line, so every index is read in one place.
pub fn all() -> Vec<IndexSpec> {
    use IndexSpec as I;
    vec![
        I::new("users", "email_1", doc! { "email": 1 }),
        I::new(
            "users",
            "twilioConfig.verifiedCallerIds.phoneNumber_1_twilioConfig.verifiedCallerIds.verified_1",
            doc! { "twilioConfig.verifiedCallerIds.phoneNumber": 1, "twilioConfig.verifiedCallerIds.verified": 1 },
        ),
        I::new("users", "phoneNumber_1_sparse", doc! { "phoneNumber": 1 }).sparse(),
        I::new("calls", "automationId_1_createdAt_-1", doc! { "automationId": 1, "createdAt": -1 }),
        I::new("calls", "userId_1_automationId_1", doc! { "userId": 1, "automationId": 1 }),
        I::new("calls", "sessionId_1", doc! { "sessionId": 1 }),
        I::new("calls", "automationId_1", doc! { "automationId": 1 }),
        I::new("calls", "analysis.category_1", doc! { "analysis.category": 1 }),
        I::new("calls", "analysis.followUpNeeded_1", doc! { "analysis.followUpNeeded": 1 }),
        I::new("calls", "userId_1_createdAt_-1", doc! { "userId": 1, "createdAt": -1 }),
        I::new("calls", "twilioCallSid_1", doc! { "twilioCallSid": 1 }),
        I::new("calls", "status_1", doc! { "status": 1 }),
        // Completed calls still waiting for their post-call report
        // (webhooks::missed_reports).
        I::new("calls", "heyway_status_1_endedAt_1", doc! { "status": 1, "endedAt": 1 }),
        // Meterings in flight only: the field is removed once a call is
        // counted and reported (billing::metering::finish_interrupted).
        I::new("calls", "heyway_meteringStartedAt", doc! { "meteringStartedAt": 1 }).sparse(),
        I::new("calls", "userId_1_status_1", doc! { "userId": 1, "status": 1 }),
        I::new(
            "calls",
            "elevenLabsData.conversation_id_1",
            doc! { "elevenLabsData.conversation_id": 1 },
        ),
        I::new("calls", "isInbound_1_createdAt_-1", doc! { "isInbound": 1, "createdAt": -1 }),
        I::new("calls", "participants.phoneNumber_1", doc! { "participants.phoneNumber": 1 }),
        I::new("calls", "callerNumber_1", doc! { "callerNumber": 1 }),
        I::new("calls", "from_1", doc! { "from": 1 }),
        I::new(
            "calls",
            "analysis.category_1_createdAt_-1",
            doc! { "analysis.category": 1, "createdAt": -1 },
        ),
        I::new(
            "calls",
            "userId_1_analysis.followUpNeeded_1",
            doc! { "userId": 1, "analysis.followUpNeeded": 1 },
        ),
        I::new(
            "calls",
            "userId_1_analysis.category_1_createdAt_-1",
            doc! { "userId": 1, "analysis.category": 1, "createdAt": -1 },
        ),
        I::new("scheduledcalls", "automationId_1_status_1", doc! { "automationId": 1, "status": 1 }),
        I::new("scheduledcalls", "userId_1_automationId_1", doc! { "userId": 1, "automationId": 1 }),
        I::new("scheduledcalls", "automationId_1", doc! { "automationId": 1 }),
        I::new("scheduledcalls", "scheduledTime_1_status_1", doc! { "scheduledTime": 1, "status": 1 }),
        I::new("scheduledcalls", "userId_1_status_1", doc! { "userId": 1, "status": 1 }),
        I::new("scheduledcalls", "createdAt_1", doc! { "createdAt": 1 }),
        // Ours: one scheduled call per automation, contact and due instant.
        I::new("scheduledcalls", "heyway_dedupeKey_unique", doc! { "dedupeKey": 1 })
            .unique()
            .sparse(),
        // Ours: the sweep finds the calls it claimed by token.
        I::new("scheduledcalls", "heyway_enqueueToken", doc! { "enqueueToken": 1 }).sparse(),
        // Ours: one open manual call per contact or number; only our manual
        // calls carry the field, and only while open (model::scheduled_call).
        I::new("scheduledcalls", "heyway_manualOpenKey_unique", doc! { MANUAL_OPEN_KEY: 1 })
            .unique()
            .sparse(),
        I::new("automations", "userId_1", doc! { "userId": 1 }),
        I::new("automations", "userId_1_isActive_1", doc! { "userId": 1, "isActive": 1 }),
        I::new("automations", "userId_1_nextRun_1", doc! { "userId": 1, "nextRun": 1 }),
        I::new("automations", "isActive_1_nextRun_1", doc! { "isActive": 1, "nextRun": 1 }),
        I::new("contacts", "userId_1_phoneNumber_1", doc! { "userId": 1, "phoneNumber": 1 }),
        I::new(
            "contacts",
            "userId_1_name_text_phoneNumber_text",
            doc! { "userId": 1, "name": "text", "phoneNumber": "text" },
        ),
        I::new("contacts", "userId_1_groups_1", doc! { "userId": 1, "groups": 1 }),
        I::new("contacts", "userId_1_isActive_1", doc! { "userId": 1, "isActive": 1 }),
        // Ours: one contact per number of a user, atomically. `phoneKey`
        // (`<userId>:<E.164>`) is set by our writes only; production's
        // contacts, which may repeat a number, have none.
        I::new("contacts", "heyway_phoneKey_unique", doc! { "phoneKey": 1 })
            .unique()
            .only_where_present("phoneKey"),
        I::new("subscriptions", "userId_1", doc! { "userId": 1 }),
        I::new("subscriptions", "status_1", doc! { "status": 1 }),
        I::new("subscriptions", "currentPeriodEnd_1", doc! { "currentPeriodEnd": 1 }),
        I::new("contactlists", "userId_1", doc! { "userId": 1 }),
        I::new("contactlists", "userId_1_name_1", doc! { "userId": 1, "name": 1 }),
        I::new(
            "contactlists",
            "userId_1_metadata.lastUsed_-1",
            doc! { "userId": 1, "metadata.lastUsed": -1 },
        ),
        I::new("contactlists", "contacts.contactId_1", doc! { "contacts.contactId": 1 }),
        // Ours: sign-in state.
        I::new(REFRESH_TOKENS, "heyway_tokenHash_unique", doc! { "tokenHash": 1 }).unique(),
        I::new(REFRESH_TOKENS, "heyway_familyId", doc! { "familyId": 1 }),
        I::new(REFRESH_TOKENS, "heyway_expiresAt_ttl", doc! { "expiresAt": 1 }).expire_after(0),
        I::new(RATE_LIMITS, "heyway_expiresAt_ttl", doc! { "expiresAt": 1 }).expire_after(0),
        // Ours: each Stripe event is applied once.
        I::new(STRIPE_EVENTS, "heyway_eventId_unique", doc! { "eventId": 1 }).unique(),
        // Ours: each App Store notification is applied once.
        I::new(APPLE_NOTIFICATIONS, "heyway_notificationUUID_unique", doc! { "notificationUUID": 1 })
            .unique(),
        // Ours: one subscriptions document per App Store subscription
        // (original transaction), however many deliveries race. Only our
        // writes carry `appStoreKey`; legacy receipt rows have none.
        I::new("subscriptions", "heyway_appStoreKey_unique", doc! { "appStoreKey": 1 })
            .unique()
            .only_where_present("appStoreKey"),
        // Ours: one usage document per customer however many calls end
        // together; sparse, as production's documents lack the key.
        I::new("usage", "heyway_usageKey_unique", doc! { "usageKey": 1 })
            .unique()
            .sparse(),
        // Ours: a user's Idempotency-Keys, each claimed once, gone after 24 h.
        I::new(IDEMPOTENCY_KEYS, "heyway_userId_key_unique", doc! { "userId": 1, "key": 1 }).unique(),
        I::new(IDEMPOTENCY_KEYS, "heyway_createdAt_ttl", doc! { "createdAt": 1 })
            .expire_after(IDEMPOTENCY_KEY_SECS),
        // Ours: the do-not-call registry. One active entry per business and
        // number (`activeKey`, removed with the entry); lookups by any
        // stored form of the number.
        I::new(DO_NOT_CALL, "heyway_activeKey_unique", doc! { "activeKey": 1 })
            .unique()
            .only_where_present("activeKey"),
        I::new(DO_NOT_CALL, "heyway_userId_phoneForms", doc! { "userId": 1, "phoneForms": 1 }),
        I::new(DO_NOT_CALL, "heyway_userId_addedAt", doc! { "userId": 1, "addedAt": -1 }),
    ]
}

/// What a migration did.
#[derive(Debug, Default)]
pub struct MigrationReport {
    pub collections_created: Vec<String>,
    pub indexes_created: Vec<String>,
    pub indexes_present: Vec<String>,
    /// Indexes the server cannot build (text indexes on SecantusDB).
    pub indexes_unsupported: Vec<String>,
}

/// Creates every collection and every index that is missing. Running it
/// again changes nothing.
pub async fn migrate(db: &Db) -> Result<MigrationReport> {
    let mut report = MigrationReport::default();
    let existing = db.database().list_collection_names().await?;
    for name in all_collections() {
        if !existing.iter().any(|have| have == name) {
            db.database().create_collection(name).await?;
            report.collections_created.push(name.to_string());
        }
    }
    for spec in all() {
        let label = format!("{}.{}", spec.collection, spec.name);
        let collection = db.raw(spec.collection);
        let present = collection.list_index_names().await?;
        if present.iter().any(|name| name == spec.name) {
            report.indexes_present.push(label);
            continue;
        }
        match collection.create_index(spec.model()).await {
            Ok(_) => {
                tracing::info!(index = %label, "created index");
                report.indexes_created.push(label);
            }
            Err(error) if spec.is_text() => {
                tracing::warn!(index = %label, %error, "server cannot build this text index; contact search does not need it");
                report.indexes_unsupported.push(label);
            }
            Err(error) => return Err(error.into()),
        }
    }
    Ok(report)
}
