use actix_web::web::Json;

use crate::error::ApiError;
use crate::extract::WaypointId;
use crate::state::State;
use crate::waypoints::dto::WaypointDto;

/// `GET /api/waypoints/{id}`.
#[utoipa::path(get, path = "/api/waypoints/{id}", tag = "waypoints", params(WaypointId),
    responses((status = 200, description = "The waypoint", body = WaypointDto)))]
pub async fn get_waypoint(state: State, id: WaypointId) -> Result<Json<WaypointDto>, ApiError> {
    Ok(Json(state.events.get_waypoint(id.0).await?.into()))
}
