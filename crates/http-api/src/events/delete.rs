use actix_web::web::Json;

use crate::deleted::Deleted;
use crate::error::ApiError;
use crate::extract::EventId;
use crate::state::State;

/// `DELETE /api/events/{id}`: with its waypoints and chat sessions, by cascade.
#[utoipa::path(delete, path = "/api/events/{id}", tag = "events", params(EventId),
    responses((status = 200, description = "Deleted with its waypoints and chats", body = Deleted)))]
pub async fn delete_event(state: State, id: EventId) -> Result<Json<Deleted>, ApiError> {
    state.events.delete_event(id.0).await?;
    Ok(Json(Deleted::new(id.0)))
}
