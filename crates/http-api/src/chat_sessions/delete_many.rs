use actix_web::web::Json;

use crate::chat_sessions::dto::{BulkDeleteRequest, BulkDeletedDto};
use crate::error::{ApiError, Problem};
use crate::extract::JsonBody;
use crate::state::State;

/// `POST /api/chat/sessions/delete`: deletes the chats named by `ids` (at most 500), or every
/// chat of `event_id`, with their messages, in one transaction. Ids that are not there are
/// listed in the answer, not an error.
#[utoipa::path(
    post,
    path = "/api/chat/sessions/delete",
    tag = "chat",
    request_body = BulkDeleteRequest,
    responses(
        (status = 200, body = BulkDeletedDto,
            description = "What went, and the ids that were not there"),
        (status = 400, body = Problem, content_type = "application/problem+json",
            description = "A body that is not a JSON object"),
        (status = 422, body = Problem, content_type = "application/problem+json",
            description = "Both `ids` and `event_id`, neither, an id that is not a UUID, or more \
                than 500 ids"),
    )
)]
pub async fn delete_sessions(
    state: State,
    JsonBody(body): JsonBody<BulkDeleteRequest>,
) -> Result<Json<BulkDeletedDto>, ApiError> {
    let which = body.try_into_selection()?;
    let deleted = state.chat.delete_sessions(&which).await?;
    Ok(Json(BulkDeletedDto::from(deleted)))
}
