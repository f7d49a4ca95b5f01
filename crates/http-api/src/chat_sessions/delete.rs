use actix_web::web::Json;

use crate::chat_sessions::dto::DeletedSessionDto;
use crate::error::ApiError;
use crate::extract::SessionId;
use crate::state::State;

/// `DELETE /api/chat/sessions/{id}`: the session and, by cascade, its messages.
#[utoipa::path(delete, path = "/api/chat/sessions/{id}", tag = "chat", params(SessionId),
    responses((status = 200, description = "Deleted, with how many messages went", body = DeletedSessionDto)))]
pub async fn delete_session(
    state: State,
    id: SessionId,
) -> Result<Json<DeletedSessionDto>, ApiError> {
    let deleted_messages = state.chat.delete_session(id.0).await?;
    Ok(Json(DeletedSessionDto {
        success: true,
        id: id.0,
        deleted_messages,
    }))
}
