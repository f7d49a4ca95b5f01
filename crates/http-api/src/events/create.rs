use actix_web::HttpResponse;

use crate::error::ApiError;
use crate::events::dto::{CreateEventRequest, EventDto};
use crate::extract::JsonBody;
use crate::state::State;

/// `POST /api/events`: 201 with the stored event.
#[utoipa::path(post, path = "/api/events", tag = "events", request_body = CreateEventRequest,
    responses((status = 201, description = "The stored event", body = EventDto)))]
pub async fn create_event(
    state: State,
    JsonBody(body): JsonBody<CreateEventRequest>,
) -> Result<HttpResponse, ApiError> {
    let event = state.events.create_event(body.into_domain()).await?;
    Ok(HttpResponse::Created().json(EventDto::from(event)))
}
