use crate::encoding::Packed;

use crate::chat_sessions::dto::SessionDto;
use crate::error::ApiError;
use crate::extract::SessionId;
use crate::state::State;

/// `GET /api/chat/sessions/{id}`: one session with all its messages in order.
#[utoipa::path(get, path = "/api/chat/sessions/{id}", tag = "chat", params(SessionId),
    responses((status = 200, description = "The session with its messages, oldest first", body = SessionDto)))]
pub async fn get_session(state: State, id: SessionId) -> Result<Packed<SessionDto>, ApiError> {
    Ok(Packed(state.chat.get_session(id.0).await?.into()))
}
