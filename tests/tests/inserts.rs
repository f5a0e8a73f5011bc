//! New records are written the way the Node app writes them.

use heyway::infra::store;
use heyway::model::{Contact, Feedback, Number, Usage};
use heyway::Error;
use heyway_tests::TestDb;
use mongodb::bson::{doc, oid::ObjectId, Bson};

fn contact(user_id: ObjectId) -> Contact {
    Contact {
        id: ObjectId::new(),
        user_id,
        name: "Alex Madeup".into(),
        phone_number: "+12155550177".into(),
        email: Some(String::new()),
        groups: vec![],
        tags: vec!["new".into()],
        metadata: Some(doc! { "purchaseDate": "2025-09-01" }),
        is_active: Some(true),
        timezone: None,
        created_at: None,
        updated_at: None,
        version: None,
    }
}

#[tokio::test]
async fn insert_stamps_dates_and_version_with_node_types() {
    let t = TestDb::new().await;
    let user_id = ObjectId::new();
    let stored = store::insert(&t.db, &contact(user_id)).await.unwrap();
    assert!(stored.created_at.is_some());
    assert_eq!(stored.created_at, stored.updated_at);
    assert_eq!(stored.version, Some(Number::Int32(0)));

    let raw =
        t.db.raw("contacts")
            .find_one(doc! { "_id": stored.id })
            .await
            .unwrap()
            .unwrap();
    assert_eq!(
        raw.get("userId"),
        Some(&Bson::ObjectId(user_id)),
        "ObjectId reference"
    );
    assert!(matches!(raw.get("createdAt"), Some(Bson::DateTime(_))));
    assert!(matches!(raw.get("updatedAt"), Some(Bson::DateTime(_))));
    assert_eq!(raw.get("__v"), Some(&Bson::Int32(0)));
    assert_eq!(
        raw.get("phoneNumber"),
        Some(&Bson::String("+12155550177".into()))
    );
    assert_eq!(raw.get("isActive"), Some(&Bson::Boolean(true)));
    assert!(!raw.contains_key("timezone"), "None is not written as null");
}

#[tokio::test]
async fn save_keeps_fields_the_model_does_not_know() {
    let t = TestDb::new().await;
    let mut stored = store::insert(&t.db, &contact(ObjectId::new()))
        .await
        .unwrap();
    t.db.raw("contacts")
        .update_one(
            doc! { "_id": stored.id },
            doc! { "$set": { "nodeOnly": { "score": 3 }, "nickname": Bson::Null } },
        )
        .await
        .unwrap();

    stored.name = "Alex Renamed".into();
    store::save(&t.db, &stored).await.unwrap();

    let raw =
        t.db.raw("contacts")
            .find_one(doc! { "_id": stored.id })
            .await
            .unwrap()
            .unwrap();
    assert_eq!(raw.get_str("name").unwrap(), "Alex Renamed");
    assert_eq!(raw.get_document("nodeOnly").unwrap(), &doc! { "score": 3 });
    assert_eq!(raw.get("nickname"), Some(&Bson::Null));
    assert_eq!(
        raw.get("__v"),
        Some(&Bson::Int32(0)),
        "__v untouched by an update"
    );
}

#[tokio::test]
async fn new_numbers_follow_the_node_convention() {
    let t = TestDb::new().await;
    for (minutes, expected) in [(3.0, Bson::Int32(3)), (2.25, Bson::Double(2.25))] {
        let usage = Usage {
            id: ObjectId::new(),
            customer_id: Some("cus_TestCustomer02".into()),
            minutes_used: Number::node(minutes),
            reset_date: None,
            created_at: None,
            updated_at: None,
            version: None,
        };
        store::insert(&t.db, &usage).await.unwrap();
        let raw =
            t.db.raw("usage")
                .find_one(doc! { "_id": usage.id })
                .await
                .unwrap()
                .unwrap();
        assert_eq!(raw.get("minutesUsed"), Some(&expected));
    }
}

#[tokio::test]
async fn saving_a_deleted_record_is_not_found() {
    let t = TestDb::new().await;
    let feedback = Feedback {
        id: ObjectId::new(),
        user: ObjectId::new(),
        category: "general".into(),
        feedback: "hello".into(),
        timestamp: None,
        created_at: None,
        updated_at: None,
        version: None,
    };
    let err = store::save(&t.db, &feedback).await.unwrap_err();
    assert!(matches!(err, Error::NotFound { what: "feedback" }), "{err}");
}

#[tokio::test]
async fn an_unreadable_document_is_a_typed_error_not_a_panic() {
    let t = TestDb::new().await;
    let id = ObjectId::new();
    t.db.raw("contacts")
        .insert_one(doc! { "_id": id, "userId": "not-an-id", "name": 5 })
        .await
        .unwrap();
    let err = store::find_by_id::<Contact>(&t.db, id).await.unwrap_err();
    assert!(
        matches!(
            err,
            Error::Corrupt {
                collection: "contacts",
                ..
            }
        ),
        "{err}"
    );
}
