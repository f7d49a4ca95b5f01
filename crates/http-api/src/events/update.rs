use actix_web::{HttpResponse, web};

use crate::AppState;
use crate::error::ApiError;
use crate::events::dto::{EventDto, UpdateEventRequest};
use crate::extract::{JsonBody, parse_id};

/// `PUT /api/events/{id}`: a partial update; the stored event comes back.
#[utoipa::path(
    put,
    path = "/api/events/{id}",
    tag = "events",
    params(("id" = Uuid, Path, description = "The event's id")),
    request_body = UpdateEventRequest,
    responses((status = 200, description = "The event as stored", body = EventDto)),
)]
pub async fn update_event(
    state: web::Data<AppState>,
    id: web::Path<String>,
    JsonBody(body): JsonBody<UpdateEventRequest>,
) -> Result<HttpResponse, ApiError> {
    let event = state
        .events
        .update_event(parse_id(&id)?, body.into_domain())
        .await?;
    Ok(HttpResponse::Ok().json(EventDto::from(event)))
}
