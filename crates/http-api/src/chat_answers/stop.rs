use actix_web::HttpResponse;
use domain::ports::StopRequest;

use crate::chat_answers::dto::StopDto;
use crate::error::ApiError;
use crate::extract::AnswerId;
use crate::state::State;

/// `POST /api/chat/messages/{id}/stop`, on any instance: the instance writing the answer
/// stops it (within a second), stores its text so far as interrupted (`stopped`), and every
/// stream of it ends with an `error` event saying so.
#[utoipa::path(post, path = "/api/chat/messages/{id}/stop", tag = "chat", params(AnswerId),
    responses(
        (status = 202, description = "It was being written and is being stopped", body = StopDto),
        (status = 200, description = "It had already ended; nothing changed", body = StopDto),
    ))]
pub async fn stop_answer(state: State, id: AnswerId) -> Result<HttpResponse, ApiError> {
    Ok(match state.chat.request_stop(id.0).await? {
        StopRequest::Requested => {
            // Here at once when this instance writes it; otherwise its owner hears of it.
            state.runs.stop(id.0);
            HttpResponse::Accepted().json(StopDto {
                id: id.0,
                status: "stopping",
            })
        }
        StopRequest::AlreadyEnded => HttpResponse::Ok().json(StopDto {
            id: id.0,
            status: "ended",
        }),
    })
}
