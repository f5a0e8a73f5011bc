//! Lambda adapter for `GET /api/health`: builds the shared state once and
//! serves the core's health router for every invocation.

use heyway::http::{self, AppState};
use heyway::{health, logging, Db};
use lambda_http::{run, Error};

#[tokio::main]
async fn main() -> Result<(), Error> {
    logging::init();
    let db = Db::shared().await?.clone();
    let app = http::single(health::router(), AppState::new(db));
    run(app).await
}
