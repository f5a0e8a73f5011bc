//! The smallest `lambda_http` function: answers every request 200 `hello`.
//! The cold-start bench runs it next to the real functions, built with the
//! same profile, so their init times read as a ratio to this floor rather
//! than as absolute figures that depend on the machine.

use lambda_http::{service_fn, Body, Error, Request, Response};

#[tokio::main]
async fn main() -> Result<(), Error> {
    lambda_http::run(service_fn(|_request: Request| async {
        let response = Response::builder()
            .status(200)
            .header("content-type", "text/plain")
            .body(Body::from("hello"))?;
        Ok::<_, Error>(response)
    }))
    .await
}
