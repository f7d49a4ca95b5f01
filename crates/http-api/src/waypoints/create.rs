use actix_web::{HttpResponse, web};

use crate::AppState;
use crate::error::ApiError;
use crate::extract::JsonBody;
use crate::waypoints::dto::{CreateWaypointRequest, WaypointDto};

/// `POST /api/waypoints`: 201 with the stored waypoint (placed last without `order_index`).
pub async fn create_waypoint(
    state: web::Data<AppState>,
    JsonBody(body): JsonBody<CreateWaypointRequest>,
) -> Result<HttpResponse, ApiError> {
    let waypoint = state
        .events
        .create_waypoint(body.try_into_domain()?)
        .await?;
    Ok(HttpResponse::Created().json(WaypointDto::from(waypoint)))
}
