use actix_web::{HttpResponse, web};

use crate::AppState;
use crate::error::ApiError;
use crate::events::dto::DeletedDto;
use crate::extract::parse_id;

/// `DELETE /api/waypoints/{id}`.
#[utoipa::path(
    delete,
    path = "/api/waypoints/{id}",
    tag = "waypoints",
    params(("id" = Uuid, Path, description = "The waypoint's id")),
    responses((status = 200, description = "Deleted", body = DeletedDto)),
)]
pub async fn delete_waypoint(
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = parse_id(&id)?;
    state.events.delete_waypoint(id).await?;
    Ok(HttpResponse::Ok().json(DeletedDto { success: true, id }))
}
