use actix_web::{HttpResponse, web};

use crate::AppState;
use crate::error::ApiError;
use crate::events::dto::EventDto;
use crate::extract::parse_id;

/// `GET /api/events/{id}`.
#[utoipa::path(
    get,
    path = "/api/events/{id}",
    tag = "events",
    params(("id" = Uuid, Path, description = "The event's id")),
    responses((status = 200, description = "The event", body = EventDto)),
)]
pub async fn get_event(
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let event = state.events.get_event(parse_id(&id)?).await?;
    Ok(HttpResponse::Ok().json(EventDto::from(event)))
}
