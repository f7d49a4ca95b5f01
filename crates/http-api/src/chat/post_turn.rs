use actix_web::http::header;
use actix_web::{HttpResponse, web};
use domain::{TurnOutcome, TurnRequest};
use serde::Deserialize;
use tokio::sync::mpsc;
use utoipa::ToSchema;

use crate::AppState;
use crate::chat::sse;
use crate::error::{ApiError, Problem};
use crate::extract::{JsonBody, parse_optional_id};
use crate::openapi::{message_schema, optional_uuid_schema};

/// `{message, event_id?, session_id?}`; ids as text so a bad one is a 400 in our words.
#[derive(Deserialize, ToSchema)]
pub struct ChatRequest {
    /// The question; not blank. The longest accepted is MAX_MESSAGE_CHARS characters (the
    /// served document gives the configured figure).
    #[schema(schema_with = message_schema)]
    pub message: String,
    /// A new chat about this event; ignored when `session_id` is given.
    #[schema(schema_with = optional_uuid_schema)]
    pub event_id: Option<String>,
    /// Continue this chat (it keeps its own event).
    #[schema(schema_with = optional_uuid_schema)]
    pub session_id: Option<String>,
}

impl ChatRequest {
    pub fn try_into_domain(self) -> Result<TurnRequest, ApiError> {
        Ok(TurnRequest {
            event_id: parse_optional_id("event_id", self.event_id.as_deref())?,
            session_id: parse_optional_id("session_id", self.session_id.as_deref())?,
            message: self.message,
        })
    }
}

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
        description = "Server-sent events, each `data: <one line of JSON>` and a blank line: \
            first `ChatStarted` (as soon as the question is stored), then `ChatChunk`s, then \
            `ChatDone` (after the answer is stored) or `ChatFailed`. `: ping` comments keep a \
            silent stream open.",
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
    state: web::Data<AppState>,
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
        let last = match state
            .chat
            .answer(turn, on_text, state.generations.stop_signal())
            .await
        {
            TurnOutcome::Answered(message) => sse::event(&sse::Done {
                done: true,
                sources: message
                    .sources
                    .and_then(|s| s.as_array().cloned())
                    .unwrap_or_default(),
                message_id: message.id,
                finish_reason: message.finish_reason,
            }),
            TurnOutcome::Failed { reason, stored } => {
                tracing::warn!(%session_id, %reason, stored = stored.is_some(), "answer failed");
                sse::event(&sse::Failed {
                    error: reason,
                    message_id: stored.map(|m| m.id),
                })
            }
        };
        let _ = events.send(last);
    });
    Ok(HttpResponse::Ok()
        .content_type("text/event-stream")
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        // nginx and friends would otherwise buffer the stream.
        .insert_header(("x-accel-buffering", "no"))
        .streaming(sse::body(received, state.sse_ping_every)))
}
