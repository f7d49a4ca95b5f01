use actix_web::{HttpResponse, web};

use crate::AppState;
use crate::chat::dto::SessionDto;
use crate::error::ApiError;
use crate::extract::parse_id;

/// `GET /api/chat/sessions/{id}`: one session with all its messages in order.
#[utoipa::path(
    get,
    path = "/api/chat/sessions/{id}",
    tag = "chat",
    params(("id" = Uuid, Path, description = "The session's id")),
    responses((status = 200, description = "The session with its messages, oldest first", body = SessionDto)),
)]
pub async fn get_session(
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let full = state.chat.get_session(parse_id(&id)?).await?;
    Ok(HttpResponse::Ok().json(SessionDto::from(full)))
}
