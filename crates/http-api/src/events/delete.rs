use actix_web::{HttpResponse, web};

use crate::AppState;
use crate::error::ApiError;
use crate::events::dto::DeletedDto;
use crate::extract::parse_id;

/// `DELETE /api/events/{id}`: with its waypoints and chat sessions, by cascade.
pub async fn delete_event(
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = parse_id(&id)?;
    state.events.delete_event(id).await?;
    Ok(HttpResponse::Ok().json(DeletedDto { success: true, id }))
}
