//! Test harness: a real MongoDB wire-protocol server for the whole test
//! binary, a fresh database for every test so tests run in parallel, and
//! the API router on top of it.
//!
//! Uses `MONGODB_URI` when set; otherwise starts SecantusDB
//! (`secantusd-rs` if on `PATH`, else `secantusd-py`) on a free port in a
//! temporary directory. There is no in-memory stand-in.

pub mod app_store;
pub mod bench;
pub mod elevenlabs_api;
pub mod fake_server;
pub mod lambda_emulator;
pub mod lambdas;
pub mod legacy;
pub mod moto;
pub mod recordings;
pub mod stack;
pub mod stripe_api;
pub mod twilio_api;
pub mod twilio_verify;
pub mod webhooks;

use std::sync::atomic::{AtomicU32, Ordering};

use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use axum::Router;
use heyway::http::AppState;
use heyway::infra::store;
use heyway::model::User;
use heyway::{Config, Db};
use heyway_dev::local_db::LocalDb;
use http_body_util::BodyExt;
use mongodb::bson::{doc, oid::ObjectId, Document};
use serde_json::Value;
use tokio::sync::OnceCell;
use tower::ServiceExt;

/// The server every test in this binary shares.
struct Server {
    uri: String,
    _local: Option<(LocalDb, tempfile::TempDir)>,
}

static SERVER: OnceCell<Server> = OnceCell::const_new();

async fn server() -> &'static Server {
    SERVER
        .get_or_init(|| async {
            if let Some(uri) = std::env::var("MONGODB_URI").ok().filter(|u| !u.is_empty()) {
                return Server { uri, _local: None };
            }
            let dir = tempfile::tempdir().expect("temp dir for the test database");
            let local = LocalDb::start(dir.path())
                .await
                .unwrap_or_else(|error| panic!("cannot start the test database: {error}"));
            Server {
                uri: local.uri().to_string(),
                _local: Some((local, dir)),
            }
        })
        .await
}

/// The URI of the server every test in this binary shares (started on
/// first use), for processes of their own such as the function binaries.
pub async fn server_uri() -> &'static str {
    &server().await.uri
}

/// A database of its own for one test.
pub struct TestDb {
    pub db: Db,
    pub name: String,
}

impl TestDb {
    /// A new, empty database on the shared server.
    pub async fn new() -> Self {
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let name = format!(
            "heyway_test_{}_{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        );
        let db = Db::connect(&server().await.uri, &name)
            .await
            .expect("connect to the test database");
        Self { db, name }
    }
}

/// The JWT secret of [`test_config`] (32 bytes, the shortest accepted).
pub const TEST_JWT_SECRET: &str = "test-jwt-secret-0123456789abcdef";

/// Configuration for tests: a fixed JWT secret; everything else default
/// unless `overrides` sets it.
pub fn test_config(overrides: &[(&str, &str)]) -> Config {
    Config::from_lookup(|key| {
        overrides
            .iter()
            .find(|(k, _)| *k == key)
            .map(|(_, v)| v.to_string())
            .or_else(|| (key == "JWT_SECRET").then(|| TEST_JWT_SECRET.to_string()))
    })
    .expect("test config")
}

/// The whole API on a fresh, migrated database.
pub struct TestApp {
    pub db: Db,
    pub state: AppState,
    pub router: Router,
}

/// A user created directly in the database, with a valid access token.
#[derive(Clone, Debug)]
pub struct TestUser {
    pub id: ObjectId,
    pub token: String,
}

impl TestApp {
    pub async fn new() -> Self {
        Self::with_config(test_config(&[])).await
    }

    pub async fn with_config(config: Config) -> Self {
        let db = TestDb::new().await.db;
        heyway::infra::indexes::migrate(&db)
            .await
            .expect("migrate the test database");
        let state = AppState::new(db.clone(), config).expect("app state");
        let router = heyway::app::router(state.clone());
        Self { db, state, router }
    }

    /// A new user named `name` with a token.
    pub async fn user(&self, name: &str) -> TestUser {
        let user: User = mongodb::bson::from_document(mongodb::bson::doc! {
            "_id": ObjectId::new(),
            "name": name,
            "email": format!("{}@example.test", name.to_lowercase().replace(' ', ".")),
            "timezone": "America/New_York",
            "freeMinutes": 0,
        })
        .expect("user fixture");
        let user = store::insert(&self.db, &user).await.expect("insert user");
        let token = self.state.tokens.issue(user.id).expect("token");
        TestUser { id: user.id, token }
    }

    /// Sends a request and returns the status and the JSON body (`Null`
    /// when empty).
    pub async fn send(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut request = Request::builder().method(method).uri(path);
        if let Some(token) = token {
            request = request.header("authorization", format!("Bearer {token}"));
        }
        let body = match body {
            Some(json) => {
                request = request.header("content-type", "application/json");
                Body::from(json.to_string())
            }
            None => Body::empty(),
        };
        self.send_raw(request.body(body).expect("request")).await
    }

    /// Sends a prepared request.
    pub async fn send_raw(&self, request: Request<Body>) -> (StatusCode, Value) {
        let response = self.router.clone().oneshot(request).await.expect("router");
        let status = response.status();
        let bytes = response
            .into_body()
            .collect()
            .await
            .expect("body")
            .to_bytes();
        let json = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes)
                .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned()))
        };
        (status, json)
    }

    pub async fn get(&self, path: &str, user: &TestUser) -> (StatusCode, Value) {
        self.send(Method::GET, path, Some(&user.token), None).await
    }

    pub async fn post(&self, path: &str, user: &TestUser, body: Value) -> (StatusCode, Value) {
        self.send(Method::POST, path, Some(&user.token), Some(body))
            .await
    }

    pub async fn patch(&self, path: &str, user: &TestUser, body: Value) -> (StatusCode, Value) {
        self.send(Method::PATCH, path, Some(&user.token), Some(body))
            .await
    }

    pub async fn delete(&self, path: &str, user: &TestUser) -> (StatusCode, Value) {
        self.send(Method::DELETE, path, Some(&user.token), None)
            .await
    }

    /// A `DELETE` with a JSON body (the remove-members routes).
    pub async fn delete_json(
        &self,
        path: &str,
        user: &TestUser,
        body: Value,
    ) -> (StatusCode, Value) {
        self.send(Method::DELETE, path, Some(&user.token), Some(body))
            .await
    }

    /// Sends `body` as it is, labelled JSON: for malformed-JSON cases.
    pub async fn send_text(
        &self,
        method: Method,
        path: &str,
        user: &TestUser,
        body: &str,
    ) -> (StatusCode, Value) {
        let request = Request::builder()
            .method(method)
            .uri(path)
            .header("authorization", format!("Bearer {}", user.token))
            .header("content-type", "application/json")
            .body(Body::from(body.to_string()))
            .expect("request");
        self.send_raw(request).await
    }

    /// Inserts `docs` into `collection` as they are and returns their ids.
    pub async fn insert_raw(&self, collection: &str, docs: &[Document]) -> Vec<ObjectId> {
        self.db
            .raw(collection)
            .insert_many(docs)
            .await
            .expect("insert fixtures");
        docs.iter()
            .map(|d| d.get_object_id("_id").expect("fixture _id"))
            .collect()
    }

    /// The stored document of `collection` with the 24-hex `id`.
    pub async fn raw_doc(&self, collection: &str, id: &str) -> Document {
        let id: ObjectId = id.parse().expect("24-hex id");
        self.db
            .raw(collection)
            .find_one(doc! { "_id": id })
            .await
            .expect("find")
            .unwrap_or_else(|| panic!("stored document {id} in {collection}"))
    }

    /// How many documents `collection` holds.
    pub async fn count(&self, collection: &str) -> u64 {
        self.db
            .raw(collection)
            .count_documents(doc! {})
            .await
            .expect("count")
    }
}

/// The `field` an error answer names; `""` when none.
pub fn error_field(body: &Value) -> &str {
    body["error"]["field"].as_str().unwrap_or_default()
}

/// The strings of the array `body[key]` (the ids a view lists).
pub fn strings(body: &Value, key: &str) -> Vec<String> {
    body[key]
        .as_array()
        .expect("an array")
        .iter()
        .map(|v| v.as_str().expect("a string").to_string())
        .collect()
}
