use actix_web::{HttpResponse, web};

use crate::AppState;
use crate::chat::dto::{SessionDto, SessionsQuery};
use crate::error::ApiError;
use crate::extract::parse_optional_id;

/// `GET /api/chat/sessions?event_id=`: the sessions (without messages), newest first.
#[utoipa::path(
    get,
    path = "/api/chat/sessions",
    tag = "chat",
    params(SessionsQuery),
    responses((status = 200, description = "Sessions newest first, `messages` null", body = Vec<SessionDto>)),
)]
pub async fn list_sessions(
    state: web::Data<AppState>,
    query: web::Query<SessionsQuery>,
) -> Result<HttpResponse, ApiError> {
    let event_id = parse_optional_id("event_id", query.event_id.as_deref())?;
    let sessions = state.chat.list_sessions(event_id).await?;
    Ok(HttpResponse::Ok().json(
        sessions
            .into_iter()
            .map(SessionDto::from)
            .collect::<Vec<_>>(),
    ))
}
