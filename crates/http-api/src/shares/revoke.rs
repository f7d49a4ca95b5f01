use actix_web::HttpResponse;

use crate::error::{ApiError, Problem};
use crate::extract::ShareRef;
use crate::state::State;

/// `DELETE /api/chat/sessions/{id}/shares/{share_id}`: the link stops working at once.
#[utoipa::path(delete, path = "/api/chat/sessions/{id}/shares/{share_id}", tag = "chat", params(ShareRef),
    responses(
        (status = 204, description = "Revoked"),
        (status = 400, description = "An id that is not a UUID", content_type = "application/problem+json", body = Problem),
        (status = 404, description = "The chat has no such link", content_type = "application/problem+json", body = Problem),
    ))]
pub async fn revoke_share(state: State, share: ShareRef) -> Result<HttpResponse, ApiError> {
    state
        .shares
        .revoke(share.session_id, share.share_id)
        .await?;
    Ok(HttpResponse::NoContent().finish())
}
