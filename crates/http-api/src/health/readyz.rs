use actix_web::{HttpResponse, web};
use domain::ServiceError;

use crate::AppState;
use crate::error::ApiError;
use crate::health::HealthDto;

/// `GET /readyz`: 200 when the database answers, 503 (within the pool timeout) when not.
#[utoipa::path(
    get,
    path = "/readyz",
    tag = "health",
    responses((status = 200, description = "The database answers", body = HealthDto)),
)]
pub async fn readyz(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    state.health.check().await.map_err(ServiceError::from)?;
    Ok(HttpResponse::Ok().json(HealthDto { status: "ready" }))
}
