use actix_web::web::Json;

use crate::chat_sessions::dto::{EditSessionRequest, SessionDto};
use crate::error::{ApiError, Problem};
use crate::extract::{JsonBody, SessionId};
use crate::state::State;

/// `PATCH /api/chat/sessions/{id}`: renames, pins or tags a chat. What the body leaves out
/// stays; the chat keeps its place among the newest (`updated_at` follows its messages).
#[utoipa::path(patch, path = "/api/chat/sessions/{id}", tag = "chat", params(SessionId),
    request_body = EditSessionRequest,
    responses(
        (status = 200, description = "The chat as stored, without its messages", body = SessionDto),
        (status = 404, description = "No such chat", content_type = "application/problem+json", body = Problem),
        (status = 422, description = "A title or tag that breaks its rule, each named in `errors`",
            content_type = "application/problem+json", body = Problem),
    ))]
pub async fn edit_session(
    state: State,
    id: SessionId,
    JsonBody(body): JsonBody<EditSessionRequest>,
) -> Result<Json<SessionDto>, ApiError> {
    let edited = state
        .chat
        .edit_session(id.0, &body.try_into_edit()?)
        .await?;
    Ok(Json(SessionDto::from(edited)))
}
