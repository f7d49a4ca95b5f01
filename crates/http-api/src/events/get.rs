use actix_web::web::Json;

use crate::error::ApiError;
use crate::events::dto::EventDto;
use crate::extract::EventId;
use crate::state::State;

/// `GET /api/events/{id}`.
#[utoipa::path(get, path = "/api/events/{id}", tag = "events", params(EventId),
    responses((status = 200, description = "The event", body = EventDto)))]
pub async fn get_event(state: State, id: EventId) -> Result<Json<EventDto>, ApiError> {
    Ok(Json(state.events.get_event(id.0).await?.into()))
}
