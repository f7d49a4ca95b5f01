use actix_web::web::Json;

use crate::error::{ApiError, Problem};
use crate::extract::SessionId;
use crate::shares::dto::ShareDto;
use crate::state::State;

/// `GET /api/chat/sessions/{id}/shares`: the chat's links, oldest first (without their
/// tokens, which are not kept).
#[utoipa::path(get, path = "/api/chat/sessions/{id}/shares", tag = "chat", params(SessionId),
    responses(
        (status = 200, description = "The chat's links", body = Vec<ShareDto>),
        (status = 400, description = "An id that is not a UUID", content_type = "application/problem+json", body = Problem),
        (status = 404, description = "No such chat", content_type = "application/problem+json", body = Problem),
    ))]
pub async fn list_shares(state: State, id: SessionId) -> Result<Json<Vec<ShareDto>>, ApiError> {
    let shares = state.shares.list(id.0).await?;
    Ok(Json(shares.into_iter().map(ShareDto::from).collect()))
}
