//! Lambda adapter for `GET /api/health`: builds the shared state once and
//! serves the core's health routes for every invocation.

use heyway::http::{self, AppState};
use heyway::{health, logging, Config, Db};
use lambda_http::{run, Error};

#[tokio::main]
async fn main() -> Result<(), Error> {
    logging::init();
    let db = Db::shared().await?.clone();
    let state = AppState::new(db, Config::get()?.clone())?;
    run(http::single(health::routes(), state)).await
}
