use actix_web::http::header::HeaderName;
use actix_web::web::Query;
use actix_web::{HttpRequest, HttpResponse};
use tokio::sync::mpsc;

use crate::chat_answers::dto::{LastEventId, ResumeQuery};
use crate::error::ApiError;
use crate::extract::AnswerId;
use crate::state::State;
use crate::{keeper, sse};

const LAST_EVENT_ID: HeaderName = HeaderName::from_static("last-event-id");

/// `GET /api/chat/messages/{id}/stream`: the answer's stream again, on any instance: what
/// came after the cursor, then live until it ends; for an answer that has ended, the rest
/// and its last event.
#[utoipa::path(get, path = "/api/chat/messages/{id}/stream", tag = "chat",
    params(AnswerId, ResumeQuery, LastEventId),
    responses((status = 200, content_type = "text/event-stream", body = String,
        description = "Server-sent events as the answer's own stream gives them: `chunk`s \
            (each with an `id:` line, its cursor) with the text after the cursor, then `done` \
            or `error`. Text is sent exactly once: what came before the cursor and what \
            follows make the stored answer.")))]
pub async fn stream_answer(
    state: State,
    id: AnswerId,
    query: Query<ResumeQuery>,
    request: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let header = request.headers().get(LAST_EVENT_ID);
    let given = match header {
        Some(value) => Some(value.to_str().unwrap_or("?").to_owned()),
        None => query.into_inner().after,
    };
    let cursor = match given.as_deref().map(str::trim) {
        None | Some("") => 0,
        // Any whole number is a cursor; one past every answer's length replays nothing.
        Some(text) if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) => {
            text.parse::<usize>().unwrap_or(usize::MAX)
        }
        Some(text) => {
            return Err(ApiError::Malformed(format!(
                "{text:?} is not a cursor (expected the id of a chunk event, a whole number)"
            )));
        }
    };
    let answer = state.chat.get_answer(id.0).await?;
    if !keeper::valid_cursor(&answer, cursor) {
        return Err(ApiError::Malformed(format!(
            "{cursor} is not a cursor of this answer (no chunk ended there)"
        )));
    }
    state.metrics.resumes.inc();
    let (events, received) = mpsc::unbounded_channel();
    tokio::spawn(keeper::follow(state.clone(), id.0, cursor, events));
    Ok(sse::response(
        received,
        state.sse_ping_every,
        &state.metrics.open_streams,
    ))
}
