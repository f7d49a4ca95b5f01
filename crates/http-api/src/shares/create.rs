use actix_web::{HttpRequest, HttpResponse};

use crate::error::{ApiError, Problem};
use crate::extract::SessionId;
use crate::shares::dto::NewShareDto;
use crate::state::State;

/// `POST /api/chat/sessions/{id}/shares`: a read-only link to a copy of the chat as it is
/// now. The token is in this answer only.
#[utoipa::path(post, path = "/api/chat/sessions/{id}/shares", tag = "chat", params(SessionId),
    responses(
        (status = 201, description = "The link, with its token (shown this once)", body = NewShareDto),
        (status = 400, description = "An id that is not a UUID", content_type = "application/problem+json", body = Problem),
        (status = 404, description = "No such chat", content_type = "application/problem+json", body = Problem),
    ))]
pub async fn create_share(
    state: State,
    id: SessionId,
    request: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let (share, token) = state.shares.create(id.0).await?;
    let info = request.connection_info();
    let origin = format!("{}://{}", info.scheme(), info.host());
    Ok(HttpResponse::Created().json(NewShareDto::new(&share, &token, &origin)))
}
