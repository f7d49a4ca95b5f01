use actix_web::web::Json;

use crate::deleted::Deleted;
use crate::error::ApiError;
use crate::extract::WaypointId;
use crate::state::State;

/// `DELETE /api/waypoints/{id}`.
#[utoipa::path(delete, path = "/api/waypoints/{id}", tag = "waypoints", params(WaypointId),
    responses((status = 200, description = "Deleted", body = Deleted)))]
pub async fn delete_waypoint(state: State, id: WaypointId) -> Result<Json<Deleted>, ApiError> {
    state.events.delete_waypoint(id.0).await?;
    Ok(Json(Deleted::new(id.0)))
}
