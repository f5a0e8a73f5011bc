//! `heyway migrate` creates exactly production's indexes plus ours, and a
//! second run changes nothing.

use std::collections::BTreeMap;

use heyway::infra::indexes;
use heyway::model::COLLECTIONS;
use heyway_tests::TestDb;
use mongodb::bson::{doc, Document};

/// Index name → (key pattern, unique, sparse, partial filter) for every
/// collection.
type Snapshot = BTreeMap<String, (Document, bool, bool, Option<Document>)>;

async fn snapshot(t: &TestDb) -> Snapshot {
    let mut found = BTreeMap::new();
    for collection in indexes::all_collections() {
        let mut cursor = t.db.raw(collection).list_indexes().await.unwrap();
        while cursor.advance().await.unwrap() {
            let index = cursor.deserialize_current().unwrap();
            let options = index.options.unwrap_or_default();
            found.insert(
                format!("{collection}.{}", options.name.unwrap()),
                (
                    index.keys,
                    options.unique.unwrap_or(false),
                    options.sparse.unwrap_or(false),
                    options.partial_filter_expression,
                ),
            );
        }
    }
    found
}

#[tokio::test]
async fn migrate_twice_leaves_exactly_the_schema_indexes_plus_ours() {
    let t = TestDb::new().await;
    let first = indexes::migrate(&t.db).await.unwrap();
    assert_eq!(
        first.collections_created.len(),
        indexes::all_collections().count()
    );
    assert!(COLLECTIONS
        .iter()
        .all(|c| first.collections_created.iter().any(|made| made == c)));
    let after_first = snapshot(&t).await;

    let second = indexes::migrate(&t.db).await.unwrap();
    assert!(second.collections_created.is_empty());
    assert!(
        second.indexes_created.is_empty(),
        "{:?}",
        second.indexes_created
    );
    assert_eq!(second.indexes_unsupported, first.indexes_unsupported);
    assert_eq!(
        snapshot(&t).await,
        after_first,
        "second run changed indexes"
    );

    let mut expected: Snapshot = indexes::all_collections()
        .map(|c| (format!("{c}._id_"), (doc! { "_id": 1 }, false, false, None)))
        .collect();
    for spec in indexes::all() {
        let label = format!("{}.{}", spec.collection, spec.name);
        if first.indexes_unsupported.contains(&label) {
            continue;
        }
        expected.insert(
            label,
            (spec.keys, spec.unique, spec.sparse, spec.partial_filter),
        );
    }
    assert_eq!(after_first, expected);
}

#[tokio::test]
async fn index_names_match_production() {
    let specs = indexes::all();
    let names = |collection: &str| -> Vec<&str> {
        specs
            .iter()
            .filter(|s| s.collection == collection && !s.name.starts_with("heyway_"))
            .map(|s| s.name)
            .collect()
    };
    // The schema's lists, minus `_id_`.
    assert_eq!(
        names("contacts"),
        [
            "userId_1_phoneNumber_1",
            "userId_1_name_text_phoneNumber_text",
            "userId_1_groups_1",
            "userId_1_isActive_1"
        ]
    );
    assert_eq!(
        names("users"),
        ["email_1", "twilioConfig.verifiedCallerIds.phoneNumber_1_twilioConfig.verifiedCallerIds.verified_1", "phoneNumber_1_sparse"]
    );
    assert_eq!(names("calls").len(), 18);
    assert_eq!(names("scheduledcalls").len(), 6);
    assert_eq!(names("automations").len(), 4);
    assert_eq!(names("subscriptions").len(), 3);
    assert_eq!(names("contactlists").len(), 4);
    // Production's key patterns are what the names say.
    for spec in &specs {
        if spec.name.starts_with("heyway_") || spec.name == "phoneNumber_1_sparse" {
            continue;
        }
        let derived: Vec<String> = spec
            .keys
            .iter()
            .map(|(k, v)| match v.as_str() {
                Some(kind) => format!("{k}_{kind}"),
                None => format!("{k}_{}", v.as_i32().unwrap()),
            })
            .collect();
        assert_eq!(derived.join("_"), spec.name);
    }
    // Nothing of production's is made unique.
    assert!(specs
        .iter()
        .filter(|s| s.unique)
        .all(|s| s.name.starts_with("heyway_")));
}

#[tokio::test]
async fn text_index_is_created_where_supported_or_reported() {
    let t = TestDb::new().await;
    let report = indexes::migrate(&t.db).await.unwrap();
    let label = "contacts.userId_1_name_text_phoneNumber_text".to_string();
    let names = t.db.raw("contacts").list_index_names().await.unwrap();
    let created = names
        .iter()
        .any(|n| n == "userId_1_name_text_phoneNumber_text");
    assert_ne!(created, report.indexes_unsupported.contains(&label));
}
