use actix_web::web::Json;

use crate::error::ApiError;
use crate::events::dto::{EventDto, UpdateEventRequest};
use crate::extract::{EventId, JsonBody};
use crate::state::State;

/// `PUT /api/events/{id}`: a partial update; the stored event comes back.
#[utoipa::path(put, path = "/api/events/{id}", tag = "events", params(EventId),
    request_body = UpdateEventRequest,
    responses((status = 200, description = "The event as stored", body = EventDto)))]
pub async fn update_event(
    state: State,
    id: EventId,
    JsonBody(body): JsonBody<UpdateEventRequest>,
) -> Result<Json<EventDto>, ApiError> {
    let event = state.events.update_event(id.0, |f| body.apply(f)).await?;
    Ok(Json(event.into()))
}
