use actix_web::{HttpResponse, web};
use domain::ServiceError;
use serde_json::json;

use crate::AppState;
use crate::error::ApiError;

/// `GET /readyz`: 200 when the database answers, 503 (within the pool timeout) when not.
pub async fn readyz(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    state.health.check().await.map_err(ServiceError::from)?;
    Ok(HttpResponse::Ok().json(json!({"status": "ready"})))
}
