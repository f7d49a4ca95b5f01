use actix_web::{HttpResponse, web};

use crate::AppState;
use crate::error::ApiError;
use crate::extract::parse_id;
use crate::waypoints::dto::WaypointDto;

/// `GET /api/waypoints/{id}`.
#[utoipa::path(
    get,
    path = "/api/waypoints/{id}",
    tag = "waypoints",
    params(("id" = Uuid, Path, description = "The waypoint's id")),
    responses((status = 200, description = "The waypoint", body = WaypointDto)),
)]
pub async fn get_waypoint(
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let waypoint = state.events.get_waypoint(parse_id(&id)?).await?;
    Ok(HttpResponse::Ok().json(WaypointDto::from(waypoint)))
}
