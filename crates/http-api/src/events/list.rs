use crate::encoding::Packed;

use crate::error::ApiError;
use crate::events::dto::EventDto;
use crate::state::State;

/// `GET /api/events`: by planned date, undated last.
#[utoipa::path(get, path = "/api/events", tag = "events",
    responses((status = 200, description = "Events by planned date, undated last", body = Vec<EventDto>)))]
pub async fn list_events(state: State) -> Result<Packed<Vec<EventDto>>, ApiError> {
    let events = state.events.list_events().await?;
    Ok(Packed(events.into_iter().map(EventDto::from).collect()))
}
