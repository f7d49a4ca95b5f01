use actix_web::HttpResponse;
use domain::{Halt, MessageStatus, TurnOutcome};
use tokio::sync::mpsc;
use tokio::time::Instant;

use crate::chat_turns::dto::ChatRequest;
use crate::error::{ApiError, Problem};
use crate::extract::JsonBody;
use crate::state::State;
use crate::{keeper, sse, words};

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
            soon as the question is stored, with the `answer_id`), then `chunk`s (`ChatChunk`, \
            each with an `id:` line: the cursor to resume from), then `done` (`ChatDone`, after \
            the answer is stored) or `error` (`ChatFailed`). `: ping` comments keep a silent \
            stream open.",
        content_type = "text/event-stream",
        body = String,
    ), (
        status = 404,
        description = "No such session or event; nothing was stored",
        content_type = "application/problem+json",
        body = Problem,
    ), (
        status = 409,
        description = "An answer of this chat is still being written (its id is the \
            problem's `answer_id`); nothing was stored",
        content_type = "application/problem+json",
        body = Problem,
    )),
)]
pub async fn post_turn(
    state: State,
    JsonBody(body): JsonBody<ChatRequest>,
) -> Result<HttpResponse, ApiError> {
    let turn = state.chat.begin_turn(body.try_into_domain()?).await?;
    let answer_id = turn.answer.id;
    if let Some(error) = &turn.recall_failed {
        let error = error as &dyn std::error::Error;
        tracing::warn!(%answer_id, error, "asked without the earlier chats: recalling them failed");
    }
    let run = state.runs.start(answer_id);
    let (events, received) = mpsc::unbounded_channel();
    // The receiver is alive until this handler returns the response, so this cannot fail.
    let _ = events.send(sse::event(&sse::Started {
        session_id: turn.session.id,
        message_id: turn.user_message.id,
        title: turn.session.title.clone(),
        answer_id,
    }));
    let generation_state = state.clone();
    state.generations.spawn(async move {
        let state = generation_state;
        let session_id = turn.session.id;
        let asked = Instant::now();
        let mut first = Some(&state.metrics.first_token);
        // Sends fail only when the client has gone; the answer goes on regardless.
        let on_text = |piece: &str| {
            if let Some(first_token) = first.take() {
                first_token.observe(asked.elapsed().as_secs_f64());
            }
            let cursor = run.push(piece);
            let _ = events.send(sse::chunk(piece, cursor));
        };
        let halt = async {
            tokio::select! {
                () = state.generations.stop_signal() => Halt::Shutdown,
                () = run.stopped() => Halt::Stop,
            }
        };
        let outcome = state.chat.answer(turn, on_text, halt).await;
        let (answer, stored) = match keeper::save_with_retry(&state, outcome).await {
            TurnOutcome::Stored(answer) => (answer, true),
            TurnOutcome::NotSaved { answer, cause } => {
                let cause = &cause as &dyn std::error::Error;
                tracing::error!(%session_id, %answer_id, cause, "the answer could not be saved");
                (answer, false)
            }
        };
        let outcome = match (&answer.status, stored) {
            (MessageStatus::Interrupted(why), _) => {
                // The model's own account (the provider's words) is for the log only.
                let (code, detail) = (why.code(), why.model_detail());
                tracing::warn!(%session_id, %answer_id, code, detail, stored, "answer interrupted");
                code
            }
            (_, false) => words::NOT_SAVED_CODE,
            _ => "complete",
        };
        state.metrics.turns.with_label_values(&[outcome]).inc();
        let took = asked.elapsed().as_secs_f64();
        state.metrics.answer_duration.observe(took);
        let last = sse::ending(&answer, stored);
        let _ = events.send(last.clone());
        state.runs.end(answer_id, last);
    });
    Ok(sse::response(
        received,
        state.sse_ping_every,
        &state.metrics.open_streams,
    ))
}
