use actix_web::HttpResponse;
use serde_json::json;

/// `GET /healthz`: the process is alive and serving; says nothing about the database, so a
/// database outage does not get the process restarted.
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(json!({"status": "ok"}))
}
