use actix_web::HttpResponse;

use crate::error::{ApiError, Problem};
use crate::extract::JsonBody;
use crate::state::State;
use crate::waypoints::dto::{CreateWaypointRequest, WaypointDto};

/// `POST /api/waypoints`: 201 with the stored waypoint (placed last without `order_index`).
#[utoipa::path(post, path = "/api/waypoints", tag = "waypoints",
    request_body = CreateWaypointRequest,
    responses(
        (status = 201, description = "The stored waypoint", body = WaypointDto),
        (status = 404, description = "No such event", content_type = "application/problem+json", body = Problem),
    ))]
pub async fn create_waypoint(
    state: State,
    JsonBody(body): JsonBody<CreateWaypointRequest>,
) -> Result<HttpResponse, ApiError> {
    let waypoint = state.events.create_waypoint(body.try_into_domain()?);
    Ok(HttpResponse::Created().json(WaypointDto::from(waypoint.await?)))
}
