//! `POST /api/auth/signup`, `POST /api/auth/login`, `POST /api/auth/logout`, `GET /api/auth/me`.

use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::Json;

use crate::error::{AppError, AppResult, ErrorBody};
use crate::http::auth::{AuthUser, check_email, check_new_password, hash_password, verify_password};
use crate::http::dto::{Credentials, MeView, SessionView, UserView};
use crate::http::routes::storage;
use crate::http::{ApiJson, AppState, ClientIp};
use crate::model::{User, normalize_email};
use crate::store::StorageError;

/// A JSON response that also starts a session (sets both cookies).
fn with_session(state: &AppState, status: StatusCode, user: &User) -> AppResult<Response> {
    let (token, claims) = state.sessions.issue(&user.id)?;
    let cookies = state.sessions.login_cookies(&token, &claims);
    let body = SessionView { user: UserView::from(user), token };
    let mut response = (status, Json(body)).into_response();
    for c in cookies {
        let v = HeaderValue::from_str(&c).map_err(AppError::internal)?;
        response.headers_mut().append(header::SET_COOKIE, v);
    }
    Ok(response)
}

/// Create an account and start a session.
#[utoipa::path(post, path = "/api/auth/signup", tag = "auth", request_body = Credentials, security(()),
    responses(
        (status = 201, description = "Account created, session started (cookie set)", body = SessionView),
        (status = 400, description = "Bad email or password", body = ErrorBody),
        (status = 409, description = "Email already registered", body = ErrorBody),
    ))]
pub async fn signup(State(state): State<AppState>, ApiJson(body): ApiJson<Credentials>) -> AppResult<Response> {
    // The schema's limit holds before normalising too.
    if body.email.chars().count() > 254 {
        return Err(AppError::BadRequest("email is not a valid address".into()));
    }
    let email = normalize_email(&body.email);
    check_email(&email)?;
    check_new_password(&body.password)?;
    let hash = hash_password(body.password).await?;
    let user = User::new(&email, hash);
    match state.jobs.store.create_user(&user).await {
        Ok(()) => {}
        Err(StorageError::Conflict(_)) => return Err(AppError::Conflict("this email is already registered".into())),
        Err(e) => return Err(storage(e)),
    }
    tracing::info!(user = %user.id, "signup");
    with_session(&state, StatusCode::CREATED, &user)
}

/// Log in. The same `401` for an unknown email and a wrong password; `429` after too many attempts.
#[utoipa::path(post, path = "/api/auth/login", tag = "auth", request_body = Credentials, security(()),
    responses(
        (status = 200, description = "Session started (cookie set); token also in the body", body = SessionView),
        (status = 400, description = "Not a JSON body with `email` and `password`", body = ErrorBody),
        (status = 401, description = "Invalid email or password", body = ErrorBody),
        (status = 429, description = "Too many attempts for this account or address", body = ErrorBody,
            headers(("Retry-After" = u64, description = "Seconds to wait"))),
    ))]
pub async fn login(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    ApiJson(body): ApiJson<Credentials>,
) -> AppResult<Response> {
    let email = normalize_email(&body.email);
    state.limiter.check(&email, ip)?;
    let user = match state.jobs.store.get_user_by_email(&email).await {
        Ok(u) => Some(u),
        Err(StorageError::NotFound { .. }) => None,
        Err(e) => return Err(storage(e)),
    };
    let ok = verify_password(body.password, user.as_ref().map(|u| u.password_hash.clone())).await?;
    match user {
        Some(user) if ok => {
            state.limiter.record_success(&email);
            with_session(&state, StatusCode::OK, &user)
        }
        _ => {
            state.limiter.record_failure(&email);
            Err(AppError::InvalidCredentials)
        }
    }
}

/// End the session: its token is refused from now on (cookie or bearer, and any copy of it), and the cookies
/// are cleared. Other sessions of the same user go on.
#[utoipa::path(post, path = "/api/auth/logout", tag = "auth",
    responses(
        (status = 204, description = "Session ended, cookies cleared"),
        (status = 401, description = "Not signed in", body = ErrorBody),
    ))]
pub async fn logout(State(state): State<AppState>, user: AuthUser) -> AppResult<Response> {
    if !user.claims.jti.is_empty() {
        let expires = chrono::DateTime::from_timestamp(i64::try_from(user.claims.exp).unwrap_or(i64::MAX), 0)
            .unwrap_or(chrono::DateTime::<chrono::Utc>::MAX_UTC);
        state.jobs.store.revoke_session(&user.claims.jti, expires).await.map_err(storage)?;
    }
    let mut response = StatusCode::NO_CONTENT.into_response();
    for c in state.sessions.logout_cookies() {
        let v = HeaderValue::from_str(&c).map_err(AppError::internal)?;
        response.headers_mut().append(header::SET_COOKIE, v);
    }
    Ok(response)
}

/// The signed-in user.
#[utoipa::path(get, path = "/api/auth/me", tag = "auth",
    responses(
        (status = 200, description = "The user", body = MeView),
        (status = 401, description = "Not signed in", body = ErrorBody),
    ))]
pub async fn me(State(state): State<AppState>, user: AuthUser) -> AppResult<Json<MeView>> {
    let user = match state.jobs.store.get_user(&user.id).await {
        Ok(u) => u,
        // A valid token of an account that no longer exists.
        Err(StorageError::NotFound { .. }) => return Err(AppError::Unauthorized),
        Err(e) => return Err(storage(e)),
    };
    Ok(Json(MeView { user: UserView::from(&user) }))
}
