use actix_web::web::Path;
use actix_web::{HttpRequest, HttpResponse};
use domain::{Missing, ServiceError};

use crate::error::ApiError;
use crate::shares::dto::SharedChatDto;
use crate::state::State;
use crate::ui;

/// `GET /s/{token}`: the read-only page of a link, with its copy inside; the same 404 page
/// for every token that opens nothing.
pub async fn share_page(
    state: State,
    token: Path<String>,
    request: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    match state.shares.read(&token).await {
        Ok(chat) => {
            let json = serde_json::to_string(&SharedChatDto::from(chat))
                .map_err(|error| ApiError::from(ServiceError::Unexpected(Box::new(error))))?;
            Ok(ui::share_page(&request, &json))
        }
        Err(ServiceError::NotFound(Missing::Share)) => Ok(ui::share_missing()),
        Err(error) => Err(error.into()),
    }
}
