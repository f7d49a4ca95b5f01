use actix_web::{HttpResponse, web};

use crate::AppState;
use crate::chat::dto::SessionDto;
use crate::error::ApiError;
use crate::extract::parse_id;

/// `GET /api/chat/sessions/{id}`: one session with all its messages in order.
pub async fn get_session(
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let full = state.chat.get_session(parse_id(&id)?).await?;
    Ok(HttpResponse::Ok().json(SessionDto::from(full)))
}
