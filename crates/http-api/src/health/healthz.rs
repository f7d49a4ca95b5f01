use actix_web::web::Json;

use crate::health::HealthDto;

/// `GET /healthz`: the process is alive and serving; says nothing about the database, so a
/// database outage does not get the process restarted.
#[utoipa::path(get, path = "/healthz", tag = "health",
    responses((status = 200, description = "The process is serving", body = HealthDto)))]
pub async fn healthz() -> Json<HealthDto> {
    Json(HealthDto { status: "ok" })
}
