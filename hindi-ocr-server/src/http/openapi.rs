//! The OpenAPI description of every route, generated from the handlers' annotations, served at
//! `GET /api/openapi.json` (and written to `docs/openapi.json` by a test, so the file never drifts).

use axum::Json;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::http::routes;

/// The API description.
#[derive(OpenApi)]
#[openapi(
    info(title = "Hindi OCR service", description = "Accounts, chats, documents and OCR jobs. See docs/API.md."),
    paths(
        routes::auth::signup, routes::auth::login, routes::auth::logout, routes::auth::me,
        routes::chats::list, routes::chats::create, routes::chats::get, routes::chats::rename, routes::chats::delete,
        routes::chats::messages, routes::chats::add_message,
        routes::documents::upload, routes::documents::upload_and_wait, routes::documents::list, routes::documents::get,
        routes::documents::delete, routes::documents::file, routes::documents::rerun, routes::documents::result,
        routes::documents::events,
        routes::ocr::extract,
        routes::ops::health, routes::ops::ready, routes::ops::metrics,
    ),
    // Enums referenced by query parameters: without them here their `$ref`s would point nowhere.
    components(schemas(routes::documents::ExportFormat, routes::documents::TextStyleParam)),
    modifiers(&Security),
    security(("bearer" = []), ("cookie" = [])),
    tags(
        (name = "auth", description = "Accounts and sessions"),
        (name = "chats", description = "Chats and messages"),
        (name = "documents", description = "Uploads, OCR jobs and results"),
        (name = "ocr", description = "Stateless OCR"),
        (name = "operations", description = "Health, readiness, metrics"),
    )
)]
pub struct ApiDoc;

struct Security;

impl Modify for Security {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).bearer_format("JWT").build()),
        );
        components.add_security_scheme(
            "cookie",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::with_description(
                crate::http::auth::SESSION_COOKIE,
                "Session cookie set by login; state-changing requests must also send X-CSRF-Token = the hindi_ocr_csrf cookie",
            ))),
        );
    }
}

/// The description as JSON.
pub fn spec() -> utoipa::openapi::OpenApi {
    ApiDoc::openapi()
}

/// `GET /api/openapi.json`.
pub async fn serve() -> Json<utoipa::openapi::OpenApi> {
    Json(spec())
}
