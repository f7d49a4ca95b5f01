use actix_web::{HttpResponse, web};

use crate::AppState;
use crate::chat::dto::DeletedSessionDto;
use crate::error::ApiError;
use crate::extract::parse_id;

/// `DELETE /api/chat/sessions/{id}`: the session and, by cascade, its messages.
#[utoipa::path(
    delete,
    path = "/api/chat/sessions/{id}",
    tag = "chat",
    params(("id" = Uuid, Path, description = "The session's id")),
    responses((status = 200, description = "Deleted, with how many messages went", body = DeletedSessionDto)),
)]
pub async fn delete_session(
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = parse_id(&id)?;
    let deleted_messages = state.chat.delete_session(id).await?;
    Ok(HttpResponse::Ok().json(DeletedSessionDto {
        success: true,
        id,
        deleted_messages,
    }))
}
