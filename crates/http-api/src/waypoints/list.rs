use crate::encoding::Packed;

use crate::error::ApiError;
use crate::extract::EventId;
use crate::state::State;
use crate::waypoints::dto::WaypointDto;

/// `GET /api/events/{id}/waypoints`: in `order_index` order; 404 for an unknown event.
#[utoipa::path(get, path = "/api/events/{id}/waypoints", tag = "waypoints", params(EventId),
    responses((status = 200, description = "The event's waypoints by `order_index`", body = Vec<WaypointDto>)))]
pub async fn list_waypoints(
    state: State,
    id: EventId,
) -> Result<Packed<Vec<WaypointDto>>, ApiError> {
    let waypoints = state.events.list_waypoints(id.0).await?;
    Ok(Packed(
        waypoints.into_iter().map(WaypointDto::from).collect(),
    ))
}
