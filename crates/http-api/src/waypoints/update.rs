use actix_web::web::Json;

use crate::error::ApiError;
use crate::extract::{JsonBody, WaypointId};
use crate::state::State;
use crate::waypoints::dto::{UpdateWaypointRequest, WaypointDto};

/// `PUT /api/waypoints/{id}`: a partial update; the stored waypoint comes back.
#[utoipa::path(put, path = "/api/waypoints/{id}", tag = "waypoints", params(WaypointId),
    request_body = UpdateWaypointRequest,
    responses((status = 200, description = "The waypoint as stored", body = WaypointDto)))]
pub async fn update_waypoint(
    state: State,
    id: WaypointId,
    JsonBody(body): JsonBody<UpdateWaypointRequest>,
) -> Result<Json<WaypointDto>, ApiError> {
    let edit = body.try_into_edit()?;
    Ok(Json(state.events.update_waypoint(id.0, edit).await?.into()))
}
