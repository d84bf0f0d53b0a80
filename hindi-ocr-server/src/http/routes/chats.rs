//! `GET,POST /api/chats`, `GET,PATCH,DELETE /api/chats/{id}`, `GET,POST /api/chats/{id}/messages`.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;

use crate::blob::BlobKey;
use crate::error::{AppError, AppResult, ErrorBody};
use crate::http::auth::AuthUser;
use crate::http::dto::{ChatList, ChatView, MessageList, MessageView, NewChat, NewMessage, PageQuery, RenameChat};
use crate::http::routes::storage;
use crate::http::{ApiJson, AppState, is_bidi_control};

use crate::model::{Chat, Message, Pagination, Role};

/// A title is one line: control characters (newlines, NUL, escapes) become spaces, bidirectional controls
/// ([`is_bidi_control`]) are dropped, then it is trimmed.
fn check_title(title: &str) -> AppResult<String> {
    // The limit holds before cleaning too, as the OpenAPI schema says.
    if title.chars().count() > 200 {
        return Err(AppError::BadRequest("title must be 1 to 200 characters".into()));
    }
    let cleaned: String =
        title.chars().filter(|&c| !is_bidi_control(c)).map(|c| if c.is_control() { ' ' } else { c }).collect();
    let t = cleaned.trim();
    if t.is_empty() || t.chars().count() > 200 {
        return Err(AppError::BadRequest("title must be 1 to 200 characters".into()));
    }
    Ok(t.to_owned())
}

/// The user's chats, newest first.
#[utoipa::path(get, path = "/api/chats", tag = "chats", params(PageQuery),
    responses((status = 200, body = ChatList), (status = 400, description = "offset or limit out of range", body = ErrorBody),
        (status = 401, body = ErrorBody)))]
pub async fn list(State(state): State<AppState>, user: AuthUser, Query(q): Query<PageQuery>) -> AppResult<Json<ChatList>> {
    let page = q.pagination()?;
    let chats = state.jobs.store.list_chats(&user.id, page).await.map_err(storage)?;
    Ok(Json(ChatList { chats: chats.iter().map(ChatView::from).collect(), offset: page.offset, limit: page.limit }))
}

/// Create a chat.
#[utoipa::path(post, path = "/api/chats", tag = "chats",
    request_body(content = Option<NewChat>, description = "Optional: no body makes a chat titled \"New chat\""),
    responses((status = 201, body = ChatView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    user: AuthUser,
    body: axum::body::Bytes,
) -> AppResult<(StatusCode, Json<ChatView>)> {
    // The body is optional: no body (or `{}`) makes a chat with the default title.
    let body: NewChat = if body.iter().all(u8::is_ascii_whitespace) {
        NewChat::default()
    } else {
        // `null` is no body too (the OpenAPI schema makes the body optional).
        serde_json::from_slice::<Option<NewChat>>(&body)
            .map_err(|e| AppError::BadRequest(crate::error::json_message(&e.to_string())))?
            .unwrap_or_default()
    };
    let title = match body.title {
        Some(t) => check_title(&t)?,
        None => "New chat".to_owned(),
    };
    let chat = Chat::new(&user.id, &title);
    state.jobs.store.create_chat(&chat).await.map_err(storage)?;
    Ok((StatusCode::CREATED, Json(ChatView::from(&chat))))
}

/// One chat.
#[utoipa::path(get, path = "/api/chats/{id}", tag = "chats", params(("id" = String, Path, description = "Chat id")),
    responses((status = 200, body = ChatView), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn get(State(state): State<AppState>, user: AuthUser, Path(id): Path<String>) -> AppResult<Json<ChatView>> {
    let chat = state.jobs.store.get_chat(&user.id, &id).await.map_err(storage)?;
    Ok(Json(ChatView::from(&chat)))
}

/// Rename a chat.
#[utoipa::path(patch, path = "/api/chats/{id}", tag = "chats", request_body = RenameChat,
    params(("id" = String, Path, description = "Chat id")),
    responses((status = 200, body = ChatView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
pub async fn rename(
    State(state): State<AppState>,
    user: AuthUser,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<RenameChat>,
) -> AppResult<Json<ChatView>> {
    let title = check_title(&body.title)?;
    let chat = state.jobs.store.rename_chat(&user.id, &id, &title).await.map_err(storage)?;
    Ok(Json(ChatView::from(&chat)))
}

/// Delete a chat with its messages and documents (their files included).
#[utoipa::path(delete, path = "/api/chats/{id}", tag = "chats", params(("id" = String, Path, description = "Chat id")),
    responses((status = 204, description = "Deleted"), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 503, description = "Storage unavailable: the chat is still there (repeat the call)", body = ErrorBody)))]
pub async fn delete(State(state): State<AppState>, user: AuthUser, Path(id): Path<String>) -> AppResult<StatusCode> {
    // Files first (as for one document): if file storage is down the chat and its records stay and the call
    // fails, rather than files staying behind for good once their records are gone.
    state.jobs.store.get_chat(&user.id, &id).await.map_err(storage)?;
    let mut page = Pagination::new(0, Pagination::MAX_LIMIT);
    loop {
        let docs = state.jobs.store.list_documents(&user.id, Some(&id), page).await.map_err(storage)?;
        for doc in &docs {
            delete_file_first(&state, &doc.blob_key).await?;
        }
        if docs.len() < page.limit as usize {
            break;
        }
        page.offset += docs.len() as u64;
    }
    let deleted = state.jobs.store.delete_chat(&user.id, &id).await.map_err(storage)?;
    // Documents uploaded into the chat meanwhile (the others' files are gone already; deleting again is a no-op).
    for key in &deleted.blob_keys {
        delete_blob(&state, key).await;
    }
    Ok(StatusCode::NO_CONTENT)
}

/// Deletes the file of a record about to be deleted; a failure fails the call (the record stays). A stored key
/// that is not valid cannot name a file: logged, and the record may go.
pub(crate) async fn delete_file_first(state: &AppState, key: &str) -> AppResult<()> {
    match BlobKey::parse(key) {
        Ok(k) => state.jobs.blobs.delete(&k).await.map_err(storage),
        Err(e) => {
            tracing::warn!(key, error = %e, "stored blob key is invalid");
            Ok(())
        }
    }
}

/// Deletes a blob, logging (not failing on) errors: the record is already gone, and an orphaned blob is
/// harmless and unreachable.
pub(crate) async fn delete_blob(state: &AppState, key: &str) {
    match BlobKey::parse(key) {
        Ok(k) => {
            if let Err(e) = state.jobs.blobs.delete(&k).await {
                tracing::warn!(key, error = %e, "deleting a blob failed");
            }
        }
        Err(e) => tracing::warn!(key, error = %e, "stored blob key is invalid"),
    }
}

/// The chat's messages, oldest first.
#[utoipa::path(get, path = "/api/chats/{id}/messages", tag = "chats",
    params(("id" = String, Path, description = "Chat id"), PageQuery),
    responses((status = 200, body = MessageList), (status = 400, description = "offset or limit out of range", body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn messages(
    State(state): State<AppState>,
    user: AuthUser,
    Path(id): Path<String>,
    Query(q): Query<PageQuery>,
) -> AppResult<Json<MessageList>> {
    let messages = state.jobs.store.list_messages(&user.id, &id, q.pagination()?).await.map_err(storage)?;
    Ok(Json(MessageList { messages: messages.iter().map(MessageView::from).collect() }))
}

/// Add a user message to the chat.
#[utoipa::path(post, path = "/api/chats/{id}/messages", tag = "chats", request_body = NewMessage,
    params(("id" = String, Path, description = "Chat id")),
    responses((status = 201, body = MessageView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
pub async fn add_message(
    State(state): State<AppState>,
    user: AuthUser,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<NewMessage>,
) -> AppResult<(StatusCode, Json<MessageView>)> {
    // Lines and tabs are kept; other control characters (NUL, terminal escapes) and bidirectional controls
    // (which reorder what is shown) are not text.
    if body.content.chars().count() > 20_000 {
        return Err(AppError::BadRequest("content must be 1 to 20000 characters".into()));
    }
    let content: String =
        body.content.chars().filter(|&c| (!c.is_control() || c == '\n' || c == '\t') && !is_bidi_control(c)).collect();
    let content = content.trim();
    if content.is_empty() || content.chars().count() > 20_000 {
        return Err(AppError::BadRequest("content must be 1 to 20000 characters".into()));
    }
    let message = Message::new(&id, &user.id, Role::User, content, None);
    state.jobs.store.add_message(&message).await.map_err(storage)?;
    Ok((StatusCode::CREATED, Json(MessageView::from(&message))))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn titles_lose_control_and_bidirectional_characters() {
        assert_eq!(check_title("scan\u{202E}fdp\nnotes").unwrap(), "scanfdp notes");
        assert_eq!(check_title(" \u{2066}पाठ\u{2069}\u{200F} ").unwrap(), "पाठ");
        assert!(check_title("\u{202A}\u{202C}").is_err(), "nothing left");
    }
}
