use actix_web::web;

use crate::encoding::Packed;

use crate::chat_sessions::dto::{SessionDto, SessionsQuery};
use crate::error::ApiError;
use crate::extract::parse_optional_id;
use crate::state::State;

/// `GET /api/chat/sessions?event_id=`: the sessions (without messages), newest first.
#[utoipa::path(get, path = "/api/chat/sessions", tag = "chat", params(SessionsQuery),
    responses((status = 200, description = "Sessions newest first, `messages` null", body = Vec<SessionDto>)))]
pub async fn list_sessions(
    state: State,
    query: web::Query<SessionsQuery>,
) -> Result<Packed<Vec<SessionDto>>, ApiError> {
    let event_id = parse_optional_id("event_id", query.event_id.as_deref())?;
    let sessions = state.chat.list_sessions(event_id).await?;
    Ok(Packed(sessions.into_iter().map(SessionDto::from).collect()))
}
