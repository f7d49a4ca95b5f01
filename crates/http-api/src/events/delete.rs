use actix_web::{HttpResponse, web};

use crate::AppState;
use crate::error::ApiError;
use crate::events::dto::DeletedDto;
use crate::extract::parse_id;

/// `DELETE /api/events/{id}`: with its waypoints and chat sessions, by cascade.
#[utoipa::path(
    delete,
    path = "/api/events/{id}",
    tag = "events",
    params(("id" = Uuid, Path, description = "The event's id")),
    responses((status = 200, description = "Deleted with its waypoints and chats", body = DeletedDto)),
)]
pub async fn delete_event(
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = parse_id(&id)?;
    state.events.delete_event(id).await?;
    Ok(HttpResponse::Ok().json(DeletedDto { success: true, id }))
}
