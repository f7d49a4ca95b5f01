use actix_web::{HttpResponse, web};

use crate::AppState;
use crate::error::ApiError;
use crate::extract::parse_id;
use crate::waypoints::dto::WaypointDto;

/// `GET /api/events/{id}/waypoints`: in `order_index` order; 404 for an unknown event.
#[utoipa::path(
    get,
    path = "/api/events/{id}/waypoints",
    tag = "waypoints",
    params(("id" = Uuid, Path, description = "The event's id")),
    responses((status = 200, description = "The event's waypoints by `order_index`", body = Vec<WaypointDto>)),
)]
pub async fn list_waypoints(
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let waypoints = state.events.list_waypoints(parse_id(&id)?).await?;
    Ok(HttpResponse::Ok().json(
        waypoints
            .into_iter()
            .map(WaypointDto::from)
            .collect::<Vec<_>>(),
    ))
}
