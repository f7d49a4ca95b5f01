use actix_web::HttpResponse;
use actix_web::http::header;
use actix_web::web::Bytes;
use domain::{MessageStatus, TurnOutcome};
use tokio::sync::mpsc;
use uuid::Uuid;

use crate::chat_turns::dto::ChatRequest;
use crate::chat_turns::sse;
use crate::error::{ApiError, Problem};
use crate::extract::JsonBody;
use crate::state::State;
use crate::words;

/// `POST /api/chat`: stores the question, then streams the answer as server-sent events
/// (`session_id`, `chunk`s, then `done` or `error`). Bad input is a problem+json answer
/// before any stream starts. The answer is generated in a task of its own, so it is
/// finished and stored even if the client goes away.
#[utoipa::path(
    post,
    path = "/api/chat",
    tag = "chat",
    request_body = ChatRequest,
    responses((
        status = 200,
        description = "Server-sent events, each an `event: <name>` line, a \
            `data: <one line of JSON>` line and a blank line: first `started` (`ChatStarted`, as \
            soon as the question is stored), then `chunk`s (`ChatChunk`), then `done` \
            (`ChatDone`, after the answer is stored) or `error` (`ChatFailed`). `: ping` \
            comments keep a silent stream open.",
        content_type = "text/event-stream",
        body = String,
    ), (
        status = 404,
        description = "No such session or event; nothing was stored",
        content_type = "application/problem+json",
        body = Problem,
    )),
)]
pub async fn post_turn(
    state: State,
    JsonBody(body): JsonBody<ChatRequest>,
) -> Result<HttpResponse, ApiError> {
    let turn = state.chat.begin_turn(body.try_into_domain()?).await?;
    let (events, received) = mpsc::unbounded_channel();
    // The receiver is alive until this handler returns the response, so this cannot fail.
    let _ = events.send(sse::event(&sse::Started {
        session_id: turn.session.id,
        message_id: turn.user_message.id,
        title: turn.session.title.clone(),
    }));
    let generation_state = state.clone();
    state.generations.spawn(async move {
        let state = generation_state;
        let session_id = turn.session.id;
        // Sends fail only when the client has gone; the answer goes on regardless.
        let on_text = |piece: &str| {
            let _ = events.send(sse::event(&sse::Chunk { chunk: piece }));
        };
        let outcome = state
            .chat
            .answer(turn, on_text, state.generations.stop_signal())
            .await;
        let _ = events.send(last_event(session_id, outcome));
    });
    Ok(HttpResponse::Ok()
        .content_type("text/event-stream")
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        // nginx and friends would otherwise buffer the stream.
        .insert_header(("x-accel-buffering", "no"))
        .streaming(sse::body(received, state.sse_ping_every)))
}

/// The stream's last event: `done` for an answer stored complete, else `error` with the
/// reason in a person's words (and the answer's id when it is stored).
fn last_event(session_id: Uuid, outcome: TurnOutcome) -> Bytes {
    let (answer, stored) = match outcome {
        TurnOutcome::Stored(answer) => (answer, true),
        TurnOutcome::NotSaved { answer, cause } => {
            let cause = &cause as &dyn std::error::Error;
            tracing::error!(%session_id, answer_id = %answer.id, cause, "the answer could not be saved");
            (answer, false)
        }
    };
    let error = match (&answer.status, stored) {
        (MessageStatus::Complete, true) => {
            return sse::event(&sse::Done {
                done: true,
                sources: answer
                    .sources
                    .and_then(|s| s.as_array().cloned())
                    .unwrap_or_default(),
                message_id: answer.id,
                finish_reason: answer.finish_reason,
            });
        }
        (MessageStatus::Interrupted(why), _) => {
            let code = why.code();
            tracing::warn!(%session_id, answer_id = %answer.id, code, detail = why.detail(), stored, "answer interrupted");
            words::interruption(why)
        }
        _ => words::NOT_SAVED.to_owned(),
    };
    sse::event(&sse::Failed {
        error,
        message_id: stored.then_some(answer.id),
    })
}
