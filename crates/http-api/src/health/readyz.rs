use actix_web::web::Json;
use domain::ServiceError;

use crate::error::ApiError;
use crate::health::HealthDto;
use crate::state::State;

/// `GET /readyz`: 200 when the database answers, 503 (within the pool timeout) when not.
#[utoipa::path(get, path = "/readyz", tag = "health",
    responses((status = 200, description = "The database answers", body = HealthDto)))]
pub async fn readyz(state: State) -> Result<Json<HealthDto>, ApiError> {
    state.health.check().await.map_err(ServiceError::from)?;
    Ok(Json(HealthDto { status: "ready" }))
}
