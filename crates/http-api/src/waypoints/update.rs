use actix_web::{HttpResponse, web};

use crate::AppState;
use crate::error::ApiError;
use crate::extract::{JsonBody, parse_id};
use crate::waypoints::dto::{UpdateWaypointRequest, WaypointDto};

/// `PUT /api/waypoints/{id}`: a partial update; the stored waypoint comes back.
#[utoipa::path(
    put,
    path = "/api/waypoints/{id}",
    tag = "waypoints",
    params(("id" = Uuid, Path, description = "The waypoint's id")),
    request_body = UpdateWaypointRequest,
    responses((status = 200, description = "The waypoint as stored", body = WaypointDto)),
)]
pub async fn update_waypoint(
    state: web::Data<AppState>,
    id: web::Path<String>,
    JsonBody(body): JsonBody<UpdateWaypointRequest>,
) -> Result<HttpResponse, ApiError> {
    let id = parse_id(&id)?;
    let waypoint = state
        .events
        .update_waypoint(id, body.try_into_domain()?)
        .await?;
    Ok(HttpResponse::Ok().json(WaypointDto::from(waypoint)))
}
