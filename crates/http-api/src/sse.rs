//! The event stream of an answer (`POST /api/chat`, and resumed by
//! `GET /api/chat/messages/{id}/stream`). Each event is `event: <name>\ndata: <one line of
//! JSON>\n\n` (a `chunk` also has an `id:` line, its cursor), written as one chunk: the original frontend reads only the lines starting with
//! `data: ` (with the space) and drops a line cut between two network reads; the name lets
//! other clients tell the events apart without guessing from their fields.

use std::convert::Infallible;
use std::time::Duration;

use actix_web::HttpResponse;
use actix_web::http::header;
use actix_web::web::{Bytes, BytesMut};
use domain::{ChatMessage, CompletionNote, MessageStatus};
use futures_util::{Stream, StreamExt, stream};
use prometheus::IntGauge;
use serde::Serialize;
use tokio::sync::mpsc::UnboundedReceiver;
use utoipa::ToSchema;

use crate::words;

/// Sent when nothing else was for a while, so proxies and browsers keep the stream open.
const PING: &[u8] = b": ping\n\n";

/// A kind of event, by its `event:` name.
pub trait Named: Serialize {
    const NAME: &'static str;
}

/// One event, ready to write. serde_json never writes a raw newline inside a string, so
/// the JSON stays on one line.
pub fn event<E: Named>(payload: &E) -> Bytes {
    let mut line = format!("event: {}\ndata: ", E::NAME).into_bytes();
    // Serializing our own event structs cannot fail; an empty object keeps the framing.
    if serde_json::to_writer(&mut line, payload).is_err() {
        line.extend_from_slice(b"{}");
    }
    line.extend_from_slice(b"\n\n");
    Bytes::from(line)
}

/// A piece of the answer; its `id:` is the cursor after it (the bytes of the answer sent so
/// far), from which a client that lost the stream resumes.
pub fn chunk(text: &str, cursor: usize) -> Bytes {
    let mut line = format!("event: chunk\nid: {cursor}\ndata: ").into_bytes();
    if serde_json::to_writer(&mut line, &Chunk { chunk: text }).is_err() {
        line.extend_from_slice(b"{}");
    }
    line.extend_from_slice(b"\n\n");
    Bytes::from(line)
}

/// The last event of an answer as it ended: `done` when it is stored complete (with its note,
/// if any), else `error` with the reason in a person's words and as a code (and the answer's
/// id when it is stored).
pub fn ending(answer: &ChatMessage, stored: bool) -> Bytes {
    let has_text = !answer.content.is_empty();
    let (error, code) = match (&answer.status, stored) {
        (MessageStatus::Complete, true) => {
            return event(&Done {
                done: true,
                sources: (answer.sources.as_ref())
                    .and_then(serde_json::Value::as_array)
                    .map_or(&[], Vec::as_slice),
                message_id: answer.id,
                finish_reason: answer.finish_reason.clone(),
                status_reason: answer.note.map(words::note),
                status_code: answer.note.map(CompletionNote::code),
            });
        }
        (MessageStatus::Interrupted(why), _) => (words::interruption(why, has_text), why.code()),
        _ => (words::not_saved(), words::NOT_SAVED_CODE),
    };
    event(&Failed {
        error,
        code,
        message_id: stored.then_some(answer.id),
    })
}

/// The streaming answer: `events` as they are sent, with pings; counted in `open` while the
/// client holds it.
pub fn response(
    events: UnboundedReceiver<Bytes>,
    ping_every: Duration,
    open: &IntGauge,
) -> HttpResponse {
    let counted = Open::new(open.clone());
    HttpResponse::Ok()
        .content_type("text/event-stream")
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        // nginx and friends would otherwise buffer the stream.
        .insert_header(("x-accel-buffering", "no"))
        .streaming(body(events, ping_every).map(move |event| {
            let _ = &counted;
            event
        }))
}

/// One open stream in a gauge, for as long as the value lives.
struct Open(IntGauge);

impl Open {
    fn new(gauge: IntGauge) -> Self {
        gauge.inc();
        Self(gauge)
    }
}

impl Drop for Open {
    fn drop(&mut self) {
        self.0.dec();
    }
}

/// The response body: events as the generation sends them, with a `: ping` comment after
/// each `ping_every` of silence; ends when the generation drops its sender.
fn body(
    events: UnboundedReceiver<Bytes>,
    ping_every: Duration,
) -> impl Stream<Item = Result<Bytes, Infallible>> {
    stream::unfold(events, move |mut events| async move {
        match tokio::time::timeout(ping_every, events.recv()).await {
            Ok(Some(event)) => {
                // Events already waiting go out in the same write, whole.
                let mut batch: Option<BytesMut> = None;
                while let Ok(more) = events.try_recv() {
                    batch
                        .get_or_insert_with(|| BytesMut::from(&event[..]))
                        .extend_from_slice(&more);
                }
                Some((Ok(batch.map_or(event, BytesMut::freeze)), events))
            }
            Ok(None) => None,
            Err(_) => Some((Ok(Bytes::from_static(PING)), events)),
        }
    })
}

/// First event: the question is stored.
#[derive(Serialize, ToSchema)]
#[schema(as = ChatStarted)]
pub struct Started {
    pub session_id: uuid::Uuid,
    /// The question's id.
    pub message_id: uuid::Uuid,
    pub title: String,
    /// The answer's id: what `GET /api/chat/messages/{id}/stream` resumes and
    /// `POST /api/chat/messages/{id}/stop` stops.
    pub answer_id: uuid::Uuid,
}

impl Named for Started {
    const NAME: &'static str = "started";
}

/// The next piece of the answer; the event's `id:` is the cursor after it.
#[derive(Serialize, ToSchema)]
#[schema(as = ChatChunk)]
pub struct Chunk<'a> {
    pub chunk: &'a str,
}

/// Last event of an answer that is stored complete.
#[derive(Serialize, ToSchema)]
#[schema(as = ChatDone)]
pub struct Done<'a> {
    pub done: bool,
    /// What the answer's prompt used, as stored with it (see `ChatMessage.sources`); `[]`
    /// when nothing.
    #[schema(value_type = Vec<Object>)]
    pub sources: &'a [serde_json::Value],
    /// The answer's id.
    pub message_id: uuid::Uuid,
    pub finish_reason: Option<String>,
    /// Why the answer, though complete, may not be all the person expects (cut at the
    /// model's length limit, ...), in their words; `null` for most answers.
    pub status_reason: Option<&'static str>,
    /// The same as a code: `length`, `content_filter` or `history_shortened`.
    pub status_code: Option<&'static str>,
}

impl Named for Done<'_> {
    const NAME: &'static str = "done";
}

/// Last event of an answer that did not finish: what went wrong, for a person.
#[derive(Serialize, ToSchema)]
#[schema(as = ChatFailed)]
pub struct Failed {
    pub error: String,
    /// The same as a code: the stored `status_code` (`stopped`, `model_unavailable`, ...),
    /// or `not_saved`.
    pub code: &'static str,
    /// The interrupted answer as stored, when it could be.
    pub message_id: Option<uuid::Uuid>,
}

impl Named for Failed {
    const NAME: &'static str = "error";
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_event_is_its_name_then_one_data_line_with_a_space_and_a_blank_line() {
        let bytes = chunk("line one\nline two \u{2028} \"quoted\"", 42);
        let text = std::str::from_utf8(&bytes).unwrap();
        let data = text.strip_prefix("event: chunk\nid: 42\n").unwrap();
        assert!(data.starts_with("data: {"));
        assert!(data.ends_with("}\n\n"));
        assert_eq!(data.matches('\n').count(), 2, "{text:?}");
        let json: serde_json::Value = serde_json::from_str(&data[6..data.len() - 2]).unwrap();
        assert_eq!(json["chunk"], "line one\nline two \u{2028} \"quoted\"");
    }
}
