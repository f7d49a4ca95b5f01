use actix_web::http::header;
use actix_web::{CustomizeResponder, HttpRequest, Responder, web};

use crate::chat_sessions::dto::{SessionDto, SessionsQuery, cursor_of, session_filter};
use crate::encoding::Packed;
use crate::error::ApiError;
use crate::state::State;

/// `GET /api/chat/sessions`: the chats (without messages), pinned first, then newest first;
/// filtered by event, tags and pin; whole, or a page at a time with `limit` (the body stays
/// the plain array the original frontend reads; the next page is in the `Link` header).
#[utoipa::path(get, path = "/api/chat/sessions", tag = "chat", params(SessionsQuery),
    responses((status = 200, description = "Chats, pinned first, then newest first, `messages` null; \
        with `limit` and more to come, a `Link: <...>; rel=\"next\"` header", body = Vec<SessionDto>),
        (status = 400, description = "A `cursor` this API did not give, or gave for a list with other filters; \
            a `pinned` that is neither true nor false; an `event_id` that is not a UUID",
            content_type = "application/problem+json", body = crate::error::Problem),
        (status = 422, description = "A `limit` out of its bounds", content_type = "application/problem+json",
            body = crate::error::Problem)))]
pub async fn list_sessions(
    state: State,
    request: HttpRequest,
    query: web::Query<Vec<(String, String)>>,
) -> Result<CustomizeResponder<Packed<Vec<SessionDto>>>, ApiError> {
    let filter = session_filter(&query)?;
    let (sessions, next) = state.chat.list_sessions(&filter).await?;
    let page = Packed(sessions.into_iter().map(SessionDto::from).collect()).customize();
    Ok(match next {
        Some(key) => {
            let mut pairs: Vec<(String, String)> = query
                .0
                .into_iter()
                .filter(|(name, _)| name != "cursor")
                .collect();
            pairs.push(("cursor".into(), cursor_of(&key, &filter)));
            let next = format!(
                "<{}?{}>; rel=\"next\"",
                request.path(),
                serde_urlencoded::to_string(&pairs).unwrap_or_default()
            );
            page.insert_header((header::LINK, next))
        }
        None => page,
    })
}
