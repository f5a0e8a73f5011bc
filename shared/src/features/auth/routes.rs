//! `/api/auth/*` handlers and the request shapes they read.

use crate::http::routes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::session::{self, start_session, Session};
use super::{accounts, rate_limit, ClientIp};
use crate::error::{Error, ErrorBody, Result};
use crate::http::{ApiJson, ApiRouter, AppState};
use crate::integrations::twilio::verify::{CodeCheck, VerifyClient};
use crate::model::phone;

#[derive(Debug, Deserialize, ToSchema)]
pub struct RegisterRequest {
    pub name: String,
    pub email: String,
    /// 8 characters or more, at most 72 bytes.
    pub password: String,
    /// IANA zone, such as `America/New_York`.
    pub timezone: String,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct LoginRequest {
    /// Any case.
    pub email: String,
    pub password: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RefreshRequest {
    pub refresh_token: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PhoneStartRequest {
    /// Any common spelling; US when no country code.
    pub phone_number: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PhoneStartResponse {
    /// `pending`: a code was sent by SMS.
    pub status: &'static str,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PhoneVerifyRequest {
    pub phone_number: String,
    /// The digits from the SMS.
    pub code: String,
}

/// Creates an account and signs it in.
#[utoipa::path(
    post,
    path = "/api/auth/register",
    tag = "auth",
    request_body = RegisterRequest,
    responses(
        (status = 201, body = Session),
        (status = 400, body = ErrorBody),
        (status = 409, body = ErrorBody, description = "Email already registered"),
        (status = 422, body = ErrorBody),
        (status = 429, body = ErrorBody),
    )
)]
async fn register(
    State(state): State<AppState>,
    ip: ClientIp,
    ApiJson(body): ApiJson<RegisterRequest>,
) -> Result<(StatusCode, Json<Session>)> {
    rate_limit::hit(&state.db, rate_limit::REGISTER_PER_IP, &ip.0).await?;
    let user = accounts::register(
        &state.db,
        accounts::Registration {
            name: body.name,
            email: body.email,
            password: body.password,
            timezone: body.timezone,
        },
    )
    .await?;
    Ok((
        StatusCode::CREATED,
        Json(start_session(&state, &user, None).await?),
    ))
}

/// Signs in with email and password (production's bcrypt hashes included).
#[utoipa::path(
    post,
    path = "/api/auth/login",
    tag = "auth",
    request_body = LoginRequest,
    responses(
        (status = 200, body = Session),
        (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody),
        (status = 422, body = ErrorBody),
        (status = 429, body = ErrorBody, description = "10 attempts per account or 50 per IP in 15 minutes"),
    )
)]
async fn login(
    State(state): State<AppState>,
    ip: ClientIp,
    ApiJson(body): ApiJson<LoginRequest>,
) -> Result<Json<Session>> {
    rate_limit::hit(&state.db, rate_limit::LOGIN_PER_IP, &ip.0).await?;
    rate_limit::hit(&state.db, rate_limit::LOGIN_PER_ACCOUNT, body.email.trim()).await?;
    let user = accounts::login(&state.db, &body.email, &body.password)
        .await
        .map_err(|e| match e {
            Error::Unauthorized => Error::BadCredentials("invalid email or password"),
            other => other,
        })?;
    Ok(Json(start_session(&state, &user, None).await?))
}

/// Spends a refresh token for a new pair; a reused one is refused and
/// ends its whole family.
#[utoipa::path(
    post,
    path = "/api/auth/refresh",
    tag = "auth",
    request_body = RefreshRequest,
    responses(
        (status = 200, body = Session),
        (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody),
        (status = 422, body = ErrorBody),
    )
)]
async fn refresh(
    State(state): State<AppState>,
    ApiJson(body): ApiJson<RefreshRequest>,
) -> Result<Json<Session>> {
    let session = session::renew(&state, body.refresh_token.trim()).await?;
    Ok(Json(session))
}

/// Sends a sign-in code by SMS.
#[utoipa::path(
    post,
    path = "/api/auth/phone/start",
    tag = "auth",
    request_body = PhoneStartRequest,
    responses(
        (status = 202, body = PhoneStartResponse),
        (status = 400, body = ErrorBody),
        (status = 422, body = ErrorBody),
        (status = 429, body = ErrorBody, description = "5 codes per number or 20 per IP an hour"),
        (status = 503, body = ErrorBody, description = "SMS sign-in is not configured"),
    )
)]
async fn phone_start(
    State(state): State<AppState>,
    ip: ClientIp,
    ApiJson(body): ApiJson<PhoneStartRequest>,
) -> Result<(StatusCode, Json<PhoneStartResponse>)> {
    let e164 = parse_phone(&body.phone_number)?;
    let verify = verify_client(&state)?;
    rate_limit::hit(&state.db, rate_limit::SMS_PER_IP, &ip.0).await?;
    rate_limit::hit(&state.db, rate_limit::SMS_PER_NUMBER, &e164).await?;
    verify.send_code(&e164).await?;
    Ok((
        StatusCode::ACCEPTED,
        Json(PhoneStartResponse { status: "pending" }),
    ))
}

/// Checks an SMS code and signs in, creating the account on first use.
#[utoipa::path(
    post,
    path = "/api/auth/phone/verify",
    tag = "auth",
    request_body = PhoneVerifyRequest,
    responses(
        (status = 200, body = Session),
        (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody),
        (status = 422, body = ErrorBody),
        (status = 429, body = ErrorBody, description = "10 checks per number an hour"),
        (status = 503, body = ErrorBody),
    )
)]
async fn phone_verify(
    State(state): State<AppState>,
    ApiJson(body): ApiJson<PhoneVerifyRequest>,
) -> Result<Json<Session>> {
    let e164 = parse_phone(&body.phone_number)?;
    let code = body.code.trim();
    if !(4..=10).contains(&code.len()) || !code.chars().all(|c| c.is_ascii_digit()) {
        return Err(Error::validation("code", "code must be 4 to 10 digits"));
    }
    let verify = verify_client(&state)?;
    rate_limit::hit(&state.db, rate_limit::SMS_CHECKS_PER_NUMBER, &e164).await?;
    match verify.check_code(&e164, code).await? {
        CodeCheck::Approved => {
            let user = accounts::sign_in_by_phone(&state.db, &e164).await?;
            Ok(Json(start_session(&state, &user, None).await?))
        }
        CodeCheck::Rejected => Err(Error::BadCredentials("code is wrong or expired")),
    }
}

fn parse_phone(raw: &str) -> Result<String> {
    phone::to_e164(raw, None)
        .map_err(|e| Error::validation("phoneNumber", format!("phoneNumber {e}")))
}

fn verify_client(state: &AppState) -> Result<VerifyClient> {
    VerifyClient::from_config(state.http.clone(), &state.config.twilio)
        .ok_or_else(|| Error::Unavailable("SMS sign-in is not configured".into()))
}

pub fn routes() -> ApiRouter {
    ApiRouter::new()
        .routes(routes!(register))
        .routes(routes!(login))
        .routes(routes!(refresh))
        .routes(routes!(phone_start))
        .routes(routes!(phone_verify))
}
