use actix_web::web::{Json, Path};

use crate::error::{ApiError, Problem};
use crate::shares::dto::SharedChatDto;
use crate::state::State;

/// `GET /api/shares/{token}`: what the link shows, as JSON. Needs no access token: the link
/// is the key. Unknown, revoked and malformed tokens get the same 404.
#[utoipa::path(get, path = "/api/shares/{token}", tag = "shares",
    params(("token" = String, Path, description = "The link's token")),
    responses(
        (status = 200, description = "The copy of the chat", body = SharedChatDto),
        (status = 404, description = "No link has this token (any more)",
            content_type = "application/problem+json", body = Problem),
    ))]
pub async fn read_share(
    state: State,
    token: Path<String>,
) -> Result<Json<SharedChatDto>, ApiError> {
    let chat = state.shares.read(&token).await?;
    Ok(Json(SharedChatDto::from(chat)))
}
