use actix_web::{HttpResponse, web};

use crate::AppState;
use crate::error::ApiError;
use crate::events::dto::EventDto;

/// `GET /api/events`: by planned date, undated last.
#[utoipa::path(
    get,
    path = "/api/events",
    tag = "events",
    responses((status = 200, description = "Events by planned date, undated last", body = Vec<EventDto>)),
)]
pub async fn list_events(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let events = state.events.list_events().await?;
    Ok(HttpResponse::Ok().json(events.into_iter().map(EventDto::from).collect::<Vec<_>>()))
}
